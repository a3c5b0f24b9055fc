// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioNet over a real tap (skipped, visibly, when this host cannot create
// one): a guest TX frame reaches the host side of the tap without its
// header, and a frame the host sends into the tap lands in a guest rx buffer.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "devices/net/caller_tap_test_util.h"
#include "devices/net/tap.h"
#include "devices/virtio/net/net_test_util.h"
#include "devices/virtio/net/virtio_net.h"

namespace petrel::virtio {
namespace {

using testing::NetHarness;

constexpr uint16_t kEtherType = 0x88b5;  // IEEE 802: local experimental

std::vector<uint8_t> Frame(uint8_t fill, size_t len) {
  std::vector<uint8_t> f(len, fill);
  std::memset(f.data(), 0xff, 6);  // broadcast
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x42};
  std::memcpy(&f[6], src, 6);
  f[12] = kEtherType >> 8;
  f[13] = kEtherType & 0xff;
  return f;
}

bool Readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

TEST(VirtioNetTapTest, FramesBothWaysThroughRealTap) {
  auto tap = net::OpenTap({});
  if (!tap.ok()) GTEST_SKIP() << "cannot create a tap: " << tap.error().message();
  const std::string name = tap->name;
  const int tap_fd = tap->queues[0]->fd();
  std::vector<std::unique_ptr<net::NetEndpoint>> eps;
  eps.push_back(std::move(tap->queues[0]));

  int sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(kEtherType));
  if (sock < 0) GTEST_SKIP() << "no AF_PACKET socket";
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(kEtherType);
  sll.sll_ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);

  NetHarness h;
  // No guest offloads: the tap must not hand us GSO packets.
  ASSERT_TRUE(h.Init({}, ~FeatureBit(kNetFGuestCsum), std::move(eps)).ok());

  // Guest -> host.
  std::vector<uint8_t> hdr(net::kVnetHeaderSize, 0);
  const auto out = Frame(0x5a, 200);
  ASSERT_TRUE(h.drivers[1].AddRequest({hdr, out}, {}).ok());
  ASSERT_TRUE(h.drivers[1].Kick().ok());
  h.device->QueueNotified(1);
  EXPECT_EQ(h.device->stats().tx_packets, 1u);
  ASSERT_TRUE(Readable(sock, 1000));
  std::vector<uint8_t> got(4096);
  const ssize_t n = recv(sock, got.data(), got.size(), 0);
  ASSERT_EQ(n, static_cast<ssize_t>(out.size()));
  got.resize(static_cast<size_t>(n));
  EXPECT_EQ(got, out);

  // Host -> guest: the kernel may also send its own packets (IPv6 router
  // solicitations), so offer several buffers and look for ours.
  std::vector<testing::VirtqDriver::Request> reqs;
  for (int i = 0; i < 8; ++i) {
    auto r = h.drivers[0].AddRequest({}, {2048});
    ASSERT_TRUE(r.ok());
    reqs.push_back(*r);
  }
  ASSERT_TRUE(h.drivers[0].Kick().ok());
  h.device->QueueNotified(0);
  ASSERT_TRUE(h.device->rx_watching(0));
  const auto in = Frame(0xa5, 120);
  sockaddr_ll to = sll;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  ASSERT_EQ(sendto(sock, in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(in.size()));
  bool found = false;
  for (int tries = 0; tries < 8 && !found; ++tries) {
    if (!Readable(tap_fd, 1000)) break;
    ASSERT_TRUE(h.device->rx_watching(0));
    h.loop.RunUntilIdle();
    for (;;) {
      auto used = h.drivers[0].PopUsed();
      ASSERT_TRUE(used.ok());
      if (!used->has_value()) break;
      if ((*used)->len != net::kVnetHeaderSize + in.size()) continue;
      for (auto& r : reqs) {
        if (r.head != (*used)->id) continue;
        auto bytes = h.drivers[0].ReadBytes(r.segments[0].gpa, (*used)->len);
        ASSERT_TRUE(bytes.ok());
        found = std::equal(in.begin(), in.end(), bytes->begin() + net::kVnetHeaderSize);
      }
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(h.context->failures().empty());
  close(sock);
}

TEST(VirtioNetTapTest, CreateOpensMultiQueueTap) {
  SplitMix64 random(3);
  auto dev = VirtioNet::Create({.ip = net::Ipv4Address{192, 168, 251, 1}, .mtu = 1500, .num_queues = 4}, random);
  if (!dev.ok()) GTEST_SKIP() << "cannot create a tap: " << dev.error().message();
  EXPECT_EQ((*dev)->tap_name().rfind("tap", 0), 0u) << (*dev)->tap_name();
  EXPECT_EQ((*dev)->queue_count(), 5);
  EXPECT_TRUE((*dev)->device_features() & FeatureBit(kNetFMq));
  EXPECT_NE(if_nametoindex((*dev)->tap_name().c_str()), 0u);
}

TEST(VirtioNetTapTest, CreateReportsBadHostOptions) {
  SplitMix64 random(3);
  auto dev = VirtioNet::Create({.tap = "name-longer-than-15"}, random);
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(dev.error().message().find("name-longer-than-15"), std::string::npos)
      << dev.error().message();
}

// --net fd=[...]: the device runs on the caller's tap, not on one it makes.
TEST(VirtioNetTapTest, CreateUsesCallerTapFds) {
  std::string why;
  UniqueFd fd = net::testing::OpenCallerTap(why);
  if (!fd.valid()) GTEST_SKIP() << "cannot create a tap: " << why;
  SplitMix64 random(3);
  auto dev = VirtioNet::Create({.fds = std::vector<int>{fd.get()}}, random);
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  EXPECT_EQ((*dev)->tap_name(), net::testing::TapNameOf(fd.get()));
}

// A snapshot's fd numbers are stale: the device says to give new ones.
TEST(VirtioNetTapTest, CreateRefusesStaleFds) {
  SplitMix64 random(3);
  auto dev = VirtioNet::Create({.fds = std::vector<int>{kNetStaleFd}}, random);
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().message(),
            "virtio-net: its tap fds are from another process (-1); give new ones at restore "
            "(net_fds)");
}

}  // namespace
}  // namespace petrel::virtio
