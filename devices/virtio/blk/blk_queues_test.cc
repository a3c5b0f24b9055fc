// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BlkDevice with queues on loops of their own (issue 8 item 2): one engine
// per queue whose completions arrive on that queue's loop, WRITE_ZEROES cut
// into bounded pieces that later requests do not overtake, and the reset
// grace (StopQueueGroup) that never writes guest memory for dropped requests.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/epoll_event_loop.h"
#include "devices/block/block_test_util.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/blk/blk_test_util.h"

namespace petrel::virtio {
namespace {

using block_test::TempDisk;
using blk_test::Harness;
using blk_test::Header;
using blk_test::ScriptedEngine;
using blk_test::Segment;
using testing::VirtqDriver;

constexpr uint64_t kMiB = 1 << 20;

// A device with `queues` scripted engines (depth 4) on a `disk_size` file.
struct Scripted {
  explicit Scripted(uint16_t queues, uint64_t disk_size = 64 * 1024) : file(disk_size) {
    auto disk = std::move(DiskFile::Open({.path = file.path()})).value();
    std::vector<std::unique_ptr<IoEngine>> list;
    for (uint16_t q = 0; q < queues; ++q) {
      auto e = std::make_unique<ScriptedEngine>(4);
      engines.push_back(e.get());
      list.push_back(std::move(e));
    }
    dev = std::move(BlkDevice::Create({.num_queues = queues}, std::move(disk), std::move(list)))
              .value();
  }
  TempDisk file;
  std::vector<ScriptedEngine*> engines;
  std::unique_ptr<BlkDevice> dev;
};

TEST(BlkQueues, EachQueueIsItsOwnGroupWithItsOwnEngine) {
  Scripted s(3);
  EXPECT_EQ(s.dev->QueueGroups(), (std::vector<std::vector<uint16_t>>{{0}, {1}, {2}}));
  auto disk = std::move(DiskFile::Open({.path = s.file.path()})).value();
  // A single engine cannot serve two queues.
  EXPECT_FALSE(BlkDevice::Create({.num_queues = 2}, std::move(disk),
                                 std::make_unique<ScriptedEngine>(4))
                   .ok());
}

TEST(BlkQueues, AQueueCompletesOnItsOwnLoopWhileTheOtherIsBacklogged) {
  VirtualClock clock;
  DeterministicEventLoop loop0(clock), loop1(clock);
  Scripted s(2);
  Harness h(loop0, *s.dev, 2, 0, {&loop0, &loop1});
  // Queue 0 floods its engine; loop 0 is never run (a busy worker).
  for (int i = 0; i < 4; ++i) h.Send({Header(kBlkTIn, i)}, {512, 1}, 0);
  auto r = h.Send({Header(kBlkTIn, 0)}, {512, 1}, 1);
  EXPECT_EQ(s.engines[0]->pending(), 4u);
  EXPECT_EQ(s.engines[1]->pending(), 1u);  // its own engine: not behind queue 0's
  s.engines[0]->Finish(4, 0);
  s.engines[1]->Finish(1, 0);
  loop1.RunUntilIdle();
  auto used = *h.drv(1).PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->id, r.head);
  EXPECT_EQ(h.Status(r, 1), kBlkSOk);
  EXPECT_FALSE((*h.drv(0).PopUsed()).has_value());  // queue 0's loop has not run
  loop0.RunUntilIdle();
  for (int i = 0; i < 4; ++i) EXPECT_TRUE((*h.drv(0).PopUsed()).has_value());
}

TEST(BlkQueues, BigWriteZeroesGoesInBoundedPiecesAndNothingOvertakesIt) {
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  Scripted s(1, 24 * kMiB);
  ScriptedEngine& e = *s.engines[0];
  Harness h(loop, *s.dev);
  const uint64_t sectors = 20 * kMiB / 512;
  auto zeroes = h.Send({Header(kBlkTWriteZeroes, 0), Segment(2048, sectors)}, {1});
  auto read = h.Send({Header(kBlkTIn, 0)}, {512, 1});  // queued behind it
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  for (int turn = 0; turn < 3; ++turn) {
    ASSERT_EQ(e.pending(), 1u) << "turn " << turn;  // the read is not submitted
    ASSERT_EQ(e.front_op(), IoRequest::Op::kWriteZeroes);
    pieces.emplace_back(e.front().offset, e.front().length);
    EXPECT_FALSE((*h.drv().PopUsed()).has_value());
    e.Finish(1, 0);
    loop.RunUntilIdle();
  }
  EXPECT_EQ(pieces, (std::vector<std::pair<uint64_t, uint64_t>>{
                        {kMiB, 8 * kMiB}, {9 * kMiB, 8 * kMiB}, {17 * kMiB, 4 * kMiB}}));
  auto first = *h.drv().PopUsed();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, zeroes.head);
  EXPECT_EQ(h.Status(zeroes), kBlkSOk);
  ASSERT_EQ(e.pending(), 1u);  // now the read
  EXPECT_EQ(e.front_op(), IoRequest::Op::kRead);
  e.Finish(1, 0);
  loop.RunUntilIdle();
  auto second = *h.drv().PopUsed();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, read.head);
}

