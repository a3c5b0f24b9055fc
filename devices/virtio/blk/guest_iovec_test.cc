// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for guest ranges and chain parts as host iovecs.
#include "devices/virtio/blk/guest_iovec.h"

#include <gtest/gtest.h>

namespace petrel::virtio {
namespace {

std::shared_ptr<GuestMemory> TwoRegions() {
  // [0, 64 KiB) and [64 KiB, 128 KiB): adjacent but separate mappings.
  auto a = *HostRegion::Anonymous(64 << 10);
  auto b = *HostRegion::Anonymous(64 << 10);
  return *GuestMemory::Create({{0, 64 << 10, a}, {64 << 10, 64 << 10, b}});
}

TEST(GuestIovecTest, SplitsAtRegionBoundary) {
  auto mem = TwoRegions();
  std::vector<iovec> iov;
  ASSERT_TRUE(AppendGuestIovecs(*mem, (64 << 10) - 100, 300, false, 8, iov).ok());
  ASSERT_EQ(iov.size(), 2u);
  EXPECT_EQ(iov[0].iov_len, 100u);
  EXPECT_EQ(iov[1].iov_len, 200u);
  EXPECT_EQ(iov[0].iov_base, mem->HostPointer((64 << 10) - 100, 100));
  EXPECT_EQ(iov[1].iov_base, mem->HostPointer(64 << 10, 200));
}

TEST(GuestIovecTest, RejectsOutsideRamAndTooMany) {
  auto mem = TwoRegions();
  std::vector<iovec> iov;
  EXPECT_FALSE(AppendGuestIovecs(*mem, (128 << 10) - 10, 20, false, 8, iov).ok());
  iov.clear();
  EXPECT_FALSE(AppendGuestIovecs(*mem, (64 << 10) - 1, 2, false, 1, iov).ok());
  iov.clear();
  EXPECT_FALSE(AppendGuestIovecs(*mem, ~uint64_t{0}, 2, false, 8, iov).ok());
}

TEST(GuestIovecTest, ChainPartsSkipAndLocateStatus) {
  auto mem = TwoRegions();
  DescriptorChain chain;
  chain.buffers = {{0x100, 16, false}, {0x200, 100, false}, {0x1000, 512, true}, {0x3000, 1, true}};
  chain.readable_len = 116;
  chain.writable_len = 513;
  std::vector<iovec> iov;
  ASSERT_TRUE(AppendChainIovecs(*mem, chain, false, 16, 100, 8, iov).ok());
  ASSERT_EQ(iov.size(), 1u);
  EXPECT_EQ(iov[0].iov_base, mem->HostPointer(0x200, 100));
  iov.clear();
  ASSERT_TRUE(AppendChainIovecs(*mem, chain, true, 0, 512, 8, iov).ok());
  ASSERT_EQ(iov.size(), 1u);
  EXPECT_EQ(iov[0].iov_len, 512u);
  iov.clear();
  EXPECT_FALSE(AppendChainIovecs(*mem, chain, false, 16, 101, 8, iov).ok());
  EXPECT_EQ(*WritableByteGpa(chain, 512), 0x3000u);
  EXPECT_EQ(*WritableByteGpa(chain, 10), 0x100Au);
  EXPECT_FALSE(WritableByteGpa(chain, 513).ok());
}

TEST(GuestIovecTest, OnlyDeviceWrittenPartsMarkTheDirtyLog) {
  auto mem = TwoRegions();
  DescriptorChain chain;
  chain.buffers = {{0x100, 16, false}, {0x2000, 0x1000, true}, {0x5ff0, 0x20, true}};
  chain.readable_len = 16;
  chain.writable_len = 0x1020;
  mem->StartDirtyLog();
  std::vector<iovec> iov;
  ASSERT_TRUE(AppendChainIovecs(*mem, chain, false, 0, 16, 8, iov).ok());  // guest to device
  EXPECT_EQ(mem->TakeDirtyLog().CountPages(), 0u);
  std::vector<DirtyRange> ranges;
  ASSERT_TRUE(AppendChainIovecs(*mem, chain, true, 0, 0x1020, 8, iov, &ranges).ok());
  const std::vector<DirtyRange> want = {{0x2000, 0x1000}, {0x5ff0, 0x20}};
  EXPECT_EQ(ranges, want);
  const std::vector<DirtyRange> pages = {{0x2000, 0x1000}, {0x5000, 0x2000}};
  EXPECT_EQ(mem->TakeDirtyLog().Ranges(), pages);
  MarkDirtyRanges(*mem, ranges);  // on completion: marked again
  EXPECT_EQ(mem->TakeDirtyLog().Ranges(), pages);
}

}  // namespace
}  // namespace petrel::virtio
