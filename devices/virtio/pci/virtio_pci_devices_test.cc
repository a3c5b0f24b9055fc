// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The real virtio device types (rng, blk, console, net) through the
// virtio-pci transport on hv_sim, driven the way Linux drives them: PCI
// identity, feature negotiation, queue setup, one real request each with its
// MSI-X interrupt, reset followed by re-initialisation, and a guest that
// never stops refilling a queue. One typed test suite; each device type is a
// "case" that makes the device, runs its request and names its flood request.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/base/random.h"
#include "core/event/notifier.h"
#include "devices/block/block_test_util.h"
#include "devices/block/disk_file.h"
#include "devices/block/sync_engine.h"
#include "devices/net/net_endpoint.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/console/console_device.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"
#include "devices/virtio/rng/rng_device.h"

namespace petrel::virtio::testing {
namespace {

// Expects exactly one MSI since `before`, the one of queue `queue`.
void ExpectQueueMsi(VirtioPciBench& b, size_t before, uint16_t queue) {
  auto msis = b.Msis();
  ASSERT_EQ(msis.size(), before + 1) << "queue " << queue;
  EXPECT_EQ(msis.back().address, 0xfee00000u);
  EXPECT_EQ(msis.back().data, VirtioPciBench::MsiData(static_cast<uint16_t>(queue + 1)));
}

// Pops the next used element of `drv`; fails the test if there is none.
VirtqDriver::UsedElem PopUsed(VirtqDriver& drv) {
  auto used = drv.PopUsed();
  EXPECT_TRUE(used.ok() && used->has_value()) << "no used element";
  return used.ok() && used->has_value() ? **used : VirtqDriver::UsedElem{0xffff, 0xffffffff};
}

// A hostile driver on its own thread, as a vCPU is: it fills every slot of
// a queue's avail ring with one chain, `head`, and then keeps avail.idx a
// full ring ahead of used.idx (the most §2.7.13 allows) as fast as the
// device uses them, ringing `doorbell` after each publication, until it has
// published `limit` entries. Ring indices are accessed atomically on both
// sides (GuestMemory::LoadAtomic/StoreAtomic).
class RacingGuest {
 public:
  RacingGuest(GuestMemory& memory, const SplitQueue::Config& ring, uint16_t head, uint32_t limit,
              std::shared_ptr<Notifier> doorbell)
      : memory_(memory), ring_(ring), limit_(limit), doorbell_(std::move(doorbell)) {
    for (uint16_t slot = 0; slot < ring.size; ++slot) {
      EXPECT_TRUE(memory.WriteObj<uint16_t>(ring.avail_gpa + 4 + 2 * slot, head).ok());
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~RacingGuest() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // avail.idx once it is quiet (the entries it published, mod 2^16).
  uint32_t published() const { return published_; }

 private:
  void Run() {
    while (!stop_ && published_ < limit_) {
      auto used = memory_.LoadAtomic<uint16_t>(ring_.used_gpa + 2);
      if (!used.ok()) return;
      const uint32_t target = std::min<uint32_t>(limit_, uint32_t{*used} + ring_.size);
      if (target > published_) {
        published_ = target;
        (void)memory_.StoreAtomic<uint16_t>(ring_.avail_gpa + 2, static_cast<uint16_t>(target));
        doorbell_->Signal();
      }
    }
  }
  GuestMemory& memory_;
  const SplitQueue::Config ring_;
  const uint32_t limit_;
  const std::shared_ptr<Notifier> doorbell_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> published_{0};
  std::thread thread_;
};

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + 7 * i);
  return v;
}

// --- rng: entropy from a seeded SplitMix64, mirrored by the test.
class RngCase {
 public:
  static constexpr uint16_t kType = kDeviceIdEntropy;
  static constexpr uint32_t kClassCode = 0x00ff00;
  static constexpr uint16_t kQueues = 1;

