// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TableCache (see qcow2_table_cache.h).
#include "devices/block/image/qcow2_table_cache.h"

#include "devices/block/image/disk_image.h"

namespace petrel::qcow2 {

int TableCache::Get(uint64_t offset, Table& out) {
  if (auto it = entries_.find(offset); it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    out = it->second.table;
    return 0;
  }
  ++misses_;
  auto table = std::make_shared<std::vector<uint8_t>>(cluster_size_);
  if (int rc = PreadFull(file_, offset, *table); rc != 0) return rc;
  Put(offset, table);
  out = std::move(table);
  return 0;
}

void TableCache::Put(uint64_t offset, Table table) {
  if (auto it = entries_.find(offset); it != entries_.end()) {
    it->second.table = std::move(table);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  while (entries_.size() >= capacity_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(offset);
  entries_[offset] = Entry{std::move(table), lru_.begin()};
}

void TableCache::Forget(uint64_t offset) {
  auto it = entries_.find(offset);
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace petrel::qcow2
