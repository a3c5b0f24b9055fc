// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice with a well-behaved guest: config space identity, feature
// negotiation, a request through the echo device with its MSI-X interrupt,
// doorbells through IoDispatcher that follow BAR0, the PCI_CFG window, config
// changes, reset, and Save/Restore.
#include "devices/virtio/pci/virtio_pci_device.h"

#include <gtest/gtest.h>

#include <bit>

#include "devices/pci/pci_bus.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"

namespace petrel::virtio::testing {
namespace {

TEST_F(VirtioPciTest, ConfigSpaceIdentifiesAModernVirtioDevice) {
  auto& c = dev_->config();
  EXPECT_EQ(c.Read(kPciVendorId, 2), 0x1af4u);
  EXPECT_EQ(c.Read(kPciDeviceId, 2), 0x1040u + kDeviceIdEntropy);
  EXPECT_EQ(c.Read(kPciRevisionId, 1), 1u);
  EXPECT_EQ(c.Read(kPciRevisionId, 4) >> 8, 0x00ff00u);
  EXPECT_EQ(c.Read(kPciSubsystemVendorId, 2), 0x1af4u);
  EXPECT_EQ(c.Read(kPciSubsystemId, 2), 0x40u);
  EXPECT_EQ(c.Read(kPciInterruptPin, 1), 0u);
  EXPECT_EQ(c.BarKindAt(0), PciBarKind::kMmio64);
  const uint64_t size = *c.BarSize(0);
  EXPECT_TRUE(std::has_single_bit(size));
  for (uint8_t type = 1; type <= 4; ++type) {
    ASSERT_TRUE(guest_->caps.count(type)) << int{type};
    const auto& cap = guest_->caps[type];
    EXPECT_EQ(cap.bar, 0);
    EXPECT_EQ(cap.offset % 0x1000, 0u);
    EXPECT_LE(uint64_t{cap.offset} + cap.length, size);
  }
  EXPECT_TRUE(guest_->caps.count(kVirtioPciCapPciCfg));
  EXPECT_EQ(guest_->multiplier, 4u);
  EXPECT_EQ(guest_->caps[2].length, 2 * 4u);
  ASSERT_NE(guest_->msix_cap, 0);
  EXPECT_EQ(guest_->CfgRead(guest_->msix_cap + kMsixCapControl, 2) & kMsixControlTableSize, 2u);
  EXPECT_EQ(dev_->layout().msix_table_offset % 0x1000, 0u);
  EXPECT_EQ(dev_->layout().msix_pba_offset % 0x1000, 0u);
  EXPECT_LE(dev_->layout().msix_pba_offset + 0x1000, size);
}

TEST_F(VirtioPciTest, OffersTransportFeaturesAndKeepsOnlyOfferedBits) {
  EXPECT_EQ(guest_->DeviceFeatures(), kFeatures);
  guest_->SetCommon(kCommonDeviceFeatureSelect, 4, 7);
  EXPECT_EQ(guest_->Common(kCommonDeviceFeature, 4), 0u);
  guest_->SetDriverFeatures(~uint64_t{0});
  EXPECT_EQ(dev_->driver_features(), kFeatures);
  EXPECT_EQ(guest_->Common(kCommonNumQueues, 2), 2u);
  guest_->SetCommon(kCommonQueueSelect, 2, 1);
  EXPECT_EQ(guest_->Common(kCommonQueueSize, 2), 64u);
  EXPECT_EQ(guest_->Common(kCommonQueueNotifyOff, 2), 1u);
  guest_->SetCommon(kCommonQueueSelect, 2, 9);  // no such queue
  EXPECT_EQ(guest_->Common(kCommonQueueSize, 2), 0u);
}

TEST_F(VirtioPciTest, EchoRequestCompletesWithQueueInterrupt) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  EXPECT_EQ(echo_->activations, 1);
  auto req = drv.AddRequest({{1, 2, 3}, {4}}, {8});
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(drv.Kick().ok());
  const size_t before = Msis().size();
  guest_->Kick(0);
  loop_.RunUntilIdle();
  auto used = drv.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->id, req->head);
  EXPECT_EQ((*used)->len, 4u);
  EXPECT_EQ(*drv.ReadBytes(req->segments.back().gpa, 4), (std::vector<uint8_t>{1, 2, 3, 4}));
  auto msis = Msis();
  ASSERT_EQ(msis.size(), before + 1);
  EXPECT_EQ(msis.back().address, 0xfee00000u);
  EXPECT_EQ(msis.back().data, 0x41u);  // queue 0 -> vector 1
  // §4.1.4.5: ISR bit 0 set, cleared by the read.
  EXPECT_EQ(guest_->Read(guest_->caps[3].offset, 1), kIsrQueue);
  EXPECT_EQ(guest_->Read(guest_->caps[3].offset, 1), 0u);
}