  std::shared_ptr<VirtioDevice> Make() {
    return std::make_shared<RngDevice>(RandomEntropySource(random_));
  }
  void Exchange(VirtioPciBench& b, std::vector<VirtqDriver>& drv) {
    auto req = drv[0].AddRequest({}, {32});
    ASSERT_TRUE(req.ok());
    const size_t before = b.Msis().size();
    b.KickAndRun(drv, 0);
    ExpectQueueMsi(b, before, 0);
    const auto used = PopUsed(drv[0]);
    EXPECT_EQ(used.id, req->head);
    ASSERT_EQ(used.len, 32u);
    std::vector<uint8_t> expected(32);
    mirror_.Fill(expected);
    EXPECT_EQ(*drv[0].ReadBytes(req->segments[0].gpa, 32), expected);
  }
  static constexpr uint16_t kFloodQueue = 0;
  static Result<VirtqDriver::Request> AddFloodRequest(VirtqDriver& q) {
    return q.AddRequest({}, {16});
  }

 private:
  SplitMix64 random_{42};
  SplitMix64 mirror_{42};
};

// --- blk: a temp file, the SyncEngine, an InProcessNotifier.
class BlkCase {
 public:
  static constexpr uint16_t kType = kDeviceIdBlock;
  static constexpr uint32_t kClassCode = 0x010000;
  static constexpr uint16_t kQueues = 1;
  static constexpr uint64_t kSector = 3;

  std::shared_ptr<VirtioDevice> Make() {
    EXPECT_TRUE(file_.ok());
    auto disk = DiskFile::Open({.path = file_.path()});
    if (!disk.ok()) return nullptr;
    auto engine =
        SyncEngine::Create(**disk, kDefaultQueueDepth, std::make_shared<InProcessNotifier>());
    if (!engine.ok()) return nullptr;
    auto dev = BlkDevice::Create({.queue_size = 256},  // a ring larger than one turn's budget
                                 std::move(*disk), std::move(*engine));
    if (!dev.ok()) return nullptr;
    return std::shared_ptr<VirtioDevice>(std::move(*dev));
  }
  void Exchange(VirtioPciBench& b, std::vector<VirtqDriver>& drv) {
    const auto data = Pattern(kBlkSectorSize, static_cast<uint8_t>(0x30 + round_++));
    // Write (§5.2.6 VIRTIO_BLK_T_OUT): header, data | status.
    auto wr = drv[0].AddRequest({Header(kBlkTOut), data}, {1});
    ASSERT_TRUE(wr.ok());
    size_t before = b.Msis().size();
    b.KickAndRun(drv, 0);
    ExpectQueueMsi(b, before, 0);
    auto used = PopUsed(drv[0]);
    EXPECT_EQ(used.id, wr->head);
    EXPECT_EQ(*drv[0].ReadBytes(wr->segments.back().gpa, 1), std::vector<uint8_t>{kBlkSOk});
    const auto disk = file_.Contents();
    ASSERT_EQ(disk.size(), kDiskSize);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), disk.begin() + kSector * kBlkSectorSize));
    // Read it back (VIRTIO_BLK_T_IN): header | data, status.
    auto rd = drv[0].AddRequest({Header(kBlkTIn)}, {kBlkSectorSize, 1});
    ASSERT_TRUE(rd.ok());
    before = b.Msis().size();
    b.KickAndRun(drv, 0);
    ExpectQueueMsi(b, before, 0);
    used = PopUsed(drv[0]);
    EXPECT_EQ(used.id, rd->head);
    EXPECT_EQ(used.len, kBlkSectorSize + 1u);
    EXPECT_EQ(*drv[0].ReadBytes(rd->segments[1].gpa, kBlkSectorSize), data);
    EXPECT_EQ(*drv[0].ReadBytes(rd->segments[2].gpa, 1), std::vector<uint8_t>{kBlkSOk});
  }
  // GET_ID completes without the engine, so nothing else bounds a flood of it.
  static constexpr uint16_t kFloodQueue = 0;
  static Result<VirtqDriver::Request> AddFloodRequest(VirtqDriver& q) {
    return q.AddRequest({Header(kBlkTGetId)}, {kBlkIdBytes, 1});
  }

 private:
  static constexpr uint64_t kDiskSize = 64 * 1024;
  static constexpr uint32_t kBlkSectorSize = kSectorSize;  // §5.2.6: 512-byte sectors
  static std::vector<uint8_t> Header(uint32_t type) {
    BlkReqHeader h{type, 0, kSector};
    std::vector<uint8_t> v(sizeof h);
    std::memcpy(v.data(), &h, sizeof h);
    return v;
  }
  block_test::TempDisk file_{kDiskSize};
  int round_ = 0;
};

