// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// qcow2 refcounts and cluster allocation (see qcow2_refcount.h).
#include "devices/block/image/qcow2_refcount.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/base/bytes.h"
#include "devices/block/image/disk_image.h"

namespace petrel::qcow2 {
namespace {

// Refcount blocks kept in memory (allocation scans them in order).
constexpr size_t kRefcountBlockCacheEntries = 4;
// Nested refcount block creations one update may need before giving up.
constexpr int kMaxBlockCreationDepth = 8;

bool Contains(std::span<const uint64_t> set, uint64_t value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

}  // namespace

Refcounts::Refcounts(const DiskFile& file, const Geometry& geometry, uint64_t table_offset,
                     uint32_t table_clusters)
    : file_(file),
      g_(geometry),
      table_offset_(table_offset),
      table_clusters_(table_clusters),
      max_refcount_(geometry.refcount_bits == 64 ? ~0ull : (1ull << geometry.refcount_bits) - 1),
      blocks_(file, geometry.cluster_size, kRefcountBlockCacheEntries) {}

int Refcounts::Load(std::string& problem) {
  std::vector<uint8_t> bytes(static_cast<size_t>(table_clusters_) * g_.cluster_size);
  if (int rc = PreadFull(file_, table_offset_, bytes); rc != 0) return rc;
  table_.resize(bytes.size() / 8);
  for (size_t i = 0; i < table_.size(); ++i) {
    const uint64_t entry = LoadBe<uint64_t>(bytes, i * 8);
    if ((entry & kRefcountTableReservedMask) != 0 || (entry & (g_.cluster_size - 1)) != 0 ||
        entry >= kMaxHostOffset) {
      problem = "refcount table entry " + std::to_string(i) + " is malformed";
      return -EIO;
    }
    table_[i] = entry;
  }
  return 0;
}

uint64_t Refcounts::LoadEntry(std::span<const uint8_t> block, uint64_t index) const {
  switch (g_.refcount_bits) {
    case 8: return block[index];
    case 16: return LoadBe<uint16_t>(block, index * 2);
    case 32: return LoadBe<uint32_t>(block, index * 4);
    case 64: return LoadBe<uint64_t>(block, index * 8);
    default: {  // 1, 2 or 4 bits, least significant first within a byte
      const uint64_t per_byte = 8 / g_.refcount_bits;
      const unsigned shift = static_cast<unsigned>((index % per_byte) * g_.refcount_bits);
      return (block[index / per_byte] >> shift) & max_refcount_;
    }
  }
}

void Refcounts::StoreEntry(std::span<uint8_t> block, uint64_t index, uint64_t value) const {
  switch (g_.refcount_bits) {
    case 8: block[index] = static_cast<uint8_t>(value); return;
    case 16: StoreBe<uint16_t>(block, index * 2, static_cast<uint16_t>(value)); return;
    case 32: StoreBe<uint32_t>(block, index * 4, static_cast<uint32_t>(value)); return;
    case 64: StoreBe<uint64_t>(block, index * 8, value); return;
    default: {
      const uint64_t per_byte = 8 / g_.refcount_bits;
      const unsigned shift = static_cast<unsigned>((index % per_byte) * g_.refcount_bits);
      uint8_t& byte = block[index / per_byte];
      byte = static_cast<uint8_t>((byte & ~(max_refcount_ << shift)) | (value << shift));
    }
  }
}

int Refcounts::WriteEntry(uint64_t block_offset, std::span<const uint8_t> block, uint64_t index) {
  const uint64_t bytes = std::max<uint64_t>(g_.refcount_bits / 8, 1);
  const uint64_t at = g_.refcount_bits >= 8 ? index * bytes : index / (8 / g_.refcount_bits);
  return PwriteFull(file_, block_offset + at, block.subspan(at, bytes));
}

int Refcounts::WriteTableEntry(uint64_t index) {
  uint8_t bytes[8];
  StoreBe<uint64_t>(bytes, 0, table_[index]);
  return PwriteFull(file_, table_offset_ + index * 8, bytes);
}

std::vector<std::pair<uint64_t, uint64_t>> Refcounts::Blocks() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t i = 0; i < table_.size(); ++i)
    if (table_[i] != 0) out.emplace_back(i, table_[i]);
  return out;
}

