// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OptionParser: splitting and checking "key=value,..." option strings, and the
// integer, size and boolean conversions of their values.
#include "vmm/config/option_parser.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace petrel::config {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Contains(const std::vector<std::string>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Accumulates digits of `base` into `value`; false on overflow or a bad digit.
bool AccumulateDigits(std::string_view digits, unsigned base, uint64_t& value) {
  if (digits.empty()) return false;
  value = 0;
  for (char c : digits) {
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / base) return false;
    value = value * base + digit;
  }
  return true;
}

}  // namespace

std::optional<uint64_t> ParseU64(std::string_view text) {
  uint64_t value = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    if (!AccumulateDigits(text.substr(2), 16, value)) return std::nullopt;
    return value;
  }
  if (!AccumulateDigits(text, 10, value)) return std::nullopt;
  return value;
}

Result<std::vector<uint64_t>> ParseIntegerList(std::string_view text, uint64_t max_value,
                                               size_t max_length) {
  const Error bad(ErrorCode::kInvalidArgument, "expected a list of numbers like [0-3,6]");
  std::string_view inner = text;
  if (!inner.empty() && inner.front() == '[') {
    if (inner.size() < 2 || inner.back() != ']') return bad;
    inner = inner.substr(1, inner.size() - 2);
  }
  const auto number = [](std::string_view digits) -> std::optional<uint64_t> {
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return ParseU64(digits);  // nullopt when empty or above 64 bits
  };
  std::vector<uint64_t> values;
  while (true) {
    const size_t comma = inner.find(',');
    const std::string_view item = inner.substr(0, comma);
    // CH's IntegerList: "a" or a range "a-b" with a < b.
    const size_t dash = item.find('-');
    const std::optional<uint64_t> first = number(item.substr(0, dash));
    const std::optional<uint64_t> last =
        dash == std::string_view::npos ? first : number(item.substr(dash + 1));
    if (!first || !last || *last < *first || (dash != std::string_view::npos && *last == *first)) {
      return bad;
    }
    if (*last > max_value) {
      return Error(ErrorCode::kInvalidArgument,
                   std::to_string(*last) + " is above " + std::to_string(max_value));
    }
    if (*last - *first >= max_length - values.size()) {
      return Error(ErrorCode::kOutOfRange,
                   "more than " + std::to_string(max_length) + " numbers in the list");
    }
    for (uint64_t i = 0; i <= *last - *first; ++i) values.push_back(*first + i);
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  return values;
}

Result<std::vector<int>> ParseFdList(std::string_view text) {
  auto values = ParseIntegerList(text, static_cast<uint64_t>(std::numeric_limits<int>::max()),
                                 kMaxFdListLength);
  if (!values.ok()) {
    if (values.error().code() == ErrorCode::kOutOfRange) {
      return Error(ErrorCode::kInvalidArgument,
                   "more than " + std::to_string(kMaxFdListLength) + " fds");
    }
    return Error(ErrorCode::kInvalidArgument, "expected a list of fds like [3,4] or [3-4]");
  }
  std::vector<int> fds;
  fds.reserve(values->size());
  for (uint64_t v : *values) fds.push_back(static_cast<int>(v));
  return fds;
}

Result<uint64_t> ParseSize(std::string_view text) {
  unsigned shift = 0;
  std::string_view digits = text;
  if (!text.empty()) {
    switch (std::tolower(static_cast<unsigned char>(text.back()))) {
      case 'k': shift = 10; break;
      case 'm': shift = 20; break;
      case 'g': shift = 30; break;
      case 't': shift = 40; break;
      default: break;
    }
    if (shift != 0) digits.remove_suffix(1);
  }
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error(ErrorCode::kInvalidArgument, "expected a size like 512M");
  }
  uint64_t value = 0;
  if (!AccumulateDigits(digits, 10, value) ||
      value > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Error(ErrorCode::kOutOfRange, "too large (a size must fit in 64 bits)");
  }
  return value << shift;
}

OptionParser::OptionParser(std::string option, std::vector<std::string> known_keys,
                           std::vector<std::string> valueless_keys)
    : option_(std::move(option)),
      value_keys_(std::move(known_keys)),
      valueless_keys_(std::move(valueless_keys)) {}

OptionParser::OptionParser(const OptionDoc& doc) : option_(doc.name) {
  for (const KeyDoc& k : doc.keys) {
    (k.value.empty() ? valueless_keys_ : value_keys_).emplace_back(k.key);
    if (k.refused) refused_keys_.emplace_back(k.key);
  }
}

bool OptionParser::IsValueKey(std::string_view key) const {
  return Contains(value_keys_, key);
}

bool OptionParser::IsValuelessKey(std::string_view key) const {
  return Contains(valueless_keys_, key);
}

