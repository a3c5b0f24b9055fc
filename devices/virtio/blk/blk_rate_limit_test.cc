// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BlkDevice under --disk bw_*/ops_* (rate_limiter_config): requests wait on
// their queue for the limiter's tokens, on the loop's virtual clock, so each
// start time is exact.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/block/block_test_util.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/blk/blk_test_util.h"

namespace petrel::virtio {
namespace {

using block_test::TempDisk;
using blk_test::Harness;
using blk_test::Header;
using blk_test::ScriptedEngine;
using testing::VirtqDriver;

constexpr uint64_t kMs = 1'000'000;

class BlkRateLimitTest : public ::testing::Test {
 protected:
  // A device on one scripted engine (depth 8) with `limit`.
  void Build(const ratelimit::RateLimiterConfig& limit) {
    auto disk = std::move(DiskFile::Open({.path = file_.path()})).value();
    auto engine = std::make_unique<ScriptedEngine>(8);
    engine_ = engine.get();
    DiskConfig options;
    options.rate_limiter_config = limit;
    dev_ = std::move(BlkDevice::Create(options, std::move(disk), std::move(engine))).value();
    h_ = std::make_unique<Harness>(loop_, *dev_);
  }
  VirtqDriver::Request Read(uint32_t bytes) { return h_->Send({Header(kBlkTIn, 0)}, {bytes, 1}); }
  // Runs the loop to `t_ns`; then how many requests the engine holds.
  size_t SubmittedBy(uint64_t t_ns) {
    loop_.RunUntil(t_ns);
    return engine_->pending();
  }
  // Completes what the engine holds; the number of used elements.
  size_t FinishAll() {
    engine_->Finish(engine_->pending(), 0);
    loop_.RunUntil(clock_.NowNs());
    size_t n = 0;
    while ((*h_->drv().PopUsed()).has_value()) ++n;
    return n;
  }