int Refcounts::Get(uint64_t cluster, uint64_t& value) {
  value = 0;
  const uint64_t ti = cluster / g_.refcount_block_entries;
  if (ti >= table_.size() || table_[ti] == 0) return 0;
  Table block;
  if (int rc = blocks_.Get(table_[ti], block); rc != 0) return rc;
  value = LoadEntry(*block, cluster % g_.refcount_block_entries);
  return 0;
}

int Refcounts::Set(uint64_t cluster, uint64_t value) {
  if (value > max_refcount_) return -ERANGE;
  std::vector<uint64_t> exclude;
  return SetWithin(cluster, value, exclude, 0);
}

int Refcounts::SetWithin(uint64_t cluster, uint64_t value, std::vector<uint64_t>& exclude,
                         int depth) {
  if (depth > kMaxBlockCreationDepth) return -EIO;
  const uint64_t e = g_.refcount_block_entries;
  const uint64_t ti = cluster / e;
  if (ti < table_.size() && table_[ti] != 0) {
    Table block;
    if (int rc = blocks_.Get(table_[ti], block); rc != 0) return rc;
    StoreEntry(*block, cluster % e, value);
    return WriteEntry(table_[ti], *block, cluster % e);
  }
  if (value == 0) return 0;  // no block: already 0
  exclude.push_back(cluster);
  if (ti >= table_.size()) {
    if (int rc = GrowTable(ti + 1, exclude); rc != 0) return rc;
    return SetWithin(cluster, value, exclude, depth + 1);  // the growth may have made its block
  }
  // A new block, in a free cluster. If the block covers that cluster too it
  // describes itself; otherwise the cluster's refcount goes in first.
  uint64_t at;
  if (int rc = FindFree(exclude, at); rc != 0) return rc;
  if (at / e >= table_.size()) {
    exclude.push_back(at);
    if (int rc = GrowTable(at / e + 1, exclude); rc != 0) return rc;
    exclude.pop_back();
    return SetWithin(cluster, value, exclude, depth + 1);  // the growth may have placed it
  }
  auto block = std::make_shared<std::vector<uint8_t>>(g_.cluster_size, 0);
  StoreEntry(*block, cluster % e, value);
  if (at / e == ti) {
    StoreEntry(*block, at % e, 1);
  } else {
    exclude.push_back(at);
    if (int rc = SetWithin(at, 1, exclude, depth + 1); rc != 0) return rc;
    // That may itself have created this block (`at`'s block was `ti`'s).
    if (table_[ti] != 0) {
      if (int rc = SetWithin(at, 0, exclude, depth + 1); rc != 0) return rc;
      return SetWithin(cluster, value, exclude, depth + 1);
    }
  }
  if (int rc = PwriteFull(file_, at << g_.cluster_bits, *block); rc != 0) return rc;
  blocks_.Put(at << g_.cluster_bits, block);
  table_[ti] = at << g_.cluster_bits;
  return WriteTableEntry(ti);
}

int Refcounts::FindFree(std::span<const uint64_t> exclude, uint64_t& out) {
  const uint64_t e = g_.refcount_block_entries;
  const uint64_t limit = kMaxHostOffset >> g_.cluster_bits;
  for (uint64_t c = free_hint_; c < limit;) {
    const uint64_t ti = c / e;
    if (ti >= table_.size() || table_[ti] == 0) {
      if (!Contains(exclude, c)) {
        out = c;
        return 0;
      }
      ++c;
      continue;
    }
    Table block;
    if (int rc = blocks_.Get(table_[ti], block); rc != 0) return rc;
    for (const uint64_t end = (ti + 1) * e; c < end; ++c) {
      if (LoadEntry(*block, c % e) == 0 && !Contains(exclude, c)) {
        out = c;
        return 0;
      }
    }
  }
  return -ENOSPC;
}

