// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuDevice through its request queue, as Linux's virtio-iommu driver
// sends requests: config space, attach/map/unmap/detach, probe's reserved
// MSI window, short and unknown requests, chains without a status, reset.
#include "devices/virtio/iommu/iommu_device.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

constexpr uint32_t kEp = 0x08;

std::vector<uint8_t> Attach(uint32_t domain, uint32_t endpoint, uint32_t flags = 0) {
  std::vector<uint8_t> r(kIommuAttachBytes);
  r[0] = kIommuReqAttach;
  StoreLe<uint32_t>(r, 4, domain);
  StoreLe<uint32_t>(r, 8, endpoint);
  StoreLe<uint32_t>(r, 12, flags);
  return r;
}

std::vector<uint8_t> Map(uint32_t domain, uint64_t start, uint64_t end, uint64_t phys,
                         uint32_t flags) {
  std::vector<uint8_t> r(kIommuMapBytes);
  r[0] = kIommuReqMap;
  StoreLe<uint32_t>(r, 4, domain);
  StoreLe<uint64_t>(r, 8, start);
  StoreLe<uint64_t>(r, 16, end);
  StoreLe<uint64_t>(r, 24, phys);
  StoreLe<uint32_t>(r, 32, flags);
  return r;
}

std::vector<uint8_t> Unmap(uint32_t domain, uint64_t start, uint64_t end) {
  std::vector<uint8_t> r(kIommuUnmapBytes);
  r[0] = kIommuReqUnmap;
  StoreLe<uint32_t>(r, 4, domain);
  StoreLe<uint64_t>(r, 8, start);
  StoreLe<uint64_t>(r, 16, end);
  return r;
}

class IommuDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(4 << 20);
    drv_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(mem_, {.size = 16}));
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, kIommuQueueCount);
    ASSERT_TRUE(ctx_->ActivateQueue(0, drv_->QueueConfig()).ok());
    ASSERT_TRUE(dev_.Activate(*ctx_).ok());
  }
  // One request; the status the device wrote in the tail (0xff: none) and
  // the properties before it (PROBE).
  uint8_t Send(const std::vector<uint8_t>& req, uint32_t writable = kIommuTailBytes,
               std::vector<uint8_t>* before_tail = nullptr) {
    auto r = *drv_->AddRequest({req}, {writable});
    EXPECT_TRUE(drv_->Kick().ok());
    dev_.QueueNotified(kIommuRequestQueue);
    auto used = *drv_->PopUsed();
    if (!used) return 0xff;
    const uint32_t tail_at = writable >= kIommuProbeSize + kIommuTailBytes &&
                                     !req.empty() && req[0] == kIommuReqProbe
                                 ? kIommuProbeSize
                                 : 0;
    EXPECT_EQ(used->len, tail_at + kIommuTailBytes);
    auto bytes = *drv_->ReadBytes(r.segments.back().gpa, writable);
    if (before_tail) before_tail->assign(bytes.begin(), bytes.begin() + tail_at);
    return bytes[tail_at];
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<VirtqDriver> drv_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  IommuDevice dev_{{kEp}};
};

TEST_F(IommuDeviceTest, IdentityFeaturesAndConfigSpace) {
  EXPECT_EQ(dev_.device_type(), 23);
  EXPECT_EQ(dev_.queue_count(), 2);
  EXPECT_EQ(dev_.device_features(), kIommuFInputRange | kIommuFDomainRange | kIommuFMapUnmap |
                                        kIommuFProbe | kIommuFBypassConfig);
  std::vector<uint8_t> cfg(kIommuConfigBytes + 4, 0xaa);
  dev_.ReadConfig(0, cfg);
  EXPECT_EQ(LoadLe<uint64_t>(cfg, kIommuCfgPageSizeMask), ~uint64_t{0xfff});
  EXPECT_EQ(LoadLe<uint64_t>(cfg, kIommuCfgInputStart), 0u);
  EXPECT_EQ(LoadLe<uint64_t>(cfg, kIommuCfgInputEnd), (uint64_t{1} << 48) - 1);
  EXPECT_EQ(LoadLe<uint32_t>(cfg, kIommuCfgDomainEnd), 0xffffu);
  EXPECT_EQ(LoadLe<uint32_t>(cfg, kIommuCfgProbeSize), kIommuProbeSize);
  EXPECT_EQ(cfg[kIommuCfgBypass], 0);
  EXPECT_EQ(cfg[kIommuConfigBytes], 0) << "past the end";
  const uint8_t one = 1;
  dev_.WriteConfig(kIommuCfgBypass, {&one, 1});
  const std::vector<uint8_t> junk(8, 0);
  dev_.WriteConfig(kIommuCfgPageSizeMask, junk);  // read-only
  dev_.ReadConfig(0, cfg);
  EXPECT_EQ(cfg[kIommuCfgBypass], 1);
  EXPECT_EQ(LoadLe<uint64_t>(cfg, kIommuCfgPageSizeMask), ~uint64_t{0xfff});
  EXPECT_EQ(dev_.mappings()->Translate(kEp, 0x5000, 4, false), 0x5000u);
}

