// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for VirtioNet's control queue (virtio 1.2 §5.1.6.5): MQ pairs,
// guest offloads, rx mode, MAC table, unknown commands, malformed chains.
#include <gtest/gtest.h>

#include <cstring>

#include "devices/virtio/net/net_test_util.h"
#include "devices/virtio/net/virtio_net.h"

namespace petrel::virtio {
namespace {

using testing::NetHarness;
using testing::Le16;
using testing::Le64;
using testing::VirtqDriver;

constexpr uint64_t kAll = ~0ull;

// Sends one command on queue `ctrl`; returns the ack byte (or 0xff if none).
uint8_t Command(NetHarness& h, uint16_t ctrl, uint8_t cls, uint8_t cmd, std::vector<uint8_t> data) {
  VirtqDriver& q = h.drivers[ctrl];
  auto req = q.AddRequest({{cls, cmd}, data}, {1});
  if (!req.ok() || !q.Kick().ok()) return 0xff;
  h.device->QueueNotified(ctrl);
  auto used = q.PopUsed();
  if (!used.ok() || !used->has_value() || (*used)->len != 1) return 0xff;
  auto ack = q.ReadBytes(req->segments.back().gpa, 1);
  return ack.ok() ? (*ack)[0] : 0xff;
}


TEST(VirtioNetCtrlTest, MqPairsSetActivatesPairs) {
  NetHarness h;
  ASSERT_TRUE(h.Init({.num_queues = 6}, kAll).ok());
  const uint16_t ctrl = 6;
  EXPECT_EQ(h.device->active_pairs(), 1);
  EXPECT_FALSE(h.endpoints[1]->enabled);  // detached until the driver asks
  EXPECT_EQ(Command(h, ctrl, kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(2)), kNetOk);
  EXPECT_EQ(h.device->active_pairs(), 2);
  EXPECT_TRUE(h.endpoints[1]->enabled);
  EXPECT_FALSE(h.endpoints[2]->enabled);
  EXPECT_EQ(Command(h, ctrl, kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(4)), kNetErr);
  EXPECT_EQ(Command(h, ctrl, kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(0)), kNetErr);
  EXPECT_EQ(Command(h, ctrl, kNetCtrlMq, kNetCtrlMqVqPairsSet, {1}), kNetErr);  // short
  EXPECT_EQ(h.device->active_pairs(), 2);
  EXPECT_EQ(h.device->stats().ctrl_errors, 3u);

  // Pair 1 now receives: its rx buffers are used.
  ASSERT_TRUE(h.drivers[2].AddRequest({}, {2048}).ok());
  ASSERT_TRUE(h.drivers[2].AddRequest({}, {2048}).ok());
  ASSERT_TRUE(h.drivers[2].Kick().ok());
  h.device->QueueNotified(2);
  EXPECT_TRUE(h.device->rx_watching(1));
  h.endpoints[1]->Push(std::vector<uint8_t>(80, 1));
  ASSERT_TRUE(h.device->rx_watching(1));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.device->stats().rx_packets, 1u);

  // Back to one pair: pair 1 stops.
  EXPECT_EQ(Command(h, ctrl, kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(1)), kNetOk);
  EXPECT_FALSE(h.device->rx_watching(1));
  EXPECT_FALSE(h.endpoints[1]->enabled);
}

TEST(VirtioNetCtrlTest, WithoutMqControlQueueIsTwo) {
  NetHarness h;
  ASSERT_TRUE(h.Init({.num_queues = 4}, ~FeatureBit(kNetFMq)).ok());
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc, {1}), kNetOk);
  // MQ not negotiated: pair changes refused; queue 4 is not the control queue.
  EXPECT_EQ(Command(h, 2, kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(2)), kNetErr);
  EXPECT_EQ(Command(h, 4, kNetCtrlRx, kNetCtrlRxPromisc, {1}), 0xff);
}

TEST(VirtioNetCtrlTest, GuestOffloadsSetReachesTap) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  const uint64_t csum_tso4 = FeatureBit(kNetFGuestCsum) | FeatureBit(kNetFGuestTso4);
  EXPECT_EQ(Command(h, 2, kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet, Le64(csum_tso4)),
            kNetOk);
  EXPECT_EQ(h.endpoints[0]->offload, net::kTunOffloadCsum | net::kTunOffloadTso4);
  EXPECT_EQ(Command(h, 2, kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet, Le64(0)), kNetOk);
  EXPECT_EQ(h.endpoints[0]->offload, 0u);
  // Not a negotiated offload (GUEST_ECN is never offered): refused, unchanged.
  EXPECT_EQ(Command(h, 2, kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet,
                    Le64(FeatureBit(kNetFGuestEcn))),
            kNetErr);
  EXPECT_EQ(h.endpoints[0]->offload, 0u);
  EXPECT_EQ(Command(h, 2, kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet, {0, 0}), kNetErr);
}