int Refcounts::Allocate(uint64_t& cluster) {
  uint64_t c;
  if (int rc = FindFree({}, c); rc != 0) return rc;
  if (int rc = Set(c, 1); rc != 0) return rc;
  free_hint_ = c + 1;
  cluster = c;
  return 0;
}

int Refcounts::Release(uint64_t cluster, uint64_t& now) {
  uint64_t value;
  if (int rc = Get(cluster, value); rc != 0) return rc;
  if (value == 0) return -EIO;
  now = value - 1;
  if (int rc = Set(cluster, now); rc != 0) return rc;
  if (now == 0) free_hint_ = std::min(free_hint_, cluster);
  return 0;
}

int Refcounts::GrowTable(uint64_t min_entries, std::span<const uint64_t> exclude) {
  const uint64_t e = g_.refcount_block_entries;
  const uint64_t cs = g_.cluster_size;
  struct stat st;
  if (fstat(file_.fd(), &st) != 0) return -errno;
  // The new table and the blocks describing it go after everything: past
  // the end of the file, past what the old table covers, past `exclude`.
  uint64_t start = (static_cast<uint64_t>(st.st_size) + cs - 1) / cs;
  start = std::max<uint64_t>(start, table_.size() * e);
  for (uint64_t x : exclude) start = std::max(start, x + 1);
  uint64_t entries = std::max<uint64_t>(min_entries, table_.size() * 2);
  uint64_t table_clusters = 0, blocks = 0;
  for (int round = 0; round < 16; ++round) {
    table_clusters = (entries * 8 + cs - 1) / cs;
    const uint64_t first_block = start / e;
    const uint64_t last_block = (start + table_clusters + blocks - 1) / e;
    const uint64_t need_blocks = last_block - first_block + 1;
    const uint64_t need_entries = std::max(entries, last_block + 1);
    if (need_blocks == blocks && need_entries == entries) break;
    blocks = need_blocks;
    entries = need_entries;
  }
  if (table_clusters * cs > kMaxRefcountTableBytes) return -ENOSPC;
  std::vector<uint64_t> table = table_;
  table.resize(table_clusters * cs / 8, 0);
  // The new blocks: refcount 1 for the table's clusters and their own.
  const uint64_t first_block = start / e;
  const uint64_t used_end = start + table_clusters + blocks;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint64_t bi = first_block + b;
    const uint64_t at = start + table_clusters + b;
    auto block = std::make_shared<std::vector<uint8_t>>(cs, 0);
    for (uint64_t c = std::max(start, bi * e); c < std::min(used_end, (bi + 1) * e); ++c)
      StoreEntry(*block, c % e, 1);
    if (table[bi] != 0) return -EIO;  // cannot happen: past the old table's reach
    if (int rc = PwriteFull(file_, at * cs, *block); rc != 0) return rc;
    blocks_.Put(at * cs, block);
    table[bi] = at * cs;
  }
  std::vector<uint8_t> bytes(table.size() * 8);
  for (size_t i = 0; i < table.size(); ++i) StoreBe<uint64_t>(bytes, i * 8, table[i]);
  if (int rc = PwriteFull(file_, start * cs, bytes); rc != 0) return rc;
  // The new table must be durable before the header names it.
  if (fdatasync(file_.fd()) != 0) return -errno;
  uint8_t header[12];
  StoreBe<uint64_t>(header, 0, start * cs);
  StoreBe<uint32_t>(header, 8, static_cast<uint32_t>(table_clusters));
  if (int rc = PwriteFull(file_, kOffRefcountTableOffset, header); rc != 0) return rc;
  const uint64_t old_offset = table_offset_;
  const uint64_t old_clusters = table_clusters_;
  table_ = std::move(table);
  table_offset_ = start * cs;
  table_clusters_ = static_cast<uint32_t>(table_clusters);
  for (uint64_t c = 0; c < old_clusters; ++c) {
    uint64_t now;
    if (int rc = Release((old_offset / cs) + c, now); rc != 0) return rc;
  }
  return 0;
}

}  // namespace petrel::qcow2
