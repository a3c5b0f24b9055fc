// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests of SplitQueue on well-formed rings: config validation, popping
// direct and indirect chains, used-ring publication, 16-bit index wrap,
// reset and save/restore.
#include "devices/virtio/split_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::VirtqDriver;

constexpr uint64_t kMemSize = 4 << 20;

std::shared_ptr<GuestMemory> Memory() {
  auto m = GuestMemory::CreateX86(kMemSize);
  EXPECT_TRUE(m.ok());
  return *m;
}

VirtqDriver Driver(std::shared_ptr<GuestMemory> mem, VirtqDriver::Options o = {}) {
  auto d = VirtqDriver::Create(std::move(mem), o);
  EXPECT_TRUE(d.ok()) << d.error().message();
  return std::move(d).value();
}

TEST(SplitQueueConfig, RejectsSizesThatAreNotPowersOfTwo) {
  auto mem = Memory();
  SplitQueue::Config c{.size = 0, .desc_gpa = 0x1000, .avail_gpa = 0x2000, .used_gpa = 0x3000};
  for (uint16_t size : {0, 3, 12, 65535}) {
    c.size = size;
    EXPECT_FALSE(SplitQueue::Validate(c, *mem).ok()) << size;
  }
  for (uint16_t size : {1, 2, 256}) {
    c.size = size;
    EXPECT_TRUE(SplitQueue::Validate(c, *mem).ok()) << size;
  }
  c = {.size = 32768, .desc_gpa = 0x10'0000, .avail_gpa = 0x20'0000, .used_gpa = 0x30'0000};
  EXPECT_TRUE(SplitQueue::Validate(c, *mem).ok());
}

TEST(SplitQueueConfig, RejectsMisalignedRings) {
  auto mem = Memory();
  const SplitQueue::Config good{
      .size = 8, .desc_gpa = 0x1000, .avail_gpa = 0x2000, .used_gpa = 0x3000};
  ASSERT_TRUE(SplitQueue::Validate(good, *mem).ok());
  auto c = good;
  c.desc_gpa += 8;
  EXPECT_EQ(SplitQueue::Validate(c, *mem).error().code(), ErrorCode::kInvalidArgument);
  c = good;
  c.avail_gpa += 1;
  EXPECT_FALSE(SplitQueue::Validate(c, *mem).ok());
  c = good;
  c.used_gpa += 2;
  EXPECT_FALSE(SplitQueue::Validate(c, *mem).ok());
}

TEST(SplitQueueConfig, RejectsRingsNotWhollyInMemory) {
  auto mem = Memory();
  const SplitQueue::Config good{
      .size = 8, .desc_gpa = 0x1000, .avail_gpa = 0x2000, .used_gpa = 0x3000};
  auto c = good;
  c.used_gpa = kMemSize - UsedRingBytes(8) + 2;  // the avail_event field sticks out
  EXPECT_EQ(SplitQueue::Validate(c, *mem).error().code(), ErrorCode::kOutOfRange);
  c = good;
  c.avail_gpa = kMemSize - AvailRingBytes(8) + 2;
  EXPECT_FALSE(SplitQueue::Validate(c, *mem).ok());
  c = good;
  c.desc_gpa = 0xffff'ffff'ffff'fff0;
  EXPECT_FALSE(SplitQueue::Validate(c, *mem).ok());
  SplitQueue q(mem);
  EXPECT_FALSE(q.Activate(c).ok());
  EXPECT_FALSE(q.ready());
}

TEST(SplitQueue, PopOnEmptyRingReturnsNothing) {
  auto mem = Memory();
  auto drv = Driver(mem);
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  auto chain = q.Pop();
  ASSERT_TRUE(chain.ok());
  EXPECT_FALSE(chain->has_value());
}

TEST(SplitQueue, PopBeforeActivateFails) {
  SplitQueue q(Memory());
  EXPECT_FALSE(q.Pop().ok());
  EXPECT_FALSE(q.AddUsed(0, 0).ok());
}

TEST(SplitQueue, PopsChainOfReadableThenWritableBuffers) {
  auto mem = Memory();
  auto drv = Driver(mem);
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  auto head =
      drv.AddChain({{0x20'0000, 16, false}, {0x20'1000, 100, false}, {0x20'2000, 512, true}});
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(drv.Kick().ok());

  auto chain = q.Pop();
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  ASSERT_TRUE(chain->has_value());
  const DescriptorChain& c = **chain;
  EXPECT_EQ(c.head, *head);
  const std::vector<ChainBuffer> want{
      {0x20'0000, 16, false}, {0x20'1000, 100, false}, {0x20'2000, 512, true}};
  EXPECT_EQ(c.buffers, want);
  EXPECT_EQ(c.readable_len, 116u);
  EXPECT_EQ(c.writable_len, 512u);
  EXPECT_EQ(q.next_avail(), 1);
  EXPECT_FALSE(q.Pop()->has_value());
}

TEST(SplitQueue, ZeroLengthBuffersAreDropped) {
  auto mem = Memory();
  auto drv = Driver(mem);
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  // A zero-length buffer is never accessed, wherever it points.
  ASSERT_TRUE(drv.AddChain({{0xdead'0000'0000, 0, false}, {0x20'0000, 8, true}}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  auto chain = q.Pop();
  ASSERT_TRUE(chain.ok() && chain->has_value());
  ASSERT_EQ((*chain)->buffers.size(), 1u);
  EXPECT_EQ((*chain)->buffers[0].gpa, 0x20'0000u);
}

TEST(SplitQueue, AddUsedPublishesElementsInOrder) {
  auto mem = Memory();
  auto drv = Driver(mem);
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  auto a = drv.AddChain({{0x20'0000, 8, true}});
  auto b = drv.AddChain({{0x20'1000, 8, true}});
  ASSERT_TRUE(a.ok() && b.ok() && drv.Kick().ok());
  auto ca = q.Pop();
  auto cb = q.Pop();
  ASSERT_TRUE(ca.ok() && cb.ok() && ca->has_value() && cb->has_value());
  // Completion out of order is allowed (§2.7.8).
  ASSERT_TRUE(q.AddUsed((*cb)->head, 5).ok());
  ASSERT_TRUE(q.AddUsed((*ca)->head, 7).ok());
  EXPECT_EQ(*drv.UsedIdx(), 2);
  EXPECT_EQ(q.next_used(), 2);
  auto u1 = drv.PopUsed();
  auto u2 = drv.PopUsed();
  ASSERT_TRUE(u1.ok() && u2.ok() && u1->has_value() && u2->has_value());
  EXPECT_EQ(**u1, (VirtqDriver::UsedElem{*b, 5}));
  EXPECT_EQ(**u2, (VirtqDriver::UsedElem{*a, 7}));
  EXPECT_FALSE(drv.PopUsed()->has_value());
  EXPECT_FALSE(q.AddUsed(16, 0).ok()) << "head beyond the queue size";
}

TEST(SplitQueue, SixteenBitIndicesWrapAround) {
  auto mem = Memory();
  auto drv = Driver(mem, {.size = 8});
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  // 3 chains in flight at a time, 70000 rounds: every index wraps past 65535.
  uint32_t completed = 0;
  for (uint32_t round = 0; round < 70000 / 3; ++round) {
    for (uint32_t k = 0; k < 3; ++k) {
      const uint64_t gpa = 0x20'0000 + 0x100 * k;
      ASSERT_TRUE(drv.AddChain({{gpa, 4, false}, {gpa + 0x80, 8, true}}).ok()) << round;
    }
    ASSERT_TRUE(drv.Kick().ok());
    for (uint32_t k = 0; k < 3; ++k) {
      auto c = q.Pop();
      ASSERT_TRUE(c.ok()) << round << ": " << c.error().message();
      ASSERT_TRUE(c->has_value()) << round;
      ASSERT_EQ((*c)->buffers.size(), 2u);
      ASSERT_EQ((*c)->buffers[0].gpa, 0x20'0000 + 0x100 * k);
      ASSERT_TRUE(q.AddUsed((*c)->head, k).ok());
    }
    ASSERT_FALSE(q.Pop()->has_value());
    for (uint32_t k = 0; k < 3; ++k) {
      auto u = drv.PopUsed();
      ASSERT_TRUE(u.ok() && u->has_value());
      ASSERT_EQ((*u)->len, k);
      ++completed;
    }
  }
  EXPECT_EQ(q.next_avail(), static_cast<uint16_t>(completed));
  EXPECT_EQ(q.next_used(), static_cast<uint16_t>(completed));
  EXPECT_GT(completed, 65536u);
}

TEST(SplitQueue, PopsIndirectChain) {
  auto mem = Memory();
  auto drv = Driver(mem, {.indirect = true});
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  auto head =
      drv.AddIndirectChain({{0x30'0000, 16, false}, {0x30'1000, 1, true}, {0x30'2000, 4096, true}});
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(drv.Kick().ok());
  EXPECT_EQ(drv.free_descriptors(), 15u) << "one ring descriptor for the whole table";
  auto chain = q.Pop();
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  ASSERT_TRUE(chain->has_value());
  EXPECT_EQ((*chain)->head, *head);
  const std::vector<ChainBuffer> want{
      {0x30'0000, 16, false}, {0x30'1000, 1, true}, {0x30'2000, 4096, true}};
  EXPECT_EQ((*chain)->buffers, want);
  EXPECT_EQ((*chain)->readable_len, 16u);
  EXPECT_EQ((*chain)->writable_len, 4097u);
}

TEST(SplitQueue, PopsDirectDescriptorsFollowedByIndirectTable) {
  // §2.7.5.3.2: zero or more chained direct descriptors, then one indirect.
  auto mem = Memory();
  auto drv = Driver(mem, {.indirect = true});
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  const uint64_t table = 0x38'0000;
  ASSERT_TRUE(drv.WriteDescAt(table, {0x30'1000, 32, 0, 0}).ok());
  ASSERT_TRUE(drv.WriteDesc(0, {0x30'0000, 8, kDescFNext, 1}).ok());
  // WRITE on the table descriptor itself is ignored (§2.7.5.3.2).
  ASSERT_TRUE(drv.WriteDesc(1, {table, 16, kDescFIndirect | kDescFWrite, 0}).ok());
  ASSERT_TRUE(drv.SetAvailRing(0, 0).ok() && drv.SetAvailIdx(1).ok());
  auto chain = q.Pop();
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  ASSERT_TRUE(chain->has_value());
  const std::vector<ChainBuffer> want{{0x30'0000, 8, false}, {0x30'1000, 32, false}};
  EXPECT_EQ((*chain)->buffers, want);
}

TEST(SplitQueue, ResetReturnsToInitialState) {
  auto mem = Memory();
  auto drv = Driver(mem);
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  ASSERT_TRUE(drv.AddChain({{0x20'0000, 8, false}}).ok() && drv.Kick().ok());
  ASSERT_TRUE(q.Pop().ok());
  q.Reset();
  EXPECT_FALSE(q.ready());
  EXPECT_TRUE(q.Save() == SplitQueue::State{});
}

TEST(SplitQueueState, SaveRestoreRoundTripContinuesWhereItLeftOff) {
  auto mem = Memory();
  auto drv = Driver(mem, {.event_idx = true});
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(drv.AddChain({{0x20'0000u + 64u * i, 8, true}}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  auto first = q.Pop();
  ASSERT_TRUE(first.ok() && first->has_value());
  ASSERT_TRUE(q.AddUsed((*first)->head, 3).ok());
  (void)q.NeedsNotification();

  const SplitQueue::State saved = q.Save();
  EXPECT_TRUE(saved.ready);
  EXPECT_EQ(saved.next_avail, 1);
  EXPECT_EQ(saved.next_used, 1);
  EXPECT_TRUE(saved.signalled_used_valid);
  EXPECT_EQ(saved.config, drv.QueueConfig());

  SplitQueue restored(mem);
  ASSERT_TRUE(restored.Restore(saved).ok());
  EXPECT_TRUE(restored.Save() == saved);
  auto a = q.Pop();
  auto b = restored.Pop();
  ASSERT_TRUE(a.ok() && b.ok() && a->has_value() && b->has_value());
  EXPECT_EQ((*a)->head, (*b)->head);
  EXPECT_EQ((*a)->buffers, (*b)->buffers);
}

TEST(SplitQueueState, RestoreRejectsInvalidStatesAndKeepsOldOne) {
  auto mem = Memory();
  auto drv = Driver(mem);
  SplitQueue q(mem);
  ASSERT_TRUE(q.Activate(drv.QueueConfig()).ok());
  const auto good = q.Save();
  std::vector<SplitQueue::State> bad(4, good);
  bad[0].config.size = 24;
  bad[1].config.used_gpa = kMemSize;
  bad[2].config.desc_gpa += 4;
  bad[3] = SplitQueue::State{};
  bad[3].next_avail = 5;  // not ready, yet not reset
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(q.Restore(bad[i]).ok()) << i;
    EXPECT_TRUE(q.Save() == good) << i;
  }
  EXPECT_TRUE(q.Restore(SplitQueue::State{}).ok());
  EXPECT_FALSE(q.ready());
}

}  // namespace
}  // namespace petrel::virtio
