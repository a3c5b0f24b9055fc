// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TableCache: a bounded, least-recently-used cache of cluster-sized qcow2
// metadata tables (L2 tables, refcount blocks), read from the image file on
// a miss. Metadata is written through (the caller changes the cached bytes
// and writes the same bytes to the file at once), so an entry is never
// dirty and eviction costs nothing.
//
// Entries are shared: a table handed out stays valid after it is evicted.
// Not thread-safe: the qcow2 image's lock covers it.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "devices/block/disk_file.h"

namespace petrel::qcow2 {

using Table = std::shared_ptr<std::vector<uint8_t>>;

class TableCache {
 public:
  TableCache(const DiskFile& file, uint64_t cluster_size, size_t capacity)
      : file_(file), cluster_size_(cluster_size), capacity_(capacity < 1 ? 1 : capacity) {}

  // The table at host `offset`, read on a miss. 0 or -errno.
  int Get(uint64_t offset, Table& out);
  // Caches `table` (just written at `offset` by the caller).
  void Put(uint64_t offset, Table table);
  // Drops the entry for `offset` (the cluster was freed).
  void Forget(uint64_t offset);

  size_t capacity() const { return capacity_; }
  size_t size() const { return entries_.size(); }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    Table table;
    std::list<uint64_t>::iterator lru;
  };
  const DiskFile& file_;
  uint64_t cluster_size_;
  size_t capacity_;
  std::list<uint64_t> lru_;  // most recent first
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t misses_ = 0;
};

}  // namespace petrel::qcow2
