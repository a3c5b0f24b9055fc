// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Snapshot state of the virtio devices: the shared DeviceStateTest
// (devices/testing/device_state_suite.h) for console, blk and net, each
// driven through its real interface (host input and size, a config write,
// control-queue commands); the entropy device, whose state is empty; and the
// virtio-pci transport saved and restored together with a net device.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/notifier.h"
#include "devices/block/block_test_util.h"
#include "devices/block/disk_file.h"
#include "devices/block/sync_engine.h"
#include "devices/testing/device_state_suite.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/console/console_device.h"
#include "devices/virtio/net/net_test_util.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"
#include "devices/virtio/rng/rng_device.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeEndpoint;
using testing::FakeVirtioContext;
using testing::Le16;
using testing::Le64;
using testing::VirtqDriver;

std::vector<uint8_t> ConfigBytes(VirtioDevice& d, size_t size) {
  std::vector<uint8_t> v(size);
  d.ReadConfig(0, v);
  return v;
}


// ---------------------------------------------------------------------------
// Console: size and buffered host input.

struct ConsoleTraits {
  using Device = ConsoleDevice;
  std::unique_ptr<ConsoleDevice> Make() {
    return std::make_unique<ConsoleDevice>(nullptr, ConsoleSize{80, 25});
  }
  void Drive(ConsoleDevice& d) {
    d.SetSize({132, 43});
    const std::string typed = "typed before the guest was ready";
    d.QueueInput(std::span(reinterpret_cast<const uint8_t*>(typed.data()), typed.size()));
  }
  std::vector<uint8_t> Observe(ConsoleDevice& d) {
    std::vector<uint8_t> v = ConfigBytes(d, 12);  // §5.3.4 struct virtio_console_config
    v.push_back(static_cast<uint8_t>(d.pending_input()));
    return v;
  }
  std::vector<ConsoleDeviceState> Invalid(const ConsoleDeviceState& good) {
    std::vector<ConsoleDeviceState> bad(1, good);
    bad[0].pending_input.resize(kConsoleMaxPendingInput + 1);
    return bad;
  }
};

// ---------------------------------------------------------------------------
// Block: the cache mode the driver wrote (§5.2.4 writeback).

struct BlkTraits {
  using Device = BlkDevice;
  block_test::TempDisk disk{64 * 1024};
  std::unique_ptr<BlkDevice> Make() {
    auto file = std::move(DiskFile::Open({.path = disk.path()})).value();
    auto engine =
        std::move(SyncEngine::Create(*file, 16, std::make_shared<InProcessNotifier>())).value();
    return std::move(BlkDevice::Create({}, std::move(file), std::move(engine))).value();
  }
  void Drive(BlkDevice& d) {
    const uint8_t writethrough = 0;
    d.WriteConfig(offsetof(BlkConfig, writeback), std::span(&writethrough, 1));
  }
  std::vector<uint8_t> Observe(BlkDevice& d) { return ConfigBytes(d, sizeof(BlkConfig)); }
  std::vector<BlkDeviceState> Invalid(const BlkDeviceState& good) {
    std::vector<BlkDeviceState> bad(2, good);
    bad[0].writeback = 2;
    bad[1].writeback = 0xff;
    return bad;
  }
};

// ---------------------------------------------------------------------------
// Net: a random MAC, active queue pairs and guest offloads, the last two set
// by control-queue commands from a guest driver.

constexpr uint64_t kNetWanted = FeatureBit(kNetFMq) | FeatureBit(kNetFCtrlVq) |
                                FeatureBit(kNetFCtrlGuestOffloads) | FeatureBit(kNetFGuestCsum) |
                                FeatureBit(kNetFGuestTso4) | FeatureBit(kNetFMrgRxbuf);

struct NetTraits {
  using Device = VirtioNet;
  static constexpr uint64_t kMemSize = 16ull << 20;
  static constexpr uint16_t kPairs = 2;

