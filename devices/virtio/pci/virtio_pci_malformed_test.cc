// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice with a misbehaving guest or device: bad rings and sizes at
// queue_enable, doorbells on disabled queues, feature writes after FEATURES_OK,
// odd-width accesses everywhere, a device that fails -- each leaves the VMM
// running, sets DEVICE_NEEDS_RESET where the spec says so, and a reset
// brings the device back.
#include <gtest/gtest.h>

#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"

namespace petrel::virtio::testing {
namespace {

TEST_F(VirtioPciTest, QueueEnableWithRingsOutsideMemoryNeedsReset) {
  ASSERT_TRUE(ResetAndNegotiate());
  SplitQueue::Config c{
      .size = 16, .desc_gpa = (4 << 20) - 64, .avail_gpa = 0x2000, .used_gpa = 0x3000};
  guest_->SetupQueue(0, c, 1);
  EXPECT_EQ(guest_->Common(kCommonQueueEnable, 2), 0u);
  EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset);
  EXPECT_EQ(dev_->counters().failures, 1u);
  // Reset brings it back.
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  EXPECT_FALSE(guest_->Status() & kStatusDeviceNeedsReset);
}

TEST_F(VirtioPciTest, BadQueueSizesNeedReset) {
  for (uint16_t size : {uint16_t{3}, uint16_t{128}, uint16_t{0}}) {
    ASSERT_TRUE(ResetAndNegotiate());
    auto c = (*VirtqDriver::Create(memory_, {.size = 16})).QueueConfig();
    c.size = size;
    guest_->SetupQueue(0, c, 1);
    EXPECT_EQ(guest_->Common(kCommonQueueEnable, 2), 0u) << size;
    EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset) << size;
  }
}

TEST_F(VirtioPciTest, QueueRegistersAreFrozenOnceEnabled) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  ASSERT_TRUE(ResetAndNegotiate());
  guest_->SetupQueue(0, drv.QueueConfig(), 1);
  guest_->SetCommon(kCommonQueueSize, 2, 4);
  guest_->SetCommon(kCommonQueueDesc, 4, 0x5000);
  guest_->SetCommon(kCommonQueueEnable, 2, 0);
  EXPECT_EQ(guest_->Common(kCommonQueueSize, 2), 16u);
  EXPECT_EQ(guest_->Common(kCommonQueueDesc, 4), drv.QueueConfig().desc_gpa);
  EXPECT_EQ(guest_->Common(kCommonQueueEnable, 2), 1u);
}

TEST_F(VirtioPciTest, NotifyOnADisabledOrMissingQueueIsIgnored) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  const auto before = dev_->counters();
  guest_->Kick(1);  // exists, never enabled
  loop_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[1], 0);
  EXPECT_EQ(dev_->counters().ignored_notifies, before.ignored_notifies + 1);
  guest_->Write(guest_->caps[2].offset + 4 * 7, 2, 7);  // no queue 7
  guest_->Write(guest_->caps[2].offset + 1, 1, 0);      // off a doorbell
  loop_.RunUntilIdle();
  EXPECT_EQ(dev_->counters().bad_accesses, before.bad_accesses + 2);
  EXPECT_FALSE(guest_->Status() & kStatusDeviceNeedsReset);
  // Queue 0 still works.
  ASSERT_TRUE(drv.AddRequest({{1}}, {1}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_TRUE(drv.PopUsed()->has_value());
}

TEST_F(VirtioPciTest, NotifyBeforeDriverOkIsIgnored) {
  ASSERT_TRUE(ResetAndNegotiate());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[0], 0);
  EXPECT_EQ(dev_->counters().ignored_notifies, 1u);
}

TEST_F(VirtioPciTest, FeatureWritesAfterFeaturesOkAreIgnored) {
  ASSERT_TRUE(ResetAndNegotiate());
  guest_->SetDriverFeatures(0);
  EXPECT_EQ(dev_->driver_features(), kFeatures);
}

TEST_F(VirtioPciTest, DeviceFailureNeedsResetAndResetRecovers) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  const size_t msis = Msis().size();
  echo_->fail_next = true;
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset);
  EXPECT_EQ(dev_->counters().failures, 1u);
  ASSERT_EQ(Msis().size(), msis + 1);
  EXPECT_EQ(Msis().back().data, 0x40u);  // config vector
  EXPECT_EQ(guest_->Read(guest_->caps[3].offset, 1), kIsrConfig);
  // A driver write of status keeps NEEDS_RESET; doorbells are ignored.
  guest_->SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset);
  const int notifies = echo_->notifies[0];
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[0], notifies);

  auto drv2 = *VirtqDriver::Create(memory_, {.size = 16, .ring_gpa = 0x2'0000});
  BringUp(drv2);
  EXPECT_FALSE(guest_->Status() & kStatusDeviceNeedsReset);
  ASSERT_TRUE(drv2.AddRequest({{9, 8}}, {2}).ok());
  ASSERT_TRUE(drv2.Kick().ok());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  auto used = drv2.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, 2u);
}

