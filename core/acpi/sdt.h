// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// System description table plumbing shared by every ACPI table Petrel builds:
// the 36-byte SDT header (ACPI 6.4 5.2.6), table checksums, the Generic
// Address Structure (5.2.3.2) and Petrel's OEM identity.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace petrel::acpi {

// Petrel's identity in every table header (5.2.6).
inline constexpr std::string_view kOemId = "PETREL";  // OEMID, 6 bytes
inline constexpr uint32_t kOemRevision = 1;
inline constexpr std::string_view kCreatorId = "PTRL";  // Creator ID, 4 bytes
inline constexpr uint32_t kCreatorRevision = 1;

// ACPI 6.4 5.2.6 Table 5.4: header field offsets.
inline constexpr size_t kSdtHeaderSize = 36;
inline constexpr size_t kSdtLengthOffset = 4;
inline constexpr size_t kSdtRevisionOffset = 8;
inline constexpr size_t kSdtChecksumOffset = 9;
inline constexpr size_t kSdtOemIdOffset = 10;
inline constexpr size_t kSdtOemTableIdOffset = 16;

// The byte that makes `bytes` (with that byte counted as 0) sum to 0 mod 256.
uint8_t Checksum(std::span<const uint8_t> bytes);
// Sum of all bytes mod 256 (0 for a table with a correct checksum).
uint8_t ByteSum(std::span<const uint8_t> bytes);

// Little-endian stores into a byte buffer (the caller sized it).
void PutLe(std::span<uint8_t> buf, size_t offset, uint64_t value, size_t width);

// A table under construction: header + body. Finish() fills in the length and
// the checksum.
class Sdt {
 public:
  // `signature` is 4 characters, `table_id` 8 (padded with spaces if shorter).
  // The body starts as `body_size` zero bytes.
  Sdt(std::string_view signature, uint8_t revision, std::string_view table_id,
      size_t body_size = 0);

  size_t size() const { return bytes_.size(); }
  // Offsets are from the start of the table (header included).
  void Put8(size_t offset, uint8_t v) { PutLe(bytes_, offset, v, 1); }
  void Put16(size_t offset, uint16_t v) { PutLe(bytes_, offset, v, 2); }
  void Put32(size_t offset, uint32_t v) { PutLe(bytes_, offset, v, 4); }
  void Put64(size_t offset, uint64_t v) { PutLe(bytes_, offset, v, 8); }
  void PutBytes(size_t offset, std::span<const uint8_t> v);
  void Append(std::span<const uint8_t> v);

  std::vector<uint8_t> Finish() &&;

 private:
  std::vector<uint8_t> bytes_;
};

// ACPI 6.4 5.2.3.2 Generic Address Structure, 12 bytes.
enum class AddressSpace : uint8_t { kSystemMemory = 0, kSystemIo = 1 };
enum class AccessSize : uint8_t { kUndefined = 0, kByte = 1, kWord = 2, kDWord = 3, kQWord = 4 };
inline constexpr size_t kGasSize = 12;
std::array<uint8_t, kGasSize> Gas(AddressSpace space, uint8_t bit_width, AccessSize access,
                                  uint64_t address);

}  // namespace petrel::acpi
