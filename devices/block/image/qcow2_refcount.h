// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Refcounts: a qcow2 image's reference counts (qcow2.txt "Host cluster
// management"): the refcount table, its refcount blocks, and cluster
// allocation on top of them.
//
// Every change is written through at once, in an order that leaves the
// image consistent if the process dies between any two writes (clusters
// may leak, which qemu-img check reports and repairs, but none is ever
// referenced without a refcount):
//  - a new refcount block is written, its own refcount included, before
//    the table entry that points at it;
//  - a grown table is written in a new place, with blocks describing
//    itself, before the header is switched to it; the old one is then
//    released;
//  - Allocate() records the refcount before the caller writes the cluster
//    and points metadata at it; callers release a cluster only after
//    nothing points at it any more.
//
// Not thread-safe: the qcow2 image's lock covers it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "devices/block/disk_file.h"
#include "devices/block/image/qcow2_header.h"
#include "devices/block/image/qcow2_table_cache.h"

namespace petrel::qcow2 {

class Refcounts {
 public:
  Refcounts(const DiskFile& file, const Geometry& geometry, uint64_t table_offset,
            uint32_t table_clusters);

  // Reads the refcount table and checks its entries. 0 or -errno (-EIO: a
  // malformed entry, described in `problem`).
  int Load(std::string& problem);

  // Cluster indices (host offset >> cluster_bits).
  int Get(uint64_t cluster, uint64_t& value);
  // Sets a cluster's refcount, creating its refcount block and growing the
  // table as needed. -ERANGE if `value` does not fit refcount_bits.
  int Set(uint64_t cluster, uint64_t value);
  // Finds a free cluster and gives it refcount 1; the caller writes it.
  int Allocate(uint64_t& cluster);
  // Decrements a cluster's refcount; `now` is the new value (0: free).
  // -EIO if it was already 0.
  int Release(uint64_t cluster, uint64_t& now);

  // Allocation searches from `cluster` on (a repair keeps new metadata past
  // every cluster in use while refcounts are being corrected).
  void SetAllocationFloor(uint64_t cluster) { free_hint_ = cluster; }
  // The refcount blocks there are: (table index, block offset).
  std::vector<std::pair<uint64_t, uint64_t>> Blocks() const;

  uint64_t table_offset() const { return table_offset_; }
  uint32_t table_clusters() const { return table_clusters_; }
  uint64_t max_refcount() const { return max_refcount_; }
  const TableCache& block_cache() const { return blocks_; }

 private:
  int FindFree(std::span<const uint64_t> exclude, uint64_t& out);
  int SetWithin(uint64_t cluster, uint64_t value, std::vector<uint64_t>& exclude, int depth);
  int GrowTable(uint64_t min_entries, std::span<const uint64_t> exclude);
  int WriteTableEntry(uint64_t index);
  uint64_t LoadEntry(std::span<const uint8_t> block, uint64_t index) const;
  void StoreEntry(std::span<uint8_t> block, uint64_t index, uint64_t value) const;
  // Writes the bytes holding entry `index` of the block at `block_offset`.
  int WriteEntry(uint64_t block_offset, std::span<const uint8_t> block, uint64_t index);

  const DiskFile& file_;
  Geometry g_;
  uint64_t table_offset_;
  uint32_t table_clusters_;
  uint64_t max_refcount_;
  std::vector<uint64_t> table_;  // block offsets, host byte order; 0: no block
  TableCache blocks_;
  uint64_t free_hint_ = 0;  // no free cluster below this index
};

}  // namespace petrel::qcow2
