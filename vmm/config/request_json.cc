// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Strict readers for API request bodies (see request_json.h).
#include "vmm/config/request_json.h"

namespace petrel::config {

using nlohmann::json;

Error Invalid(std::string what) { return Error(ErrorCode::kInvalidArgument, std::move(what)); }

Result<json> ParseObject(std::string_view body, std::string_view what) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Invalid(std::string(what) + ": the body is not valid JSON");
  if (!doc.is_object()) return Invalid(std::string(what) + ": the body is not a JSON object");
  return doc;
}

Result<std::string> StringField(const json& doc, const char* key, bool required) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) return Invalid(std::string(key) + ": missing");
    return std::string();
  }
  if (!it->is_string()) return Invalid(std::string(key) + ": expected a string");
  return it->get<std::string>();
}

Result<bool> BoolField(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return false;
  if (!it->is_boolean()) return Invalid(std::string(key) + ": expected true or false");
  return it->get<bool>();
}

Result<void> OnlyKnownFields(const json& doc, std::initializer_list<std::string_view> known,
                             std::initializer_list<std::string_view> unsupported) {
  for (const auto& [key, value] : doc.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key == k;
    if (ok) continue;
    for (std::string_view k : unsupported) {
      if (key == k && !value.is_null()) return Invalid(key + ": not supported by Petrel yet");
      ok = ok || key == k;
    }
    if (!ok) return Invalid("unknown field '" + key + "'");
  }
  return Ok();
}

Result<int64_t> IntField(const json& doc, const char* key, int64_t fallback, int64_t min,
                         int64_t max) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return Invalid(std::string(key) + ": expected a whole number");
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return Invalid(std::string(key) + ": out of range");
  }
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) {
    return Invalid(std::string(key) + ": " + std::to_string(v) + " is outside " +
                   std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

}  // namespace petrel::config
