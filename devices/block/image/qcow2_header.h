// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The qcow2 header: its on-disk layout (QEMU's docs/interop/qcow2.txt, "Header"
// and "Header extensions"), parsing with every field checked, and the
// geometry derived from it (cluster size, L2 and refcount block entries).
//
// All qcow2 metadata is big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/base/result.h"

namespace petrel::qcow2 {

// Header field offsets (qcow2.txt "Header"). Version 2 ends at kV2HeaderLength.
inline constexpr uint32_t kMagic = 0x514649fb;  // "QFI\xfb"
inline constexpr size_t kOffMagic = 0;
inline constexpr size_t kOffVersion = 4;
inline constexpr size_t kOffBackingFileOffset = 8;
inline constexpr size_t kOffBackingFileSize = 16;
inline constexpr size_t kOffClusterBits = 20;
inline constexpr size_t kOffSize = 24;
inline constexpr size_t kOffCryptMethod = 32;
inline constexpr size_t kOffL1Size = 36;
inline constexpr size_t kOffL1TableOffset = 40;
inline constexpr size_t kOffRefcountTableOffset = 48;  // 8 bytes, then 4 of clusters:
inline constexpr size_t kOffRefcountTableClusters = 56;  // updated together in one write
inline constexpr size_t kOffNbSnapshots = 60;
inline constexpr size_t kOffSnapshotsOffset = 64;
inline constexpr uint32_t kV2HeaderLength = 72;
// Version 3 additions.
inline constexpr size_t kOffIncompatibleFeatures = 72;
inline constexpr size_t kOffCompatibleFeatures = 80;
inline constexpr size_t kOffAutoclearFeatures = 88;
inline constexpr size_t kOffRefcountOrder = 96;
inline constexpr size_t kOffHeaderLength = 100;
inline constexpr size_t kOffCompressionType = 104;  // when header_length > 104
inline constexpr uint32_t kV3MinHeaderLength = 104;

// Incompatible feature bits (qcow2.txt, header bytes 72-79).
inline constexpr uint64_t kIncompatDirty = 1ull << 0;
inline constexpr uint64_t kIncompatCorrupt = 1ull << 1;
inline constexpr uint64_t kIncompatExternalData = 1ull << 2;
inline constexpr uint64_t kIncompatCompressionType = 1ull << 3;
inline constexpr uint64_t kIncompatExtendedL2 = 1ull << 4;
// Compatible feature bits (bytes 80-87).
inline constexpr uint64_t kCompatLazyRefcounts = 1ull << 0;

// Header extension types (qcow2.txt "Header extensions").
inline constexpr uint32_t kExtEnd = 0x00000000;
inline constexpr uint32_t kExtBackingFormat = 0xe2792aca;
inline constexpr uint32_t kExtFeatureNameTable = 0x6803f857;
inline constexpr uint32_t kExtBitmaps = 0x23852875;
inline constexpr uint32_t kExtFullDiskEncryption = 0x0537be77;
inline constexpr uint32_t kExtExternalDataFile = 0x44415441;

// compression_type (byte 104).
inline constexpr uint8_t kCompressionZlib = 0;
inline constexpr uint8_t kCompressionZstd = 1;

// L1 and L2 entries (qcow2.txt "Cluster mapping").
inline constexpr uint64_t kOflagCopied = 1ull << 63;      // refcount is exactly 1
inline constexpr uint64_t kOflagCompressed = 1ull << 62;  // L2: compressed cluster
inline constexpr uint64_t kOflagZero = 1ull << 0;         // L2 (v3): reads as zeros
inline constexpr uint64_t kOffsetMask = 0x00fffffffffffe00ull;  // bits 9-55
// Reserved bits that must be zero: L1 bits 1-8 and 56-62; standard L2
// entries bits 1-8 and 56-61.
inline constexpr uint64_t kL1ReservedMask = 0x7f000000000001feull;
inline constexpr uint64_t kL2ReservedMask = 0x3f000000000001feull;
// Refcount table entries: bits 9-63 are the block's offset, 0-8 reserved.
inline constexpr uint64_t kRefcountTableReservedMask = 0x1ffull;

// Limits (QEMU's, so images either accepts are accepted here).
inline constexpr uint32_t kMinClusterBits = 9;
inline constexpr uint32_t kMaxClusterBits = 21;
inline constexpr uint64_t kMaxL1Bytes = 32ull << 20;        // QCOW_MAX_L1_SIZE
inline constexpr uint64_t kMaxRefcountTableBytes = 8ull << 20;  // QCOW_MAX_REFTABLE_SIZE
inline constexpr uint32_t kMaxBackingFileName = 1023;
inline constexpr uint32_t kMaxRefcountOrder = 6;  // 64-bit refcounts
// Host offsets are bits 9-55 of an entry: at most 64 PiB.
inline constexpr uint64_t kMaxHostOffset = 1ull << 56;

struct Header {
  uint32_t version = 0;
  uint64_t backing_file_offset = 0;
  uint32_t backing_file_size = 0;
  uint32_t cluster_bits = 0;
  uint64_t size = 0;
  uint32_t crypt_method = 0;
  uint32_t l1_size = 0;
  uint64_t l1_table_offset = 0;
  uint64_t refcount_table_offset = 0;
  uint32_t refcount_table_clusters = 0;
  uint32_t nb_snapshots = 0;
  uint64_t snapshots_offset = 0;
  uint64_t incompatible_features = 0;
  uint64_t compatible_features = 0;
  uint64_t autoclear_features = 0;
  uint32_t refcount_order = 4;
  uint32_t header_length = kV2HeaderLength;
  uint8_t compression_type = kCompressionZlib;
  // From the header and its extensions.
  std::string backing_file;    // empty: none
  std::string backing_format;  // empty: not given (detect)
};

// Parses and checks the header in `cluster0` (the image's first cluster, or
// as much of it as the file has). Checks the magic and version, field
// ranges, alignment, that tables lie below kMaxHostOffset, that L1 covers
// the size, and the extensions' bounds. Does not judge features: see
// CheckFeatures.
Result<Header> ParseHeader(std::span<const uint8_t> cluster0);

// Refuses what Petrel cannot read or write correctly: encryption, unknown
// incompatible features, an external data file, extended L2 entries, an
// unknown compression type; and for writing, a corrupt image and internal
// snapshots. (A dirty image is repaired when opened for writing.) The messages say what to do (e.g. qemu-img commands).
Result<void> CheckFeatures(const Header& header, bool writable);

// Derived sizes.
struct Geometry {
  uint32_t cluster_bits = 16;
  uint64_t cluster_size = 1ull << 16;
  uint32_t l2_bits = 13;          // log2(L2 entries per table)
  uint64_t l2_entries = 1ull << 13;
  uint32_t refcount_bits = 16;     // 1 << refcount_order
  uint64_t refcount_block_entries = 1ull << 15;  // cluster_size * 8 / refcount_bits
  uint64_t size = 0;               // the virtual disk

  static Geometry From(const Header& header);
  uint64_t ClusterOffset(uint64_t offset) const { return offset & (cluster_size - 1); }
  uint64_t L1Index(uint64_t offset) const { return offset >> (cluster_bits + l2_bits); }
  uint64_t L2Index(uint64_t offset) const { return (offset >> cluster_bits) & (l2_entries - 1); }
  // The L1 entries needed to map `size` bytes.
  uint64_t L1EntriesFor(uint64_t bytes) const;
};

}  // namespace petrel::qcow2
