// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RangeAllocator: first fit, freeing, reserving, the window's edges.
#include "vmm/range_allocator.h"

#include <gtest/gtest.h>

namespace petrel::vmm {
namespace {

TEST(RangeAllocatorTest, AllocatesLikeABumpAllocatorUntilSomethingIsFreed) {
  RangeAllocator a(0x1000, 0xFFFF);
  EXPECT_EQ(*a.Allocate(0x100, 0x100), 0x1000u);
  EXPECT_EQ(*a.Allocate(0x1000, 0x1000), 0x2000u);  // aligned up past the hole
  EXPECT_EQ(*a.Allocate(0x100, 0x100), 0x1100u);    // first fit: the hole below
  EXPECT_TRUE(a.Free(0x1000));
  EXPECT_FALSE(a.Free(0x1000));
  EXPECT_EQ(*a.Allocate(0x80, 0x80), 0x1000u);  // the freed range again
}

TEST(RangeAllocatorTest, RefusesWhatDoesNotFit) {
  RangeAllocator a(0x1000, 0x1FFF);
  EXPECT_EQ(*a.Allocate(0x1000, 0x1000), 0x1000u);
  EXPECT_EQ(a.Allocate(0x10, 0x10).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(a.Allocate(0, 1).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.Allocate(0x10, 3).error().code(), ErrorCode::kInvalidArgument);
}

TEST(RangeAllocatorTest, WindowEndingAtTheTopOfTheAddressSpace) {
  RangeAllocator a(UINT64_MAX - 0xFFF, UINT64_MAX);
  EXPECT_EQ(*a.Allocate(0x1000, 0x1000), UINT64_MAX - 0xFFF);
  EXPECT_EQ(a.Allocate(0x1000, 0x1000).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(a.Allocate(0x10, UINT64_C(1) << 63).error().code(), ErrorCode::kOutOfRange);
}

TEST(RangeAllocatorTest, ReserveRecordsRangesChosenElsewhere) {
  RangeAllocator a(0x1000, 0xFFFF);
  EXPECT_TRUE(a.Reserve(0x1000, 0x1000).ok());
  EXPECT_EQ(a.Reserve(0x1800, 0x100).error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(a.Reserve(0x0F00, 0x200).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(a.Reserve(0xFF00, 0x200).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(a.Reserve(0x0800, 0x1000).error().code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(a.Reserve(0x3000, 0x1000).ok());
  EXPECT_EQ(a.Reserve(0x2800, 0x1000).error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(*a.Allocate(0x1000, 0x1000), 0x2000u);  // between the two
  EXPECT_EQ(a.taken_count(), 3u);
  a.Clear();
  EXPECT_EQ(a.taken_count(), 0u);
}

}  // namespace
}  // namespace petrel::vmm
