// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for VirtioNet: features, config space, TX, RX (with and without
// MRG_RXBUF, pausing the fd watch when the guest has no buffers), and
// malformed chains. Uses the in-memory endpoint and loop of net_test_util.h.
#include "devices/virtio/net/virtio_net.h"

#include <gtest/gtest.h>

#include <map>

#include <cstring>

#include "devices/virtio/net/net_test_util.h"

namespace petrel::virtio {
namespace {

using testing::NetHarness;
using testing::VirtqDriver;

constexpr uint64_t kAll = ~0ull;
constexpr uint64_t kNoMrg = ~FeatureBit(kNetFMrgRxbuf);

std::vector<uint8_t> Packet(size_t frame_len, uint8_t seed) {
  std::vector<uint8_t> p(net::kVnetHeaderSize + frame_len);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(seed + i * 7);
  return p;
}

uint16_t NumBuffers(const std::vector<uint8_t>& hdr) {
  return static_cast<uint16_t>(hdr[kNetHdrNumBuffersOffset] | hdr[kNetHdrNumBuffersOffset + 1]
                                                                  << 8);
}

TEST(VirtioNetTest, FeaturesFollowOptions) {
  NetHarness h;
  ASSERT_TRUE(h.Init({.mac = net::MacAddress{2, 0, 0, 0, 0, 1}}, kAll).ok());
  const uint64_t f = h.device->device_features();
  EXPECT_EQ(h.device->device_type(), kDeviceIdNet);
  EXPECT_TRUE(f & FeatureBit(kNetFMac));
  EXPECT_TRUE(f & FeatureBit(kNetFStatus));
  EXPECT_TRUE(f & FeatureBit(kNetFMrgRxbuf));
  EXPECT_TRUE(f & FeatureBit(kNetFCtrlVq));
  EXPECT_TRUE(f & FeatureBit(kNetFCtrlGuestOffloads));
  EXPECT_TRUE(f & FeatureBit(kNetFHostTso4));
  EXPECT_TRUE(f & FeatureBit(kNetFGuestUfo));
  EXPECT_FALSE(f & FeatureBit(kNetFMtu));
  EXPECT_FALSE(f & FeatureBit(kNetFMq));
  EXPECT_EQ(h.device->queue_count(), 3);
  EXPECT_EQ(h.device->max_queue_size(), 256);

  NetHarness no_csum;
  ASSERT_TRUE(no_csum.Init({.mtu = 9000, .num_queues = 4, .offload_tso = false, .offload_ufo = false, .offload_csum = false}, kAll).ok());
  const uint64_t g = no_csum.device->device_features();
  EXPECT_TRUE(g & FeatureBit(kNetFMtu));
  EXPECT_TRUE(g & FeatureBit(kNetFMq));
  EXPECT_FALSE(g & FeatureBit(kNetFCsum));
  EXPECT_FALSE(g & FeatureBit(kNetFHostTso4));  // TSO needs CSUM (§5.1.3.1)
  EXPECT_FALSE(g & FeatureBit(kNetFGuestUfo));
  EXPECT_EQ(no_csum.device->queue_count(), 5);

  NetHarness no_tso;
  ASSERT_TRUE(no_tso.Init({.offload_tso = false, .offload_ufo = false}, kAll).ok());
  EXPECT_TRUE(no_tso.device->device_features() & FeatureBit(kNetFCsum));
  EXPECT_FALSE(no_tso.device->device_features() & FeatureBit(kNetFGuestTso6));
  EXPECT_FALSE(no_tso.device->device_features() & FeatureBit(kNetFHostUfo));
}

TEST(VirtioNetTest, RejectsBadOptions) {
  SplitMix64 random(1);
  auto make = [&](VirtioNetOptions o, size_t eps) {
    std::vector<std::unique_ptr<net::NetEndpoint>> v;
    for (size_t i = 0; i < eps; ++i) v.push_back(std::make_unique<testing::FakeEndpoint>());
    return VirtioNet::Create(o, std::move(v), random);
  };
  EXPECT_FALSE(make({.num_queues = 3}, 1).ok());
  EXPECT_FALSE(make({.num_queues = 0}, 0).ok());
  EXPECT_FALSE(make({.queue_size = 100}, 1).ok());
  EXPECT_FALSE(make({.queue_size = 8192}, 1).ok());
  EXPECT_FALSE(make({.mtu = 60}, 1).ok());
  EXPECT_FALSE(make({.mac = net::MacAddress{1, 0, 0, 0, 0, 1}}, 1).ok());  // multicast
  EXPECT_FALSE(make({.num_queues = 4}, 1).ok());                           // endpoint count
  EXPECT_TRUE(make({.num_queues = 4}, 2).ok());
}

TEST(VirtioNetTest, ConfigSpace) {
  NetHarness h;
  const net::MacAddress mac{0x52, 0x54, 0, 0x12, 0x34, 0x56};
  ASSERT_TRUE(h.Init({.mac = mac, .mtu = 1400, .num_queues = 8}, kAll).ok());
  uint8_t cfg[16];
  std::memset(cfg, 0xee, sizeof cfg);
  h.device->ReadConfig(0, cfg);
  EXPECT_EQ(std::memcmp(cfg, mac.data(), 6), 0);
  EXPECT_EQ(cfg[6] | cfg[7] << 8, kNetStatusLinkUp);
  EXPECT_EQ(cfg[8] | cfg[9] << 8, 4);  // max_virtqueue_pairs
  EXPECT_EQ(cfg[10] | cfg[11] << 8, 1400);
  EXPECT_EQ(cfg[12], 0);  // past the end reads 0
  EXPECT_EQ(cfg[15], 0);
  uint8_t two[2];
  h.device->ReadConfig(kNetCfgMtu, two);
  EXPECT_EQ(two[0] | two[1] << 8, 1400);
  h.device->ReadConfig(~0ull, two);  // offset overflow
  EXPECT_EQ(two[0], 0);
  // Writes are ignored.
  const uint8_t junk[6] = {1, 2, 3, 4, 5, 6};
  h.device->WriteConfig(0, junk);
  h.device->ReadConfig(0, cfg);
  EXPECT_EQ(std::memcmp(cfg, mac.data(), 6), 0);
}

TEST(VirtioNetTest, RandomMacIsLocalUnicast) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  const net::MacAddress mac = h.device->mac();
  EXPECT_EQ(mac[0] & net::kMacGroupBit, 0);
  EXPECT_EQ(mac[0] & net::kMacLocalBit, net::kMacLocalBit);
  SplitMix64 same(1);
  EXPECT_EQ(mac, net::RandomMac(same));  // from the injected source
}

TEST(VirtioNetTest, ActivateSetsTapOffloadsFromGuestFeatures) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  EXPECT_EQ(h.endpoints[0]->offload, net::kTunOffloadCsum | net::kTunOffloadTso4 |
                                         net::kTunOffloadTso6 | net::kTunOffloadUfo);
  NetHarness plain;
  ASSERT_TRUE(plain.Init({}, ~FeatureBit(kNetFGuestCsum)).ok());
  EXPECT_EQ(plain.endpoints[0]->offload, 0u);  // no GUEST_CSUM: no TSO either
}