Error OptionParser::ValueError(std::string_view key, std::string_view value,
                               std::string_view problem) const {
  return FieldError(key, value, problem).Wrap(option_);
}

Result<void> OptionParser::Parse(std::string_view text) {
  given_.clear();
  auto result = ParseItems(text);
  for (const std::string& key : refused_keys_) {
    if (!result.ok()) break;
    if (Has(key)) result = ValueError(key, Get(key).value_or(""), "not supported by Petrel yet");
  }
  if (!result.ok()) given_.clear();  // a failed Parse leaves no keys behind
  return result;
}

Result<void> OptionParser::ParseItems(std::string_view text) {
  if (text.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 option_ + ": empty value (expected key=value[,key=value...])");
  }
  const auto unbalanced = [&] {
    return Error(ErrorCode::kInvalidArgument,
                 option_ + ": unbalanced brackets or quotes in '" + EscapeForMessage(text) + "'");
  };
  std::string item;
  int depth = 0;
  bool in_quotes = false;
  for (char c : text) {
    if (c == '"') {
      in_quotes = !in_quotes;
      continue;
    }
    if (!in_quotes) {
      if (c == '[') {
        ++depth;
      } else if (c == ']') {
        if (--depth < 0) return unbalanced();
      } else if (c == ',' && depth == 0) {
        PETREL_TRY(AddItem(item, text));
        item.clear();
        continue;
      }
    }
    item.push_back(c);
  }
  if (depth != 0 || in_quotes) return unbalanced();
  return AddItem(item, text);
}

Result<void> OptionParser::AddItem(std::string_view item, std::string_view text) {
  if (item.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 option_ + ": empty item in '" + EscapeForMessage(text) + "'");
  }
  const size_t eq = item.find('=');
  const std::string_view key = item.substr(0, eq);
  const bool has_value = eq != std::string_view::npos;
  const std::string_view value = has_value ? item.substr(eq + 1) : std::string_view();

  auto fail = [&](std::string message) -> Result<void> {
    return Error(ErrorCode::kInvalidArgument, option_ + ": " + std::move(message));
  };
  if (IsValuelessKey(key)) {
    if (has_value) return fail("key '" + std::string(key) + "' takes no value");
  } else if (IsValueKey(key)) {
    if (!has_value) {
      return fail("key '" + std::string(key) + "' needs a value, like " + std::string(key) +
                  "=<value>");
    }
  } else {
    std::string known;
    for (const auto* keys : {&value_keys_, &valueless_keys_}) {
      for (const auto& k : *keys) known += (known.empty() ? "" : ", ") + k;
    }
    return fail("unknown key '" + EscapeForMessage(key) + "' (known keys: " + known + ")");
  }
  for (const auto& [k, v] : given_) {
    if (k == key) return fail("key '" + std::string(key) + "' given twice");
  }
  given_.emplace_back(std::string(key), std::string(value));
  return Ok();
}

bool OptionParser::Has(std::string_view key) const {
  return Get(key).has_value();
}

std::optional<std::string> OptionParser::Get(std::string_view key) const {
  for (const auto& [k, v] : given_) {
    // An empty value of a value key means "not set" (CH's option_parser).
    if (k == key) return v.empty() && IsValueKey(k) ? std::nullopt : std::optional(v);
  }
  return std::nullopt;
}

std::vector<std::string> OptionParser::GivenKeys() const {
  std::vector<std::string> keys;
  keys.reserve(given_.size());
  for (const auto& [k, v] : given_) {
    if (Get(k)) keys.push_back(k);
  }
  return keys;
}

Result<std::optional<uint64_t>> OptionParser::GetU64(std::string_view key) const {
  const auto text = Get(key);
  if (!text) return std::optional<uint64_t>();
  const auto value = ParseU64(*text);
  if (!value) return ValueError(key, *text, "expected an unsigned integer");
  return std::optional<uint64_t>(*value);
}

Result<std::optional<uint64_t>> OptionParser::GetSize(std::string_view key) const {
  const auto text = Get(key);
  if (!text) return std::optional<uint64_t>();
  auto value = ParseSize(*text);
  if (!value.ok()) return ValueError(key, *text, value.error().message());
  return std::optional<uint64_t>(*value);
}

Result<std::optional<bool>> OptionParser::GetBool(std::string_view key) const {
  const auto text = Get(key);
  if (!text) return std::optional<bool>();
  const std::string lower = Lower(*text);
  if (lower == "on" || lower == "true") return std::optional<bool>(true);
  if (lower == "off" || lower == "false") return std::optional<bool>(false);
  return ValueError(key, *text, "expected on, off, true or false");
}

}  // namespace petrel::config
