// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SDT header, checksum and GAS helpers (see sdt.h).
#include "core/acpi/sdt.h"

#include <algorithm>
#include <cstdlib>

namespace petrel::acpi {

uint8_t ByteSum(std::span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return sum;
}

uint8_t Checksum(std::span<const uint8_t> bytes) {
  return static_cast<uint8_t>(-ByteSum(bytes));
}

void PutLe(std::span<uint8_t> buf, size_t offset, uint64_t value, size_t width) {
  if (offset > buf.size() || width > buf.size() - offset) std::abort();  // table layout bug
  for (size_t i = 0; i < width; ++i) buf[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

namespace {
void PutPadded(std::vector<uint8_t>& buf, size_t offset, std::string_view s, size_t width) {
  if (s.size() > width) std::abort();  // a Petrel constant is too long
  for (size_t i = 0; i < width; ++i)
    buf[offset + i] = i < s.size() ? static_cast<uint8_t>(s[i]) : ' ';
}
}  // namespace

Sdt::Sdt(std::string_view signature, uint8_t revision, std::string_view table_id, size_t body_size)
    : bytes_(kSdtHeaderSize + body_size, 0) {
  if (signature.size() != 4) std::abort();
  PutPadded(bytes_, 0, signature, 4);
  bytes_[kSdtRevisionOffset] = revision;
  PutPadded(bytes_, kSdtOemIdOffset, kOemId, 6);
  PutPadded(bytes_, kSdtOemTableIdOffset, table_id, 8);
  Put32(24, kOemRevision);
  PutPadded(bytes_, 28, kCreatorId, 4);
  Put32(32, kCreatorRevision);
}

void Sdt::PutBytes(size_t offset, std::span<const uint8_t> v) {
  if (offset > bytes_.size() || v.size() > bytes_.size() - offset) std::abort();
  std::copy(v.begin(), v.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
}

void Sdt::Append(std::span<const uint8_t> v) {
  bytes_.insert(bytes_.end(), v.begin(), v.end());
}

std::vector<uint8_t> Sdt::Finish() && {
  Put32(kSdtLengthOffset, static_cast<uint32_t>(bytes_.size()));
  bytes_[kSdtChecksumOffset] = 0;
  bytes_[kSdtChecksumOffset] = Checksum(bytes_);
  return std::move(bytes_);
}

std::array<uint8_t, kGasSize> Gas(AddressSpace space, uint8_t bit_width, AccessSize access,
                                  uint64_t address) {
  std::array<uint8_t, kGasSize> g{};
  g[0] = static_cast<uint8_t>(space);   // Address Space ID
  g[1] = bit_width;                     // Register Bit Width
  g[2] = 0;                             // Register Bit Offset
  g[3] = static_cast<uint8_t>(access);  // Access Size
  PutLe(g, 4, address, 8);              // Address
  return g;
}

}  // namespace petrel::acpi
