// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Snapshot JSON field helpers (see json_fields.h).
#include "vmm/snapshot/json_fields.h"

#include <utility>

namespace petrel::vmm::snapshot {
namespace {

using nlohmann::json;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The string's bytes if it is a hex string of at most `max_bytes` bytes.
Result<const std::string*> HexText(const json& value, const std::string& path, size_t max_bytes) {
  if (!value.is_string()) {
    return FieldProblem(path, "expected a hex string, got " + DescribeJson(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() % 2 != 0) return FieldProblem(path, "odd number of hex digits");
  if (text.size() / 2 > max_bytes) {
    return FieldProblem(path, std::to_string(text.size() / 2) + " bytes, at most " +
                                  std::to_string(max_bytes) + " allowed");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (HexDigit(text[i]) < 0) {
      return FieldProblem(path, "not a hex digit at character " + std::to_string(i));
    }
  }
  return &text;
}

void HexInto(const std::string& text, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(HexDigit(text[2 * i]) << 4 | HexDigit(text[2 * i + 1]));
  }
}

}  // namespace

Error FieldProblem(const std::string& path, std::string_view problem) {
  return Error(ErrorCode::kInvalidArgument,
               (path.empty() ? std::string("(root)") : path) + ": " + std::string(problem));
}

std::string FieldPath(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string IndexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string DescribeJson(const json& value) {
  // Containers by kind only: dumping one would recurse as deep as the
  // input nests, and an error needs no more.
  if (value.is_array()) return "a JSON array";
  if (value.is_object()) return "a JSON object";
  constexpr size_t kMax = 40;
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

bool JsonNestsDeeperThan(const json& value, size_t limit) {
  std::vector<std::pair<const json*, size_t>> pending{{&value, 1}};
  while (!pending.empty()) {
    const auto [v, depth] = pending.back();
    pending.pop_back();
    if (!v->is_structured()) continue;
    if (depth > limit) return true;
    for (const json& child : *v) pending.emplace_back(&child, depth + 1);
  }
  return false;
}

std::string HexEncode(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    text[2 * i] = kDigits[bytes[i] >> 4];
    text[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return text;
}

Result<std::vector<uint8_t>> HexDecode(const json& value, const std::string& path,
                                       size_t max_bytes) {
  PETREL_ASSIGN_OR_RETURN(const std::string* text, HexText(value, path, max_bytes));
  std::vector<uint8_t> bytes(text->size() / 2);
  HexInto(*text, bytes);
  return bytes;
}

Result<void> HexDecodeExact(const json& value, const std::string& path, std::span<uint8_t> out) {
  // The length first: a wrong one is the likelier fault, and is named so.
  if (value.is_string()) {
    const size_t digits = value.get_ref<const std::string&>().size();
    if (digits % 2 == 0 && digits / 2 != out.size()) {
      return FieldProblem(
          path, std::to_string(digits / 2) + " bytes, " + std::to_string(out.size()) + " expected");
    }
  }
  PETREL_ASSIGN_OR_RETURN(const std::string* text, HexText(value, path, out.size()));
  HexInto(*text, out);
  return Ok();
}

Result<bool> DecodeBool(const json& value, const std::string& path) {
  if (!value.is_boolean()) {
    return FieldProblem(path, "expected true or false, got " + DescribeJson(value));
  }
  return value.get<bool>();
}

Result<uint64_t> DecodeUnsigned(const json& value, const std::string& path, uint64_t max) {
  uint64_t n = 0;
  if (value.is_number_unsigned()) {
    n = value.get<uint64_t>();
  } else if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    n = static_cast<uint64_t>(value.get<int64_t>());
  } else {
    return FieldProblem(path, "expected an unsigned integer, got " + DescribeJson(value));
  }
  if (n > max) {
    return FieldProblem(
        path, std::to_string(n) + " is out of range (at most " + std::to_string(max) + ")");
  }
  return n;
}

Result<int64_t> DecodeSigned(const json& value, const std::string& path) {
  if (value.is_number_unsigned()) {
    const uint64_t n = value.get<uint64_t>();
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldProblem(path, std::to_string(n) + " is out of range (at most " +
                                    std::to_string(std::numeric_limits<int64_t>::max()) + ")");
    }
    return static_cast<int64_t>(n);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  return FieldProblem(path, "expected an integer, got " + DescribeJson(value));
}

Result<const json*> DecodeArray(const json& value, const std::string& path, size_t max) {
  if (!value.is_array()) {
    return FieldProblem(path, "expected a JSON array, got " + DescribeJson(value));
  }
  if (value.size() > max) {
    return FieldProblem(path, std::to_string(value.size()) + " elements, at most " +
                                  std::to_string(max) + " allowed");
  }
  return &value;
}

Result<ObjectFields> ObjectFields::Open(const json& value, std::string path) {
  if (!value.is_object()) {
    return FieldProblem(path, "expected a JSON object, got " + DescribeJson(value));
  }
  return ObjectFields(value, std::move(path));
}

Result<const json*> ObjectFields::Get(std::string_view key) {
  read_.emplace(key);
  const auto it = object_->find(key);
  if (it == object_->end()) return FieldProblem(PathOf(key), "missing");
  return &*it;
}

Result<void> ObjectFields::ReadHex(std::string_view key, std::vector<uint8_t>& out,
                                   size_t max_bytes) {
  PETREL_ASSIGN_OR_RETURN(const json* v, Get(key));
  PETREL_ASSIGN_OR_RETURN(out, HexDecode(*v, PathOf(key), max_bytes));
  return Ok();
}

Result<void> ObjectFields::Finish() const {
  for (const auto& [key, value] : object_->items()) {
    if (read_.count(key) == 0) {
      return FieldProblem(path_, "unknown field " + DescribeJson(json(key)));
    }
  }
  return Ok();
}

}  // namespace petrel::vmm::snapshot
