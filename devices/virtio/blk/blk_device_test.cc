// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for BlkDevice (virtio 1.2 §5.2) on a temporary disk file with the
// sync and io_uring engines, plus a scripted engine for busy / error / reset
// and the cache mode (writeback / writethrough).
#include "devices/virtio/blk/blk_device.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/epoll_event_loop.h"
#include "core/event/notifier.h"
#include "devices/block/block_test_util.h"
#include "devices/block/image/qemu_img_test_util.h"
#include "devices/virtio/blk/blk_test_util.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using block_test::TempDisk;
using testing::FakeVirtioContext;
using testing::VirtqDriver;
using blk_test::Harness;
using blk_test::Header;
using blk_test::ScriptedEngine;
using blk_test::Segment;

constexpr uint64_t kDiskSize = 64 * 1024;  // 128 sectors

class BlkDeviceTest : public ::testing::TestWithParam<IoEngineKind> {
 protected:
  void SetUp() override { loop_ = std::move(EpollEventLoop::Create(clock_)).value(); }
  // Creates the device on disk_ (or `path`); skips if io_uring is unavailable.
  void Make(BlkOptions o) {
    if (o.path.empty()) o.path = disk_.path();
    o.io_engine = GetParam();
    auto dev = BlkDevice::Create(o);
    if (!dev.ok() && GetParam() == IoEngineKind::kUring) {
      GTEST_SKIP() << "io_uring unavailable: " << dev.error().message();
    }
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    dev_ = std::move(*dev);
    h_ = std::make_unique<Harness>(*loop_, *dev_, o.num_queues);
  }

  MonotonicClock clock_;
  std::unique_ptr<EpollEventLoop> loop_;
  TempDisk disk_{kDiskSize, 0xab};
  std::unique_ptr<Harness> h_;      // the transport outlives the device's activation:
  std::unique_ptr<BlkDevice> dev_;  // destroyed first, it resets on the way out
};

TEST_P(BlkDeviceTest, ConfigAndFeatures) {
  Make({.num_queues = 2, .queue_size = 64});
  if (!dev_) return;
  EXPECT_EQ(dev_->device_type(), 2);
  EXPECT_EQ(dev_->queue_count(), 2);
  EXPECT_EQ(dev_->max_queue_size(), 64);
  const uint64_t f = dev_->device_features();
  EXPECT_TRUE(f & FeatureBit(kBlkFSegMax));
  EXPECT_TRUE(f & FeatureBit(kBlkFBlkSize));
  EXPECT_TRUE(f & FeatureBit(kBlkFFlush));
  EXPECT_TRUE(f & FeatureBit(kBlkFMq));
  EXPECT_TRUE(f & FeatureBit(kBlkFWriteZeroes));
  EXPECT_FALSE(f & FeatureBit(kBlkFRo));
  BlkConfig c;
  dev_->ReadConfig(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&c), sizeof c));
  EXPECT_EQ(c.capacity, kDiskSize / 512);
  EXPECT_EQ(c.seg_max, 62u);
  EXPECT_EQ(c.blk_size, 512u);
  EXPECT_EQ(c.num_queues, 2);
  EXPECT_GT(c.max_write_zeroes_seg, 0u);
  std::vector<uint8_t> past(8, 0xcc);
  dev_->ReadConfig(sizeof(BlkConfig) - 4, past);
  EXPECT_EQ(past, std::vector<uint8_t>(8, 0));
}

