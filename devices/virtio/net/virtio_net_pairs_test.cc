// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioNet with its queue pairs on loops of their own (issue 8 item 2):
// each pair is a queue group, its tap fd is watched on its own loop, a busy
// pair does not hold the other back, and the control queue hands pair
// changes to the pair's loop.
#include <gtest/gtest.h>

#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/net/net_test_util.h"
#include "devices/virtio/net/virtio_net.h"

namespace petrel::virtio {
namespace {

using testing::Le16;
using testing::NetHarness;
using testing::VirtqDriver;

constexpr uint64_t kAll = ~0ull;

std::vector<uint8_t> Frame(size_t len, uint8_t fill) {
  std::vector<uint8_t> p(len, fill);
  std::fill(p.begin(), p.begin() + 12, uint8_t{0});  // virtio_net_hdr_v1
  return p;
}

// Two pairs (queues 0-3) and the control queue (4); pair 1 on loop1.
struct TwoLoops {
  TwoLoops() {
    h.queue_loops = {&h.loop, &h.loop, &loop1, &loop1, &h.loop};
    EXPECT_TRUE(h.Init({.num_queues = 4}, kAll).ok());
  }
  uint8_t SetPairs(uint16_t n) {
    VirtqDriver& q = h.drivers[4];
    auto req = q.AddRequest({{kNetCtrlMq, kNetCtrlMqVqPairsSet}, Le16(n)}, {1});
    if (!req.ok() || !q.Kick().ok()) return 0xff;
    h.device->QueueNotified(4);
    auto ack = q.ReadBytes(req->segments.back().gpa, 1);
    return ack.ok() ? (*ack)[0] : 0xff;
  }
  void RxBuffers(uint16_t pair, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(h.drivers[2 * pair].AddRequest({}, {2048}).ok());
    ASSERT_TRUE(h.drivers[2 * pair].Kick().ok());
  }
  VirtualClock clock1;
  DeterministicEventLoop loop1{clock1};  // outlives the device (its watches)
  NetHarness h;
};

TEST(VirtioNetPairs, EachPairIsAGroupAndTheControlQueueIsInGroupZero) {
  NetHarness h;
  ASSERT_TRUE(h.Init({.num_queues = 6}, kAll).ok());
  EXPECT_EQ(h.device->QueueGroups(),
            (std::vector<std::vector<uint16_t>>{{0, 1, 6}, {2, 3}, {4, 5}}));
}

TEST(VirtioNetPairs, APairWatchesItsTapOnItsOwnLoop) {
  TwoLoops t;
  ASSERT_EQ(t.SetPairs(2), kNetOk);
  EXPECT_TRUE(t.h.endpoints[1]->enabled);  // attached at once
  t.RxBuffers(1, 2);
  t.h.device->QueueNotified(2);  // as pair 1's loop does
  ASSERT_TRUE(t.h.device->rx_watching(1));
  t.h.endpoints[1]->Push(Frame(80, 1));
  t.h.loop.RunUntilIdle();  // the control loop does not read pair 1's tap
  EXPECT_EQ(t.h.device->stats().rx_packets, 0u);
  t.loop1.RunUntilIdle();
  EXPECT_EQ(t.h.device->stats().rx_packets, 1u);
  EXPECT_TRUE((*t.h.drivers[2].PopUsed()).has_value());
}

TEST(VirtioNetPairs, ABusyPairDoesNotHoldTheOtherBack) {
  TwoLoops t;
  ASSERT_EQ(t.SetPairs(2), kNetOk);
  t.loop1.RunUntilIdle();
  t.RxBuffers(0, 8);
  t.RxBuffers(1, 8);
  t.h.device->QueueNotified(0);
  t.h.device->QueueNotified(2);
  // Pair 0's tap has a backlog its loop never gets to (a busy worker).
  for (int i = 0; i < 8; ++i) t.h.endpoints[0]->Push(Frame(100, 2));
  t.h.endpoints[1]->Push(Frame(90, 3));
  t.loop1.RunUntilIdle();
  auto used = *t.h.drivers[2].PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, 90u);
  EXPECT_FALSE((*t.h.drivers[0].PopUsed()).has_value());
  t.h.loop.RunUntilIdle();
  int delivered = 0;
  while ((*t.h.drivers[0].PopUsed()).has_value()) ++delivered;
  EXPECT_EQ(delivered, 8);
}

TEST(VirtioNetPairs, FewerPairsStopTheWatchOnThatPairsLoop) {
  TwoLoops t;
  ASSERT_EQ(t.SetPairs(2), kNetOk);
  t.loop1.RunUntilIdle();
  t.RxBuffers(1, 2);
  t.h.device->QueueNotified(2);
  ASSERT_TRUE(t.h.device->rx_watching(1));
  ASSERT_EQ(t.SetPairs(1), kNetOk);
  EXPECT_FALSE(t.h.endpoints[1]->enabled);
  EXPECT_TRUE(t.h.device->rx_watching(1));  // pair 1's loop has not run yet
  t.loop1.RunUntilIdle();
  EXPECT_FALSE(t.h.device->rx_watching(1));
}

TEST(VirtioNetPairs, StopQueueGroupStopsOnlyThatPair) {
  TwoLoops t;
  ASSERT_EQ(t.SetPairs(2), kNetOk);
  t.loop1.RunUntilIdle();
  t.RxBuffers(0, 2);
  t.RxBuffers(1, 2);
  t.h.device->QueueNotified(0);
  t.h.device->QueueNotified(2);
  ASSERT_TRUE(t.h.device->rx_watching(0));
  ASSERT_TRUE(t.h.device->rx_watching(1));
  bool done = false;
  t.h.device->StopQueueGroup(1, [&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_FALSE(t.h.device->rx_watching(1));
  EXPECT_TRUE(t.h.device->rx_watching(0));
}

}  // namespace
}  // namespace petrel::virtio