// --- console: output captured, input queued by the host.
class ConsoleCase {
 public:
  static constexpr uint16_t kType = kDeviceIdConsole;
  static constexpr uint32_t kClassCode = 0x078000;
  static constexpr uint16_t kQueues = kConsoleQueueCount;

  std::shared_ptr<VirtioDevice> Make() {
    auto dev = std::make_shared<ConsoleDevice>(
        [this](std::span<const uint8_t> b) { output_.append(b.begin(), b.end()); },
        ConsoleSize{80, 25});
    console_ = dev.get();
    return dev;
  }
  void Exchange(VirtioPciBench& b, std::vector<VirtqDriver>& drv) {
    const std::string text = "hello " + std::to_string(round_++);
    // Guest output: transmitq chain -> sink.
    auto tx =
        drv[kConsoleTransmitQueue].AddRequest({std::vector<uint8_t>(text.begin(), text.end())}, {});
    ASSERT_TRUE(tx.ok());
    output_.clear();
    size_t before = b.Msis().size();
    b.KickAndRun(drv, kConsoleTransmitQueue);
    ExpectQueueMsi(b, before, kConsoleTransmitQueue);
    EXPECT_EQ(PopUsed(drv[kConsoleTransmitQueue]).id, tx->head);
    EXPECT_EQ(output_, text);
    // Host input: a receive buffer, then QueueInput.
    auto rx = drv[kConsoleReceiveQueue].AddRequest({}, {64});
    ASSERT_TRUE(rx.ok());
    before = b.Msis().size();
    b.KickAndRun(drv, kConsoleReceiveQueue);
    EXPECT_EQ(b.Msis().size(), before);  // no input yet: nothing used
    console_->QueueInput(std::vector<uint8_t>{'o', 'k'});
    b.loop().RunUntilIdle();
    ExpectQueueMsi(b, before, kConsoleReceiveQueue);
    const auto used = PopUsed(drv[kConsoleReceiveQueue]);
    EXPECT_EQ(used.id, rx->head);
    ASSERT_EQ(used.len, 2u);
    EXPECT_EQ(*drv[kConsoleReceiveQueue].ReadBytes(rx->segments[0].gpa, 2),
              (std::vector<uint8_t>{'o', 'k'}));
  }
  static constexpr uint16_t kFloodQueue = kConsoleTransmitQueue;
  static Result<VirtqDriver::Request> AddFloodRequest(VirtqDriver& q) {
    return q.AddRequest({{'x'}}, {});
  }

 private:
  std::string output_;
  ConsoleDevice* console_ = nullptr;  // owned by the transport
  int round_ = 0;
};

// A NetEndpoint over one end of a SOCK_SEQPACKET socketpair: one packet per
// message, like a tap queue.
class SocketEndpoint final : public net::NetEndpoint {
 public:
  explicit SocketEndpoint(int fd) : fd_(fd) {}
  ~SocketEndpoint() override { close(fd_); }
  int fd() const override { return fd_; }
  Result<std::optional<size_t>> ReadV(std::span<const iovec> iov) override {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov.data());
    msg.msg_iovlen = iov.size();
    const ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::optional<size_t>();
    if (n < 0) return Error::FromErrno("recv");
    return std::optional<size_t>(static_cast<size_t>(n));
  }
  Result<void> Write(std::span<const iovec> iov) override {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov.data());
    msg.msg_iovlen = iov.size();
    if (sendmsg(fd_, &msg, MSG_DONTWAIT) < 0) return Error::FromErrno("sendmsg");
    return Ok();
  }
  Result<void> SetOffload(unsigned) override { return Ok(); }

 private:
  int fd_;
};

// --- net: one queue pair over a socketpair; the test holds the peer.
class NetCase {
 public:
  static constexpr uint16_t kType = kDeviceIdNet;
  static constexpr uint32_t kClassCode = 0x020000;
  static constexpr uint16_t kQueues = 3;  // rx0, tx0, control (§5.1.2)

