// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Reading and writing the JSON fields of snapshot state, with the field's
// path in every error: the shared helpers of state_json.cc and
// memory_file.cc.
//
// A snapshot section is strict: every field must be present with the right
// type and a value that fits the C++ field's width, and a field nobody reads
// is refused (a misspelt or newer field is an error, not silently lost).
// Errors are kInvalidArgument "<path>: <what is wrong>", the path naming
// the field from the decoded value's root, e.g. "vcpus[1].lapic: 1023
// bytes, 1024 expected". Nothing here throws, whatever the input.
//
// Encoding: integers as JSON numbers (nlohmann keeps uint64 and int64
// exact), bool as true/false, byte arrays as lowercase hex strings.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/base/result.h"

namespace petrel::vmm::snapshot {

// "<path>: <problem>", kInvalidArgument. An empty path names the root.
Error FieldProblem(const std::string& path, std::string_view problem);

// "a" + "b" -> "a.b"; "" + "b" -> "b"; "a" + 3 -> "a[3]".
std::string FieldPath(const std::string& parent, std::string_view key);
std::string IndexPath(const std::string& parent, size_t index);

// Short text of a JSON value for a message: a scalar as JSON ("\"x\"",
// "-1", cut at 40 characters), a container by kind ("a JSON array").
std::string DescribeJson(const nlohmann::json& value);

// True if `value` has containers nested more than `limit` deep (a scalar
// is depth 0, [] depth 1). Iterative: safe on any input, unlike copying,
// comparing or dumping a document, which recurse.
bool JsonNestsDeeperThan(const nlohmann::json& value, size_t limit);

// Lowercase hex, two digits a byte.
std::string HexEncode(std::span<const uint8_t> bytes);
// Either case accepted. At most `max_bytes` bytes.
Result<std::vector<uint8_t>> HexDecode(const nlohmann::json& value, const std::string& path,
                                       size_t max_bytes);
// Exactly out.size() bytes.
Result<void> HexDecodeExact(const nlohmann::json& value, const std::string& path,
                            std::span<uint8_t> out);

Result<bool> DecodeBool(const nlohmann::json& value, const std::string& path);
// Any integer JSON number in [0, max]; the caller narrows.
Result<uint64_t> DecodeUnsigned(const nlohmann::json& value, const std::string& path, uint64_t max);
Result<int64_t> DecodeSigned(const nlohmann::json& value, const std::string& path);
// A JSON array of at most `max` elements.
Result<const nlohmann::json*> DecodeArray(const nlohmann::json& value, const std::string& path,
                                          size_t max);

// How a field type is read: JsonCodec<T>::Decode(value, path, out). Here
// for bool, fixed-width integers and byte arrays (hex); state_json.cc
// specializes it for each state struct, so nested fields read the same way.
template <class T>
struct JsonCodec;

template <>
struct JsonCodec<bool> {
  static Result<void> Decode(const nlohmann::json& value, const std::string& path, bool& out) {
    PETREL_ASSIGN_OR_RETURN(out, DecodeBool(value, path));
    return Ok();
  }
};

template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) struct JsonCodec<T> {
  static Result<void> Decode(const nlohmann::json& value, const std::string& path, T& out) {
    if constexpr (std::is_signed_v<T>) {
      static_assert(sizeof(T) == sizeof(int64_t), "signed fields are int64 so far");
      PETREL_ASSIGN_OR_RETURN(out, DecodeSigned(value, path));
    } else {
      PETREL_ASSIGN_OR_RETURN(const uint64_t n,
                              DecodeUnsigned(value, path, std::numeric_limits<T>::max()));
      out = static_cast<T>(n);
    }
    return Ok();
  }
};

template <size_t N>
struct JsonCodec<std::array<uint8_t, N>> {
  static Result<void> Decode(const nlohmann::json& value, const std::string& path,
                             std::array<uint8_t, N>& out) {
    return HexDecodeExact(value, path, out);
  }
};

// Walks one JSON object whose fields are all required.
class ObjectFields {
 public:
  // Fails unless `value` is a JSON object. `value` must outlive the reader.
  static Result<ObjectFields> Open(const nlohmann::json& value, std::string path);

  // The field's value; "<path>.<key>: missing" when absent.
  Result<const nlohmann::json*> Get(std::string_view key);
  std::string PathOf(std::string_view key) const { return FieldPath(path_, key); }

  // Reads field `key` into `out` with JsonCodec<T>.
  template <class T>
  Result<void> Read(std::string_view key, T& out) {
    PETREL_ASSIGN_OR_RETURN(const nlohmann::json* v, Get(key));
    return JsonCodec<T>::Decode(*v, PathOf(key), out);
  }
  // A field that may be null (std::nullopt); present either way.
  template <class T>
  Result<void> ReadOptional(std::string_view key, std::optional<T>& out) {
    PETREL_ASSIGN_OR_RETURN(const nlohmann::json* v, Get(key));
    if (v->is_null()) {
      out.reset();
      return Ok();
    }
    T value{};
    PETREL_TRY(JsonCodec<T>::Decode(*v, PathOf(key), value));
    out = std::move(value);
    return Ok();
  }
  // A byte vector in hex, at most `max_bytes`.
  Result<void> ReadHex(std::string_view key, std::vector<uint8_t>& out, size_t max_bytes);
  // A JSON array of at most `max` elements, each read with JsonCodec<T>.
  template <class T>
  Result<void> ReadList(std::string_view key, std::vector<T>& out, size_t max) {
    PETREL_ASSIGN_OR_RETURN(const nlohmann::json* v, Get(key));
    const std::string path = PathOf(key);
    PETREL_ASSIGN_OR_RETURN(const nlohmann::json* array, DecodeArray(*v, path, max));
    std::vector<T> list(array->size());
    for (size_t i = 0; i < list.size(); ++i) {
      PETREL_TRY(JsonCodec<T>::Decode((*array)[i], IndexPath(path, i), list[i]));
    }
    out = std::move(list);
    return Ok();
  }
  // A JSON array of exactly N elements.
  template <class T, size_t N>
  Result<void> ReadArray(std::string_view key, std::array<T, N>& out) {
    PETREL_ASSIGN_OR_RETURN(const nlohmann::json* v, Get(key));
    const std::string path = PathOf(key);
    PETREL_ASSIGN_OR_RETURN(const nlohmann::json* array, DecodeArray(*v, path, N));
    if (array->size() != N) {
      return FieldProblem(
          path, std::to_string(array->size()) + " elements, " + std::to_string(N) + " expected");
    }
    for (size_t i = 0; i < N; ++i) {
      PETREL_TRY(JsonCodec<T>::Decode((*array)[i], IndexPath(path, i), out[i]));
    }
    return Ok();
  }

  // Refuses the fields no Get() asked for.
  Result<void> Finish() const;

  const std::string& path() const { return path_; }

 private:
  ObjectFields(const nlohmann::json& object, std::string path)
      : object_(&object), path_(std::move(path)) {}
  const nlohmann::json* object_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace petrel::vmm::snapshot
