// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for DirtyBitmap (shape, Set/IsSet at page and region edges, Or,
// Ranges merging and clipping, region words) and DirtyLog (Start/Stop/Take,
// concurrent marks).
#include "core/memory/dirty_bitmap.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace petrel {
namespace {

constexpr uint64_t kPage = kDirtyPageSize;

// [0, 64 pages + 1 KiB) (the last page partial), then [1 MiB, 1 MiB + 3 pages).
const std::vector<DirtyRange> kShape = {{0, 64 * kPage + 1024}, {1 << 20, 3 * kPage}};

TEST(DirtyBitmap, ShapeHasOnePagePerStartedPage) {
  DirtyBitmap b(kShape);
  ASSERT_EQ(b.regions().size(), 2u);
  EXPECT_EQ(b.regions()[0].pages, 65u);
  EXPECT_EQ(b.regions()[1].pages, 3u);
  EXPECT_EQ(b.RegionWords(0).size(), 2u);
  EXPECT_EQ(b.RegionWords(1).size(), 1u);
  EXPECT_EQ(b.CountPages(), 0u);
}

TEST(DirtyBitmap, SetMarksEveryPageTouched) {
  DirtyBitmap b(kShape);
  b.Set(kPage - 1, 2);  // crosses pages 0 and 1
  EXPECT_TRUE(b.IsSet(0));
  EXPECT_TRUE(b.IsSet(kPage));
  EXPECT_FALSE(b.IsSet(2 * kPage));
  EXPECT_EQ(b.CountPages(), 2u);
  b.Set(5 * kPage, 0);  // empty: nothing
  EXPECT_FALSE(b.IsSet(5 * kPage));
  b.Set(63 * kPage, 2 * kPage);  // crosses the word boundary to the partial page 64
  EXPECT_TRUE(b.IsSet(63 * kPage));
  EXPECT_TRUE(b.IsSet(64 * kPage + 1023));
  EXPECT_FALSE(b.IsSet(64 * kPage + 1024));  // past the region: not RAM
  EXPECT_EQ(b.CountPages(), 4u);
}

TEST(DirtyBitmap, SetIgnoresBytesOutsideRegionsAndSaturates) {
  DirtyBitmap b(kShape);
  b.Set(100 * kPage, (1 << 20) - 100 * kPage + 1);  // hole, then the first byte of region 1
  EXPECT_EQ(b.CountPages(), 1u);
  EXPECT_TRUE(b.IsSet(1 << 20));
  b.Set(~uint64_t{0} - 10, 100);  // would wrap: nothing there
  b.Set(0, ~uint64_t{0});         // everything
  EXPECT_EQ(b.CountPages(), 68u);
}

TEST(DirtyBitmap, AllDirtyAndClear) {
  DirtyBitmap b(kShape);
  b.Set(0, ~uint64_t{0});
  EXPECT_EQ(b.CountPages(), 68u);
  EXPECT_EQ(b.RegionWords(0)[1], 1u);  // only page 64 in the second word
  b.Clear();
  EXPECT_EQ(b.CountPages(), 0u);
  EXPECT_TRUE(b.Ranges().empty());
}

TEST(DirtyBitmap, RangesMergeAdjacentPagesWithinARegionAndClipToItsEnd) {
  DirtyBitmap b(kShape);
  b.Set(2 * kPage, 1);
  b.Set(3 * kPage, 1);
  b.Set(4 * kPage, kPage);  // 2, 3, 4 merge
  b.Set(6 * kPage, 1);
  b.Set(64 * kPage, 1);       // the partial last page
  b.Set(1 << 20, 3 * kPage);  // all of region 1
  const std::vector<DirtyRange> want = {
      {2 * kPage, 3 * kPage}, {6 * kPage, kPage}, {64 * kPage, 1024}, {1 << 20, 3 * kPage}};
  EXPECT_EQ(b.Ranges(), want);
}

TEST(DirtyBitmap, RangesDoNotCrossAdjacentRegions) {
  const std::vector<DirtyRange> shape = {{0, kPage}, {kPage, kPage}};
  DirtyBitmap b(shape);
  b.Set(0, 2 * kPage);
  const std::vector<DirtyRange> want = {{0, kPage}, {kPage, kPage}};
  EXPECT_EQ(b.Ranges(), want);
}

TEST(DirtyBitmap, OrNeedsTheSameShape) {
  DirtyBitmap a(kShape), b(kShape);
  a.Set(0, 1);
  b.Set(kPage, 1);
  b.Set(1 << 20, 1);
  ASSERT_TRUE(a.Or(b).ok());
  EXPECT_EQ(a.CountPages(), 3u);
  const std::vector<DirtyRange> other_shape = {{0, kPage}};
  DirtyBitmap c(other_shape);
  auto r = a.Or(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.CountPages(), 3u);
}

TEST(DirtyBitmap, SetRegionWordsDropsBitsPastTheLastPage) {
  DirtyBitmap b(kShape);
  const uint64_t words[] = {~uint64_t{0}};
  b.SetRegionWords(1, words);  // 3 pages
  EXPECT_EQ(b.CountPages(), 3u);
  const uint64_t two[] = {0x5, ~uint64_t{0}};
  b.SetRegionWords(0, two);  // pages 0, 2 and 64
  EXPECT_EQ(b.CountPages(), 6u);
  EXPECT_TRUE(b.IsSet(2 * kPage));
  EXPECT_FALSE(b.IsSet(kPage));
  EXPECT_TRUE(b.IsSet(64 * kPage));
}

TEST(DirtyLog, MarksOnlyWhileLoggingAndTakeClears) {
  DirtyLog log(kShape);
  log.Mark(0, 1);
  EXPECT_EQ(log.Take().CountPages(), 0u);
  log.Start();
  log.Mark(kPage, kPage + 1);  // pages 1 and 2
  DirtyBitmap taken = log.Take();
  EXPECT_TRUE(taken.SameShape(DirtyBitmap(kShape)));
  const std::vector<DirtyRange> want = {{kPage, 2 * kPage}};
  EXPECT_EQ(taken.Ranges(), want);
  EXPECT_EQ(log.Take().CountPages(), 0u);
  log.Mark(1 << 20, 1);
  log.Stop();
  log.Mark(0, 1);      // after Stop: not marked
  taken = log.Take();  // but the last writes before Stop are kept
  EXPECT_EQ(taken.CountPages(), 1u);
  EXPECT_TRUE(taken.IsSet(1 << 20));
}

TEST(DirtyLog, StartClearsEarlierMarks) {
  DirtyLog log(kShape);
  log.Start();
  log.Mark(0, 1);
  log.Start();
  EXPECT_EQ(log.Take().CountPages(), 0u);
}

TEST(DirtyLog, ConcurrentMarksInOneWordAreNotLost) {
  DirtyLog log(kShape);
  log.Start();
  // Two threads mark interleaved pages of the same 64-bit words, many times.
  auto marker = [&log](uint64_t parity) {
    for (int round = 0; round < 2000; ++round) {
      for (uint64_t p = parity; p < 65; p += 2) log.Mark(p * kPage, 1);
    }
  };
  std::thread a(marker, 0), b(marker, 1);
  a.join();
  b.join();
  EXPECT_EQ(log.Take().CountPages(), 65u);
}

}  // namespace
}  // namespace petrel