  // Outlive every device made here (their destructors use the loop).
  VirtualClock clock;
  DeterministicEventLoop loop{clock};
  std::shared_ptr<GuestMemory> memory = *GuestMemory::CreateX86(kMemSize);
  std::vector<std::unique_ptr<FakeVirtioContext>> contexts;
  uint64_t seed = 1;

  std::unique_ptr<VirtioNet> Make() {
    std::vector<std::unique_ptr<net::NetEndpoint>> eps;
    for (int i = 0; i < kPairs; ++i) eps.push_back(std::make_unique<FakeEndpoint>());
    SplitMix64 random(seed++);  // each device its own random MAC
    return std::move(VirtioNet::Create({.num_queues = 2 * kPairs}, std::move(eps), random)).value();
  }
  // Activates with MQ and offloads, then MQ_VQ_PAIRS_SET 2 and
  // GUEST_OFFLOADS_SET (csum only) on the control queue.
  void Drive(VirtioNet& d) {
    const uint16_t queues = d.queue_count();
    const uint16_t ctrl = queues - 1;
    contexts.push_back(std::make_unique<FakeVirtioContext>(
        memory, loop, queues, (d.device_features() & kNetWanted) | FeatureBit(kFVersion1)));
    FakeVirtioContext& ctx = *contexts.back();
    auto drv = *VirtqDriver::Create(memory, {.size = 16, .ring_gpa = 0x1'0000});
    ASSERT_TRUE(ctx.ActivateQueue(ctrl, drv.QueueConfig()).ok());
    ASSERT_TRUE(d.Activate(ctx).ok());
    auto command = [&](uint8_t cls, uint8_t cmd, std::vector<uint8_t> data) {
      auto req = drv.AddRequest({{cls, cmd}, data}, {1});
      ASSERT_TRUE(req.ok() && drv.Kick().ok());
      d.QueueNotified(ctrl);
      auto used = drv.PopUsed();
      ASSERT_TRUE(used.ok() && used->has_value());
      EXPECT_EQ((*drv.ReadBytes(req->segments.back().gpa, 1))[0], kNetOk);
    };
    command(kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(2));
    command(kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet, Le64(FeatureBit(kNetFGuestCsum)));
    EXPECT_EQ(d.active_pairs(), 2);
    EXPECT_TRUE(ctx.failures().empty());
  }
  std::vector<uint8_t> Observe(VirtioNet& d) {
    std::vector<uint8_t> v = ConfigBytes(d, kNetCfgSize);  // includes the MAC
    v.push_back(static_cast<uint8_t>(d.active_pairs()));
    const auto off = Le64(d.guest_offloads());
    v.insert(v.end(), off.begin(), off.end());
    return v;
  }
  std::vector<VirtioNetState> Invalid(const VirtioNetState& good) {
    std::vector<VirtioNetState> bad(6, good);
    bad[0].mac[0] |= net::kMacGroupBit;  // multicast
    bad[1].active_pairs = 0;
    bad[2].active_pairs = kPairs + 1;
    bad[3].guest_offloads = FeatureBit(kNetFGuestUso4);  // not offered
    bad[4].guest_offloads = FeatureBit(kNetFMq);         // not an offload
    bad[5].guest_offloads = ~0ull;
    return bad;
  }
};

using VirtioTraits = ::testing::Types<ConsoleTraits, BlkTraits, NetTraits>;

// ---------------------------------------------------------------------------
// The entropy device has no state; the empty state still round-trips and
// Restore refuses an active device like the others.

TEST(RngStateTest, EmptyStateRoundTripsAndActiveDeviceIsBusy) {
  auto source = [](std::span<uint8_t> out) -> Result<void> {
    std::fill(out.begin(), out.end(), uint8_t{7});
    return Ok();
  };
  RngDevice a(source);
  RngDevice b(source);
  ASSERT_TRUE(b.Restore(a.Save()).ok());
  EXPECT_EQ(b.Save(), RngDeviceState{});

  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  auto memory = *GuestMemory::CreateX86(1 << 20);
  FakeVirtioContext ctx(memory, loop, kRngQueueCount);
  ASSERT_TRUE(a.Activate(ctx).ok());
  auto busy = a.Restore({});
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), ErrorCode::kBusy);
  a.Reset();
  EXPECT_TRUE(a.Restore({}).ok());
}

