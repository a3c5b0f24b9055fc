// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The DMA side of the virtio-iommu: a device behind it translates through
// its endpoint's domain (IommuEndpointDma), and each fault reaches the
// driver on the event queue (§5.13.6.9), waiting for a buffer when there is
// none, bounded, and dropped by a reset.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/iommu/iommu_device.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

constexpr uint32_t kEp = 0x10;  // 00:02.0

class IommuDmaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(4 << 20);
    requests_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(mem_, {.size = 16}));
    events_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem_, {.size = 16, .ring_gpa = 0x2'0000, .data_gpa = 0x20'0000}));
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, kIommuQueueCount);
    ASSERT_TRUE(ctx_->ActivateQueue(kIommuRequestQueue, requests_->QueueConfig()).ok());
    ASSERT_TRUE(ctx_->ActivateQueue(kIommuEventQueue, events_->QueueConfig()).ok());
    ASSERT_TRUE(dev_.Activate(*ctx_).ok());
  }

  uint8_t Request(const std::vector<uint8_t>& req) {
    auto r = *requests_->AddRequest({req}, {kIommuTailBytes});
    EXPECT_TRUE(requests_->Kick().ok());
    dev_.QueueNotified(kIommuRequestQueue);
    EXPECT_TRUE(requests_->PopUsed()->has_value());
    return (*requests_->ReadBytes(r.segments.back().gpa, 1))[0];
  }
  void AttachAndMap(uint64_t virt, uint64_t end, uint64_t phys, uint32_t flags) {
    std::vector<uint8_t> attach(kIommuAttachBytes);
    attach[0] = kIommuReqAttach;
    StoreLe<uint32_t>(attach, 4, 1);
    StoreLe<uint32_t>(attach, 8, kEp);
    ASSERT_EQ(Request(attach), kIommuStatusOk);
    std::vector<uint8_t> map(kIommuMapBytes);
    map[0] = kIommuReqMap;
    StoreLe<uint32_t>(map, 4, 1);
    StoreLe<uint64_t>(map, 8, virt);
    StoreLe<uint64_t>(map, 16, end);
    StoreLe<uint64_t>(map, 24, phys);
    StoreLe<uint32_t>(map, 32, flags);
    ASSERT_EQ(Request(map), kIommuStatusOk);
  }
  // Event buffers of `len` writable bytes for the driver, published.
  std::vector<uint64_t> GiveEventBuffers(size_t n, uint32_t len = kIommuFaultBytes) {
    std::vector<uint64_t> at;
    for (size_t i = 0; i < n; ++i) at.push_back(events_->AddRequest({}, {len})->segments[0].gpa);
    EXPECT_TRUE(events_->Kick().ok());
    return at;
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<VirtqDriver> requests_;
  std::unique_ptr<VirtqDriver> events_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  IommuDevice dev_{{kEp}};
};