TEST(VirtioNetTest, TxFrameReachesEndpointWithHeader) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  VirtqDriver& tx = h.drivers[1];
  const auto pkt = Packet(100, 3);
  // Header in one buffer, frame in two more.
  std::vector<uint8_t> hdr(pkt.begin(), pkt.begin() + 12);
  std::vector<uint8_t> a(pkt.begin() + 12, pkt.begin() + 50);
  std::vector<uint8_t> b(pkt.begin() + 50, pkt.end());
  auto req = tx.AddRequest({hdr, a, b}, {});
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(tx.Kick().ok());
  h.device->QueueNotified(1);
  ASSERT_EQ(h.endpoints[0]->outbound.size(), 1u);
  EXPECT_EQ(h.endpoints[0]->outbound[0], pkt);
  auto used = tx.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->id, req->head);
  EXPECT_EQ((*used)->len, 0u);
  EXPECT_EQ(h.context->signals(1), 1u);
  EXPECT_EQ(h.device->stats().tx_packets, 1u);
}

// A packet the tap refuses (e.g. write: EINVAL for a bad vnet header) is the
// host's verdict, not a driver error: §2.7.8 the chain is used with length 0
// (the device wrote nothing into it), counted as dropped, and tx goes on.
TEST(VirtioNetTest, TxRefusedByHostIsUsedEmptyAndCountedNotFatal) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  h.endpoints[0]->refuse_writes = true;
  auto refused = h.drivers[1].AddRequest({Packet(20, 1)}, {});
  ASSERT_TRUE(refused.ok());
  ASSERT_TRUE(h.drivers[1].Kick().ok());
  h.device->QueueNotified(1);
  EXPECT_TRUE(h.context->failures().empty());
  EXPECT_EQ(h.device->stats().tx_dropped, 1u);
  EXPECT_EQ(h.device->stats().tx_packets, 0u);
  auto used = h.drivers[1].PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->id, refused->head);
  EXPECT_EQ((*used)->len, 0u);
  EXPECT_EQ(h.context->signals(1), 1u);
  // The next packet goes out.
  h.endpoints[0]->refuse_writes = false;
  ASSERT_TRUE(h.drivers[1].AddRequest({Packet(20, 2)}, {}).ok());
  ASSERT_TRUE(h.drivers[1].Kick().ok());
  h.device->QueueNotified(1);
  EXPECT_EQ(h.endpoints[0]->outbound.size(), 1u);
  EXPECT_EQ(h.device->stats().tx_packets, 1u);
}