// Restore into an active device is refused for the others as well.
TEST(VirtioStateTest, RestoreIntoActiveDeviceIsBusy) {
  NetTraits net;
  auto n = net.Make();
  net.Drive(*n);
  auto r = n->Restore(n->Save());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kBusy);

  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  auto memory = *GuestMemory::CreateX86(1 << 20);
  ConsoleDevice console(nullptr);
  FakeVirtioContext cctx(memory, loop, kConsoleQueueCount);
  ASSERT_TRUE(console.Activate(cctx).ok());
  EXPECT_EQ(console.Restore({}).error().code(), ErrorCode::kBusy);
  console.Reset();

  BlkTraits blk;
  auto b = blk.Make();
  FakeVirtioContext bctx(memory, loop, 1);
  ASSERT_TRUE(b->Activate(bctx).ok());
  EXPECT_EQ(b->Restore({}).error().code(), ErrorCode::kBusy);
  b->Reset();
}

// ---------------------------------------------------------------------------
// Transport and device together: a guest brings a net device up through
// virtio-pci and changes its pairs and offloads; both states are saved,
// restored into a fresh pair, and the restored device resumes.

class VirtioPciNetStateTest : public ::testing::Test, protected testing::SimVmEnv {
 protected:
  static constexpr uint16_t kQueues = 5;  // rx0 tx0 rx1 tx1 ctrl
  static constexpr uint16_t kCtrl = 4;

  struct Node {
    std::vector<FakeEndpoint*> endpoints;
    std::shared_ptr<VirtioNet> net;
    std::shared_ptr<VirtioPciDevice> pci;
  };

  VirtioPciNetStateTest() : SimVmEnv(16 << 20) {}

  Node MakeNode(uint64_t seed) {
    Node n;
    std::vector<std::unique_ptr<net::NetEndpoint>> eps;
    for (int i = 0; i < 2; ++i) {
      auto ep = std::make_unique<FakeEndpoint>();
      n.endpoints.push_back(ep.get());
      eps.push_back(std::move(ep));
    }
    SplitMix64 random(seed);
    n.net = std::shared_ptr<VirtioNet>(
        std::move(VirtioNet::Create({.num_queues = 4, .queue_size = 16}, std::move(eps), random))
            .value());
    n.pci = std::move(VirtioPciDevice::Create(n.net, memory_, loop_, io_, vm_.get())).value();
    return n;
  }

  // Sends a control command through the transport; returns the ack.
  uint8_t Command(testing::PciGuest& g, VirtqDriver& ctrl, uint8_t cls, uint8_t cmd,
                  std::vector<uint8_t> data) {
    auto req = ctrl.AddRequest({{cls, cmd}, data}, {1});
    if (!req.ok() || !ctrl.Kick().ok()) return 0xff;
    g.Kick(kCtrl);
    loop_.RunUntilIdle();
    auto used = ctrl.PopUsed();
    if (!used.ok() || !used->has_value()) return 0xff;
    return (*ctrl.ReadBytes(req->segments.back().gpa, 1))[0];
  }
};

