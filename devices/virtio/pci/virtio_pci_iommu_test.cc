// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// A device behind the virtio-iommu through the virtio-pci transport on
// hv_sim: it offers VIRTIO_F_ACCESS_PLATFORM, its rings and buffers are
// IOVAs the IOMMU's mappings translate, and an unmapped ring or buffer is a
// fault the IOMMU reports, costing the guest the device (DEVICE_NEEDS_RESET)
// and never reaching memory nothing maps.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/virtio/iommu/iommu_device.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"

namespace petrel::virtio::testing {
namespace {

constexpr uint32_t kEp = 0x18;                       // 00:03.0
constexpr uint64_t kIovaOffset = 0x10'0000'0000ull;  // IOVA = GPA + this
constexpr uint64_t kAccessPlatform = FeatureBit(kFAccessPlatform);

class VirtioPciIommuTest : public ::testing::Test, protected VirtioPciBench {
 protected:
  VirtioPciIommuTest() : VirtioPciBench(4 << 20) {}
  void SetUp() override {
    VirtioPciOptions options;
    options.dma = iommu_.DmaFor(kEp);
    ASSERT_NO_FATAL_FAILURE(Init(echo_, "echo", options));
  }
  void TearDown() override { VirtioPciBench::TearDown(); }

  // The guest's IOMMU driver: endpoint in domain 1, all 4 MiB of RAM at
  // kIovaOffset, read-write.
  void MapAllRam() {
    auto m = iommu_.mappings();
    ASSERT_EQ(m->Attach(1, kEp, 0), kIommuStatusOk);
    ASSERT_EQ(m->Map(1, kIovaOffset, kIovaOffset + (4 << 20) - 1, 0,
                     kIommuMapRead | kIommuMapWrite),
              kIommuStatusOk);
  }
  static SplitQueue::Config AtIova(SplitQueue::Config c) {
    c.desc_gpa += kIovaOffset;
    c.avail_gpa += kIovaOffset;
    c.used_gpa += kIovaOffset;
    return c;
  }
  void BringUpAtIova(VirtqDriver& drv) {
    ASSERT_TRUE(ResetAndNegotiate(kTransportFeatures | FeatureBit(0) | kAccessPlatform));
    guest_->EnableMsix(3);
    guest_->SetCommon(kCommonConfigMsixVector, 2, 0);
    guest_->SetupQueue(0, AtIova(drv.QueueConfig()), 1);
    guest_->SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    loop_.RunUntilIdle();
  }

  IommuDevice iommu_{{kEp}};
  std::shared_ptr<EchoDevice> echo_ = std::make_shared<EchoDevice>();
};

TEST_F(VirtioPciIommuTest, OffersAccessPlatform) {
  EXPECT_NE(guest_->DeviceFeatures() & kAccessPlatform, 0u);
  EXPECT_NE(dev_->offered_features() & kAccessPlatform, 0u);
}

TEST_F(VirtioPciIommuTest, RingsAndBuffersAreIovasTheMappingsTranslate) {
  MapAllRam();
  auto drivers = MakeDrivers(1);
  ASSERT_NO_FATAL_FAILURE(BringUpAtIova(drivers[0]));
  ASSERT_TRUE(dev_->active());
  const std::vector<uint8_t> msg = {'t', 'r', 'a', 'n', 's', 'l', 'a', 't', 'e', 'd'};
  const uint64_t in = *drivers[0].AllocBytes(msg);
  const uint64_t out = *drivers[0].Alloc(16);
  ASSERT_TRUE(drivers[0]
                  .AddChain({{in + kIovaOffset, static_cast<uint32_t>(msg.size()), false},
                             {out + kIovaOffset, 16, true}})
                  .ok());
  ASSERT_NO_FATAL_FAILURE(KickAndRun(drivers, 0));
  auto used = drivers[0].PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, msg.size());
  auto echoed = drivers[0].ReadBytes(out, static_cast<uint32_t>(msg.size()));
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(*echoed, msg);
  EXPECT_EQ(iommu_.faults().reported(), 0u);
  EXPECT_EQ(guest_->Status() & kStatusDeviceNeedsReset, 0);
}

TEST_F(VirtioPciIommuTest, ARingNothingMapsIsAFaultAtQueueEnable) {
  // Attached, nothing mapped: the rings' IOVAs fault.
  ASSERT_EQ(iommu_.mappings()->Attach(1, kEp, 0), kIommuStatusOk);
  auto drivers = MakeDrivers(1);
  BringUpAtIova(drivers[0]);
  EXPECT_FALSE(dev_->active());
  EXPECT_NE(guest_->Status() & kStatusDeviceNeedsReset, 0);
  EXPECT_GE(iommu_.faults().reported(), 1u);
  auto fault = iommu_.faults().Take();
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->endpoint, kEp);
  EXPECT_EQ(fault->reason, kIommuFaultReasonMapping);
  EXPECT_EQ(fault->address, drivers[0].QueueConfig().desc_gpa + kIovaOffset);
}

TEST_F(VirtioPciIommuTest, ABufferNothingMapsFailsTheDeviceAndIsNeverTouched) {
  MapAllRam();
  auto drivers = MakeDrivers(1);
  ASSERT_NO_FATAL_FAILURE(BringUpAtIova(drivers[0]));
  const uint64_t out = *drivers[0].Alloc(16);
  ASSERT_TRUE(memory_->Fill(out, 0x5a, 16).ok());
  // A guest-physical address given where an IOVA belongs: outside every mapping.
  const std::vector<uint8_t> msg(8, 1);
  const uint64_t in = *drivers[0].AllocBytes(msg);
  ASSERT_TRUE(drivers[0].AddChain({{in + kIovaOffset, 8, false}, {out, 16, true}}).ok());
  ASSERT_NO_FATAL_FAILURE(KickAndRun(drivers, 0));
  EXPECT_NE(guest_->Status() & kStatusDeviceNeedsReset, 0);
  EXPECT_FALSE(drivers[0].PopUsed()->has_value());
  auto bytes = drivers[0].ReadBytes(out, 16);
  EXPECT_EQ(*bytes, std::vector<uint8_t>(16, 0x5a)) << "the guest-physical buffer is untouched";
  auto fault = iommu_.faults().Take();
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->address, out);
  EXPECT_EQ(fault->flags, kIommuFaultFlagWrite | kIommuFaultFlagAddress);
}

}  // namespace
}  // namespace petrel::virtio::testing
