// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FieldError and EscapeForMessage (see field_error.h).
#include "core/base/field_error.h"

namespace petrel {
namespace {

// Longest piece of user text echoed in a message.
constexpr size_t kMaxEchoedBytes = 120;

}  // namespace

std::string EscapeForMessage(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool cut = text.size() > kMaxEchoedBytes;
  if (cut) text = text.substr(0, kMaxEchoedBytes);
  std::string out;
  out.reserve(text.size() + 3);
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  if (cut) out += "...";
  return out;
}

Error FieldError(std::string_view field, std::string_view value, std::string_view problem) {
  return Error(ErrorCode::kInvalidArgument, std::string(field) + "=" + EscapeForMessage(value) +
                                                ": " + std::string(problem));
}

}  // namespace petrel