TEST_F(VirtioPciNetStateTest, TransportAndDeviceRoundTripAndResume) {
  Node a = MakeNode(1);
  testing::PciGuest g(*a.pci);
  g.FindCaps();
  std::vector<VirtqDriver> drivers;
  for (uint16_t i = 0; i < kQueues; ++i) {
    drivers.push_back(*VirtqDriver::Create(memory_, {.size = 16,
                                                     .ring_gpa = 0x1'0000ull * (i + 1),
                                                     .data_gpa = 0x10'0000ull * (i + 1),
                                                     .data_size = 0x10'0000}));
  }
  ASSERT_TRUE(g.Negotiate(kNetWanted | FeatureBit(kFVersion1)));
  g.EnableMsix(kQueues + 1);
  g.SetCommon(kCommonConfigMsixVector, 2, 0);
  for (uint16_t i = 0; i < kQueues; ++i) g.SetupQueue(i, drivers[i].QueueConfig(), i + 1);
  g.SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  loop_.RunUntilIdle();
  ASSERT_TRUE(a.pci->active());
  ASSERT_EQ(Command(g, drivers[kCtrl], kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(2)), kNetOk);
  ASSERT_EQ(Command(g, drivers[kCtrl], kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet,
                    Le64(FeatureBit(kNetFGuestCsum))),
            kNetOk);
  const VirtioPciDevice::State pci_state = a.pci->Save();
  const VirtioNetState net_state = a.net->Save();
  EXPECT_EQ(net_state.active_pairs, 2);
  EXPECT_EQ(net_state.guest_offloads, FeatureBit(kNetFGuestCsum));
  EXPECT_EQ(pci_state.queues[kCtrl].ring.next_avail, 2);

  // A fresh pair (another random MAC), restored device first: the transport's
  // Restore posts the activation that applies the device state.
  Node b = MakeNode(2);
  ASSERT_NE(b.net->mac(), a.net->mac());
  ASSERT_TRUE(b.net->Restore(net_state).ok());
  ASSERT_TRUE(b.pci->Restore(pci_state).ok());
  loop_.RunUntilIdle();
  ASSERT_TRUE(b.pci->active());
  EXPECT_EQ(b.pci->Save(), pci_state);
  EXPECT_EQ(b.net->Save(), net_state);
  EXPECT_EQ(b.net->mac(), a.net->mac());
  EXPECT_EQ(b.net->active_pairs(), 2);
  EXPECT_TRUE(b.endpoints[1]->enabled);                         // pair 1 attached again
  EXPECT_EQ(b.endpoints[0]->offload, a.endpoints[0]->offload);  // TUNSETOFFLOAD redone
  EXPECT_EQ(b.pci->counters().failures, 0u);

  // The guest sees the same MAC and keeps using the restored rings.
  testing::PciGuest g2(*b.pci);
  g2.FindCaps();
  const uint64_t cfg = g2.caps[kVirtioPciCapDeviceCfg].offset;
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(g2.Read(cfg + kNetCfgMac + i, 1), a.net->mac()[i]);
  EXPECT_EQ(Command(g2, drivers[kCtrl], kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(1)), kNetOk);
  EXPECT_EQ(b.net->active_pairs(), 1);
  EXPECT_FALSE(b.endpoints[1]->enabled);
}

// A device state that does not fit what the restored driver negotiated
// (two pairs without MQ) fails the activation: DEVICE_NEEDS_RESET.
TEST_F(VirtioPciNetStateTest, DeviceStateBeyondNegotiatedFeaturesFailsActivation) {
  Node a = MakeNode(1);
  testing::PciGuest g(*a.pci);
  g.FindCaps();
  auto rx = *VirtqDriver::Create(memory_, {.size = 16, .ring_gpa = 0x1'0000});
  ASSERT_TRUE(g.Negotiate(FeatureBit(kFVersion1)));  // no MQ
  g.SetupQueue(0, rx.QueueConfig(), kMsixNoVector);
  g.SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  loop_.RunUntilIdle();
  ASSERT_TRUE(a.pci->active());
  VirtioNetState net_state = a.net->Save();
  net_state.active_pairs = 2;  // valid for the device, not for this driver

  Node b = MakeNode(2);
  ASSERT_TRUE(b.net->Restore(net_state).ok());
  ASSERT_TRUE(b.pci->Restore(a.pci->Save()).ok());
  loop_.RunUntilIdle();
  EXPECT_FALSE(b.pci->active());
  EXPECT_EQ(b.pci->counters().failures, 1u);
  EXPECT_NE(b.pci->status() & kStatusDeviceNeedsReset, 0);
}

}  // namespace
}  // namespace petrel::virtio

namespace petrel::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Virtio, DeviceStateTest, virtio::VirtioTraits);
}  // namespace petrel::testing