TEST(VirtioNetTest, TxOversizeIsDropped) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[1].AddRequest({Packet(net::kMaxFrameBytes + 1, 1)}, {}).ok());
  ASSERT_TRUE(h.drivers[1].Kick().ok());
  h.device->QueueNotified(1);
  EXPECT_TRUE(h.endpoints[0]->outbound.empty());
  EXPECT_EQ(h.device->stats().tx_dropped, 1u);
  EXPECT_TRUE(h.context->failures().empty());
}

TEST(VirtioNetTest, TxChainShorterThanHeaderFails) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[1].AddRequest({std::vector<uint8_t>(11, 0)}, {}).ok());
  ASSERT_TRUE(h.drivers[1].AddRequest({Packet(20, 1)}, {}).ok());
  ASSERT_TRUE(h.drivers[1].Kick().ok());
  h.device->QueueNotified(1);
  ASSERT_EQ(h.context->failures().size(), 1u);
  EXPECT_NE(h.context->failures()[0].find("header"), std::string::npos);
  // Failed: nothing more is processed until reset.
  h.device->QueueNotified(1);
  EXPECT_TRUE(h.endpoints[0]->outbound.empty());
  EXPECT_EQ(h.context->failures().size(), 1u);
}

TEST(VirtioNetTest, TxBrokenRingFails) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[1].SetAvailRing(0, 999).ok());  // head out of range
  ASSERT_TRUE(h.drivers[1].SetAvailIdx(1).ok());
  h.device->QueueNotified(1);
  EXPECT_EQ(h.context->failures().size(), 1u);
}

TEST(VirtioNetTest, RxPacketLandsInGuestBuffer) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  VirtqDriver& rx = h.drivers[0];
  auto req = rx.AddRequest({}, {2048});
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(rx.Kick().ok());
  h.device->QueueNotified(0);
  EXPECT_TRUE(h.device->rx_watching(0));  // buffers ready, endpoint empty: watching

  auto pkt = Packet(300, 9);
  h.endpoints[0]->Push(pkt);
  ASSERT_TRUE(h.device->rx_watching(0));
  h.loop.RunUntilIdle();
  auto used = rx.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->id, req->head);
  ASSERT_EQ((*used)->len, pkt.size());
  auto got = rx.ReadBytes(req->segments[0].gpa, static_cast<uint32_t>(pkt.size()));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(NumBuffers(*got), 1);  // §5.1.6.4: set even without MRG_RXBUF semantics
  EXPECT_TRUE(std::equal(pkt.begin(), pkt.begin() + 10, got->begin()));
  EXPECT_TRUE(std::equal(pkt.begin() + 12, pkt.end(), got->begin() + 12));
  EXPECT_EQ(h.context->signals(0), 1u);
  EXPECT_EQ(h.device->stats().rx_packets, 1u);
}