  ~NetCase() {
    if (peer_ >= 0) close(peer_);
  }
  std::shared_ptr<VirtioDevice> Make() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return nullptr;
    peer_ = fds[1];
    std::vector<std::unique_ptr<net::NetEndpoint>> eps;
    eps.push_back(std::make_unique<SocketEndpoint>(fds[0]));
    SplitMix64 random(7);
    auto dev = VirtioNet::Create({.num_queues = 2}, std::move(eps), random);
    if (!dev.ok()) return nullptr;
    return std::shared_ptr<VirtioDevice>(std::move(*dev));
  }
  void Exchange(VirtioPciBench& b, std::vector<VirtqDriver>& drv) {
    constexpr uint16_t kRx = 0, kTx = 1;
    // TX: header + frame -> one packet at the peer.
    auto out = Packet(static_cast<uint8_t>(round_++));
    auto tx = drv[kTx].AddRequest({out}, {});
    ASSERT_TRUE(tx.ok());
    size_t before = b.Msis().size();
    b.KickAndRun(drv, kTx);
    ExpectQueueMsi(b, before, kTx);
    EXPECT_EQ(PopUsed(drv[kTx]).id, tx->head);
    std::vector<uint8_t> got(2048);
    const ssize_t n = recv(peer_, got.data(), got.size(), MSG_DONTWAIT);
    ASSERT_EQ(n, static_cast<ssize_t>(out.size()));
    got.resize(static_cast<size_t>(n));
    EXPECT_EQ(got, out);
    // RX: a buffer first (the device starts watching its fd), then a packet
    // from the peer, found by DeterministicEventLoop::WatchFd.
    auto rx = drv[kRx].AddRequest({}, {2048});
    ASSERT_TRUE(rx.ok());
    before = b.Msis().size();
    b.KickAndRun(drv, kRx);
    EXPECT_EQ(b.Msis().size(), before);
    auto in = Packet(static_cast<uint8_t>(0x80 + round_));
    ASSERT_EQ(send(peer_, in.data(), in.size(), 0), static_cast<ssize_t>(in.size()));
    b.loop().RunUntilIdle();
    ExpectQueueMsi(b, before, kRx);
    const auto used = PopUsed(drv[kRx]);
    EXPECT_EQ(used.id, rx->head);
    ASSERT_EQ(used.len, in.size());
    auto delivered = *drv[kRx].ReadBytes(rx->segments[0].gpa, used.len);
    EXPECT_EQ(delivered[kNetHdrNumBuffersOffset], 1u);  // MRG_RXBUF: one buffer
    delivered[kNetHdrNumBuffersOffset] = 0;
    EXPECT_EQ(delivered, in);
  }
  // tx: the peer's socket fills up and the rest are dropped, still used.
  static constexpr uint16_t kFloodQueue = 1;
  static Result<VirtqDriver::Request> AddFloodRequest(VirtqDriver& q) {
    return q.AddRequest({Packet(1)}, {});
  }

 private:
  // virtio_net_hdr_v1 (zeroes: no offloads) + a 60-byte frame.
  static std::vector<uint8_t> Packet(uint8_t seed) {
    std::vector<uint8_t> p(net::kVnetHeaderSize, 0);
    auto frame = Pattern(60, seed);
    p.insert(p.end(), frame.begin(), frame.end());
    return p;
  }
  int peer_ = -1;
  int round_ = 0;
};

template <class Case>
class VirtioPciDevicesTest : public ::testing::Test {
 protected:
  // Everything the device offers except EVENT_IDX (the VirtqDriver does not
  // keep used_event up to date) and INDIRECT_DESC (not used here).
  static constexpr uint64_t kAcceptAll = ~(FeatureBit(kFEventIdx) | FeatureBit(kFIndirectDesc));

  void SetUp() override {
    auto device = case_.Make();
    ASSERT_NE(device, nullptr);
    device_ = device.get();
    ASSERT_NO_FATAL_FAILURE(bench_.Init(std::move(device), "devices-test"));
  }
  void BringUp(std::vector<VirtqDriver>& drivers) {
    ASSERT_EQ(drivers.size(), Case::kQueues);
    bench_.BringUp(drivers, kAcceptAll);
  }

