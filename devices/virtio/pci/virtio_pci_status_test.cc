// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The virtio-pci transport's device status state machine (virtio 1.2 §2.1,
// §3.1.1, §4.1.4.3) against a hostile driver: bits may only be added, except
// by a reset; features are frozen from FEATURES_OK and snapshotted at
// DRIVER_OK; a reset written while the device is being activated waits for
// the activation; status writes cannot grow the loop's posted work; a driver
// that accepts no feature bit at all still gets a working device; a doorbell
// computed for a queue that does not exist rings nothing.
#include <gtest/gtest.h>

#include <functional>

#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"

namespace petrel::virtio::testing {
namespace {

constexpr uint64_t kEchoFeatures =
    FeatureBit(kFVersion1) | FeatureBit(kFEventIdx) | FeatureBit(kFIndirectDesc) | FeatureBit(0);
constexpr uint8_t kAckDriver = kStatusAcknowledge | kStatusDriver;
constexpr uint8_t kNegotiated = kAckDriver | kStatusFeaturesOk;
constexpr uint8_t kRunning = kNegotiated | kStatusDriverOk;

// Sets up queue 0 and MSI-X without DRIVER_OK.
void SetUpQueue(PciGuest& guest, VirtqDriver& drv) {
  guest.EnableMsix(3);
  guest.SetCommon(kCommonConfigMsixVector, 2, 0);
  guest.SetupQueue(0, drv.QueueConfig(), 1);
}

// Issue: each DRIVER_OK 0->1 transition posted a new activation, so a driver
// toggling 0xB/0xF while the loop was busy grew the posted queue without
// limit. Now clearing DRIVER_OK is a protocol error and at most one
// activation is ever pending.
// Cloud Hypervisor's virtio-device events: "activated" once the device is
// live, "reset" once a driver's reset has reached it (not for a reset of a
// device that never activated).
TEST_F(VirtioPciTest, ActivationAndResetAreReported) {
  std::vector<std::string> seen;
  VirtioPciBench::TearDown();
  ASSERT_NO_FATAL_FAILURE(Init(echo_, "echo", {.on_lifecycle = [&](std::string_view event) {
                                 seen.emplace_back(event);
                               }}));
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  ASSERT_TRUE(ResetAndNegotiate());  // a reset of an inactive device: nothing
  EXPECT_TRUE(seen.empty());
  BringUp(drv);
  EXPECT_EQ(seen, (std::vector<std::string>{"activated"}));
  guest_->SetStatus(0);
  loop_.RunUntilIdle();
  EXPECT_EQ(seen, (std::vector<std::string>{"activated", "reset"}));
}

TEST_F(VirtioPciTest, StatusTogglingCannotGrowThePostedWork) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  ASSERT_TRUE(ResetAndNegotiate());
  SetUpQueue(*guest_, drv);
  for (int i = 0; i < 200'000; ++i) {
    guest_->SetStatus(kNegotiated);
    guest_->SetStatus(kRunning);
  }
  EXPECT_LE(loop_.pending(), 1u);
  loop_.RunUntilIdle();
  EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset);
  EXPECT_EQ(echo_->activations, 0);  // failed before the activation ran
  // A reset brings it back.
  BringUp(drv);
  EXPECT_EQ(echo_->activations, 1);
}

// Issue: a non-zero status write without FEATURES_OK cleared it, after which
// the driver could rewrite the features of a running device.
TEST_F(VirtioPciTest, ClearingStatusBitsNeedsResetAndKeepsTheFeatures) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  const uint64_t negotiated = echo_->context()->features();
  guest_->SetStatus(kAckDriver);  // FEATURES_OK and DRIVER_OK cleared
  EXPECT_EQ(guest_->Status(), kRunning | kStatusDeviceNeedsReset);
  guest_->SetDriverFeatures(0);
  EXPECT_EQ(dev_->driver_features(), negotiated);
  EXPECT_EQ(echo_->context()->features(), negotiated);
  EXPECT_EQ(dev_->counters().failures, 1u);
  // Adding bits (FAILED) is allowed and keeps NEEDS_RESET.
  guest_->SetStatus(kRunning | kStatusFailed);
  EXPECT_EQ(guest_->Status(), kRunning | kStatusFailed | kStatusDeviceNeedsReset);
  // Only a reset recovers.
  BringUp(drv);
  EXPECT_FALSE(guest_->Status() & kStatusDeviceNeedsReset);
}

TEST_F(VirtioPciTest, FeaturesAreSnapshottedAtDriverOk) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  const uint64_t negotiated = echo_->context()->features();
  // Writes to driver_feature after FEATURES_OK are ignored (§3.1.1 step 5).
  guest_->SetDriverFeatures(FeatureBit(kFVersion1));
  EXPECT_EQ(echo_->context()->features(), negotiated);
}

