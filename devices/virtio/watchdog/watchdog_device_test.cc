// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for WatchdogDevice (Cloud Hypervisor's virtio-watchdog) through a
// fake transport context, on virtual time; and its snapshot state through
// the shared DeviceStateTest.
#include "devices/virtio/watchdog/watchdog_device.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/testing/device_state_suite.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

constexpr uint64_t kSecond = 1'000'000'000;

// A guest-side view: the device on a fake transport, a driver for its one
// queue, and a record of the resets it asked for (with the virtual time).
struct WatchdogBench {
  WatchdogBench() {
    mem = *GuestMemory::CreateX86(4 << 20);
    drv = std::make_unique<VirtqDriver>(*VirtqDriver::Create(mem, {.size = kWatchdogMaxQueueSize}));
    ctx = std::make_unique<FakeVirtioContext>(mem, loop, 1);
    ctx->set_device(dev.get());
  }
  Result<void> Activate() {
    PETREL_TRY(ctx->ActivateQueue(0, drv->QueueConfig()));
    return dev->Activate(*ctx);
  }
  // One ping as the guest driver sends it: a 1-byte writable buffer.
  void Ping() {
    auto req = drv->AddRequest({}, {1});
    ASSERT_TRUE(req.ok());
    ASSERT_TRUE(drv->Kick().ok());
    dev->QueueNotified(0);
    auto used = *drv->PopUsed();
    ASSERT_TRUE(used.has_value());
    EXPECT_EQ(used->id, req->head);
    EXPECT_EQ(used->len, 1u);
    EXPECT_EQ(*drv->ReadBytes(req->segments[0].gpa, 1), std::vector<uint8_t>{1});
  }
  void RunTo(uint64_t t_ns) { loop.RunUntil(t_ns); }

  VirtualClock clock;
  DeterministicEventLoop loop{clock};
  std::shared_ptr<GuestMemory> mem;
  std::unique_ptr<VirtqDriver> drv;
  std::unique_ptr<FakeVirtioContext> ctx;
  std::vector<uint64_t> resets;  // virtual time of each on_expired call
  std::vector<std::string> reasons;
  std::unique_ptr<WatchdogDevice> dev = std::make_unique<WatchdogDevice>([this](const std::string& why) {
    resets.push_back(clock.NowNs());
    reasons.push_back(why);
  });
};

class WatchdogDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(b_.Activate().ok()); }
  WatchdogBench b_;
};

TEST_F(WatchdogDeviceTest, IdentityIsCloudHypervisorsDevice) {
  EXPECT_EQ(b_.dev->device_type(), 35);
  EXPECT_EQ(b_.dev->device_features(), 0u);
  EXPECT_EQ(b_.dev->queue_count(), 1);
  EXPECT_EQ(b_.dev->max_queue_size(), 8);
  std::vector<uint8_t> cfg(8, 0xaa);
  b_.dev->ReadConfig(0, cfg);
  EXPECT_EQ(cfg, std::vector<uint8_t>(8, 0));
}

TEST_F(WatchdogDeviceTest, APingIsAnsweredWithOneAndArmsTheDevice) {
  EXPECT_FALSE(b_.dev->armed());
  b_.Ping();
  EXPECT_TRUE(b_.dev->armed());
  EXPECT_EQ(b_.dev->pings(), 1u);
  EXPECT_EQ(b_.ctx->signals(0), 1u);
  EXPECT_TRUE(b_.ctx->failures().empty());
}

TEST_F(WatchdogDeviceTest, AnUnarmedDeviceNeverResets) {
  b_.RunTo(3600 * kSecond);
  EXPECT_TRUE(b_.resets.empty());
}

TEST_F(WatchdogDeviceTest, ResetsAtTheFirstLookMoreThanTwentySecondsAfterTheLastPing) {
  b_.RunTo(1 * kSecond);
  b_.Ping();  // armed at 1 s: looks at 16 s (15 s since), 31 s (30 s since)
  b_.RunTo(31 * kSecond - 1);
  EXPECT_TRUE(b_.resets.empty());
  b_.RunTo(31 * kSecond);
  ASSERT_EQ(b_.resets.size(), 1u);
  EXPECT_EQ(b_.resets[0], 31 * kSecond);
  EXPECT_NE(b_.reasons[0].find("30000 ms since the last ping"), std::string::npos) << b_.reasons[0];
  // It asked once and stopped looking: the reset builds the VM afresh.
  b_.RunTo(600 * kSecond);
  EXPECT_EQ(b_.resets.size(), 1u);
}

TEST_F(WatchdogDeviceTest, RegularPingsKeepTheGuestAlive) {
  for (uint64_t t = 0; t < 600 * kSecond; t += 19 * kSecond) {
    b_.RunTo(t);
    b_.Ping();
  }
  b_.RunTo(600 * kSecond);
  EXPECT_TRUE(b_.resets.empty());
  EXPECT_EQ(b_.dev->pings(), 32u);
}

TEST_F(WatchdogDeviceTest, ADeviceResetDisarmsIt) {
  b_.Ping();
  b_.dev->Reset();
  b_.ctx->ResetQueues();
  EXPECT_FALSE(b_.dev->armed());
  b_.RunTo(120 * kSecond);
  EXPECT_TRUE(b_.resets.empty());
}