TEST_P(BlkDeviceTest, WriteThenReadBack) {
  Make({});
  if (!dev_) return;
  std::vector<uint8_t> data(1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  EXPECT_EQ(h_->Do({Header(kBlkTOut, 2), data}, {1}), kBlkSOk);
  auto file = disk_.Contents();
  EXPECT_TRUE(std::equal(data.begin(), data.end(), file.begin() + 1024));
  EXPECT_EQ(file[1023], 0xab);
  EXPECT_EQ(file[2048], 0xab);

  VirtqDriver::Request r;
  uint32_t used = 0;
  // Data split across two buffers, status in a third.
  EXPECT_EQ(h_->Do({Header(kBlkTIn, 2)}, {512, 512, 1}, &r, &used), kBlkSOk);
  EXPECT_EQ(used, 1025u);
  auto a = *h_->drv().ReadBytes(r.segments[1].gpa, 512);
  auto b = *h_->drv().ReadBytes(r.segments[2].gpa, 512);
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(a, data);
  EXPECT_TRUE(h_->ctx().failures().empty());
  EXPECT_GE(h_->ctx().signals(0), 2u);
}

// The device serves any image format at its virtual size (issue 13): a
// qcow2 image far larger than its file, written and read through the queue,
// and found sound by qemu-img afterwards.
TEST_P(BlkDeviceTest, ServesAQcow2ImageAtItsVirtualSize) {
  PETREL_REQUIRE_QEMU_IMG();
  image_test::TempDir dir;
  const std::string image = dir.File("disk.qcow2");
  PETREL_RUN_OK("qemu-img create -q -f qcow2 " + image + " 1G");
  Make({.path = image});
  if (!dev_) return;
  BlkConfig c;
  dev_->ReadConfig(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&c), sizeof c));
  EXPECT_EQ(c.capacity, (1ull << 30) / 512);
  EXPECT_TRUE(dev_->device_features() & FeatureBit(kBlkFDiscard));
  const uint64_t sector = (1ull << 30) / 512 - 8;  // the last 4 KiB
  std::vector<uint8_t> data(4096);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
  EXPECT_EQ(h_->Do({Header(kBlkTOut, sector), data}, {1}), kBlkSOk);
  VirtqDriver::Request r;
  EXPECT_EQ(h_->Do({Header(kBlkTIn, sector)}, {4096, 1}, &r), kBlkSOk);
  EXPECT_EQ(*h_->drv().ReadBytes(r.segments[1].gpa, 4096), data);
  EXPECT_EQ(h_->Do({Header(kBlkTIn, 0)}, {512, 1}, &r), kBlkSOk);  // never written: zeros
  EXPECT_EQ(*h_->drv().ReadBytes(r.segments[1].gpa, 512), std::vector<uint8_t>(512, 0));
  h_.reset();
  dev_.reset();  // closes (and unlocks) the image
  auto check = image_test::RunCommand("qemu-img check " + image);
  EXPECT_EQ(check.status, 0) << check.output;
  auto map = image_test::RunCommand("qemu-io -f qcow2 -c 'read -P 0 0 512' -c 'read -v " +
                                    std::to_string(sector * 512) + " 16' " + image);
  EXPECT_EQ(map.status, 0) << map.output;
  EXPECT_NE(map.output.find("00 0d 1a 27"), std::string::npos) << map.output;
}

// Phase 2 of issue 8: Cloud Hypervisor's counters, for successful IN/OUT only.
TEST_P(BlkDeviceTest, CountersCountCompletedReadsAndWrites) {
  Make({});
  if (!dev_) return;
  EXPECT_EQ(dev_->Counters(), (std::map<std::string, uint64_t>{
                                  {"read_bytes", 0}, {"read_ops", 0},
                                  {"write_bytes", 0}, {"write_ops", 0}}));
  EXPECT_EQ(h_->Do({Header(kBlkTOut, 2), std::vector<uint8_t>(1024, 1)}, {1}), kBlkSOk);
  EXPECT_EQ(h_->Do({Header(kBlkTOut, 0), std::vector<uint8_t>(512, 2)}, {1}), kBlkSOk);
  EXPECT_EQ(h_->Do({Header(kBlkTIn, 2)}, {512, 512, 1}), kBlkSOk);
  EXPECT_EQ(h_->Do({Header(kBlkTFlush, 0)}, {1}), kBlkSOk);           // not counted
  EXPECT_EQ(h_->Do({Header(kBlkTIn, 1000)}, {512, 1}), kBlkSIoErr);  // past the end
  EXPECT_EQ(dev_->Counters(), (std::map<std::string, uint64_t>{
                                  {"read_bytes", 1024}, {"read_ops", 1},
                                  {"write_bytes", 1536}, {"write_ops", 2}}));
}