TEST_F(VirtioPciTest, DriverOkWithoutFeaturesOkNeedsReset) {
  guest_->SetStatus(0);
  loop_.RunUntilIdle();
  guest_->SetStatus(kAckDriver);
  guest_->SetStatus(kAckDriver | kStatusDriverOk);
  loop_.RunUntilIdle();
  EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset);
  EXPECT_FALSE(dev_->active());
  EXPECT_EQ(echo_->activations, 0);
}

// A device whose Activate() lets a test act as a vCPU thread would while the
// loop thread is inside it.
class HookedEchoDevice final : public VirtioDevice {
 public:
  uint16_t device_type() const override { return echo.device_type(); }
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override { return echo.device_features(); }
  uint16_t queue_count() const override { return echo.queue_count(); }
  uint16_t max_queue_size() const override { return echo.max_queue_size(); }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override {
    echo.ReadConfig(offset, data);
  }
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override {
    echo.WriteConfig(offset, data);
  }
  Result<void> Activate(VirtioContext& context) override {
    PETREL_TRY(echo.Activate(context));
    if (during_activate) during_activate();
    return Ok();
  }
  void QueueNotified(uint16_t index) override { echo.QueueNotified(index); }
  void Reset() override { echo.Reset(); }

  EchoDevice echo;
  std::function<void()> during_activate;
};

class VirtioPciActivationTest : public ::testing::Test, protected VirtioPciBench {
 protected:
  VirtioPciActivationTest() : VirtioPciBench(4 << 20) {}
  void SetUp() override {
    hooked_ = std::make_shared<HookedEchoDevice>();
    ASSERT_NO_FATAL_FAILURE(Init(hooked_, "hooked"));
  }
  std::shared_ptr<HookedEchoDevice> hooked_;
};

// Issue: active_ was set only after Activate() returned, so a driver that
// cleared DRIVER_OK and wrote 0 meanwhile reset the queues on its vCPU
// thread (racing the loop) and the transport stayed "active" with dead
// queues, never calling Reset().
TEST_F(VirtioPciActivationTest, ResetWrittenDuringActivationRunsAfterIt) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  ASSERT_TRUE(ResetAndNegotiate(kEchoFeatures));
  SetUpQueue(guest(), drv);
  hooked_->during_activate = [this] {
    guest().SetStatus(kNegotiated);  // clear DRIVER_OK
    guest().SetStatus(0);            // and reset
    EXPECT_NE(guest().Status(), 0) << "the reset must wait for the activation";
  };
  guest().SetStatus(kRunning);
  loop_.RunUntilIdle();
  EXPECT_EQ(guest().Status(), 0);
  EXPECT_FALSE(dev().active());
  EXPECT_EQ(hooked_->echo.activations, 1);
  EXPECT_EQ(hooked_->echo.resets, 1);
  // And the device comes back.
  hooked_->during_activate = nullptr;
  auto drivers = MakeDrivers(2);
  BringUp(drivers, kEchoFeatures);
  EXPECT_EQ(hooked_->echo.activations, 2);
}

// Issue: FEATURES_OK needed VIRTIO_F_VERSION_1, so a driver that accepts no
// feature bit (minimal guests, test drivers) could use no device. Cloud
// Hypervisor and QEMU accept it; so does Petrel, with the modern layout.
TEST_F(VirtioPciTest, DriverThatAcceptsNoFeatureGetsAWorkingDevice) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv, /*accept=*/0);
  EXPECT_EQ(echo_->context()->features(), 0u);
  ASSERT_TRUE(drv.AddRequest({{1, 2, 3}}, {3}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  auto used = drv.PopUsed();
  ASSERT_TRUE(used.ok());
  ASSERT_TRUE(used->has_value());
  EXPECT_EQ((*used)->len, 3u);
}

// Issue: queue_notify_off read 0 for a queue_select with no queue, so a
// kick computed for it rang queue 0.
TEST_F(VirtioPciTest, NotifyOffOfAMissingQueueRingsNoDoorbell) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  ASSERT_TRUE(drv.AddRequest({{1}}, {1}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  const int before = echo_->notifies[0];
  for (uint16_t select : {uint16_t{2}, uint16_t{0xffff}}) {
    guest_->SetCommon(kCommonQueueSelect, 2, select);
    const uint64_t off = guest_->Common(kCommonQueueNotifyOff, 2);
    EXPECT_GE(off, dev_->device().queue_count());
    // The address lies inside BAR0 (it reaches no other device).
    const uint64_t addr = guest_->caps[2].offset + off * guest_->multiplier;
    EXPECT_LT(addr, dev_->layout().msix_table_offset);
    guest_->Write(addr, 2, select);
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[0], before);
  EXPECT_FALSE(guest_->Status() & kStatusDeviceNeedsReset);
}

}  // namespace
}  // namespace petrel::virtio::testing
