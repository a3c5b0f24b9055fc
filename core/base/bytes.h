// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Byte-order helpers and overflow-safe range checks for parsing untrusted
// binary formats: kernel images (core/boot), disk images (devices/block/image).
//
// Every offset and size read from such input goes through RangeInBounds() /
// CheckedAdd() before it is used. Structures are built in byte buffers with
// StoreLe()/StoreBe() so layouts stay explicit and endianness-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace petrel {

// a + b, or nullopt on uint64 overflow.
inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// a * b, or nullopt on uint64 overflow.
inline std::optional<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  uint64_t product;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// True if [offset, offset + len) lies within a buffer of `size` bytes.
inline bool RangeInBounds(uint64_t size, uint64_t offset, uint64_t len) {
  return offset <= size && len <= size - offset;
}

// True if [a, a + a_len) and [b, b + b_len) intersect (lengths > 0, no wrap).
inline bool RangesOverlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len) {
  return a_len != 0 && b_len != 0 && a < b + b_len && b < a + a_len;
}

inline uint64_t AlignDown(uint64_t value, uint64_t alignment) {
  return value & ~(alignment - 1);
}

// Reads a little-endian T at `offset`. The caller has checked the bounds.
template <class T>
T LoadLe(std::span<const uint8_t> bytes, uint64_t offset) {
  static_assert(std::is_unsigned_v<T>);
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(bytes[offset + i]) << (8 * i);
  return value;
}

// Writes `value` little-endian at `offset`. The caller has checked the bounds.
template <class T>
void StoreLe(std::span<uint8_t> bytes, uint64_t offset, T value) {
  static_assert(std::is_unsigned_v<T>);
  for (size_t i = 0; i < sizeof(T); ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

// Reads a big-endian T at `offset`. The caller has checked the bounds.
template <class T>
T LoadBe(std::span<const uint8_t> bytes, uint64_t offset) {
  static_assert(std::is_unsigned_v<T>);
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>((value << 8) | bytes[offset + i]);
  return value;
}

// Writes `value` big-endian at `offset`. The caller has checked the bounds.
template <class T>
void StoreBe(std::span<uint8_t> bytes, uint64_t offset, T value) {
  static_assert(std::is_unsigned_v<T>);
  for (size_t i = 0; i < sizeof(T); ++i)
    bytes[offset + i] = static_cast<uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
}

// Two's-complement checksum byte: the value that makes the bytes sum to 0 mod 256.
inline uint8_t ChecksumByte(std::span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return static_cast<uint8_t>(0x100 - sum);
}

}  // namespace petrel
