// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for Tap: option checks, and (when this host lets us create taps) a
// real tap: host configuration, and packets both ways through an AF_PACKET
// socket bound to the tap's host side.
#include "devices/net/tap.h"

#include <fcntl.h>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "devices/net/caller_tap_test_util.h"

namespace petrel::net {
namespace {

constexpr uint16_t kTestEtherType = 0x88b5;  // IEEE 802: local experimental

// Creates a tap or skips the test, visibly.
#define OPEN_TAP_OR_SKIP(var, options)                                         \
  auto var##_result = OpenTap(options);                                        \
  if (!var##_result.ok()) {                                                    \
    GTEST_SKIP() << "cannot create a tap: " << var##_result.error().message(); \
  }                                                                            \
  TapDevice var = std::move(var##_result).value()

std::vector<uint8_t> TestFrame(uint8_t fill, size_t payload) {
  std::vector<uint8_t> f(14 + payload, fill);
  for (int i = 0; i < 6; ++i) f[i] = 0xff;  // broadcast destination
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x42};
  std::memcpy(&f[6], src, 6);
  f[12] = kTestEtherType >> 8;
  f[13] = kTestEtherType & 0xff;
  return f;
}

class PacketSocket {
 public:
  explicit PacketSocket(const std::string& ifname) {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(kTestEtherType));
    if (fd_ < 0) return;
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(kTestEtherType);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
      close(fd_);
      fd_ = -1;
    }
    ifindex_ = sll.sll_ifindex;
  }
  ~PacketSocket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  bool Send(const std::vector<uint8_t>& frame) {
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    sll.sll_halen = 6;
    std::memcpy(sll.sll_addr, frame.data(), 6);
    return sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&sll),
                  sizeof sll) == static_cast<ssize_t>(frame.size());
  }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
};

bool WaitReadable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

TEST(TapTest, RejectsBadOptions) {
  EXPECT_EQ(OpenTap({.name = std::string(IFNAMSIZ, 'x')}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(OpenTap({.queue_pairs = 0}).error().code(), ErrorCode::kInvalidArgument);
}

TEST(TapTest, CreatesAndConfiguresHostSide) {
  const MacAddress host_mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  OPEN_TAP_OR_SKIP(
      tap, (TapOptions{
               .ip = Ipv4Address{192, 168, 249, 1},
                      .mask = Ipv4Address{255, 255, 255, 0}, .host_mac = host_mac, .mtu = 1400}));
  EXPECT_TRUE(tap.created);
  EXPECT_EQ(tap.name.rfind("tap", 0), 0u) << tap.name;
  ASSERT_EQ(tap.queues.size(), 1u);
  EXPECT_GE(tap.queues[0]->fd(), 0);

  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, tap.name.c_str(), IFNAMSIZ - 1);
  ASSERT_EQ(ioctl(sock, SIOCGIFADDR, &ifr), 0);
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr)->sin_addr.s_addr,
            inet_addr("192.168.249.1"));
  ASSERT_EQ(ioctl(sock, SIOCGIFNETMASK, &ifr), 0);
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(&ifr.ifr_netmask)->sin_addr.s_addr,
            inet_addr("255.255.255.0"));
  ASSERT_EQ(ioctl(sock, SIOCGIFMTU, &ifr), 0);
  EXPECT_EQ(ifr.ifr_mtu, 1400);
  ASSERT_EQ(ioctl(sock, SIOCGIFHWADDR, &ifr), 0);
  EXPECT_EQ(std::memcmp(ifr.ifr_hwaddr.sa_data, host_mac.data(), 6), 0);
  ASSERT_EQ(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
  EXPECT_TRUE(ifr.ifr_flags & IFF_UP);
  close(sock);

  // Offloads the kernel accepts; TSO without CSUM it refuses.
  EXPECT_TRUE(tap.queues[0]->SetOffload(kTunOffloadCsum | kTunOffloadTso4 | kTunOffloadTso6).ok());
  EXPECT_TRUE(tap.queues[0]
                  ->SetOffload(kTunOffloadCsum | kTunOffloadTso4 | kTunOffloadUfo |
                               kTunOffloadUso4 | kTunOffloadUso6)
                  .ok());
  EXPECT_TRUE(tap.queues[0]->SetOffload(0).ok());
  EXPECT_FALSE(tap.queues[0]->SetOffload(kTunOffloadTso4).ok());
}

TEST(TapTest, PacketsBothWaysWithVnetHeader) {
  OPEN_TAP_OR_SKIP(tap, (TapOptions{}));
  PacketSocket host(tap.name);
  if (host.fd() < 0) GTEST_SKIP() << "no AF_PACKET socket";
  TapQueue& q = *tap.queues[0];

  // Nothing waiting yet (non-blocking fd).
  std::vector<uint8_t> buf(kMaxPacketBytes);
  // Drain whatever the kernel may have sent (e.g. IPv6 router solicitations).
  while (true) {
    auto r = q.Read(buf);
    ASSERT_TRUE(r.ok());
    if (!*r) break;
  }

  // Guest -> host: header + frame; the host sees the frame only.
  uint8_t hdr[kVnetHeaderSize] = {};
  auto frame = TestFrame(0xab, 100);
  iovec iov[2] = {{hdr, sizeof hdr}, {frame.data(), frame.size()}};
  ASSERT_TRUE(q.Write(iov).ok());
  ASSERT_TRUE(WaitReadable(host.fd(), 1000));
  std::vector<uint8_t> got(2048);
  ssize_t n = recv(host.fd(), got.data(), got.size(), 0);
  ASSERT_EQ(n, static_cast<ssize_t>(frame.size()));
  got.resize(static_cast<size_t>(n));
  EXPECT_EQ(got, frame);

  // Host -> guest: the tap delivers a 12-byte header then the frame.
  auto back = TestFrame(0xcd, 60);
  ASSERT_TRUE(host.Send(back));
  bool found = false;
  for (int tries = 0; tries < 20 && !found; ++tries) {
    ASSERT_TRUE(WaitReadable(q.fd(), 1000));
    auto r = q.Read(buf);
    ASSERT_TRUE(r.ok());
    if (!*r || **r != kVnetHeaderSize + back.size()) continue;
    found = std::equal(back.begin(), back.end(), buf.begin() + kVnetHeaderSize);
  }
  EXPECT_TRUE(found);
}