TEST_P(BlkDeviceTest, FlushAndUnknownType) {
  Make({});
  if (!dev_) return;
  EXPECT_EQ(h_->Do({Header(kBlkTFlush, 0)}, {1}), kBlkSOk);
  EXPECT_EQ(h_->Do({Header(99, 0)}, {1}), kBlkSUnsupp);
}

TEST_P(BlkDeviceTest, GetId) {
  Make({.serial = "petrel-disk-1"});
  if (!dev_) return;
  VirtqDriver::Request r;
  uint32_t used = 0;
  EXPECT_EQ(h_->Do({Header(kBlkTGetId, 0)}, {20, 1}, &r, &used), kBlkSOk);
  EXPECT_EQ(used, 21u);
  std::vector<uint8_t> want(20, 0);
  std::memcpy(want.data(), "petrel-disk-1", 13);
  EXPECT_EQ(*h_->drv().ReadBytes(r.segments[1].gpa, 20), want);
}

TEST_P(BlkDeviceTest, ReadOnlyRefusesWrites) {
  Make({.readonly = true});
  if (!dev_) return;
  EXPECT_TRUE(dev_->device_features() & FeatureBit(kBlkFRo));
  EXPECT_FALSE(dev_->device_features() & FeatureBit(kBlkFDiscard));
  EXPECT_FALSE(dev_->device_features() & FeatureBit(kBlkFWriteZeroes));
  EXPECT_EQ(h_->Do({Header(kBlkTOut, 0), std::vector<uint8_t>(512, 1)}, {1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTDiscard, 0), Segment(0, 1)}, {1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTWriteZeroes, 0), Segment(0, 1)}, {1}), kBlkSIoErr);
  EXPECT_EQ(disk_.Contents(), std::vector<uint8_t>(kDiskSize, 0xab));
  EXPECT_EQ(h_->Do({Header(kBlkTIn, 0)}, {512, 1}), kBlkSOk);
}

TEST_P(BlkDeviceTest, BadRangesAndLengthsAreIoErr) {
  Make({});
  if (!dev_) return;
  const uint64_t cap = kDiskSize / 512;
  EXPECT_EQ(h_->Do({Header(kBlkTIn, cap - 1)}, {1024, 1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTIn, cap)}, {512, 1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTOut, ~uint64_t{0}), std::vector<uint8_t>(512)}, {1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTIn, 0)}, {100, 1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTWriteZeroes, 0), Segment(cap - 1, 2)}, {1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTWriteZeroes, 0), Segment(~uint64_t{0}, 2)}, {1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTWriteZeroes, 0), std::vector<uint8_t>(10)}, {1}), kBlkSIoErr);
  EXPECT_EQ(h_->Do({Header(kBlkTWriteZeroes, 0), Segment(0, 1, 2)}, {1}), kBlkSUnsupp);
  // The last sector is in range.
  EXPECT_EQ(h_->Do({Header(kBlkTIn, cap - 1)}, {512, 1}), kBlkSOk);
  EXPECT_EQ(disk_.Contents(), std::vector<uint8_t>(kDiskSize, 0xab));
  EXPECT_TRUE(h_->ctx().failures().empty());
}