  Case case_;
  VirtioDevice* device_ = nullptr;  // owned by the transport in bench_
  VirtioPciBench bench_;            // destroyed before case_ (the device uses its state)
};

class CaseNames {
 public:
  template <class T>
  static std::string GetName(int) {
    if (std::is_same_v<T, RngCase>) return "Rng";
    if (std::is_same_v<T, BlkCase>) return "Blk";
    if (std::is_same_v<T, ConsoleCase>) return "Console";
    return "Net";
  }
};

using Cases = ::testing::Types<RngCase, BlkCase, ConsoleCase, NetCase>;
TYPED_TEST_SUITE(VirtioPciDevicesTest, Cases, CaseNames);

TYPED_TEST(VirtioPciDevicesTest, EnumeratesAsItsVirtioType) {
  auto& c = this->bench_.dev().config();
  EXPECT_EQ(c.Read(kPciVendorId, 2), 0x1af4u);                     // §4.1.2
  EXPECT_EQ(c.Read(kPciDeviceId, 2), 0x1040u + TypeParam::kType);  // §4.1.2.1
  EXPECT_EQ(c.Read(kPciRevisionId, 4) >> 8, TypeParam::kClassCode);
  EXPECT_EQ(this->device_->device_type(), TypeParam::kType);
  auto& g = this->bench_.guest();
  for (uint8_t type = kVirtioPciCapCommonCfg; type <= kVirtioPciCapDeviceCfg; ++type)
    EXPECT_TRUE(g.caps.count(type)) << int{type};
  EXPECT_EQ(g.Common(kCommonNumQueues, 2), TypeParam::kQueues);
  // MSI-X table size is N-1 encoded: one vector per queue plus config.
  EXPECT_EQ(g.CfgRead(g.msix_cap + kMsixCapControl, 2) & kMsixControlTableSize,
            TypeParam::kQueues + 0u);
}

TYPED_TEST(VirtioPciDevicesTest, OffersItsOwnFeaturesAndKeepsTheAcceptedOnes) {
  auto& g = this->bench_.guest();
  const uint64_t own = this->device_->device_features();
  EXPECT_EQ(g.DeviceFeatures(), own | VirtioPciBench::kTransportFeatures);
  // A driver without VERSION_1 is served too (as Cloud Hypervisor does).
  EXPECT_TRUE(this->bench_.ResetAndNegotiate(~FeatureBit(kFVersion1)));
  ASSERT_TRUE(this->bench_.ResetAndNegotiate(this->kAcceptAll));
  EXPECT_EQ(this->bench_.dev().driver_features(),
            (own | FeatureBit(kFVersion1)) & this->kAcceptAll);
}

TYPED_TEST(VirtioPciDevicesTest, RequestCompletesWithItsQueueInterrupt) {
  auto drivers = this->bench_.MakeDrivers(TypeParam::kQueues);
  ASSERT_NO_FATAL_FAILURE(this->BringUp(drivers));
  auto& g = this->bench_.guest();
  for (uint16_t q = 0; q < TypeParam::kQueues; ++q) {
    g.SetCommon(kCommonQueueSelect, 2, q);
    EXPECT_EQ(g.Common(kCommonQueueEnable, 2), 1u) << q;
    EXPECT_EQ(g.Common(kCommonQueueSize, 2), 16u) << q;
  }
  ASSERT_NO_FATAL_FAILURE(this->case_.Exchange(this->bench_, drivers));
  EXPECT_EQ(this->bench_.dev().counters().failures, 0u);
}

