// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// qcow2 header parsing and feature checks (see qcow2_header.h).
#include "devices/block/image/qcow2_header.h"

#include <string>

#include "core/base/bytes.h"
#include "core/base/hex.h"

namespace petrel::qcow2 {
namespace {

Error Invalid(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "qcow2: " + what);
}

bool ClusterAligned(uint64_t offset, uint32_t cluster_bits) {
  return (offset & ((1ull << cluster_bits) - 1)) == 0;
}

// The extensions between the header and the backing file name (or the end
// of the first cluster), as QEMU reads them for both versions.
Result<void> ParseExtensions(std::span<const uint8_t> c0, Header& h) {
  uint64_t at = h.header_length;
  const uint64_t end = h.backing_file_offset != 0 && h.backing_file_offset < c0.size()
                           ? h.backing_file_offset
                           : c0.size();
  while (at + 8 <= end) {
    const uint32_t type = LoadBe<uint32_t>(c0, at);
    const uint32_t length = LoadBe<uint32_t>(c0, at + 4);
    at += 8;
    if (type == kExtEnd) return Ok();
    if (!RangeInBounds(end, at, length))
      return Invalid("header extension " + Hex(type) + " runs past the first cluster");
    if (type == kExtBackingFormat) {
      h.backing_format.assign(reinterpret_cast<const char*>(c0.data() + at), length);
      if (h.backing_format.find('\0') != std::string::npos)
        return Invalid("the backing format name holds a NUL byte");
    }
    at += (static_cast<uint64_t>(length) + 7) & ~7ull;  // data is padded to 8 bytes
  }
  return Ok();
}

}  // namespace

uint64_t Geometry::L1EntriesFor(uint64_t bytes) const {
  const uint64_t per_entry_bits = cluster_bits + l2_bits;
  return (bytes >> per_entry_bits) + ((bytes & ((1ull << per_entry_bits) - 1)) != 0);
}

Geometry Geometry::From(const Header& h) {
  Geometry g;
  g.cluster_bits = h.cluster_bits;
  g.cluster_size = 1ull << h.cluster_bits;
  g.l2_bits = h.cluster_bits - 3;
  g.l2_entries = 1ull << g.l2_bits;
  g.refcount_bits = 1u << h.refcount_order;
  g.refcount_block_entries = g.cluster_size * 8 / g.refcount_bits;
  g.size = h.size;
  return g;
}