  TempDisk file_{1 << 20};
  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  ScriptedEngine* engine_ = nullptr;
  std::unique_ptr<BlkDevice> dev_;
  std::unique_ptr<Harness> h_;
};

ratelimit::RateLimiterConfig Bandwidth(uint64_t size, uint64_t refill_ms, uint64_t burst = 0) {
  return {.bandwidth = ratelimit::TokenBucketConfig{size, burst, refill_ms}};
}

TEST_F(BlkRateLimitTest, BandwidthSpacesReadsByTheRefillTime) {
  Build(Bandwidth(4096, 100));
  Read(4096);
  Read(4096);
  Read(4096);
  EXPECT_EQ(engine_->pending(), 1u);  // the full bucket pays for one
  EXPECT_EQ(FinishAll(), 1u);
  EXPECT_EQ(SubmittedBy(100 * kMs - 1), 0u);
  EXPECT_EQ(SubmittedBy(100 * kMs), 1u);
  EXPECT_EQ(FinishAll(), 1u);
  EXPECT_EQ(SubmittedBy(200 * kMs - 1), 0u);
  EXPECT_EQ(SubmittedBy(200 * kMs), 1u);
  EXPECT_EQ(FinishAll(), 1u);
  EXPECT_EQ(loop_.pending(), 0u);  // no timer left behind
}

TEST_F(BlkRateLimitTest, TheOneTimeBurstLetsTheFirstRequestsThrough) {
  Build(Bandwidth(4096, 100, /*burst=*/8192));
  for (int i = 0; i < 4; ++i) Read(4096);
  EXPECT_EQ(engine_->pending(), 3u);  // burst 8192 + bucket 4096
  EXPECT_EQ(SubmittedBy(100 * kMs - 1), 3u);
  EXPECT_EQ(SubmittedBy(100 * kMs), 4u);
}

TEST_F(BlkRateLimitTest, OpsCountEveryRequestIncludingFlushes) {
  Build({.ops = ratelimit::TokenBucketConfig{1, 0, 50}});
  h_->Send({Header(kBlkTFlush, 0)}, {1});
  h_->Send({Header(kBlkTFlush, 0)}, {1});
  EXPECT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(SubmittedBy(50 * kMs - 1), 1u);
  EXPECT_EQ(SubmittedBy(50 * kMs), 2u);
}

TEST_F(BlkRateLimitTest, BothBucketsMustAllowARequest) {
  Build({.bandwidth = ratelimit::TokenBucketConfig{1 << 20, 0, 100},
         .ops = ratelimit::TokenBucketConfig{1, 0, 30}});
  Read(512);
  Read(512);
  EXPECT_EQ(engine_->pending(), 1u);  // bytes are plenty, operations not
  EXPECT_EQ(SubmittedBy(30 * kMs), 2u);
}

TEST_F(BlkRateLimitTest, ARequestLargerThanTheBucketRunsWhenFullAndIsPaidForAfter) {
  Build(Bandwidth(4096, 100));
  Read(8192);  // over-consumption: granted on a full bucket, 4096 owed
  Read(4096);
  EXPECT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(SubmittedBy(200 * kMs - 1), 1u);  // the debt, then a full 4096
  EXPECT_EQ(SubmittedBy(200 * kMs), 2u);
}

TEST_F(BlkRateLimitTest, AnsweredRequestsTakeNoTokens) {
  Build(Bandwidth(4096, 100));
  // Beyond the disk's end: answered IOERR at once, no disk I/O, no tokens.
  auto bad = h_->Send({Header(kBlkTIn, 1 << 20)}, {4096, 1});
  ASSERT_TRUE(h_->Wait().has_value());
  EXPECT_EQ(h_->Status(bad), kBlkSIoErr);
  Read(4096);
  EXPECT_EQ(engine_->pending(), 1u);
}

TEST_F(BlkRateLimitTest, QuiesceWaitsForTheThrottledRequest) {
  Build(Bandwidth(4096, 100));
  Read(4096);
  Read(4096);
  EXPECT_EQ(FinishAll(), 1u);
  bool quiesced = false;
  dev_->QuiesceQueueGroup(0, [&] { quiesced = true; });
  EXPECT_FALSE(quiesced);  // a popped request is still to be served
  EXPECT_EQ(SubmittedBy(100 * kMs), 1u);
  EXPECT_FALSE(quiesced);
  EXPECT_EQ(FinishAll(), 1u);
  EXPECT_TRUE(quiesced);
}

TEST_F(BlkRateLimitTest, ResetDropsTheThrottledRequestAndRefillsTheBuckets) {
  Build(Bandwidth(4096, 100));
  Read(4096);
  Read(4096);  // throttled
  EXPECT_EQ(FinishAll(), 1u);
  bool stopped = false;
  dev_->StopQueueGroup(0, [&] { stopped = true; });
  EXPECT_TRUE(stopped);
  EXPECT_EQ(loop_.pending(), 0u);  // its timer is gone
  EXPECT_EQ(SubmittedBy(100 * kMs), 0u);
  dev_->Reset();
  h_ = std::make_unique<Harness>(loop_, *dev_);
  Read(4096);
  EXPECT_EQ(engine_->pending(), 1u);  // full again at once
}

// --rate-limit-group: two disks take their tokens from one limiter, which a
// reset of one of them does not refill.
TEST(BlkRateLimitGroupTest, DisksOfAGroupShareItsTokens) {
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  auto group = std::make_shared<ratelimit::SharedRateLimiter>(Bandwidth(4096, 100), 0);
  TempDisk file_a(1 << 20), file_b(1 << 20);
  ScriptedEngine* engines[2] = {};
  std::unique_ptr<BlkDevice> devs[2];
  TempDisk* files[2] = {&file_a, &file_b};
  for (int i = 0; i < 2; ++i) {
    auto disk = std::move(DiskFile::Open({.path = files[i]->path()})).value();
    auto engine = std::make_unique<ScriptedEngine>(8);
    engines[i] = engine.get();
    devs[i] = std::move(BlkDevice::Create(DiskConfig{}, std::move(disk), std::move(engine))).value();
    devs[i]->UseRateLimitGroup(group);
  }
  auto a = std::make_unique<Harness>(loop, *devs[0]);
  auto b = std::make_unique<Harness>(loop, *devs[1]);
  a->Send({Header(kBlkTIn, 0)}, {4096, 1});
  b->Send({Header(kBlkTIn, 0)}, {4096, 1});
  EXPECT_EQ(engines[0]->pending(), 1u);
  EXPECT_EQ(engines[1]->pending(), 0u);  // disk A took the group's tokens
  loop.RunUntil(100 * kMs - 1);
  EXPECT_EQ(engines[1]->pending(), 0u);
  loop.RunUntil(100 * kMs);
  EXPECT_EQ(engines[1]->pending(), 1u);
  // A reset of disk A does not refill the group.
  devs[0]->Reset();
  a = std::make_unique<Harness>(loop, *devs[0]);
  a->Send({Header(kBlkTIn, 0)}, {4096, 1});
  EXPECT_EQ(engines[0]->pending(), 1u);  // the request before the reset, still held
  loop.RunUntil(200 * kMs - 1);
  EXPECT_EQ(engines[0]->pending(), 1u);
  loop.RunUntil(200 * kMs);
  EXPECT_EQ(engines[0]->pending(), 2u);
}

}  // namespace
}  // namespace petrel::virtio