TEST_F(VirtioPciTest, MalformedRingFailsTheDevice) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  ASSERT_TRUE(drv.SetAvailRing(0, 200).ok());  // head beyond the queue size
  ASSERT_TRUE(drv.SetAvailIdx(1).ok());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_TRUE(guest_->Status() & kStatusDeviceNeedsReset);
}

TEST_F(VirtioPciTest, OddWidthsAndOffsetsNeverCrash) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  // §4.1.3.1: wrong widths are ignored; reads give 0.
  EXPECT_EQ(guest_->Common(kCommonQueueSelect, 1), 0u);
  EXPECT_EQ(guest_->Common(kCommonNumQueues + 1, 1), 0u);
  EXPECT_EQ(guest_->Common(kCommonDeviceFeature, 2), 0u);
  guest_->SetCommon(kCommonNumQueues, 2, 99);
  EXPECT_EQ(guest_->Common(kCommonNumQueues, 2), 2u);
  guest_->SetCommon(kCommonDeviceStatus, 2, 0);  // wrong width: no reset
  loop_.RunUntilIdle();
  EXPECT_TRUE(dev_->active());
  // Every width at every offset of the BAR, both directions.
  const uint64_t size = *dev_->config().BarSize(0);
  for (uint64_t off = 0; off < size; off += 3) {
    for (size_t w : {1, 2, 3, 4, 8, 16}) {
      if (off >= 0x14 && off < 0x16) continue;  // status: would reset, tested above
      std::vector<uint8_t> buf(w, 0xff);
      dev_->BarRead(0, off, buf);
      dev_->BarWrite(0, off, buf);
    }
  }
  dev_->BarRead(1, 0, std::span<uint8_t>());
  dev_->BarWrite(5, 0, std::span<const uint8_t>());
  loop_.RunUntilIdle();
  EXPECT_GT(dev_->counters().bad_accesses, 0u);
}

TEST_F(VirtioPciTest, VectorsTheDeviceCannotMapReadNoVector) {
  ASSERT_TRUE(ResetAndNegotiate());
  guest_->SetCommon(kCommonConfigMsixVector, 2, 3);  // 3 vectors: 0..2
  EXPECT_EQ(guest_->Common(kCommonConfigMsixVector, 2), kMsixNoVector);
  guest_->SetCommon(kCommonQueueSelect, 2, 0);
  guest_->SetCommon(kCommonQueueMsixVector, 2, 2);
  EXPECT_EQ(guest_->Common(kCommonQueueMsixVector, 2), 2u);
  guest_->SetCommon(kCommonQueueMsixVector, 2, 0x8000);
  EXPECT_EQ(guest_->Common(kCommonQueueMsixVector, 2), kMsixNoVector);
}

TEST_F(VirtioPciTest, RestoreRejectsInconsistentStates) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  const auto good = dev_->Save();
  auto fresh = [&] {
    return *VirtioPciDevice::Create(std::make_shared<EchoDevice>(), memory_, loop_, io_, vm_.get());
  };
  auto bad = good;
  bad.queues[1] = {.size = 128, .enabled = true, .desc = drv.QueueConfig().desc_gpa};
  EXPECT_FALSE(fresh()->Restore(bad).ok());
  bad = good;
  bad.queues[0].desc = 4 << 20;  // registers disagree with the ring
  EXPECT_FALSE(fresh()->Restore(bad).ok());
  bad = good;
  bad.driver_features |= FeatureBit(40);  // never offered
  EXPECT_FALSE(fresh()->Restore(bad).ok());
  bad = good;
  bad.msix.control = 0;  // disagrees with the config space
  EXPECT_FALSE(fresh()->Restore(bad).ok());
  auto ok = fresh();
  EXPECT_TRUE(ok->Restore(good).ok());
  loop_.RunUntilIdle();
}

TEST(VirtioPciCreate, RejectsBadDevices) {
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  IoDispatcher io;
  auto hv = sim::MakeSimHypervisor();
  auto vm = *hv->CreateVm({});
  auto mem = *GuestMemory::CreateX86(1 << 20);
  EXPECT_FALSE(
      VirtioPciDevice::Create(std::make_shared<EchoDevice>(0), mem, loop, io, vm.get()).ok());
  EXPECT_FALSE(
      VirtioPciDevice::Create(std::make_shared<EchoDevice>(1, 48), mem, loop, io, vm.get()).ok());
  EXPECT_FALSE(
      VirtioPciDevice::Create(std::make_shared<EchoDevice>(), mem, loop, io, nullptr).ok());
  auto many =
      VirtioPciDevice::Create(std::make_shared<EchoDevice>(1024, 256), mem, loop, io, vm.get());
  ASSERT_TRUE(many.ok()) << many.error().message();
  EXPECT_EQ((*many)->msix().layout().vectors, 1025);
}

}  // namespace
}  // namespace petrel::virtio::testing
