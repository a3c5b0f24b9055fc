// Tests for Tap: option checks, and (when this host lets us create taps) a
// real tap: host configuration, and packets both ways through an AF_PACKET
// socket bound to the tap's host side.
#include "devices/net/tap.h"

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

}  // namespace
}  // namespace petrel::net
