// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// JsonText: the one way the API turns a JSON value into text. Strings the API
// reports come from the user (paths, the kernel command line) and may hold
// bytes that are not UTF-8; nlohmann's default (strict) dump throws on them
// (type_error.316). Here each invalid sequence becomes U+FFFD instead
// (RFC 8259 section 8.1: JSON text is UTF-8), so serialising never throws
// on content.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace petrel::api {

inline std::string JsonText(const nlohmann::json& value) {
  return value.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                    nlohmann::json::error_handler_t::replace);
}

}  // namespace petrel::api
