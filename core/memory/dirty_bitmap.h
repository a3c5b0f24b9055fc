// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Dirty-page tracking for live migration: which 4 KiB pages of guest RAM were
// written.
//
// DirtyBitmap is a plain value: one bit per 4 KiB page of each GuestMemory
// region, regions in GuestMemory order (sorted by address). Page i of a
// region covers [region.gpa + i * 4096, ... + 4096), clipped to the region's
// end; a region of n bytes has ceil(n / 4096) pages. Backends fill it from
// their own logs (KVM_GET_DIRTY_LOG's bitmap has the same layout per slot:
// bit i of u64 word i / 64 is page i).
//
// DirtyLog is the concurrent recorder of the same shape: any thread marks
// pages with one atomic fetch_or per 64 pages while logging is on, and a
// single atomic flag load when it is off; Take() hands back a DirtyBitmap and
// clears what it took. GuestMemory holds one for the VMM's own writes; hv_sim
// holds one for its scripted guests' writes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/base/result.h"

namespace petrel {

class GuestMemory;

inline constexpr uint64_t kDirtyPageSize = 4096;

// A stretch of guest physical addresses, e.g. contiguous dirty pages.
struct DirtyRange {
  uint64_t gpa = 0;
  uint64_t len = 0;
  bool operator==(const DirtyRange&) const = default;
};

class DirtyBitmap {
 public:
  // One region's place in the bitmap.
  struct Region {
    uint64_t gpa = 0;
    uint64_t size = 0;      // bytes
    uint64_t pages = 0;     // ceil(size / kDirtyPageSize)
    size_t first_word = 0;  // index of its first u64 word in words()
    bool operator==(const Region&) const = default;
  };

  // No regions, no pages.
  DirtyBitmap() = default;
  // Clean (no page dirty), shaped like `memory`.
  explicit DirtyBitmap(const GuestMemory& memory);
  // Clean, with regions [gpa, gpa + size) as given (sorted, non-overlapping).
  explicit DirtyBitmap(std::span<const DirtyRange> regions);
  // Every page of `memory` dirty: the first pass of a migration sends it all.
  static DirtyBitmap AllDirty(const GuestMemory& memory);

  const std::vector<Region>& regions() const { return regions_; }
  // True if both have the same regions (so Or() can combine them).
  bool SameShape(const DirtyBitmap& other) const { return regions_ == other.regions_; }

  // Adds the pages dirty in `other`. kInvalidArgument if the shapes differ.
  Result<void> Or(const DirtyBitmap& other);
  // How many pages are dirty.
  uint64_t CountPages() const;
  // Marks every page clean.
  void Clear();
  // Marks dirty every page that holds a byte of [gpa, gpa + len) (len 0
  // marks nothing). Bytes outside every region are ignored.
  void Set(uint64_t gpa, uint64_t len);
  // True if the page holding `gpa` is dirty (false outside every region).
  bool IsSet(uint64_t gpa) const;
  // The dirty pages as ascending ranges: adjacent dirty pages of one region
  // merged, the last page of a region clipped to its end. A range never
  // crosses from one region into the next, so each lies in one mapping.
  std::vector<DirtyRange> Ranges() const;

  // Region `i`'s words: bit b of word w is page 64 * w + b. Bits past the
  // region's last page are always clear. For backends converting their own
  // bitmaps; SetRegionWords masks the bits past the last page.
  std::span<const uint64_t> RegionWords(size_t i) const;
  void SetRegionWords(size_t i, std::span<const uint64_t> words);

 private:
  friend class DirtyLog;
  // The region holding `gpa`, or null.
  const Region* Find(uint64_t gpa) const;
  void SetPages(const Region& r, uint64_t first, uint64_t last);  // inclusive page indices
  bool PageSet(const Region& r, uint64_t page) const;

  std::vector<Region> regions_;
  std::vector<uint64_t> words_;
};

// Thread-safe recorder of dirty pages with a fixed shape (see the top of
// this file). Start/Stop/Take may race with Mark from any thread: a page
// marked concurrently with a Take is in that Take's bitmap or in the next.
class DirtyLog {
 public:
  explicit DirtyLog(std::span<const DirtyRange> regions);

  // Clears the log and turns marking on (again, if it was on).
  void Start();
  // Turns marking off. What was marked stays until the next Take or Start,
  // so a final Take after Stop still gets the last writes.
  void Stop();
  bool logging() const { return logging_.load(std::memory_order_acquire); }
  // While logging: marks every page holding a byte of [gpa, gpa + len);
  // bytes outside every region are ignored. Otherwise nothing.
  void Mark(uint64_t gpa, uint64_t len) {
    if (!logging()) return;
    MarkSlow(gpa, len);
  }
  // What was marked since Start or the last Take; clears it.
  DirtyBitmap Take();

 private:
  void MarkSlow(uint64_t gpa, uint64_t len);

  DirtyBitmap shape_;  // regions only; its words stay clear
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  size_t word_count_ = 0;
  std::atomic<bool> logging_{false};
};

}  // namespace petrel
