// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Qcow2Image: a qcow2 disk (versions 2 and 3), read and write.
//
// Reads of allocated clusters and writes to clusters this image owns alone
// (L2 entry with the COPIED flag) go straight to the file through the
// engines (Map -> kFile). Everything else is done here, under the image's
// lock, with metadata written through in crash-safe order:
//  - an allocating write builds the whole new cluster (the guest's bytes
//    over what the cluster read as before: zeros, the backing image, a
//    compressed or shared cluster), writes it to a freshly allocated
//    cluster, and only then points the L2 entry at it; the old cluster is
//    released last;
//  - a missing L2 table is allocated, written zeroed, then linked from L1.
// The L1 table lives in memory; L2 tables and refcount blocks in bounded
// caches (qcow2_table_cache.h). Metadata is never dirty in memory, so Flush
// is fdatasync.
//
// Discard and write-zeroes work on whole clusters: v3 marks them zero
// (kOflagZero) when a backing image would otherwise show through, else
// unallocates them; freed clusters are punched out of the file. Partial
// clusters are written with zeros (write-zeroes) or left alone (discard).
//
// A structural problem found while running (a misaligned or out-of-range
// table offset, a refcount going below zero) marks the image corrupt as
// QEMU does (the v3 corrupt bit, when writable): the request fails with
// -EIO, later writes too, reads of sound clusters go on.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devices/block/image/disk_image.h"
#include "devices/block/image/open_image.h"
#include "devices/block/image/qcow2_header.h"
#include "devices/block/image/qcow2_refcount.h"
#include "devices/block/image/qcow2_table_cache.h"

namespace petrel {

class Qcow2Image final : public DiskImage {
 public:
  // The L2 tables cached: this many bytes' worth (QEMU's default), at least 2.
  static constexpr uint64_t kL2CacheBytes = 1 << 20;

  static Result<std::unique_ptr<Qcow2Image>> Open(std::unique_ptr<DiskFile> file,
                                                   const ImageOptions& options, int depth);

  ImageType type() const override { return ImageType::kQcow2; }
  uint64_t size() const override { return g_.size; }
  bool discard_supported() const override { return !readonly(); }
  int Map(MapPurpose purpose, uint64_t offset, uint64_t length,
          std::vector<ImageExtent>& out) override;
  int ReadFormat(uint64_t offset, std::span<uint8_t> out) override;
  int WriteFormat(uint64_t offset, std::span<const uint8_t> data) override;
  int Discard(uint64_t offset, uint64_t length) override;
  int WriteZeroes(uint64_t offset, uint64_t length) override;
  // Its file, then its backing chain's.
  void ForEachFile(const std::function<void(const DiskFile&, bool backing)>& fn) const override;

  const qcow2::Header& header() const { return header_; }
  const qcow2::Geometry& geometry() const { return g_; }
  DiskImage* backing() const { return backing_.get(); }
  bool corrupt() const;
  uint64_t l2_cache_misses() const;

 private:
  // What an L2 entry says about a cluster.
  enum class State { kUnallocated, kZero, kZeroAllocated, kNormal, kCompressed };
  struct Cluster {
    State state = State::kUnallocated;
    uint64_t entry = 0;
    uint64_t host = 0;          // kNormal / kZeroAllocated: cluster offset; kCompressed: data offset
    uint64_t compressed_bytes = 0;
    bool copied = false;        // kOflagCopied: refcount 1, writable in place
  };

  Qcow2Image(std::string path, std::unique_ptr<DiskFile> file, const qcow2::Header& header);
  int LoadL1(std::string& problem);

  // Looks up the cluster holding virtual `offset`. 0 or -EIO (corrupt).
  int Lookup(uint64_t offset, Cluster& out);
  int Decode(uint64_t entry, Cluster& out);
  // True if a cluster at host `cluster` would overlap the header, the L1
  // table or the refcount table (QEMU's metadata overlap check, in part).
  bool OverlapsMetadata(uint64_t cluster) const;
  // The L2 table for `offset`, allocated (or copied, if shared) for writing.
  int WritableL2(uint64_t offset, qcow2::Table& table, uint64_t& table_offset);
  int SetL2Entry(uint64_t offset, uint64_t entry);
  // The whole cluster's content as the guest sees it now.
  int ReadCluster(uint64_t cluster_offset, const Cluster& c, std::span<uint8_t> out);
  int ReadBacking(uint64_t offset, std::span<uint8_t> out);
  int Decompress(const Cluster& c, std::span<uint8_t> out);
  // Releases the host clusters `c` holds (after nothing points at them).
  int ReleaseHost(const Cluster& c);
  int WriteCluster(uint64_t offset, std::span<const uint8_t> data);
  // Makes the whole clusters of [offset, offset + length) read as zeros
  // (`discard`: only where that frees space).
  int ZeroClusters(uint64_t offset, uint64_t length, bool discard);
  int Corrupt(const std::string& what);
  // Recomputes every refcount from the metadata and corrects the ones on
  // disk, then clears the dirty bit: QEMU's repair of an image left dirty
  // by lazy refcounts, done when it is opened for writing. 0 or -errno;
  // `problem` says what was wrong when the metadata itself is malformed.
  int RepairRefcounts(std::string& problem);
  int ClearAutoclear();

  mutable std::mutex mu_;
  qcow2::Header header_;
  qcow2::Geometry g_;
  std::vector<uint64_t> l1_;
  qcow2::TableCache l2_cache_;
  qcow2::Refcounts refcounts_;
  std::unique_ptr<DiskImage> backing_;
  bool corrupt_ = false;
  bool sparse_ = true;  // punch freed clusters out of the file
  // The last compressed cluster decompressed (sequential reads of one
  // compressed cluster come in several pieces).
  uint64_t decompressed_entry_ = 0;
  std::vector<uint8_t> decompressed_;
};

}  // namespace petrel