TEST_F(IommuDmaTest, ADeviceTranslatesThroughItsEndpointsDomain) {
  AttachAndMap(0x10'0000, 0x10'1fff, 0x30'0000, kIommuMapRead);
  auto dma = dev_.DmaFor(kEp);
  auto t = dma->Translate(0x10'0800, 0x2000, DmaAccess::kRead);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->gpa, 0x30'0800u);
  EXPECT_EQ(t->len, 0x1800u) << "to the mapping's end";
  EXPECT_EQ(dev_.faults().reported(), 0u);
  auto w = dma->Translate(0x10'0800, 8, DmaAccess::kWrite);
  ASSERT_FALSE(w.ok()) << "a read-only mapping";
  EXPECT_EQ(w.error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(dev_.faults().reported(), 1u);
  EXPECT_FALSE(dev_.DmaFor(0x18)->Translate(0x10'0800, 8, DmaAccess::kRead).ok())
      << "another requester id";
}

TEST_F(IommuDmaTest, EachFaultFillsAnEventBuffer) {
  const auto at = GiveEventBuffers(2);
  dev_.QueueNotified(kIommuEventQueue);  // nothing to report yet: buffers stay
  EXPECT_FALSE(events_->PopUsed()->has_value());
  // Not attached: a domain fault; then a write where only reads are mapped.
  EXPECT_FALSE(dev_.DmaFor(kEp)->Translate(0x5000, 4, DmaAccess::kRead).ok());
  loop_.RunUntilIdle();
  auto used = *events_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, kIommuFaultBytes);
  auto f = *events_->ReadBytes(at[0], kIommuFaultBytes);
  EXPECT_EQ(f[0], kIommuFaultReasonDomain);
  EXPECT_EQ(f[1] | f[2] | f[3], 0) << "reserved";
  EXPECT_EQ(LoadLe<uint32_t>(f, 4), kIommuFaultFlagRead | kIommuFaultFlagAddress);
  EXPECT_EQ(LoadLe<uint32_t>(f, 8), kEp);
  EXPECT_EQ(LoadLe<uint64_t>(f, 16), 0x5000u);
  EXPECT_GE(ctx_->signals(kIommuEventQueue), 1u);

  AttachAndMap(0x10'0000, 0x10'0fff, 0x30'0000, kIommuMapRead);
  EXPECT_FALSE(dev_.DmaFor(kEp)->Translate(0x10'0010, 4, DmaAccess::kWrite).ok());
  loop_.RunUntilIdle();
  ASSERT_TRUE(events_->PopUsed()->has_value());
  f = *events_->ReadBytes(at[1], kIommuFaultBytes);
  EXPECT_EQ(f[0], kIommuFaultReasonMapping);
  EXPECT_EQ(LoadLe<uint32_t>(f, 4), kIommuFaultFlagWrite | kIommuFaultFlagAddress);
  EXPECT_EQ(LoadLe<uint64_t>(f, 16), 0x10'0010u);
  EXPECT_EQ(dev_.Counters().at("faults_delivered"), 2u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(IommuDmaTest, FaultsWaitForBuffersAndTheirNumberIsBounded) {
  auto dma = dev_.DmaFor(kEp);
  const size_t n = IommuFaultQueue::kMaxPendingFaults + 6;
  for (size_t i = 0; i < n; ++i) (void)dma->Translate(0x1000 * i, 4, DmaAccess::kRead);
  loop_.RunUntilIdle();
  EXPECT_EQ(dev_.faults().reported(), n);
  EXPECT_EQ(dev_.faults().dropped(), 6u);
  // The driver's buffers arrive later: the oldest waiting faults, in order.
  const auto at = GiveEventBuffers(2);
  dev_.QueueNotified(kIommuEventQueue);
  EXPECT_EQ(LoadLe<uint64_t>(*events_->ReadBytes(at[0], kIommuFaultBytes), 16), 0u);
  EXPECT_EQ(LoadLe<uint64_t>(*events_->ReadBytes(at[1], kIommuFaultBytes), 16), 0x1000u);
  EXPECT_FALSE(dev_.faults().empty());
}

TEST_F(IommuDmaTest, AnEventBufferTooShortForAFaultFailsTheDevice) {
  GiveEventBuffers(1, kIommuFaultBytes - 1);
  (void)dev_.DmaFor(kEp)->Translate(0, 4, DmaAccess::kRead);
  loop_.RunUntilIdle();
  ASSERT_EQ(ctx_->failures().size(), 1u);
  EXPECT_NE(ctx_->failures()[0].find("event buffer"), std::string::npos) << ctx_->failures()[0];
}

TEST_F(IommuDmaTest, AResetDropsWaitingFaultsAndWakesNothing) {
  auto dma = dev_.DmaFor(kEp);
  (void)dma->Translate(0, 4, DmaAccess::kRead);
  dev_.Reset();
  ctx_->ResetQueues();
  EXPECT_TRUE(dev_.faults().empty());
  (void)dma->Translate(0, 4, DmaAccess::kRead);  // no driver: kept, nobody woken
  loop_.RunUntilIdle();
  EXPECT_TRUE(ctx_->failures().empty());
  // The translator outlives a reset (devices behind the IOMMU keep it).
  EXPECT_EQ(dev_.faults().reported(), 2u);
}

}  // namespace
}  // namespace petrel::virtio