TYPED_TEST(VirtioPciDevicesTest, ResetStopsTheDeviceAndItWorksAgain) {
  auto drivers = this->bench_.MakeDrivers(TypeParam::kQueues);
  ASSERT_NO_FATAL_FAILURE(this->BringUp(drivers));
  ASSERT_NO_FATAL_FAILURE(this->case_.Exchange(this->bench_, drivers));
  auto& b = this->bench_;
  auto& g = b.guest();
  g.SetStatus(0);
  b.loop().RunUntilIdle();
  EXPECT_EQ(g.Status(), 0);
  EXPECT_FALSE(b.dev().active());
  EXPECT_EQ(b.dev().driver_features(), 0u);
  EXPECT_EQ(g.Common(kCommonConfigMsixVector, 2), kMsixNoVector);
  for (uint16_t q = 0; q < TypeParam::kQueues; ++q) {
    g.SetCommon(kCommonQueueSelect, 2, q);
    EXPECT_EQ(g.Common(kCommonQueueEnable, 2), 0u) << q;
    EXPECT_EQ(g.Common(kCommonQueueMsixVector, 2), kMsixNoVector) << q;
    EXPECT_EQ(g.Common(kCommonQueueSize, 2), this->device_->max_queue_size()) << q;
  }
  // Stopped: a doorbell reaches nobody, nothing is used, no interrupt.
  ASSERT_TRUE(drivers[0].AddRequest({}, {16}).ok());
  const uint16_t used_idx = *drivers[0].UsedIdx();
  const size_t msis = b.Msis().size();
  const uint64_t ignored = b.dev().counters().ignored_notifies;
  b.KickAndRun(drivers, 0);
  EXPECT_EQ(b.dev().counters().ignored_notifies, ignored + 1);
  EXPECT_EQ(*drivers[0].UsedIdx(), used_idx);
  EXPECT_EQ(b.Msis().size(), msis);
  // Re-initialised on fresh rings, it serves requests again.
  auto again = b.MakeDrivers(TypeParam::kQueues);
  ASSERT_NO_FATAL_FAILURE(this->BringUp(again));
  ASSERT_NO_FATAL_FAILURE(this->case_.Exchange(b, again));
}

// Issue: every device drained its queues with no budget, so a driver that
// kept refilling a ring held the device's loop in one handler (shutdown,
// reboot and every other device on that loop starved). Now a handler takes
// at most kMaxChainsPerTurn chains and yields: work queued behind the
// doorbell runs after one batch, however fast the guest refills.
TYPED_TEST(VirtioPciDevicesTest, AGuestThatNeverStopsRefillingCannotHoldTheLoop) {
  constexpr uint32_t kLimit = 60'000;  // below 2^16: used.idx never wraps
  // A ring larger than the budget: even a guest thread that never gets the
  // CPU has published more than one batch before the first turn.
  constexpr uint16_t kRing = 256;
  static_assert(kRing > kMaxChainsPerTurn);
  auto drivers = this->bench_.MakeDrivers(TypeParam::kQueues, kRing);
  ASSERT_NO_FATAL_FAILURE(this->BringUp(drivers));
  VirtqDriver& q = drivers[TypeParam::kFloodQueue];
  auto request = TypeParam::AddFloodRequest(q);
  ASSERT_TRUE(request.ok());
  const SplitQueue::Config ring = q.QueueConfig();
  GuestMemory& memory = this->bench_.memory();
  RacingGuest guest(memory, ring, request->head, kLimit,
                    this->bench_.dev().doorbell(TypeParam::kFloodQueue));
  while (guest.published() == 0) std::this_thread::yield();  // it is live

  uint32_t used_at_marker = 0;
  bool marker_ran = false;
  this->bench_.guest().Kick(TypeParam::kFloodQueue);
  ASSERT_TRUE(this->bench_.loop()
                  .Post([&] {
                    marker_ran = true;
                    used_at_marker = *memory.LoadAtomic<uint16_t>(ring.used_gpa + 2);
                  })
                  .ok());
  // Run until the marker has run: with a budget that is one batch later.
  while (!marker_ran) ASSERT_TRUE(this->bench_.loop().RunOnce(0).ok());
  EXPECT_LE(used_at_marker, kMaxChainsPerTurn);
  guest.Stop();
  this->bench_.loop().RunUntilIdle();
  // The device served the flood as ordinary requests: no fault, all used.
  EXPECT_FALSE(this->bench_.guest().Status() & kStatusDeviceNeedsReset);
  EXPECT_EQ(*memory.LoadAtomic<uint16_t>(ring.used_gpa + 2),
            static_cast<uint16_t>(guest.published()));
}

}  // namespace
}  // namespace petrel::virtio::testing
