// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FuzzInput: reads a libFuzzer input front to back as structured values;
// past the end every read yields zeroes (or nothing), so a target decodes
// any input without bounds checks of its own.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace petrel::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | Byte() << 8); }
  // The next n bytes, zero-padded past the end of the input.
  std::vector<uint8_t> PaddedBytes(size_t n) {
    std::vector<uint8_t> v(n, 0);
    for (size_t i = 0; i < n && at_ < size_; ++i) v[i] = data_[at_++];
    return v;
  }
  // The next n bytes, or as many as are left.
  std::vector<uint8_t> Bytes(size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::vector<uint8_t> v(data_ + at_, data_ + at_ + n);
    at_ += n;
    return v;
  }
  // What is left, not consumed.
  size_t Rest(const uint8_t** p) const {
    *p = data_ + std::min(at_, size_);
    return size_ - std::min(at_, size_);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace petrel::fuzz