TEST(TapTest, MultiQueueOpensOneFdPerPair) {
  OPEN_TAP_OR_SKIP(tap, (TapOptions{.queue_pairs = 2}));
  ASSERT_EQ(tap.queues.size(), 2u);
  EXPECT_NE(tap.queues[0]->fd(), tap.queues[1]->fd());
  EXPECT_TRUE(tap.queues[1]->SetEnabled(false).ok());
  EXPECT_TRUE(tap.queues[1]->SetEnabled(true).ok());
  // Reopening the same interface by name finds it existing: no host setup.
  OPEN_TAP_OR_SKIP(again, (TapOptions{.name = tap.name, .queue_pairs = 2, .ip = Ipv4Address{10, 9, 9, 9}}));
  EXPECT_FALSE(again.created);
}

// CH's --net fd=: taps the caller opened. Petrel works on dups, so the
// caller's fds stay open and usable after the device is gone.
TEST(TapTest, AdoptsCallerOpenedTapFds) {
  std::string why;
  UniqueFd first = testing::OpenCallerTap(why, testing::kCallerTapFlags | IFF_MULTI_QUEUE);
  if (!first.valid()) GTEST_SKIP() << "cannot create a tap: " << why;
  const std::string name = testing::TapNameOf(first.get());
  UniqueFd second =
      testing::OpenCallerTap(why, testing::kCallerTapFlags | IFF_MULTI_QUEUE, name);
  ASSERT_TRUE(second.valid()) << why;
  const int fds_before = testing::CountOpenFds();
  {
    const int fds[] = {first.get(), second.get()};
    auto tap = AdoptTapFds(fds, std::nullopt);
    ASSERT_TRUE(tap.ok()) << tap.error().message();
    EXPECT_EQ(tap->name, name);
    EXPECT_FALSE(tap->created);
    ASSERT_EQ(tap->queues.size(), 2u);
    EXPECT_NE(tap->queues[0]->fd(), first.get());
    EXPECT_NE(tap->queues[1]->fd(), second.get());
    EXPECT_EQ(testing::TapNameOf(tap->queues[1]->fd()), name);
    EXPECT_TRUE(fcntl(tap->queues[0]->fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(fcntl(tap->queues[0]->fd(), F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ(testing::CountOpenFds(), fds_before + 2);
  }
  EXPECT_EQ(testing::CountOpenFds(), fds_before);  // the dups are closed,
  EXPECT_EQ(testing::TapNameOf(first.get()), name);  // the originals are not
}

TEST(TapTest, AdoptRefusesWhatIsNotAUsableTap) {
  auto error_of = [](std::span<const int> fds) {
    auto tap = AdoptTapFds(fds, std::nullopt);
    return tap.ok() ? std::string() : tap.error().message();
  };
  const int fds_before = testing::CountOpenFds();
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  const int not_open = pipe_fds[1] + 100;
  EXPECT_EQ(error_of(std::vector<int>{not_open}),
            "tap fd " + std::to_string(not_open) + ": not an open fd");
  EXPECT_EQ(error_of(std::vector<int>{pipe_fds[0]}),
            "tap fd " + std::to_string(pipe_fds[0]) + ": not a tap (TUNGETIFF failed)");
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(testing::CountOpenFds(), fds_before);

  std::string why;
  UniqueFd no_vnet_hdr = testing::OpenCallerTap(why, IFF_TAP | IFF_NO_PI);
  if (!no_vnet_hdr.valid()) GTEST_SKIP() << "cannot create a tap: " << why;
  const int fd = no_vnet_hdr.get();
  EXPECT_NE(error_of(std::vector<int>{fd}).find("IFF_VNET_HDR"), std::string::npos)
      << error_of(std::vector<int>{fd});
  UniqueFd tun = testing::OpenCallerTap(why, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
  ASSERT_TRUE(tun.valid()) << why;
  EXPECT_NE(error_of(std::vector<int>{tun.get()}).find("a tun, not a tap"), std::string::npos)
      << error_of(std::vector<int>{tun.get()});
  UniqueFd a = testing::OpenCallerTap(why);
  UniqueFd b = testing::OpenCallerTap(why);
  ASSERT_TRUE(a.valid() && b.valid()) << why;
  EXPECT_NE(error_of(std::vector<int>{a.get(), b.get()}).find("not the same interface"),
            std::string::npos);
  // Every failure closed its dups.
  EXPECT_EQ(testing::CountOpenFds(), fds_before + 4);
}

}  // namespace
}  // namespace petrel::net