TEST(VirtioNetTest, RxMergeableAcrossTwoBuffers) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  VirtqDriver& rx = h.drivers[0];
  auto a = rx.AddRequest({}, {1024});
  auto b = rx.AddRequest({}, {1024});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(rx.Kick().ok());
  auto pkt = Packet(1500, 5);
  h.endpoints[0]->Push(pkt);
  h.device->QueueNotified(0);

  auto u1 = rx.PopUsed();
  auto u2 = rx.PopUsed();
  ASSERT_TRUE(u1.ok() && u1->has_value() && u2.ok() && u2->has_value());
  EXPECT_EQ((*u1)->id, a->head);
  EXPECT_EQ((*u1)->len, 1024u);
  EXPECT_EQ((*u2)->id, b->head);
  EXPECT_EQ((*u2)->len, pkt.size() - 1024);
  auto first = rx.ReadBytes(a->segments[0].gpa, 1024);
  auto second = rx.ReadBytes(b->segments[0].gpa, static_cast<uint32_t>(pkt.size() - 1024));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(NumBuffers(*first), 2);
  EXPECT_TRUE(std::equal(pkt.begin() + 12, pkt.begin() + 1024, first->begin() + 12));
  EXPECT_TRUE(std::equal(pkt.begin() + 1024, pkt.end(), second->begin()));
  EXPECT_EQ(h.context->signals(0), 1u);  // one interrupt for the packet
}

// Room for the largest packet posted: the device reads straight into the
// guest's buffers (no bounce copy), num_buffers included.
// Live migration: a direct read marks the guest buffers dirty before the
// packet lands in them. A dirty-log take between the two (the migration
// thread runs concurrently) must not lose the packet: the device marks the
// buffers again once the bytes are in.
TEST(VirtioNetTest, ADirtyLogTakeDuringADirectReadStillSeesThePacketsPages) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  VirtqDriver& rx = h.drivers[0];
  constexpr uint32_t kBuf = 4400;
  std::vector<VirtqDriver::Request> reqs;
  for (uint16_t i = 1; i < NetHarness::kQueueSize; ++i) reqs.push_back(*rx.AddRequest({}, {kBuf}));
  ASSERT_TRUE(rx.Kick().ok());
  h.memory->StartDirtyLog();
  h.endpoints[0]->before_read = [&h] { (void)h.memory->TakeDirtyLog(); };
  h.endpoints[0]->Push(Packet(3000, 2));
  h.device->QueueNotified(0);
  h.loop.RunUntilIdle();
  ASSERT_EQ(h.device->stats().rx_direct, 1u);
  auto used = rx.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  DirtyBitmap after = h.memory->TakeDirtyLog();
  bool found = false;
  for (const auto& r : reqs) {
    if (r.head != (*used)->id) continue;
    found = true;
    EXPECT_TRUE(after.IsSet(r.segments[0].gpa));
    EXPECT_TRUE(after.IsSet(r.segments[0].gpa + 2999));
  }
  EXPECT_TRUE(found);
  h.memory->StopDirtyLog();
}

TEST(VirtioNetTest, RxReadsStraightIntoGuestBuffersWhenTheyCanHoldAnyPacket) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  VirtqDriver& rx = h.drivers[0];
  constexpr uint32_t kBuf = 4400;  // 15 chains (16 descriptors) x 4400 >= kMaxPacketBytes
  static_assert((NetHarness::kQueueSize - 1) * kBuf >= net::kMaxPacketBytes);
  std::vector<VirtqDriver::Request> reqs;
  // The first chain splits the header over two descriptors (6 + rest), so
  // num_buffers (bytes 10-11) lands in the second one.
  reqs.push_back(*rx.AddRequest({}, {6, kBuf - 6}));
  for (uint16_t i = 2; i < NetHarness::kQueueSize; ++i) reqs.push_back(*rx.AddRequest({}, {kBuf}));
  ASSERT_TRUE(rx.Kick().ok());
  auto pkt = Packet(9000, 3);
  h.endpoints[0]->Push(pkt);
  h.device->QueueNotified(0);

  EXPECT_EQ(h.device->stats().rx_direct, 1u);
  EXPECT_EQ(h.device->stats().rx_packets, 1u);
  std::vector<uint8_t> got;
  for (uint32_t i = 0; i < 3; ++i) {
    auto used = rx.PopUsed();
    ASSERT_TRUE(used.ok() && used->has_value()) << i;
    EXPECT_EQ((*used)->id, reqs[i].head);
    const uint32_t want = i < 2 ? kBuf : static_cast<uint32_t>(pkt.size() - 2 * kBuf);
    ASSERT_EQ((*used)->len, want) << i;
    uint32_t left = want;
    for (const auto& seg : reqs[i].segments) {
      const uint32_t n = std::min(seg.len, left);
      auto bytes = rx.ReadBytes(seg.gpa, n);
      ASSERT_TRUE(bytes.ok());
      got.insert(got.end(), bytes->begin(), bytes->end());
      left -= n;
    }
  }
  auto more = rx.PopUsed();
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(more->has_value());  // the other 12 chains stay with the device
  ASSERT_EQ(got.size(), pkt.size());
  EXPECT_EQ(NumBuffers(got), 3);
  EXPECT_TRUE(std::equal(pkt.begin(), pkt.begin() + 10, got.begin()));
  EXPECT_TRUE(std::equal(pkt.begin() + 12, pkt.end(), got.begin() + 12));
  EXPECT_EQ(h.context->signals(0), 1u);

  // The held chains take the next packets too, still without a bounce.
  h.endpoints[0]->Push(Packet(100, 4));
  ASSERT_TRUE(h.device->rx_watching(0));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.device->stats().rx_direct, 1u);  // 12 x 4400 < kMaxPacketBytes: bounce
  EXPECT_EQ(h.device->stats().rx_packets, 2u);
  auto next = rx.PopUsed();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, reqs[3].head);
}

