// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for RngDevice (virtio 1.2 §5.4) through a fake transport context.
#include "devices/virtio/rng/rng_device.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

class RngDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(4 << 20);
    drv_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(mem_, {.size = 16}));
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, 1);
    ASSERT_TRUE(ctx_->ActivateQueue(0, drv_->QueueConfig()).ok());
    ASSERT_TRUE(dev_.Activate(*ctx_).ok());
  }
  // What SplitMix64(seed) yields for the first `len` bytes.
  static std::vector<uint8_t> Expected(uint64_t seed, size_t len) {
    SplitMix64 r(seed);
    std::vector<uint8_t> v(len);
    r.Fill(v);
    return v;
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<VirtqDriver> drv_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  SplitMix64 random_{42};
  RngDevice dev_{RandomEntropySource(random_)};
};

TEST_F(RngDeviceTest, Identity) {
  EXPECT_EQ(dev_.device_type(), 4);
  EXPECT_EQ(dev_.device_features(), 0u);
  EXPECT_EQ(dev_.queue_count(), 1);
  EXPECT_EQ(dev_.max_queue_size(), 256);
  std::vector<uint8_t> cfg(8, 0xaa);
  dev_.ReadConfig(0, cfg);
  EXPECT_EQ(cfg, std::vector<uint8_t>(8, 0));
}

TEST_F(RngDeviceTest, FillsWritableBuffer) {
  auto req = *drv_->AddRequest({}, {32});
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  auto used = *drv_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->id, req.head);
  EXPECT_EQ(used->len, 32u);
  EXPECT_EQ(*drv_->ReadBytes(req.segments[0].gpa, 32), Expected(42, 32));
  EXPECT_EQ(ctx_->signals(0), 1u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(RngDeviceTest, MultipleChainsAndSplitBuffers) {
  auto a = *drv_->AddRequest({}, {8, 8});
  auto b = *drv_->AddRequest({}, {16}, /*indirect=*/false);
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  auto ua = *drv_->PopUsed();
  auto ub = *drv_->PopUsed();
  ASSERT_TRUE(ua && ub);
  EXPECT_EQ(ua->len, 16u);
  EXPECT_EQ(ub->len, 16u);
  auto expected = Expected(42, 32);
  auto a0 = *drv_->ReadBytes(a.segments[0].gpa, 8);
  auto a1 = *drv_->ReadBytes(a.segments[1].gpa, 8);
  auto b0 = *drv_->ReadBytes(b.segments[0].gpa, 16);
  EXPECT_EQ(a0, std::vector<uint8_t>(expected.begin(), expected.begin() + 8));
  EXPECT_EQ(a1, std::vector<uint8_t>(expected.begin() + 8, expected.begin() + 16));
  EXPECT_EQ(b0, std::vector<uint8_t>(expected.begin() + 16, expected.end()));
}

TEST_F(RngDeviceTest, CapsBytesPerChain) {
  auto req = *drv_->AddRequest({}, {kRngMaxBytesPerChain + 4096});
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  auto used = *drv_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->id, req.head);
  EXPECT_EQ(used->len, kRngMaxBytesPerChain);
}

TEST_F(RngDeviceTest, ReadableOnlyChainFails) {
  ASSERT_TRUE(drv_->AddRequest({{1, 2, 3}}, {}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  ASSERT_EQ(ctx_->failures().size(), 1u);
  EXPECT_FALSE((*drv_->PopUsed()).has_value());
  // Failed: further doorbells do nothing until reset.
  ASSERT_TRUE(drv_->AddRequest({}, {8}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  EXPECT_EQ(ctx_->failures().size(), 1u);
  EXPECT_FALSE((*drv_->PopUsed()).has_value());
}

TEST_F(RngDeviceTest, BadRingFails) {
  ASSERT_TRUE(drv_->SetAvailRing(0, 999).ok());  // head out of range
  ASSERT_TRUE(drv_->SetAvailIdx(1).ok());
  dev_.QueueNotified(0);
  EXPECT_EQ(ctx_->failures().size(), 1u);
}

TEST_F(RngDeviceTest, ResetThenActivateWorks) {
  ASSERT_TRUE(drv_->AddRequest({{1}}, {}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  ASSERT_EQ(ctx_->failures().size(), 1u);
  dev_.Reset();
  dev_.QueueNotified(0);  // not active: ignored
  // A fresh driver and queues, as after a device reset.
  mem_ = *GuestMemory::CreateX86(4 << 20);
  drv_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(mem_, {.size = 8}));
  ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, 1);
  ASSERT_TRUE(ctx_->ActivateQueue(0, drv_->QueueConfig()).ok());
  ASSERT_TRUE(dev_.Activate(*ctx_).ok());
  ASSERT_TRUE(drv_->AddRequest({}, {4}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(0);
  auto used = *drv_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, 4u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(RngDeviceTest, NotReadyQueueIgnored) {
  FakeVirtioContext idle(mem_, loop_, 1);  // queue never activated
  RngDevice dev(RandomEntropySource(random_));
  ASSERT_TRUE(dev.Activate(idle).ok());
  dev.QueueNotified(0);
  dev.QueueNotified(7);  // out of range
  EXPECT_TRUE(idle.failures().empty());
  EXPECT_EQ(idle.signals(0), 0u);
}

TEST(RngCreateTest, OpensFileSource) {
  auto dev = RngDevice::Create({.src = "/dev/urandom"});
  ASSERT_TRUE(dev.ok());
  auto missing = RngDevice::Create({.src = "/nonexistent/rng"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("/nonexistent/rng"), std::string::npos);
}

TEST(RngCreateTest, FileSourceReadsBytesAndReportsEof) {
  auto zero = *FileEntropySource("/dev/zero");
  std::vector<uint8_t> buf(16, 0xff);
  ASSERT_TRUE(zero(buf).ok());
  EXPECT_EQ(buf, std::vector<uint8_t>(16, 0));
  auto null = *FileEntropySource("/dev/null");
  EXPECT_FALSE(null(buf).ok());
}

}  // namespace
}  // namespace petrel::virtio
