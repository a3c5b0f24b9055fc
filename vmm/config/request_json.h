// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The JSON of API request bodies other than vm.create (snapshot, restore,
// migration): a strict object reader whose errors are one line, naming the
// field, all kInvalidArgument.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::config {

Error Invalid(std::string what);
// `body` parsed; `what` ("vm.restore") names the request in errors.
Result<nlohmann::json> ParseObject(std::string_view body, std::string_view what);
// A string field; absent or null: "" unless `required`.
Result<std::string> StringField(const nlohmann::json& doc, const char* key, bool required);
// A boolean field; absent or null: false.
Result<bool> BoolField(const nlohmann::json& doc, const char* key);
// A whole number field within [min, max]; absent or null: `fallback`.
Result<int64_t> IntField(const nlohmann::json& doc, const char* key, int64_t fallback, int64_t min,
                         int64_t max);
// Every field is `known`, or `unsupported` and null (CH's fields Petrel does
// not take yet: "<key>: not supported by Petrel yet").
Result<void> OnlyKnownFields(const nlohmann::json& doc,
                             std::initializer_list<std::string_view> known,
                             std::initializer_list<std::string_view> unsupported);

}  // namespace petrel::config