TEST(VirtioNetTest, RxDirectWithoutMergeableNeedsOneBigChainAndDropsRunts) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kNoMrg).ok());
  VirtqDriver& rx = h.drivers[0];
  auto big = rx.AddRequest({}, {static_cast<uint32_t>(net::kMaxPacketBytes)});
  ASSERT_TRUE(big.ok());
  ASSERT_TRUE(rx.Kick().ok());
  h.endpoints[0]->Push(std::vector<uint8_t>(5, 0xee));  // runt: dropped
  auto pkt = Packet(2000, 8);
  h.endpoints[0]->Push(pkt);
  h.device->QueueNotified(0);
  EXPECT_EQ(h.device->stats().rx_dropped, 1u);
  EXPECT_EQ(h.device->stats().rx_direct, 1u);
  auto used = rx.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->id, big->head);
  ASSERT_EQ((*used)->len, pkt.size());
  auto got = rx.ReadBytes(big->segments[0].gpa, static_cast<uint32_t>(pkt.size()));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(NumBuffers(*got), 1);
  EXPECT_TRUE(std::equal(pkt.begin() + 12, pkt.end(), got->begin() + 12));
}

TEST(VirtioNetTest, RxWithoutBuffersPausesWatchUntilNotify) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  // Activation found no rx buffers: not watching, the packet stays queued.
  EXPECT_FALSE(h.device->rx_watching(0));
  EXPECT_FALSE(h.device->rx_watching(0));
  h.endpoints[0]->Push(Packet(64, 1));
  EXPECT_FALSE(h.device->rx_watching(0));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.endpoints[0]->queued(), 1u);

  VirtqDriver& rx = h.drivers[0];
  ASSERT_TRUE(rx.AddRequest({}, {2048}).ok());
  ASSERT_TRUE(rx.Kick().ok());
  h.device->QueueNotified(0);  // delivers, then runs out of buffers again
  EXPECT_TRUE(h.endpoints[0]->queued() == 0);
  EXPECT_EQ(h.device->stats().rx_packets, 1u);
  EXPECT_FALSE(h.device->rx_watching(0));

  // Two buffers, one packet: the spare buffer keeps the watch on.
  ASSERT_TRUE(rx.AddRequest({}, {2048}).ok());
  ASSERT_TRUE(rx.AddRequest({}, {2048}).ok());
  ASSERT_TRUE(rx.Kick().ok());
  h.device->QueueNotified(0);
  EXPECT_TRUE(h.device->rx_watching(0));
  h.endpoints[0]->Push(Packet(64, 2));
  h.endpoints[0]->Push(Packet(64, 3));
  h.endpoints[0]->Push(Packet(64, 4));
  ASSERT_TRUE(h.device->rx_watching(0));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.device->stats().rx_packets, 3u);
  EXPECT_EQ(h.endpoints[0]->queued(), 1u);  // waits in the host queue
  EXPECT_FALSE(h.device->rx_watching(0));
}

TEST(VirtioNetTest, RxMergeableWaitsForEnoughBuffers) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  VirtqDriver& rx = h.drivers[0];
  ASSERT_TRUE(rx.AddRequest({}, {1024}).ok());
  ASSERT_TRUE(rx.Kick().ok());
  auto pkt = Packet(1500, 5);
  h.endpoints[0]->Push(pkt);
  h.device->QueueNotified(0);
  // Read but not deliverable yet: held, and the watch is paused.
  EXPECT_TRUE(h.endpoints[0]->queued() == 0);
  EXPECT_FALSE(h.device->rx_watching(0));
  auto none = rx.PopUsed();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(rx.AddRequest({}, {1024}).ok());
  ASSERT_TRUE(rx.Kick().ok());
  h.device->QueueNotified(0);
  EXPECT_EQ(h.device->stats().rx_packets, 1u);
  auto u1 = rx.PopUsed();
  auto u2 = rx.PopUsed();
  ASSERT_TRUE(u1.ok() && u1->has_value() && u2.ok() && u2->has_value());
  EXPECT_EQ((*u1)->len + (*u2)->len, pkt.size());
}

