// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtqDriver, the test driver: the layout it picks is what SplitQueue
// accepts, requests round-trip through a queue, descriptors are recycled.
#include "devices/virtio/testing/virtq_driver.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/split_queue.h"

namespace petrel::virtio::testing {
namespace {

TEST(VirtqDriver, LaysOutAlignedRingsBackToBack) {
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto drv = VirtqDriver::Create(mem, {.size = 8, .ring_gpa = 0x1004});
  ASSERT_TRUE(drv.ok());
  const auto c = drv->QueueConfig();
  EXPECT_EQ(c.desc_gpa, 0x1010u);
  EXPECT_EQ(c.avail_gpa, 0x1010u + 8 * 16);
  EXPECT_EQ(c.used_gpa % 4, 0u);
  EXPECT_GE(c.used_gpa, c.avail_gpa + AvailRingBytes(8));
  EXPECT_TRUE(SplitQueue::Validate(c, *mem).ok());
  EXPECT_FALSE(VirtqDriver::Create(mem, {.size = 8, .data_gpa = 4 << 20}).ok());
}

TEST(VirtqDriver, RequestRoundTripsThroughAQueue) {
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto drv = *VirtqDriver::Create(mem, {.size = 4, .indirect = true});
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  for (int round = 0; round < 10; ++round) {  // descriptors must be recycled
    const bool indirect = round % 2 == 1;
    auto req = drv.AddRequest({{1, 2}, {3}}, {2, 4}, indirect);
    ASSERT_TRUE(req.ok()) << req.error().message();
    ASSERT_TRUE(drv.Kick().ok());
    auto chain = q.Pop();
    ASSERT_TRUE(chain.ok() && chain->has_value());
    EXPECT_EQ((*chain)->head, req->head);
    ChainReader in(*mem, **chain);
    std::array<uint8_t, 3> got{};
    ASSERT_TRUE(in.Read(got).ok());
    EXPECT_EQ(got, (std::array<uint8_t, 3>{1, 2, 3}));
    ChainWriter out(*mem, **chain);
    const std::array<uint8_t, 5> resp{9, 8, 7, 6, 5};
    ASSERT_TRUE(out.Write(resp).ok());
    ASSERT_TRUE(q.AddUsed((*chain)->head, out.written()).ok());
    auto used = drv.PopUsed();
    ASSERT_TRUE(used.ok() && used->has_value());
    EXPECT_EQ(**used, (VirtqDriver::UsedElem{req->head, 5}));
    EXPECT_EQ(*drv.ReadBytes(req->segments[2].gpa, 2), (std::vector<uint8_t>{9, 8}));
    EXPECT_EQ(*drv.ReadBytes(req->segments[3].gpa, 4), (std::vector<uint8_t>{7, 6, 5, 0}));
    EXPECT_EQ(drv.free_descriptors(), 4u) << round;
  }
}

TEST(VirtqDriver, RefusesChainsWithoutFreeDescriptors) {
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto drv = *VirtqDriver::Create(mem, {.size = 2});
  EXPECT_FALSE(
      drv.AddChain({{0x20'0000, 1, false}, {0x20'0000, 1, false}, {0x20'0000, 1, false}}).ok());
  EXPECT_TRUE(drv.AddChain({{0x20'0000, 1, false}, {0x20'0000, 1, false}}).ok());
  EXPECT_EQ(drv.free_descriptors(), 0u);
}

}  // namespace
}  // namespace petrel::virtio::testing