TEST(BlkQueues, AFailedPieceEndsTheWriteZeroesWithIoErr) {
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  Scripted s(1, 24 * kMiB);
  Harness h(loop, *s.dev);
  auto zeroes = h.Send({Header(kBlkTWriteZeroes, 0), Segment(0, 20 * kMiB / 512)}, {1});
  s.engines[0]->Finish(1, -EIO);
  loop.RunUntilIdle();
  EXPECT_EQ(s.engines[0]->pending(), 0u);  // no further pieces
  ASSERT_TRUE((*h.drv().PopUsed()).has_value());
  EXPECT_EQ(h.Status(zeroes), kBlkSIoErr);
}

// With a real engine the pieces zero the whole range and nothing else.
TEST(BlkQueues, ChunkedWriteZeroesZeroesTheWholeRange) {
  MonotonicClock clock;
  auto loop = std::move(EpollEventLoop::Create(clock)).value();
  TempDisk disk(24 * kMiB, 0xab);
  auto dev = BlkDevice::Create({.path = disk.path(), .io_engine = IoEngineKind::kSync});
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  {
    Harness h(*loop, **dev);
    EXPECT_EQ(h.Do({Header(kBlkTWriteZeroes, 0), Segment(1, 17 * kMiB / 512)}, {1}), kBlkSOk);
  }
  dev->reset();
  const std::vector<uint8_t> bytes = disk.Contents();
  ASSERT_EQ(bytes.size(), 24 * kMiB);
  EXPECT_EQ(bytes[511], 0xab);
  EXPECT_EQ(bytes[512], 0);
  EXPECT_EQ(bytes[512 + 17 * kMiB - 1], 0);
  EXPECT_EQ(bytes[512 + 17 * kMiB], 0xab);
  size_t nonzero = 0;
  for (size_t i = 512; i < 512 + 17 * kMiB; ++i) nonzero += bytes[i] != 0;
  EXPECT_EQ(nonzero, 0u);
}

class BlkResetGrace : public ::testing::Test {
 protected:
  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  Scripted s_{1};
  ScriptedEngine& e_ = *s_.engines[0];
  std::unique_ptr<Harness> h_ = std::make_unique<Harness>(loop_, *s_.dev);
  bool done_ = false;
  // Marks the request's status byte 0xee (not a status the device writes).
  uint8_t Untouched(const VirtqDriver::Request& r) {
    const auto& seg = r.segments.back();
    const uint8_t mark = 0xee;
    EXPECT_TRUE(h_->ctx().memory().WriteObj(seg.gpa + seg.len - 1, mark).ok());
    return h_->Status(r);
  }
};

TEST_F(BlkResetGrace, DoneWhenTheEngineFinishesAndNothingReachesTheGuest) {
  auto r = h_->Send({Header(kBlkTIn, 0)}, {512, 1});
  const uint8_t before = Untouched(r);
  EXPECT_EQ(before, 0xee);
  s_.dev->StopQueueGroup(0, [this] { done_ = true; });
  EXPECT_FALSE(done_);  // the engine still owns the guest's buffer
  EXPECT_EQ(s_.dev->in_flight(), 0u);  // dropped
  e_.Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_TRUE(done_);
  EXPECT_LT(clock_.NowNs(), kBlkResetGraceNs);
  EXPECT_FALSE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(r), before);
}

TEST_F(BlkResetGrace, AbandonedAfterTheGraceWithoutGuestWrites) {
  auto r = h_->Send({Header(kBlkTIn, 0)}, {512, 1});
  const uint8_t before = Untouched(r);
  s_.dev->StopQueueGroup(0, [this] { done_ = true; });
  (void)loop_.RunOnce(kBlkResetGraceNs - 1'000'000);
  EXPECT_FALSE(done_);
  (void)loop_.RunOnce(2'000'000);  // the grace runs out: the loop was never blocked
  EXPECT_TRUE(done_);
  EXPECT_GE(clock_.NowNs(), kBlkResetGraceNs);
  e_.Finish(1, 0);  // late: ignored
  loop_.RunUntilIdle();
  EXPECT_FALSE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(r), before);
  // The device works again after the reset; the late completion stays ignored.
  s_.dev->Reset();
  h_ = std::make_unique<Harness>(loop_, *s_.dev);
  auto f = h_->Send({Header(kBlkTFlush, 0)}, {1});
  e_.Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(f), kBlkSOk);
}

TEST_F(BlkResetGrace, NothingInFlightIsDoneAtOnce) {
  s_.dev->StopQueueGroup(0, [this] { done_ = true; });
  EXPECT_TRUE(done_);
}

}  // namespace
}  // namespace petrel::virtio