TEST_P(BlkDeviceTest, DiscardAndWriteZeroesGiveZeros) {
  Make({});
  if (!dev_) return;
  std::vector<uint8_t> two;
  auto s1 = Segment(1, 2, kBlkDiscardFUnmap);
  auto s2 = Segment(10, 1);
  two.insert(two.end(), s1.begin(), s1.end());
  two.insert(two.end(), s2.begin(), s2.end());
  EXPECT_EQ(h_->Do({Header(kBlkTWriteZeroes, 0), two}, {1}), kBlkSOk);
  auto file = disk_.Contents();
  EXPECT_EQ(file[511], 0xab);
  EXPECT_TRUE(
      std::all_of(file.begin() + 512, file.begin() + 1536, [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(file[1536], 0xab);
  EXPECT_TRUE(
      std::all_of(file.begin() + 5120, file.begin() + 5632, [](uint8_t b) { return b == 0; }));
  if (dev_->device_features() & FeatureBit(kBlkFDiscard)) {
    uint8_t st = h_->Do({Header(kBlkTDiscard, 0), Segment(20, 4)}, {1});
    if (st == kBlkSOk) {
      file = disk_.Contents();
      EXPECT_TRUE(std::all_of(file.begin() + 20 * 512, file.begin() + 24 * 512,
                              [](uint8_t b) { return b == 0; }));
    } else {
      EXPECT_EQ(st, kBlkSUnsupp);  // the file system cannot punch holes
    }
    EXPECT_EQ(h_->Do({Header(kBlkTDiscard, 0), Segment(20, 4, kBlkDiscardFUnmap)}, {1}),
              kBlkSUnsupp);
  }
}

TEST_P(BlkDeviceTest, MalformedChainsFail) {
  Make({});
  if (!dev_) return;
  h_->Send({Header(kBlkTIn, 0)}, {});  // no status byte
  EXPECT_EQ(h_->ctx().failures().size(), 1u);
  EXPECT_FALSE((*h_->drv().PopUsed()).has_value());
  // After Reset and a fresh activation a short header fails too.
  dev_->Reset();
  h_ = std::make_unique<Harness>(*loop_, *dev_);
  h_->Send({{1, 2, 3}}, {1});
  EXPECT_EQ(h_->ctx().failures().size(), 1u);
}

TEST_P(BlkDeviceTest, SecondQueueWorks) {
  Make({.num_queues = 2});
  if (!dev_) return;
  auto r = h_->Send({Header(kBlkTIn, 0)}, {512, 1}, 1);
  auto used = h_->Wait(1);
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(h_->Status(r, 1), kBlkSOk);
  EXPECT_GE(h_->ctx().signals(1), 1u);
}

TEST_P(BlkDeviceTest, FullDeviceIsIoErr) {
  Make({.path = "/dev/full"});
  if (!dev_) return;
  EXPECT_EQ(dev_->config().capacity, 0u);
  EXPECT_EQ(h_->Do({Header(kBlkTOut, 0), std::vector<uint8_t>(512, 1)}, {1}), kBlkSIoErr);
  EXPECT_TRUE(h_->ctx().failures().empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, BlkDeviceTest,
                         ::testing::Values(IoEngineKind::kSync, IoEngineKind::kUring),
                         [](const auto& info) {
                           return std::string(IoEngineKindName(info.param));
                         });

TEST(BlkOptionsTest, RejectsBadOptions) {
  TempDisk disk(4096);
  EXPECT_FALSE(BlkDevice::Create({.path = disk.path(), .queue_size = 100}).ok());
  EXPECT_FALSE(BlkDevice::Create({.path = disk.path(), .queue_size = 2048}).ok());
  EXPECT_FALSE(BlkDevice::Create({.path = disk.path(), .num_queues = 0}).ok());
  EXPECT_FALSE(BlkDevice::Create({.path = disk.path(), .serial = std::string(21, 'x')}).ok());
  auto missing = BlkDevice::Create({.path = "/nonexistent/disk.img"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

// A disk with a rate limiter is built (blk_rate_limit_test.cc enforces it);
// a bad limiter is a bad option.
TEST(BlkOptionsTest, TakesAValidRateLimiterAndRefusesABadOne) {
  TempDisk disk(4096);
  DiskConfig options{.path = disk.path()};
  options.rate_limiter_config =
      ratelimit::RateLimiterConfig{.ops = ratelimit::TokenBucketConfig{100, 0, 1000}};
  auto built = BlkDevice::Create(options);
  ASSERT_TRUE(built.ok()) << built.error().message();
  // A bad limiter is a bad option first.
  options.rate_limiter_config = ratelimit::RateLimiterConfig{};
  auto bad = BlkDevice::Create(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "virtio-blk: rate_limiter_config: needs a bandwidth or an ops bucket");
}

class BlkScriptedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto disk = std::move(DiskFile::Open({.path = file_.path()})).value();
    auto engine = std::make_unique<ScriptedEngine>(2);
    engine_ = engine.get();
    dev_ = std::move(BlkDevice::Create({}, std::move(disk), std::move(engine))).value();
    h_ = std::make_unique<Harness>(loop_, *dev_);
  }
  TempDisk file_{kDiskSize};
  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  ScriptedEngine* engine_ = nullptr;
  std::unique_ptr<Harness> h_;      // the transport outlives the device's activation:
  std::unique_ptr<BlkDevice> dev_;  // destroyed first, it resets on the way out
};

TEST_F(BlkScriptedTest, EngineErrorsAreIoErr) {
  auto r = h_->Send({Header(kBlkTOut, 0), std::vector<uint8_t>(512)}, {1});
  EXPECT_EQ(dev_->in_flight(), 1u);
  engine_->Finish(1, -ENOSPC);
  loop_.RunUntilIdle();
  auto used = *h_->drv().PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(h_->Status(r), kBlkSIoErr);
  EXPECT_EQ(dev_->in_flight(), 0u);
}

TEST_F(BlkScriptedTest, BusyEngineResumesOnCompletion) {
  std::vector<VirtqDriver::Request> reqs;
  for (int i = 0; i < 4; ++i) reqs.push_back(*h_->drv().AddRequest({Header(kBlkTIn, i)}, {512, 1}));
  ASSERT_TRUE(h_->drv().Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(engine_->pending(), 2u);  // depth 2: the third waits
  dev_->QueueNotified(0);             // a doorbell while stalled changes nothing
  EXPECT_EQ(engine_->pending(), 2u);
  engine_->Finish(2, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(engine_->pending(), 2u);  // the other two went in
  engine_->Finish(2, 0);
  loop_.RunUntilIdle();
  for (int i = 0; i < 4; ++i) {
    auto used = *h_->drv().PopUsed();
    ASSERT_TRUE(used.has_value());
    EXPECT_EQ(used->len, 513u);
  }
  for (const auto& r : reqs) EXPECT_EQ(h_->Status(r), kBlkSOk);
}

// Live migration: a read's data lands in guest memory when the engine
// completes it, after the submission marked the pages. A dirty log taken in
// between must still see them: completion marks them again (and only the
// buffers the device writes: the header stays clean).
TEST_F(BlkScriptedTest, ACompletedReadMarksItsBuffersDirtyAgain) {
  GuestMemory& memory = h_->memory();
  memory.StartDirtyLog();
  auto r = h_->Send({Header(kBlkTIn, 0)}, {4096, 1});
  ASSERT_EQ(dev_->in_flight(), 1u);
  (void)memory.TakeDirtyLog();  // a pre-copy round happens here
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  DirtyBitmap after = memory.TakeDirtyLog();
  const auto& data = r.segments[1];
  ASSERT_TRUE(data.writable);
  EXPECT_TRUE(after.IsSet(data.gpa));
  EXPECT_TRUE(after.IsSet(data.gpa + data.len - 1));
  EXPECT_TRUE(after.IsSet(r.segments[2].gpa));  // the status byte
  const uint64_t header_page = r.segments[0].gpa / 4096;
  if (header_page != data.gpa / 4096 && header_page != r.segments[2].gpa / 4096) {
    EXPECT_FALSE(after.IsSet(r.segments[0].gpa)) << "the header is read, not written";
  }
  memory.StopDirtyLog();
}

TEST_F(BlkScriptedTest, ResetDrainsInFlight) {
  h_->Send({Header(kBlkTIn, 0)}, {512, 1});
  EXPECT_EQ(dev_->in_flight(), 1u);
  engine_->complete_on_reap_ = true;
  dev_->Reset();
  EXPECT_EQ(dev_->in_flight(), 0u);
  EXPECT_EQ(engine_->in_flight(), 0u);
  loop_.RunUntilIdle();  // the completion signal after reset is harmless
  EXPECT_FALSE((*h_->drv().PopUsed()).has_value());
  // Activates again with new queues and works.
  engine_->complete_on_reap_ = false;
  h_ = std::make_unique<Harness>(loop_, *dev_);
  auto r = h_->Send({Header(kBlkTFlush, 0)}, {1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(r), kBlkSOk);
}

// A VM pause: the request in flight completes into the used ring before
// the queue says it is quiet; requests queued meanwhile wait until resume.
TEST_F(BlkScriptedTest, QuiesceLetsInFlightRequestsCompleteAndTakesNoNewOnes) {
  auto first = h_->Send({Header(kBlkTIn, 0)}, {512, 1});
  EXPECT_EQ(dev_->in_flight(), 1u);
  int quiet = 0;
  dev_->QuiesceQueueGroup(0, [&] { ++quiet; });
  EXPECT_EQ(quiet, 0);  // still in flight
  auto second = *h_->drv().AddRequest({Header(kBlkTIn, 1)}, {512, 1});
  ASSERT_TRUE(h_->drv().Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(engine_->pending(), 1u);  // the new one was not taken
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(quiet, 1);
  EXPECT_EQ(dev_->in_flight(), 0u);
  auto used = *h_->drv().PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(h_->Status(first), kBlkSOk);
  EXPECT_FALSE((*h_->drv().PopUsed()).has_value());

  dev_->ResumeQueueGroup(0);  // takes what was queued while quiet
  EXPECT_EQ(engine_->pending(), 1u);
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(second), kBlkSOk);
  EXPECT_EQ(quiet, 1);
}

TEST_F(BlkScriptedTest, QuiesceOfAnIdleQueueIsQuietAtOnce) {
  int quiet = 0;
  dev_->QuiesceQueueGroup(0, [&] { ++quiet; });
  EXPECT_EQ(quiet, 1);
  dev_->ResumeQueueGroup(0);
  auto r = h_->Send({Header(kBlkTFlush, 0)}, {1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(r), kBlkSOk);
}

}  // namespace
}  // namespace petrel::virtio

namespace petrel::virtio {
namespace {

void SetWriteback(BlkDevice& dev, uint8_t value) {
  dev.WriteConfig(offsetof(BlkConfig, writeback), std::span<const uint8_t>(&value, 1));
}
uint8_t ReadWriteback(BlkDevice& dev) {
  uint8_t v = 0xee;
  dev.ReadConfig(offsetof(BlkConfig, writeback), std::span<uint8_t>(&v, 1));
  return v;
}

constexpr uint64_t kWceFeatures = FeatureBit(kBlkFConfigWce) | FeatureBit(kBlkFFlush);

// §5.2.4: the driver switches the cache mode through `writeback`.
TEST_F(BlkScriptedTest, WritebackIsTheOnlyWritableConfigField) {
  EXPECT_NE(dev_->device_features() & FeatureBit(kBlkFConfigWce), 0u);
  EXPECT_EQ(ReadWriteback(*dev_), 1);  // reset value: writeback
  SetWriteback(*dev_, 0);
  EXPECT_EQ(ReadWriteback(*dev_), 0);
  EXPECT_EQ(dev_->Save().writeback, 0);
  SetWriteback(*dev_, 2);  // not a mode
  EXPECT_EQ(ReadWriteback(*dev_), 0);
  const uint8_t two[2] = {1, 1};  // wider than the field
  dev_->WriteConfig(offsetof(BlkConfig, writeback), two);
  EXPECT_EQ(ReadWriteback(*dev_), 0);
  const uint8_t cap = 0xff;
  dev_->WriteConfig(0, std::span<const uint8_t>(&cap, 1));  // capacity is read-only
  uint8_t c = 0;
  dev_->ReadConfig(0, std::span<uint8_t>(&c, 1));
  EXPECT_EQ(c, static_cast<uint8_t>((kDiskSize / 512) & 0xff));
  dev_->Reset();  // §2.4: back to the initial value
  EXPECT_EQ(ReadWriteback(*dev_), 1);
}

// §5.2.6.2: in writethrough mode a write completes after an engine flush.
TEST_F(BlkScriptedTest, WritethroughFlushesEachWriteBeforeCompleting) {
  SetWriteback(*dev_, 0);
  h_ = std::make_unique<Harness>(loop_, *dev_, 1, kWceFeatures);
  EXPECT_EQ(ReadWriteback(*dev_), 0);  // activation keeps the mode
  auto w = h_->Send({Header(kBlkTOut, 0), std::vector<uint8_t>(512, 0xab)}, {1});
  ASSERT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(engine_->front_op(), IoRequest::Op::kWrite);
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_FALSE((*h_->drv().PopUsed()).has_value());  // not stable yet
  ASSERT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(engine_->front_op(), IoRequest::Op::kFlush);
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(w), kBlkSOk);
  EXPECT_EQ(dev_->in_flight(), 0u);

  // A failed flush fails the write.
  auto w2 = h_->Send({Header(kBlkTOut, 1), std::vector<uint8_t>(512)}, {1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  engine_->Finish(1, -EIO);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(w2), kBlkSIoErr);

  // Reads are not flushed.
  auto r = h_->Send({Header(kBlkTIn, 0)}, {512, 1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(engine_->pending(), 0u);
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(r), kBlkSOk);
}

TEST_F(BlkScriptedTest, WritebackModeOrNoConfigWceMeansNoExtraFlush) {
  h_ = std::make_unique<Harness>(loop_, *dev_, 1, kWceFeatures);  // writeback = 1
  h_->Send({Header(kBlkTOut, 0), std::vector<uint8_t>(512)}, {1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(engine_->pending(), 0u);
  EXPECT_TRUE((*h_->drv().PopUsed()).has_value());

  SetWriteback(*dev_, 0);
  h_ = std::make_unique<Harness>(loop_, *dev_, 1, FeatureBit(kBlkFFlush));  // no CONFIG_WCE
  h_->Send({Header(kBlkTOut, 0), std::vector<uint8_t>(512)}, {1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(engine_->pending(), 0u);
  EXPECT_TRUE((*h_->drv().PopUsed()).has_value());
}

// A driver that did not negotiate FLUSH cannot ask for durability, so every
// write is made stable before it completes (writethrough), as QEMU and Cloud
// Hypervisor do; with CONFIG_WCE the writeback field decides instead.
TEST_F(BlkScriptedTest, WithoutFlushNegotiatedWritesAreWrittenThrough) {
  h_ = std::make_unique<Harness>(loop_, *dev_, 1, 0);  // neither FLUSH nor CONFIG_WCE
  auto w = h_->Send({Header(kBlkTOut, 0), std::vector<uint8_t>(512, 1)}, {1});
  ASSERT_EQ(engine_->front_op(), IoRequest::Op::kWrite);
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_EQ(engine_->pending(), 1u);
  EXPECT_EQ(engine_->front_op(), IoRequest::Op::kFlush);
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  ASSERT_TRUE((*h_->drv().PopUsed()).has_value());
  EXPECT_EQ(h_->Status(w), kBlkSOk);

  // CONFIG_WCE without FLUSH: the writeback field (1 here) decides.
  h_ = std::make_unique<Harness>(loop_, *dev_, 1, FeatureBit(kBlkFConfigWce));
  h_->Send({Header(kBlkTOut, 0), std::vector<uint8_t>(512)}, {1});
  engine_->Finish(1, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(engine_->pending(), 0u);
}

}  // namespace
}  // namespace petrel::virtio