TEST_F(WatchdogDeviceTest, PausedTimeDoesNotCount) {
  b_.Ping();
  b_.RunTo(5 * kSecond);
  bool quiet = false;
  b_.dev->QuiesceQueueGroup(0, [&] { quiet = true; });
  EXPECT_TRUE(quiet);
  b_.RunTo(500 * kSecond);  // paused for minutes
  EXPECT_TRUE(b_.resets.empty());
  b_.dev->ResumeQueueGroup(0);  // the last ping counts as 500 s
  b_.RunTo(530 * kSecond - 1);
  EXPECT_TRUE(b_.resets.empty());
  b_.RunTo(530 * kSecond);
  EXPECT_EQ(b_.resets.size(), 1u);
}

TEST_F(WatchdogDeviceTest, AChainWithAReadableBufferFailsTheDeviceNotTheVm) {
  ASSERT_TRUE(b_.drv->AddRequest({{1, 2, 3}}, {1}).ok());
  ASSERT_TRUE(b_.drv->Kick().ok());
  b_.dev->QueueNotified(0);
  ASSERT_EQ(b_.ctx->failures().size(), 1u);
  EXPECT_NE(b_.ctx->failures()[0].find("device-writable"), std::string::npos);
  EXPECT_FALSE(b_.dev->armed());
  b_.RunTo(120 * kSecond);
  EXPECT_TRUE(b_.resets.empty());
}

TEST_F(WatchdogDeviceTest, AChainWithNoWritableBufferFailsTheDevice) {
  ASSERT_TRUE(b_.drv->AddRequest({{1}}, {}).ok());
  ASSERT_TRUE(b_.drv->Kick().ok());
  b_.dev->QueueNotified(0);
  EXPECT_EQ(b_.ctx->failures().size(), 1u);
}

TEST_F(WatchdogDeviceTest, AMalformedChainIsNoWayOutOfAnArmedWatchdog) {
  b_.Ping();
  ASSERT_TRUE(b_.drv->AddRequest({{1}}, {}).ok());
  ASSERT_TRUE(b_.drv->Kick().ok());
  b_.dev->QueueNotified(0);
  ASSERT_EQ(b_.ctx->failures().size(), 1u);
  // Failed, it answers no more pings; the reset comes as for a silent guest.
  ASSERT_TRUE(b_.drv->AddRequest({}, {1}).ok());
  ASSERT_TRUE(b_.drv->Kick().ok());
  b_.dev->QueueNotified(0);
  EXPECT_EQ(b_.dev->pings(), 1u);
  b_.RunTo(120 * kSecond);
  EXPECT_EQ(b_.resets.size(), 1u);
}

TEST_F(WatchdogDeviceTest, EveryPingOfAFloodIsAnswered) {
  // The ring holds 8; the guest refills it 2000 times.
  for (int round = 0; round < 2000; ++round) {
    for (int i = 0; i < kWatchdogMaxQueueSize; ++i) ASSERT_TRUE(b_.drv->AddRequest({}, {64}).ok());
    ASSERT_TRUE(b_.drv->Kick().ok());
    b_.dev->QueueNotified(0);
    for (int i = 0; i < kWatchdogMaxQueueSize; ++i) ASSERT_TRUE((*b_.drv->PopUsed()).has_value());
  }
  EXPECT_EQ(b_.dev->pings(), 16000u);
  EXPECT_TRUE(b_.ctx->failures().empty());
}

TEST(WatchdogRestoreTest, ARestoredArmedDeviceCountsFromItsActivation) {
  WatchdogBench b;
  ASSERT_TRUE(b.dev->Restore({.armed = true}).ok());
  b.RunTo(100 * kSecond);
  ASSERT_TRUE(b.Activate().ok());  // looks at 115 s, 130 s
  b.RunTo(130 * kSecond - 1);
  EXPECT_TRUE(b.resets.empty());
  b.RunTo(130 * kSecond);
  EXPECT_EQ(b.resets.size(), 1u);
}

TEST(WatchdogRestoreTest, RestoreIntoAnActiveDeviceIsRefused) {
  WatchdogBench b;
  ASSERT_TRUE(b.Activate().ok());
  EXPECT_EQ(b.dev->Restore({.armed = true}).error().code(), ErrorCode::kBusy);
}

// The shared snapshot suite: an armed device saves armed; no state is
// invalid (one flag).
struct WatchdogTraits {
  using Device = WatchdogDevice;
  std::vector<std::unique_ptr<WatchdogBench>> benches;
  std::unique_ptr<WatchdogDevice> Make() {
    return std::make_unique<WatchdogDevice>([](const std::string&) {});
  }
  void Drive(WatchdogDevice& d) {
    auto& b = *benches.emplace_back(std::make_unique<WatchdogBench>());
    ASSERT_TRUE(b.ctx->ActivateQueue(0, b.drv->QueueConfig()).ok());
    ASSERT_TRUE(d.Activate(*b.ctx).ok());
    ASSERT_TRUE(b.drv->AddRequest({}, {1}).ok());
    ASSERT_TRUE(b.drv->Kick().ok());
    d.QueueNotified(0);  // armed
  }
  std::vector<uint8_t> Observe(WatchdogDevice& d) { return {d.armed()}; }
  std::vector<WatchdogDeviceState> Invalid(const WatchdogDeviceState&) { return {}; }
};

}  // namespace
}  // namespace petrel::virtio

namespace petrel::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(VirtioWatchdog, DeviceStateTest, virtio::WatchdogTraits);
}  // namespace petrel::testing