TEST(VirtioNetCtrlTest, GuestOffloadsNeedTheFeature) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, ~FeatureBit(kNetFCtrlGuestOffloads)).ok());
  EXPECT_EQ(Command(h, 2, kNetCtrlGuestOffloads, kNetCtrlGuestOffloadsSet, Le64(0)), kNetErr);
}

TEST(VirtioNetCtrlTest, RxModeAndMacTable) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc, {1}), kNetOk);
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxAllmulti, {0}), kNetOk);
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, 6, {1}), kNetErr);
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc, {}), kNetErr);
  // One unicast entry, two multicast entries.
  std::vector<uint8_t> table = {1, 0,    0, 0,    2, 0, 0, 0,    0, 1,    2, 0, 0,
                                0, 0x01, 0, 0x5e, 0, 0, 1, 0x01, 0, 0x5e, 0, 0, 2};
  EXPECT_EQ(Command(h, 2, kNetCtrlMac, kNetCtrlMacTableSet, table), kNetOk);
  table.pop_back();  // truncated second table
  EXPECT_EQ(Command(h, 2, kNetCtrlMac, kNetCtrlMacTableSet, table), kNetErr);
  // An entry count that would overflow a naive size computation.
  EXPECT_EQ(Command(h, 2, kNetCtrlMac, kNetCtrlMacTableSet, {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}),
            kNetErr);
  EXPECT_EQ(Command(h, 2, 77, 0, {}), kNetErr);  // unknown class
  EXPECT_EQ(Command(h, 2, kNetCtrlMac, kNetCtrlMacAddrSet, {2, 0, 0, 0, 0, 9}), kNetErr);
  EXPECT_TRUE(h.context->failures().empty());
}

TEST(VirtioNetCtrlTest, OversizeCommandIsRefused) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc,
                    std::vector<uint8_t>(kNetMaxCtrlDataBytes + 1, 0)),
            kNetErr);
  EXPECT_TRUE(h.context->failures().empty());
}

TEST(VirtioNetCtrlTest, ChainWithoutAckFails) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[2].AddRequest({{kNetCtrlRx, kNetCtrlRxPromisc, 1}}, {}).ok());
  ASSERT_TRUE(h.drivers[2].Kick().ok());
  h.device->QueueNotified(2);
  EXPECT_EQ(h.context->failures().size(), 1u);
}

TEST(VirtioNetCtrlTest, ChainWithoutClassFails) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  ASSERT_TRUE(h.drivers[2].AddRequest({{kNetCtrlRx}}, {1}).ok());
  ASSERT_TRUE(h.drivers[2].Kick().ok());
  h.device->QueueNotified(2);
  EXPECT_EQ(h.context->failures().size(), 1u);
}

// §5.1.6.5: every command gets an ack; class, command and size errors are
// VIRTIO_NET_ERR (QEMU answers the same way).
TEST(VirtioNetCtrlTest, UndefinedEmptyAndOversizeCommandsAreAnsweredErr) {
  NetHarness h;
  ASSERT_TRUE(h.Init({}, kAll).ok());
  EXPECT_EQ(Command(h, 2, 0x77, 0, {1}), kNetErr);     // no such class
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, 0x55, {1}), kNetErr);  // no such command
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc, {}), kNetErr);  // no data
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc,
                    std::vector<uint8_t>(kNetMaxCtrlDataBytes + 1, 0)),
            kNetErr);
  EXPECT_EQ(h.device->stats().ctrl_errors, 4u);
  EXPECT_TRUE(h.context->failures().empty());
}

// The guest driver did not negotiate VIRTIO_NET_F_CTRL_VQ and still
// used the queue where the control queue would be: its commands got no
// answer at all. Petrel's choice: such a queue is not a control queue
// (§5.1.2), so nothing it carries takes effect, but every command is
// answered VIRTIO_NET_ERR, so a driver waiting for its ack does not hang.
TEST(VirtioNetCtrlTest, WithoutCtrlVqNegotiatedEveryCommandIsRefused) {
  NetHarness h;
  ASSERT_TRUE(h.Init({.num_queues = 4}, kAll & ~(FeatureBit(kNetFCtrlVq) | FeatureBit(kNetFMq))).ok());
  // Without MQ the control queue would be index 2 (§5.1.2).
  EXPECT_EQ(Command(h, 2, kNetCtrlRx, kNetCtrlRxPromisc, {1}), kNetErr);
  EXPECT_EQ(Command(h, 2, 0x77, 0, {}), kNetErr);
  EXPECT_EQ(Command(h, 2, kNetCtrlMq, kNetCtrlMqVqPairsSet, Le16(2)), kNetErr);
  EXPECT_EQ(h.device->active_pairs(), 1);
  EXPECT_EQ(h.device->stats().ctrl_errors, 3u);
  EXPECT_TRUE(h.context->failures().empty());
}

}  // namespace
}  // namespace petrel::virtio