TEST(VirtioNetTest, RxWithoutMergeableDropsWhatDoesNotFit) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kNoMrg).ok());
  VirtqDriver& rx = h.drivers[0];
  auto req = rx.AddRequest({}, {256});
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(rx.Kick().ok());
  h.endpoints[0]->Push(Packet(1000, 1));  // too big: dropped
  auto small = Packet(100, 2);
  h.endpoints[0]->Push(small);
  h.device->QueueNotified(0);
  EXPECT_EQ(h.device->stats().rx_dropped, 1u);
  EXPECT_EQ(h.device->stats().rx_packets, 1u);
  auto used = rx.PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, small.size());
  auto got = rx.ReadBytes(req->segments[0].gpa, static_cast<uint32_t>(small.size()));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(std::equal(small.begin() + 12, small.end(), got->begin() + 12));
}

TEST(VirtioNetTest, RxChainTooSmallForHeaderFails) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[0].AddRequest({}, {8}).ok());
  ASSERT_TRUE(h.drivers[0].Kick().ok());
  h.device->QueueNotified(0);
  ASSERT_EQ(h.context->failures().size(), 1u);
  EXPECT_FALSE(h.device->rx_watching(0));
}

TEST(VirtioNetTest, RxChainWithReadableBufferFails) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[0].AddRequest({std::vector<uint8_t>(4, 0)}, {2048}).ok());
  ASSERT_TRUE(h.drivers[0].Kick().ok());
  h.device->QueueNotified(0);
  EXPECT_EQ(h.context->failures().size(), 1u);
}

TEST(VirtioNetTest, ResetStopsWatchingAndDropsHeldBuffers) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[0].AddRequest({}, {2048}).ok());
  ASSERT_TRUE(h.drivers[0].Kick().ok());
  h.device->QueueNotified(0);
  ASSERT_TRUE(h.device->rx_watching(0));
  h.device->Reset();
  EXPECT_FALSE(h.device->rx_watching(0));
  h.device->QueueNotified(0);  // ignored after reset
  h.endpoints[0]->Push(Packet(64, 1));
  EXPECT_FALSE(h.device->rx_watching(0));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.endpoints[0]->queued(), 1u);
}

TEST(VirtioNetTest, DestroyedAfterItsContextRemovesWatch) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[0].AddRequest({}, {2048}).ok());
  ASSERT_TRUE(h.drivers[0].Kick().ok());
  h.device->QueueNotified(0);
  ASSERT_TRUE(h.device->rx_watching(0));
  h.context.reset();  // as a transport tearing down without Reset()
  EXPECT_EQ(h.loop.watched_fds(), 1u);
  h.device.reset();
  EXPECT_EQ(h.loop.watched_fds(), 0u);
}

// Phase 2 of issue 8: Cloud Hypervisor's counters; bytes without the
// 12-byte virtio-net header.
TEST(VirtioNetTest, CountersCountDeliveredFrames) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  EXPECT_EQ(h.device->Counters(), (std::map<std::string, uint64_t>{
                                      {"rx_bytes", 0}, {"rx_frames", 0},
                                      {"tx_bytes", 0}, {"tx_frames", 0}}));
  for (size_t len : {100, 60}) ASSERT_TRUE(h.drivers[1].AddRequest({Packet(len, 1)}, {}).ok());
  ASSERT_TRUE(h.drivers[1].Kick().ok());
  h.device->QueueNotified(1);
  ASSERT_TRUE(h.drivers[0].AddRequest({}, {2048}).ok());
  ASSERT_TRUE(h.drivers[0].Kick().ok());
  h.device->QueueNotified(0);
  h.endpoints[0]->Push(Packet(300, 9));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.device->Counters(), (std::map<std::string, uint64_t>{
                                      {"rx_bytes", 300}, {"rx_frames", 1},
                                      {"tx_bytes", 160}, {"tx_frames", 2}}));
}

}  // namespace
}  // namespace petrel::virtio
