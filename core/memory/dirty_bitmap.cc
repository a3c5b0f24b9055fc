// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DirtyBitmap and DirtyLog (see dirty_bitmap.h).
#include "core/memory/dirty_bitmap.h"

#include <algorithm>
#include <bit>

#include "core/memory/guest_memory.h"

namespace petrel {
namespace {

constexpr uint64_t kBitsPerWord = 64;

uint64_t PagesOf(uint64_t size) {
  return size / kDirtyPageSize + (size % kDirtyPageSize != 0);
}
uint64_t WordsOf(uint64_t pages) {
  return (pages + kBitsPerWord - 1) / kBitsPerWord;
}

// The bits of pages [first, last] (inclusive, both in word `w`) within that word.
uint64_t WordMask(uint64_t w, uint64_t first, uint64_t last) {
  const uint64_t lo = std::max(first, w * kBitsPerWord) % kBitsPerWord;
  const uint64_t hi = std::min(last, w * kBitsPerWord + kBitsPerWord - 1) % kBitsPerWord;
  const uint64_t upto_hi = hi == kBitsPerWord - 1 ? ~uint64_t{0} : (uint64_t{1} << (hi + 1)) - 1;
  return upto_hi & ~((uint64_t{1} << lo) - 1);
}

std::vector<DirtyRange> RegionsOf(const GuestMemory& memory) {
  std::vector<DirtyRange> out;
  for (const GuestRegion& r : memory.regions()) out.push_back({r.gpa, r.size});
  return out;
}

// Calls fn(region, first_page, last_page) for each region part of [gpa, gpa + len).
template <class Fn>
void ForEachPageSpan(const std::vector<DirtyBitmap::Region>& regions, uint64_t gpa, uint64_t len,
                     Fn fn) {
  if (len == 0) return;
  const uint64_t last_byte = gpa + std::min(len - 1, ~uint64_t{0} - gpa);  // saturating
  for (const DirtyBitmap::Region& r : regions) {
    if (r.size == 0) continue;
    const uint64_t r_last = r.gpa + r.size - 1;
    if (r_last < gpa || r.gpa > last_byte) continue;
    const uint64_t from = std::max(gpa, r.gpa) - r.gpa;
    const uint64_t to = std::min(last_byte, r_last) - r.gpa;
    fn(r, from / kDirtyPageSize, to / kDirtyPageSize);
  }
}

}  // namespace

DirtyBitmap::DirtyBitmap(const GuestMemory& memory) : DirtyBitmap(RegionsOf(memory)) {}

DirtyBitmap::DirtyBitmap(std::span<const DirtyRange> regions) {
  size_t words = 0;
  for (const DirtyRange& r : regions) {
    const uint64_t pages = PagesOf(r.len);
    regions_.push_back(Region{r.gpa, r.len, pages, words});
    words += WordsOf(pages);
  }
  words_.assign(words, 0);
}

DirtyBitmap DirtyBitmap::AllDirty(const GuestMemory& memory) {
  DirtyBitmap all(memory);
  for (const Region& r : all.regions_) {
    if (r.pages > 0) all.SetPages(r, 0, r.pages - 1);
  }
  return all;
}

Result<void> DirtyBitmap::Or(const DirtyBitmap& other) {
  if (!SameShape(other)) {
    return Error(ErrorCode::kInvalidArgument, "dirty bitmaps of different memory layouts");
  }
  for (size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  return Ok();
}

uint64_t DirtyBitmap::CountPages() const {
  uint64_t n = 0;
  for (uint64_t w : words_) n += static_cast<uint64_t>(std::popcount(w));
  return n;
}

void DirtyBitmap::Clear() {
  std::fill(words_.begin(), words_.end(), 0);
}

void DirtyBitmap::Set(uint64_t gpa, uint64_t len) {
  ForEachPageSpan(regions_, gpa, len, [this](const Region& r, uint64_t first, uint64_t last) {
    SetPages(r, first, last);
  });
}

void DirtyBitmap::SetPages(const Region& r, uint64_t first, uint64_t last) {
  for (uint64_t w = first / kBitsPerWord; w <= last / kBitsPerWord; ++w) {
    words_[r.first_word + w] |= WordMask(w, first, last);
  }
}

const DirtyBitmap::Region* DirtyBitmap::Find(uint64_t gpa) const {
  for (const Region& r : regions_) {
    if (gpa >= r.gpa && gpa - r.gpa < r.size) return &r;
  }
  return nullptr;
}

bool DirtyBitmap::PageSet(const Region& r, uint64_t page) const {
  return (words_[r.first_word + page / kBitsPerWord] >> (page % kBitsPerWord)) & 1;
}

bool DirtyBitmap::IsSet(uint64_t gpa) const {
  const Region* r = Find(gpa);
  return r != nullptr && PageSet(*r, (gpa - r->gpa) / kDirtyPageSize);
}

std::vector<DirtyRange> DirtyBitmap::Ranges() const {
  std::vector<DirtyRange> out;
  for (const Region& r : regions_) {
    uint64_t page = 0;
    while (page < r.pages) {
      if (!PageSet(r, page)) {
        ++page;
        continue;
      }
      const uint64_t first = page;
      while (page < r.pages && PageSet(r, page)) ++page;
      const uint64_t start = first * kDirtyPageSize;
      const uint64_t end = std::min(page * kDirtyPageSize, r.size);
      out.push_back({r.gpa + start, end - start});
    }
  }
  return out;
}

std::span<const uint64_t> DirtyBitmap::RegionWords(size_t i) const {
  const Region& r = regions_.at(i);
  return std::span<const uint64_t>(words_).subspan(r.first_word, WordsOf(r.pages));
}

void DirtyBitmap::SetRegionWords(size_t i, std::span<const uint64_t> words) {
  const Region& r = regions_.at(i);
  const uint64_t n = WordsOf(r.pages);
  for (uint64_t w = 0; w < n; ++w) {
    const uint64_t value = w < words.size() ? words[w] : 0;
    const uint64_t last = std::min(r.pages - 1, w * kBitsPerWord + kBitsPerWord - 1);
    words_[r.first_word + w] = value & WordMask(w, w * kBitsPerWord, last);
  }
}

DirtyLog::DirtyLog(std::span<const DirtyRange> regions) : shape_(regions) {
  word_count_ = 0;
  for (const DirtyBitmap::Region& r : shape_.regions()) word_count_ += WordsOf(r.pages);
  words_ = std::make_unique<std::atomic<uint64_t>[]>(word_count_);
  for (size_t i = 0; i < word_count_; ++i) words_[i].store(0, std::memory_order_relaxed);
}

void DirtyLog::Start() {
  for (size_t i = 0; i < word_count_; ++i) words_[i].store(0, std::memory_order_relaxed);
  logging_.store(true, std::memory_order_release);
}

void DirtyLog::Stop() {
  logging_.store(false, std::memory_order_release);
}

void DirtyLog::MarkSlow(uint64_t gpa, uint64_t len) {
  // Release: whoever takes the bit and then reads the page sees the bytes
  // written before the mark (a lock or on x86 whatever the order).
  ForEachPageSpan(shape_.regions_, gpa, len,
                  [this](const DirtyBitmap::Region& r, uint64_t first, uint64_t last) {
                    for (uint64_t w = first / kBitsPerWord; w <= last / kBitsPerWord; ++w) {
                      words_[r.first_word + w].fetch_or(WordMask(w, first, last),
                                                        std::memory_order_release);
                    }
                  });
}

DirtyBitmap DirtyLog::Take() {
  DirtyBitmap out = shape_;
  for (size_t i = 0; i < word_count_; ++i) {
    out.words_[i] = words_[i].exchange(0, std::memory_order_acq_rel);
  }
  return out;
}

}  // namespace petrel