TEST_F(IommuDeviceTest, AttachMapUnmapDetachAsTheLinuxDriverSendsThem) {
  EXPECT_EQ(Send(Attach(1, kEp)), kIommuStatusOk);
  EXPECT_EQ(Send(Map(1, 0x100000, 0x10ffff, 0x200000, kIommuMapRead | kIommuMapWrite)),
            kIommuStatusOk);
  EXPECT_EQ(dev_.mappings()->Translate(kEp, 0x100010, 16, true), 0x200010u);
  EXPECT_EQ(Send(Map(1, 0x100000, 0x100fff, 0, kIommuMapRead)), kIommuStatusInval) << "overlap";
  EXPECT_EQ(Send(Unmap(1, 0x100000, 0x10ffff)), kIommuStatusOk);
  EXPECT_EQ(dev_.mappings()->Translate(kEp, 0x100010, 16, true), std::nullopt);
  std::vector<uint8_t> detach(kIommuDetachBytes);
  detach[0] = kIommuReqDetach;
  StoreLe<uint32_t>(detach, 4, 1);
  StoreLe<uint32_t>(detach, 8, kEp);
  EXPECT_EQ(Send(detach), kIommuStatusOk);
  EXPECT_EQ(Send(Attach(1, 0x99)), kIommuStatusNoEnt);
  EXPECT_EQ(dev_.Counters().at("requests"), 6u);
  EXPECT_EQ(dev_.Counters().at("errors"), 2u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(IommuDeviceTest, ProbeReportsTheMsiWindowAsReservedMemory) {
  std::vector<uint8_t> probe(kIommuProbeBytes);
  probe[0] = kIommuReqProbe;
  StoreLe<uint32_t>(probe, 4, kEp);
  std::vector<uint8_t> props;
  ASSERT_EQ(Send(probe, kIommuProbeSize + kIommuTailBytes, &props), kIommuStatusOk);
  ASSERT_EQ(props.size(), kIommuProbeSize);
  EXPECT_EQ(LoadLe<uint16_t>(props, 0), kIommuProbeTResvMem);
  EXPECT_EQ(LoadLe<uint16_t>(props, 2), 20);
  EXPECT_EQ(props[4], kIommuResvMemMsi);
  EXPECT_EQ(LoadLe<uint64_t>(props, 8), 0xfee00000u);
  EXPECT_EQ(LoadLe<uint64_t>(props, 16), 0xfeefffffu);
  EXPECT_EQ(LoadLe<uint16_t>(props, 24), 0) << "then the NONE terminator";
  StoreLe<uint32_t>(probe, 4, 0x99);
  EXPECT_EQ(Send(probe, kIommuProbeSize + kIommuTailBytes), kIommuStatusNoEnt);
  StoreLe<uint32_t>(probe, 4, kEp);
  EXPECT_EQ(Send(probe, kIommuTailBytes), kIommuStatusInval) << "no room for the properties";
}

TEST_F(IommuDeviceTest, ShortAndUnknownRequestsGetAStatusNotACrash) {
  std::vector<uint8_t> map = Map(1, 0, 0xfff, 0, kIommuMapRead);
  map.resize(kIommuMapBytes - 1);
  EXPECT_EQ(Send(map), kIommuStatusInval);
  EXPECT_EQ(Send({kIommuReqAttach, 0, 0}), kIommuStatusInval) << "no whole head";
  EXPECT_EQ(Send({0x77, 0, 0, 0}), kIommuStatusUnsupp);
  EXPECT_EQ(Send({0, 0, 0, 0}), kIommuStatusUnsupp);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(IommuDeviceTest, AChainWithoutRoomForTheStatusFailsTheDevice) {
  ASSERT_TRUE(drv_->AddRequest({Attach(1, kEp)}, {2}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  dev_.QueueNotified(kIommuRequestQueue);
  EXPECT_EQ(ctx_->failures().size(), 1u);
  EXPECT_EQ(dev_.mappings()->Save().endpoints.size(), 0u) << "not attached";
}

TEST_F(IommuDeviceTest, AResetDetachesEverything) {
  EXPECT_EQ(Send(Attach(1, kEp)), kIommuStatusOk);
  EXPECT_EQ(Send(Map(1, 0, 0xfff, 0x1000, kIommuMapRead)), kIommuStatusOk);
  dev_.Reset();
  EXPECT_EQ(dev_.mappings()->Save(), IommuMappings::State{});
  EXPECT_EQ(dev_.mappings()->Translate(kEp, 0, 4, false), std::nullopt);
}

}  // namespace
}  // namespace petrel::virtio