TEST_F(VirtioPciTest, NoInterruptWhenTheDriverSuppressesIt) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv, kFeatures & ~FeatureBit(kFEventIdx));
  ASSERT_TRUE(drv.SetAvailFlags(kAvailFNoInterrupt).ok());
  ASSERT_TRUE(drv.AddRequest({{7}}, {1}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  const size_t before = Msis().size();
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_TRUE(drv.PopUsed()->has_value());
  EXPECT_EQ(Msis().size(), before);
}

TEST_F(VirtioPciTest, DoorbellsFollowBar0ThroughTheIoDispatcher) {
  dev_->config().SetBarMovedCallback(
      [this](int bar, uint64_t o, uint64_t n) { dev_->BarMoved(bar, o, n); });
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  auto map_at = [&](uint64_t addr) {
    guest_->CfgWrite(kPciBar0, 4, static_cast<uint32_t>(addr));
    guest_->CfgWrite(kPciBar0 + 4, 4, static_cast<uint32_t>(addr >> 32));
    guest_->CfgWrite(kPciCommand, 2, kPciCommandMemorySpace | kPciCommandBusMaster);
  };
  auto ring = [&](uint64_t addr) {
    ASSERT_TRUE(drv.AddRequest({{5}}, {1}).ok());
    ASSERT_TRUE(drv.Kick().ok());
    const uint8_t idx[2] = {0, 0};
    io_.MmioWrite(0, addr + 0x3000, idx);
    loop_.RunUntilIdle();
  };
  map_at(0xe000'0000);
  const uint64_t signalled = io_.software_ioevents_signalled();
  ring(0xe000'0000);
  EXPECT_EQ(io_.software_ioevents_signalled(), signalled + 1);
  EXPECT_TRUE(drv.PopUsed()->has_value());

  guest_->CfgWrite(kPciCommand, 2, 0);  // unmapped: no doorbell
  map_at(0x1'0000'0000);
  ring(0xe000'0000);
  EXPECT_EQ(io_.software_ioevents_signalled(), signalled + 1);
  EXPECT_FALSE(drv.PopUsed()->has_value());
  ring(0x1'0000'0000);  // the new address serves both requests
  EXPECT_EQ(io_.software_ioevents_signalled(), signalled + 2);
  EXPECT_TRUE(drv.PopUsed()->has_value());
  EXPECT_TRUE(drv.PopUsed()->has_value());
}

TEST_F(VirtioPciTest, DeviceConfigThroughBarAndPciCfgWindow) {
  const uint64_t dcfg = guest_->caps[4].offset;
  EXPECT_EQ(guest_->Read(dcfg, 4), 0x04030201u);
  EXPECT_EQ(guest_->Read(dcfg + 2, 1), 3u);
  guest_->Write(dcfg + 1, 1, 0x99);
  EXPECT_EQ(guest_->Read(dcfg, 4), 0x04039901u);

  // §4.1.4.9: bar/offset/length select, pci_cfg_data reads and writes.
  const uint8_t w = guest_->caps[kVirtioPciCapPciCfg].at;
  guest_->CfgWrite(w + kVirtioCapBar, 1, 0);
  guest_->CfgWrite(w + kVirtioCapOffset, 4, static_cast<uint32_t>(dcfg));
  guest_->CfgWrite(w + kVirtioCapLength, 4, 4);
  EXPECT_EQ(guest_->CfgRead(w + kVirtioPciCfgCapData, 4), 0x04039901u);
  guest_->CfgWrite(w + kVirtioCapOffset, 4, guest_->caps[1].offset + kCommonQueueSelect);
  guest_->CfgWrite(w + kVirtioCapLength, 4, 2);
  guest_->CfgWrite(w + kVirtioPciCfgCapData, 4, 1);
  EXPECT_EQ(guest_->Common(kCommonQueueSelect, 2), 1u);
  EXPECT_EQ(guest_->CfgRead(w + kVirtioPciCfgCapData, 2), 1u);
  // A misaligned or oversized window does nothing.
  guest_->CfgWrite(w + kVirtioCapOffset, 4, guest_->caps[1].offset + kCommonQueueSelect + 1);
  guest_->CfgWrite(w + kVirtioPciCfgCapData, 4, 0);
  EXPECT_EQ(guest_->Common(kCommonQueueSelect, 2), 1u);
  guest_->CfgWrite(w + kVirtioCapLength, 4, 3);
  EXPECT_EQ(guest_->CfgRead(w + kVirtioPciCfgCapData, 4), 0u);
}

TEST_F(VirtioPciTest, PciCfgWindowWorksThroughThePciBus) {
  PciBus bus;
  const uint8_t slot = *bus.AddDevice(dev_, std::nullopt);
  const uint8_t w = guest_->caps[kVirtioPciCapPciCfg].at;
  bus.WriteConfig(slot, 0, w + kVirtioCapOffset, 4, guest_->caps[1].offset + kCommonNumQueues);
  bus.WriteConfig(slot, 0, w + kVirtioCapLength, 4, 2);
  EXPECT_EQ(bus.ReadConfig(slot, 0, w + kVirtioPciCfgCapData, 2), 2u);
  // The ISR read through the window clears it, like a BAR read.
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  echo_->context()->SignalConfigChange();
  bus.WriteConfig(slot, 0, w + kVirtioCapOffset, 4, guest_->caps[3].offset);
  bus.WriteConfig(slot, 0, w + kVirtioCapLength, 4, 1);
  EXPECT_EQ(bus.ReadConfig(slot, 0, w + kVirtioPciCfgCapData, 1), kIsrConfig);
  EXPECT_EQ(bus.ReadConfig(slot, 0, w + kVirtioPciCfgCapData, 1), 0u);
}

TEST_F(VirtioPciTest, ConfigChangeBumpsGenerationAndRaisesConfigVector) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  const uint64_t gen = guest_->Common(kCommonConfigGeneration, 1);
  const size_t before = Msis().size();
  ASSERT_NE(echo_->context(), nullptr);
  echo_->context()->SignalConfigChange();
  EXPECT_EQ(guest_->Common(kCommonConfigGeneration, 1), (gen + 1) & 0xff);
  ASSERT_EQ(Msis().size(), before + 1);
  EXPECT_EQ(Msis().back().data, 0x40u);
  EXPECT_EQ(guest_->Read(guest_->caps[3].offset, 1), kIsrConfig);
}

TEST_F(VirtioPciTest, ResetStopsTheDeviceAndClearsRegisters) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  guest_->SetStatus(0);
  EXPECT_NE(guest_->Status(), 0);  // not finished until the loop ran it
  loop_.RunUntilIdle();
  EXPECT_EQ(guest_->Status(), 0);
  EXPECT_EQ(echo_->resets, 1);
  EXPECT_FALSE(dev_->active());
  EXPECT_EQ(dev_->driver_features(), 0u);
  EXPECT_EQ(guest_->Common(kCommonConfigMsixVector, 2), kMsixNoVector);
  guest_->SetCommon(kCommonQueueSelect, 2, 0);
  EXPECT_EQ(guest_->Common(kCommonQueueEnable, 2), 0u);
  EXPECT_EQ(guest_->Common(kCommonQueueMsixVector, 2), kMsixNoVector);
  EXPECT_EQ(guest_->Common(kCommonQueueSize, 2), 64u);
  // A kick now reaches nobody.
  ASSERT_TRUE(drv.AddRequest({{1}}, {1}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[0], 1);  // only the one at activation
  // And it comes back.
  auto drv2 = *VirtqDriver::Create(memory_, {.size = 8, .ring_gpa = 0x2'0000});
  BringUp(drv2);
  EXPECT_EQ(echo_->activations, 2);
}

// VM teardown: destroying the transport of an active device resets the
// device (virtio_device.h: Reset() also runs when the VM is torn down), so it
// drops work that points into guest memory and its pointer to the context.
TEST_F(VirtioPciTest, DestroyingTheTransportResetsAnActiveDevice) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  ASSERT_EQ(echo_->resets, 0);
  guest_.reset();
  dev_.reset();
  EXPECT_EQ(echo_->resets, 1);
}

TEST_F(VirtioPciTest, DestroyingTheTransportOfAnInactiveDeviceDoesNotResetIt) {
  guest_.reset();
  dev_.reset();
  EXPECT_EQ(echo_->resets, 0);
}

TEST_F(VirtioPciTest, SaveRestoreRoundTripAndResume) {
  auto drv = *VirtqDriver::Create(memory_, {.size = 16});
  BringUp(drv);
  ASSERT_TRUE(drv.AddRequest({{1}}, {1}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  guest_->Kick(0);
  loop_.RunUntilIdle();
  ASSERT_TRUE(drv.PopUsed()->has_value());
  const auto state = dev_->Save();
  EXPECT_TRUE(state.queues[0].ring.ready);
  EXPECT_EQ(state.queues[0].ring.next_avail, 1);
  EXPECT_FALSE(state.queues[1].enabled);

  // Restoring into the active device is refused.
  EXPECT_EQ(dev_->Restore(state).error().code(), ErrorCode::kBusy);

  auto echo2 = std::make_shared<EchoDevice>();
  auto dev2 = *VirtioPciDevice::Create(echo2, memory_, loop_, io_, vm_.get());
  ASSERT_TRUE(dev2->Restore(state).ok());
  EXPECT_EQ(dev2->Save(), state);
  loop_.RunUntilIdle();
  EXPECT_TRUE(dev2->active());
  EXPECT_EQ(echo2->activations, 1);
  PciGuest g2(*dev2);
  g2.FindCaps();
  ASSERT_TRUE(drv.AddRequest({{2}}, {1}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  g2.Kick(0);
  loop_.RunUntilIdle();
  auto used = drv.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ(Msis().back().data, 0x41u);  // the restored MSI-X entry

  // A state with a different queue count is rejected.
  auto other =
      *VirtioPciDevice::Create(std::make_shared<EchoDevice>(3), memory_, loop_, io_, vm_.get());
  EXPECT_FALSE(other->Restore(state).ok());
}

}  // namespace
}  // namespace petrel::virtio::testing