Result<Header> ParseHeader(std::span<const uint8_t> c0) {
  if (c0.size() < kV2HeaderLength) return Invalid("the file is shorter than a header");
  if (LoadBe<uint32_t>(c0, kOffMagic) != kMagic) return Invalid("no qcow2 magic");
  Header h;
  h.version = LoadBe<uint32_t>(c0, kOffVersion);
  if (h.version != 2 && h.version != 3)
    return Invalid("version " + std::to_string(h.version) + " (2 and 3 are supported)");
  h.backing_file_offset = LoadBe<uint64_t>(c0, kOffBackingFileOffset);
  h.backing_file_size = LoadBe<uint32_t>(c0, kOffBackingFileSize);
  h.cluster_bits = LoadBe<uint32_t>(c0, kOffClusterBits);
  h.size = LoadBe<uint64_t>(c0, kOffSize);
  h.crypt_method = LoadBe<uint32_t>(c0, kOffCryptMethod);
  h.l1_size = LoadBe<uint32_t>(c0, kOffL1Size);
  h.l1_table_offset = LoadBe<uint64_t>(c0, kOffL1TableOffset);
  h.refcount_table_offset = LoadBe<uint64_t>(c0, kOffRefcountTableOffset);
  h.refcount_table_clusters = LoadBe<uint32_t>(c0, kOffRefcountTableClusters);
  h.nb_snapshots = LoadBe<uint32_t>(c0, kOffNbSnapshots);
  h.snapshots_offset = LoadBe<uint64_t>(c0, kOffSnapshotsOffset);

  if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits)
    return Invalid("cluster_bits " + std::to_string(h.cluster_bits) + " (9 to 21 are valid)");
  const uint64_t cluster_size = 1ull << h.cluster_bits;
  if (c0.size() > cluster_size) c0 = c0.first(cluster_size);

  if (h.version == 3) {
    if (c0.size() < kV3MinHeaderLength) return Invalid("the file is shorter than a v3 header");
    h.incompatible_features = LoadBe<uint64_t>(c0, kOffIncompatibleFeatures);
    h.compatible_features = LoadBe<uint64_t>(c0, kOffCompatibleFeatures);
    h.autoclear_features = LoadBe<uint64_t>(c0, kOffAutoclearFeatures);
    h.refcount_order = LoadBe<uint32_t>(c0, kOffRefcountOrder);
    h.header_length = LoadBe<uint32_t>(c0, kOffHeaderLength);
    if (h.header_length < kV3MinHeaderLength || h.header_length % 8 != 0 ||
        h.header_length > c0.size())
      return Invalid("header_length " + std::to_string(h.header_length));
    if (h.header_length > kOffCompressionType) h.compression_type = c0[kOffCompressionType];
    if (h.refcount_order > kMaxRefcountOrder)
      return Invalid("refcount_order " + std::to_string(h.refcount_order) + " (0 to 6 are valid)");
  }

  // The tables and the size.
  if (h.size > (1ull << 62)) return Invalid("virtual size " + std::to_string(h.size));
  const Geometry g = Geometry::From(h);
  if (static_cast<uint64_t>(h.l1_size) * 8 > kMaxL1Bytes)
    return Invalid("L1 table of " + std::to_string(h.l1_size) + " entries is too large");
  if (h.l1_size < g.L1EntriesFor(h.size))
    return Invalid("the L1 table (" + std::to_string(h.l1_size) +
                   " entries) does not cover the virtual size");
  if (!ClusterAligned(h.l1_table_offset, h.cluster_bits) || h.l1_table_offset >= kMaxHostOffset ||
      (h.l1_size > 0 && h.l1_table_offset == 0))
    return Invalid("L1 table offset " + Hex(h.l1_table_offset));
  if (!ClusterAligned(h.refcount_table_offset, h.cluster_bits) || h.refcount_table_offset == 0 ||
      h.refcount_table_offset >= kMaxHostOffset)
    return Invalid("refcount table offset " + Hex(h.refcount_table_offset));
  if (h.refcount_table_clusters == 0 ||
      static_cast<uint64_t>(h.refcount_table_clusters) * cluster_size > kMaxRefcountTableBytes)
    return Invalid("refcount table of " + std::to_string(h.refcount_table_clusters) +
                   " clusters");

  // The backing file's name lies in the first cluster (where QEMU writes it).
  if (h.backing_file_offset != 0) {
    if (h.backing_file_size == 0 || h.backing_file_size > kMaxBackingFileName ||
        !RangeInBounds(c0.size(), h.backing_file_offset, h.backing_file_size))
      return Invalid("backing file name at " + Hex(h.backing_file_offset) + " (" +
                     std::to_string(h.backing_file_size) + " bytes)");
    h.backing_file.assign(reinterpret_cast<const char*>(c0.data() + h.backing_file_offset),
                          h.backing_file_size);
    if (h.backing_file.find('\0') != std::string::npos)
      return Invalid("the backing file name holds a NUL byte");
  }
  PETREL_TRY(ParseExtensions(c0, h));
  return h;
}

Result<void> CheckFeatures(const Header& h, bool writable) {
  if (h.crypt_method != 0)
    return Error(ErrorCode::kUnsupported, "qcow2: encrypted images are not supported");
  const uint64_t known = kIncompatDirty | kIncompatCorrupt | kIncompatExternalData |
                         kIncompatCompressionType | kIncompatExtendedL2;
  if (h.incompatible_features & ~known)
    return Error(ErrorCode::kUnsupported, "qcow2: unknown incompatible features " +
                                              Hex(h.incompatible_features & ~known));
  if (h.incompatible_features & kIncompatExternalData)
    return Error(ErrorCode::kUnsupported, "qcow2: images with an external data file are not "
                                          "supported");
  if (h.incompatible_features & kIncompatExtendedL2)
    return Error(ErrorCode::kUnsupported,
                 "qcow2: extended L2 entries (subclusters) are not supported; convert with "
                 "qemu-img convert -O qcow2 -o extended_l2=off");
  const bool compression_type_set = (h.incompatible_features & kIncompatCompressionType) != 0;
  if (h.compression_type != kCompressionZlib &&
      (h.compression_type != kCompressionZstd || !compression_type_set))
    return Error(ErrorCode::kUnsupported,
                 "qcow2: compression type " + std::to_string(h.compression_type));
  if (!writable) return Ok();
  if (h.incompatible_features & kIncompatCorrupt)
    return Error(ErrorCode::kUnsupported,
                 "qcow2: the image is marked corrupt; it can be opened read-only, or repaired "
                 "with qemu-img check -r all");
  if (h.nb_snapshots != 0)
    return Error(ErrorCode::kUnsupported,
                 "qcow2: images with internal snapshots can be opened read-only only (remove "
                 "them with qemu-img snapshot -d)");
  return Ok();
}

}  // namespace petrel::qcow2
