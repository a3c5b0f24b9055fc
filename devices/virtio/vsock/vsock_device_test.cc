// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for VsockDevice and its host side (VsockMuxer) through a fake
// transport, with real UNIX sockets in the test's temp dir; VsockConfig's
// checks; and the snapshot state through the shared DeviceStateTest.
#include "devices/virtio/vsock/vsock_device.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fcntl.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "devices/testing/device_state_suite.h"
#include "devices/virtio/vsock/vsock_test_bench.h"

namespace petrel::virtio {
namespace {

using vsock_test::Bytes;
using vsock_test::HostAccept;
using vsock_test::HostConnect;
using vsock_test::HostListen;
using vsock_test::HostRead;
using vsock_test::HostWrite;
using vsock_test::kGuestCid;
using vsock_test::Packet;
using vsock_test::SocketPath;
using vsock_test::Str;
using vsock_test::VsockBench;

constexpr uint64_t kSecond = 1'000'000'000;

// Deterministic pseudo-random bytes.
std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  return v;
}

class VsockDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(b_.dev);
    ASSERT_TRUE(b_.Activate().ok());
  }

  // A host program connects, asks for guest port `port`; returns the
  // REQUEST the guest sees (and the host socket).
  Packet HostConnects(UniqueFd& host, uint32_t port, const std::string& extra = "") {
    host = HostConnect(b_.config.socket);
    EXPECT_TRUE(host.valid());
    HostWrite(host.get(), "CONNECT " + std::to_string(port) + "\n" + extra);
    auto req = b_.Next();
    EXPECT_TRUE(req.has_value());
    return req.value_or(Packet{});
  }
  // Host-initiated and accepted by the guest: returns the host port.
  uint32_t Establish(UniqueFd& host, uint32_t guest_port) {
    Packet req = HostConnects(host, guest_port);
    EXPECT_EQ(req.h.op, kVsockOpRequest);
    b_.Send(VsockBench::G(kVsockOpResponse, guest_port, req.h.src_port));
    std::string ok;
    EXPECT_TRUE(b_.PumpUntil([&] {
      ok += HostRead(host.get());
      return ok.find('\n') != std::string::npos;
    }));
    EXPECT_EQ(ok, "OK " + std::to_string(req.h.src_port) + "\n");
    return req.h.src_port;
  }

  VsockBench b_;
};

// ---------------------------------------------------------------------------
// Identity, config, creation

TEST_F(VsockDeviceTest, IdentityIsTheSocketDevice) {
  EXPECT_EQ(b_.dev->device_type(), 19);
  EXPECT_EQ(b_.dev->device_features(), 0u);
  EXPECT_EQ(b_.dev->queue_count(), 3);
  EXPECT_EQ(b_.dev->max_queue_size(), 256);
  EXPECT_EQ(b_.dev->QueueGroups().size(), 1u);
}

TEST(VsockConfigSpaceTest, GuestCidIsLe64AndReadOnly) {
  VsockBench b;
  ASSERT_TRUE(b.dev);
  std::vector<uint8_t> cfg(12, 0xaa);
  b.dev->ReadConfig(0, cfg);
  EXPECT_EQ(cfg, (std::vector<uint8_t>{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  std::vector<uint8_t> w = {9, 9, 9, 9};
  b.dev->WriteConfig(0, w);
  std::vector<uint8_t> lo(4), hi(4);
  b.dev->ReadConfig(0, lo);
  b.dev->ReadConfig(4, hi);
  EXPECT_EQ(lo, (std::vector<uint8_t>{3, 0, 0, 0}));
  EXPECT_EQ(hi, (std::vector<uint8_t>{0, 0, 0, 0}));
  std::vector<uint8_t> far(2, 0xaa);
  b.dev->ReadConfig(~uint64_t{0}, far);  // offset + i wraps: still 0
  EXPECT_EQ(far, (std::vector<uint8_t>{0, 0}));
}

TEST(VsockConfigTest, ValidateChecksCidAndSocket) {
  VsockConfig c{.cid = 3, .socket = "/run/vm.vsock"};
  EXPECT_TRUE(Validate(c).ok());
  for (uint64_t bad : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{0xffffffff},
                       uint64_t{1} << 32, ~uint64_t{0}}) {
    c.cid = bad;
    auto r = Validate(c);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message().rfind("cid=" + std::to_string(bad) + ": ", 0), 0u)
        << r.error().message();
  }
  c.cid = 0xfffffffe;
  EXPECT_TRUE(Validate(c).ok());
  c.socket = "";
  EXPECT_EQ(Validate(c).error().message(), "socket=: needs a path");
  c.socket = std::string(kVsockMaxSocketPathLen, 'a');
  EXPECT_TRUE(Validate(c).ok());
  c.socket += 'a';
  EXPECT_NE(Validate(c).error().message().find("longer than 96 bytes"), std::string::npos);
  c.socket = std::string("/tmp/a\0b", 8);
  EXPECT_FALSE(Validate(c).ok());
}

TEST(VsockCreateTest, ASecondDeviceOnTheSamePathFailsClearly) {
  VsockBench b;
  ASSERT_TRUE(b.dev);
  auto second = VsockDevice::Create({.cid = 4, .socket = b.config.socket});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(second.error().message().find("socket=" + b.config.socket + ": the path exists"),
            std::string::npos)
      << second.error().message();
  // A stale file is not replaced either.
  const std::string stale = SocketPath("stale");
  { UniqueFd f(::open(stale.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
  EXPECT_EQ(VsockDevice::Create({.cid = 4, .socket = stale}).error().code(),
            ErrorCode::kAlreadyExists);
  ::unlink(stale.c_str());
  // A destroyed device removes its socket: the path is free again.
  b.dev.reset();
  struct stat st;
  EXPECT_NE(::stat(b.config.socket.c_str(), &st), 0);
  EXPECT_TRUE(VsockDevice::Create({.cid = 4, .socket = b.config.socket}).ok());
}

TEST(VsockCreateTest, AnInvalidConfigIsRefused) {
  auto r = VsockDevice::Create({.cid = 2, .socket = SocketPath("bad")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("virtio-vsock: cid=2: ", 0), 0u) << r.error().message();
}

// ---------------------------------------------------------------------------
// Host-initiated connections

TEST_F(VsockDeviceTest, HostConnectReachesTheGuestAsARequest) {
  UniqueFd host;
  Packet req = HostConnects(host, 1234);
  EXPECT_EQ(req.h.op, kVsockOpRequest);
  EXPECT_EQ(req.h.type, kVsockTypeStream);
  EXPECT_EQ(req.h.src_cid, kVsockHostCid);
  EXPECT_EQ(req.h.dst_cid, kGuestCid);
  EXPECT_EQ(req.h.src_port, 1u << 30);  // the first host port
  EXPECT_EQ(req.h.dst_port, 1234u);
  EXPECT_EQ(req.h.len, 0u);
  EXPECT_EQ(req.h.buf_alloc, kVsockConnBufAlloc);
  EXPECT_EQ(b_.dev->connection_count(), 1u);
}

TEST_F(VsockDeviceTest, GuestResponseIsAckedWithOkAndDataFlowsBothWays) {
  UniqueFd host;
  const uint32_t port = Establish(host, 1234);
  HostWrite(host.get(), "ping");
  auto data = b_.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->h.op, kVsockOpRw);
  EXPECT_EQ(data->h.src_port, port);
  EXPECT_EQ(data->h.dst_port, 1234u);
  EXPECT_EQ(Str(data->data), "ping");
  b_.Send(VsockBench::G(kVsockOpRw, 1234, port, 4), Bytes("pong"));
  std::string got;
  EXPECT_TRUE(b_.PumpUntil([&] { return (got += HostRead(host.get())) == "pong"; }));
}

TEST_F(VsockDeviceTest, BytesAfterTheConnectLineAreTheGuestsData) {
  UniqueFd host;
  Packet req = HostConnects(host, 77, "early bytes");
  b_.Send(VsockBench::G(kVsockOpResponse, 77, req.h.src_port));
  auto data = b_.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->h.op, kVsockOpRw);
  EXPECT_EQ(Str(data->data), "early bytes");
  EXPECT_EQ(HostRead(host.get()), "OK " + std::to_string(req.h.src_port) + "\n");
}

TEST_F(VsockDeviceTest, TheConnectLineMayComeInPiecesAndInAnyCase) {
  UniqueFd host = HostConnect(b_.config.socket);
  HostWrite(host.get(), "coNNect");
  EXPECT_TRUE(b_.Quiet(5));
  HostWrite(host.get(), "  99 \n");
  auto req = b_.Next();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->h.op, kVsockOpRequest);
  EXPECT_EQ(req->h.dst_port, 99u);
}

TEST_F(VsockDeviceTest, ABadConnectLineClosesTheHostConnection) {
  for (const std::string line : {"HELLO 1234\n", "CONNECT\n", "CONNECT x1\n", "CONNECT 99999999999\n",
                                 "CONNECT 12345678901234567890123456789\n"}) {
    UniqueFd host = HostConnect(b_.config.socket);
    HostWrite(host.get(), line);
    bool eof = false;
    EXPECT_TRUE(b_.PumpUntil([&] {
      HostRead(host.get(), &eof);
      return eof;
    })) << line;
  }
  EXPECT_TRUE(b_.inbox.empty());
  EXPECT_EQ(b_.dev->connection_count(), 0u);
}

TEST_F(VsockDeviceTest, GuestRstClosesTheHostConnection) {
  UniqueFd host;
  Packet req = HostConnects(host, 5);
  b_.Send(VsockBench::G(kVsockOpRst, 5, req.h.src_port));
  bool eof = false;
  EXPECT_TRUE(b_.PumpUntil([&] {
    EXPECT_EQ(HostRead(host.get(), &eof), "");  // never "OK"
    return eof;
  }));
  EXPECT_EQ(b_.dev->connection_count(), 0u);
  EXPECT_TRUE(b_.Quiet(3));  // an RST is not answered
}

TEST_F(VsockDeviceTest, HundredParallelHostConnections) {
  constexpr int kN = 100;
  std::vector<UniqueFd> hosts(kN);
  for (int i = 0; i < kN; ++i) {
    hosts[i] = HostConnect(b_.config.socket);
    ASSERT_TRUE(hosts[i].valid());
    HostWrite(hosts[i].get(), "CONNECT " + std::to_string(5000 + i) + "\n");
  }
  std::map<uint32_t, uint32_t> host_port;  // guest port -> host port
  ASSERT_TRUE(b_.PumpUntil([&] {
    while (!b_.inbox.empty()) {
      Packet p = b_.inbox.front();
      b_.inbox.pop_front();
      EXPECT_EQ(p.h.op, kVsockOpRequest);
      host_port[p.h.dst_port] = p.h.src_port;
    }
    return host_port.size() == kN;
  }));
  std::set<uint32_t> distinct;
  for (auto& [g, h] : host_port) distinct.insert(h);
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kN));
  EXPECT_EQ(b_.dev->connection_count(), static_cast<size_t>(kN));
  for (auto& [g, h] : host_port) b_.Send(VsockBench::G(kVsockOpResponse, g, h));
  // Every host program gets its OK, then talks to its guest socket.
  for (int i = 0; i < kN; ++i) {
    std::string ok;
    ASSERT_TRUE(b_.PumpUntil([&] {
      ok += HostRead(hosts[i].get());
      return ok.find('\n') != std::string::npos;
    }));
    EXPECT_EQ(ok, "OK " + std::to_string(host_port[5000 + i]) + "\n");
    HostWrite(hosts[i].get(), "from " + std::to_string(i));
  }
  std::map<uint32_t, std::string> got;
  ASSERT_TRUE(b_.PumpUntil([&] {
    while (!b_.inbox.empty()) {
      Packet p = b_.inbox.front();
      b_.inbox.pop_front();
      if (p.h.op == kVsockOpRw) got[p.h.dst_port] += Str(p.data);
    }
    return got.size() == kN;
  }));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(got[5000 + i], "from " + std::to_string(i));
  for (int i = 0; i < kN; ++i) {
    const uint32_t g = 5000 + i;
    b_.Send(VsockBench::G(kVsockOpRw, g, host_port[g], 3), Bytes("ack"));
  }
  for (int i = 0; i < kN; ++i) {
    std::string s;
    ASSERT_TRUE(b_.PumpUntil([&] { return (s += HostRead(hosts[i].get())) == "ack"; }));
  }
}

// ---------------------------------------------------------------------------
// Guest-initiated connections

TEST_F(VsockDeviceTest, GuestConnectsToTheHostServiceSocket) {
  UniqueFd service = HostListen(b_.config.socket + "_1234");
  ASSERT_TRUE(service.valid());
  b_.Send(VsockBench::G(kVsockOpRequest, 50000, 1234));
  auto resp = b_.Next();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->h.op, kVsockOpResponse);
  EXPECT_EQ(resp->h.src_cid, kVsockHostCid);
  EXPECT_EQ(resp->h.dst_cid, kGuestCid);
  EXPECT_EQ(resp->h.src_port, 1234u);
  EXPECT_EQ(resp->h.dst_port, 50000u);
  UniqueFd conn = HostAccept(service.get());
  ASSERT_TRUE(conn.valid());
  b_.Send(VsockBench::G(kVsockOpRw, 50000, 1234, 5), Bytes("hello"));
  std::string got;
  EXPECT_TRUE(b_.PumpUntil([&] { return (got += HostRead(conn.get())) == "hello"; }));
  HostWrite(conn.get(), "world");
  auto data = b_.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->h.op, kVsockOpRw);
  EXPECT_EQ(data->h.src_port, 1234u);
  EXPECT_EQ(data->h.dst_port, 50000u);
  EXPECT_EQ(Str(data->data), "world");
  ::unlink((b_.config.socket + "_1234").c_str());
}

TEST_F(VsockDeviceTest, GuestConnectToAMissingServiceIsReset) {
  b_.Send(VsockBench::G(kVsockOpRequest, 50001, 4321));
  auto rst = b_.Next();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->h.op, kVsockOpRst);
  EXPECT_EQ(rst->h.src_port, 4321u);
  EXPECT_EQ(rst->h.dst_port, 50001u);
  EXPECT_EQ(rst->h.dst_cid, kGuestCid);
  EXPECT_EQ(b_.dev->connection_count(), 0u);
}

// ---------------------------------------------------------------------------
// Bulk data and credit

// 1 MiB from the guest to a host program that reads slowly: the guest
// keeps to the credit the device advertises, the device buffers what the
// host socket does not take, and every byte arrives in order.
TEST_F(VsockDeviceTest, BulkGuestToHostWithinTheDevicesCredit) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7000);
  const std::vector<uint8_t> data = Pattern(1 << 20, 1);
  size_t sent = 0;
  uint32_t dev_fwd = 0;  // the device's fwd_cnt as last heard
  uint32_t dev_buf = kVsockConnBufAlloc;
  std::vector<uint8_t> got;
  int round = 0;
  ASSERT_TRUE(b_.PumpUntil(
      [&] {
        while (!b_.inbox.empty()) {
          Packet p = b_.inbox.front();
          b_.inbox.pop_front();
          EXPECT_NE(p.h.op, kVsockOpRst);
          EXPECT_EQ(p.h.op, kVsockOpCreditUpdate);
          dev_fwd = p.h.fwd_cnt;
          dev_buf = p.h.buf_alloc;
        }
        // Credit (§5.10.6.3): buf_alloc - (sent - fwd_cnt).
        const uint32_t credit = dev_buf - (static_cast<uint32_t>(sent) - dev_fwd);
        const size_t n = std::min<size_t>({credit, kVsockMaxPayload, data.size() - sent});
        if (n > 0 && b_.tx_in_flight() < 100) {
          std::vector<uint8_t> chunk(data.begin() + sent, data.begin() + sent + n);
          b_.Send(VsockBench::G(kVsockOpRw, 7000, port, static_cast<uint32_t>(n)), chunk);
          sent += n;
        }
        // The host reads only every tenth turn, at most 16 KiB.
        if (++round % 10 == 0) {
          uint8_t buf[16384];
          const ssize_t r = ::read(host.get(), buf, sizeof buf);
          if (r > 0) got.insert(got.end(), buf, buf + r);
        }
        return got.size() == data.size();
      },
      200000));
  EXPECT_TRUE(got == data);
  EXPECT_EQ(b_.dev->Counters()["tx_bytes"], data.size());
}

// 1 MiB from a host program to the guest, which announces its consumption
// only now and then: the device never sends beyond the guest's credit, and
// asks for credit when it has none.
TEST_F(VsockDeviceTest, BulkHostToGuestWithinTheGuestsCredit) {
  UniqueFd service = HostListen(b_.config.socket + "_8000");
  constexpr uint32_t kGuestBuf = 128 * 1024;
  b_.Send(VsockBench::G(kVsockOpRequest, 40000, 8000, 0, 0, kGuestBuf, 0));
  auto resp = b_.Next();
  ASSERT_TRUE(resp && resp->h.op == kVsockOpResponse);
  UniqueFd host = HostAccept(service.get());
  ASSERT_TRUE(host.valid());
  const std::vector<uint8_t> data = Pattern(1 << 20, 2);
  size_t written = 0;
  std::vector<uint8_t> got;
  uint32_t announced = 0;  // fwd_cnt the guest told the device
  int credit_requests = 0;
  ASSERT_TRUE(b_.PumpUntil(
      [&] {
        if (written < data.size()) {
          const ssize_t n = ::send(host.get(), data.data() + written,
                                   std::min<size_t>(data.size() - written, 100000),
                                   MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n > 0) written += static_cast<size_t>(n);
        }
        while (!b_.inbox.empty()) {
          Packet p = b_.inbox.front();
          b_.inbox.pop_front();
          if (p.h.op == kVsockOpCreditRequest) {
            ++credit_requests;
            continue;
          }
          EXPECT_EQ(p.h.op, kVsockOpRw);
          got.insert(got.end(), p.data.begin(), p.data.end());
          // In flight: received, not yet announced consumed.
          EXPECT_LE(got.size() - announced, kGuestBuf);
        }
        // The guest announces its consumption once 100 KiB are unannounced.
        if (got.size() - announced >= 100 * 1024 || got.size() == data.size()) {
          if (got.size() != announced) {
            announced = static_cast<uint32_t>(got.size());
            b_.Send(VsockBench::G(kVsockOpCreditUpdate, 40000, 8000, 0, 0, kGuestBuf, announced));
          }
        }
        return got.size() == data.size();
      },
      200000));
  EXPECT_TRUE(got == data);
  EXPECT_GT(credit_requests, 0);
  EXPECT_EQ(b_.dev->Counters()["rx_bytes"], data.size());
  ::unlink((b_.config.socket + "_8000").c_str());
}

// A guest that ignores the credit: once the host socket and the
// connection's buffer are full, the next packet resets the connection.
TEST_F(VsockDeviceTest, AGuestBeyondItsCreditIsReset) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7001);
  const std::vector<uint8_t> chunk = Pattern(kVsockMaxPayload, 3);
  bool reset = false;
  for (int i = 0; i < 200 && !reset; ++i) {
    b_.Send(VsockBench::G(kVsockOpRw, 7001, port, kVsockMaxPayload), chunk);
    b_.Pump();
    for (const Packet& p : b_.inbox) reset |= p.h.op == kVsockOpRst;
  }
  ASSERT_TRUE(reset);
  EXPECT_EQ(b_.dev->connection_count(), 0u);
  // The host program reads what was forwarded, then EOF.
  bool eof = false;
  size_t total = 0;
  EXPECT_TRUE(b_.PumpUntil([&] {
    total += HostRead(host.get(), &eof).size();
    return eof;
  }));
  EXPECT_GT(total, 0u);
}

TEST_F(VsockDeviceTest, CreditRequestIsAnsweredWithAnUpdate) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7002);
  b_.Send(VsockBench::G(kVsockOpRw, 7002, port, 3), Bytes("abc"));
  b_.Send(VsockBench::G(kVsockOpCreditRequest, 7002, port));
  auto up = b_.Next();
  ASSERT_TRUE(up);
  EXPECT_EQ(up->h.op, kVsockOpCreditUpdate);
  EXPECT_EQ(up->h.fwd_cnt, 3u);
  EXPECT_EQ(up->h.buf_alloc, kVsockConnBufAlloc);
}

// ---------------------------------------------------------------------------
// Shutdown

TEST_F(VsockDeviceTest, GuestFullShutdownClosesTheHostSocket) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7100);
  b_.Send(VsockBench::G(kVsockOpShutdown, 7100, port, 0, kVsockShutdownBoth));
  auto rst = b_.Next();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->h.op, kVsockOpRst);
  bool eof = false;
  EXPECT_TRUE(b_.PumpUntil([&] {
    HostRead(host.get(), &eof);
    return eof;
  }));
  EXPECT_EQ(b_.dev->connection_count(), 0u);
}

TEST_F(VsockDeviceTest, GuestSendShutdownIsEofForTheHostWhichMayStillAnswer) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7101);
  b_.Send(VsockBench::G(kVsockOpRw, 7101, port, 7), Bytes("request"));
  b_.Send(VsockBench::G(kVsockOpShutdown, 7101, port, 0, kVsockShutdownSend));
  std::string got;
  bool eof = false;
  EXPECT_TRUE(b_.PumpUntil([&] {
    got += HostRead(host.get(), &eof);
    return eof;
  }));
  EXPECT_EQ(got, "request");
  HostWrite(host.get(), "answer");
  auto data = b_.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->h.op, kVsockOpRw);
  EXPECT_EQ(Str(data->data), "answer");
}

TEST_F(VsockDeviceTest, HostHalfCloseIsShutdownSendAndGuestDataStillFlows) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7102);
  ASSERT_EQ(::shutdown(host.get(), SHUT_WR), 0);
  auto sh = b_.Next();
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->h.op, kVsockOpShutdown);
  EXPECT_EQ(sh->h.flags, kVsockShutdownSend);
  b_.Send(VsockBench::G(kVsockOpRw, 7102, port, 4), Bytes("late"));
  std::string got;
  EXPECT_TRUE(b_.PumpUntil([&] { return (got += HostRead(host.get())) == "late"; }));
  // The guest is done too: nothing can flow any more.
  b_.Send(VsockBench::G(kVsockOpShutdown, 7102, port, 0, kVsockShutdownSend));
  auto rst = b_.Next();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->h.op, kVsockOpRst);
  EXPECT_EQ(b_.dev->connection_count(), 0u);
}

TEST_F(VsockDeviceTest, HostHangUpIsFullShutdownUntilTheGuestsRst) {
  UniqueFd host;
  const uint32_t port = Establish(host, 7103);
  HostWrite(host.get(), "bye");
  host.reset();
  auto data = b_.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->h.op, kVsockOpRw);
  EXPECT_EQ(Str(data->data), "bye");
  auto sh = b_.Next();
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->h.op, kVsockOpShutdown);
  EXPECT_EQ(sh->h.flags, kVsockShutdownBoth);
  EXPECT_EQ(b_.dev->connection_count(), 1u);
  b_.Send(VsockBench::G(kVsockOpRst, 7103, port));
  EXPECT_EQ(b_.dev->connection_count(), 0u);
  EXPECT_TRUE(b_.Quiet(3));
}

// Timeouts run on virtual time.
TEST(VsockTimeoutTest, AnUnansweredRequestIsResetAfterTwoSeconds) {
  VsockBench b({.deterministic = true});
  ASSERT_TRUE(b.Activate().ok());
  UniqueFd host = HostConnect(b.config.socket);
  HostWrite(host.get(), "CONNECT 9\n");
  auto req = b.Next();
  ASSERT_TRUE(req && req->h.op == kVsockOpRequest);
  ASSERT_TRUE(b.loop().RunOnce(kVsockConnTimeoutNs - 1000).ok());
  b.Pump();
  EXPECT_TRUE(b.inbox.empty());
  static_cast<DeterministicEventLoop&>(b.loop()).RunUntil(b.vclock.NowNs() + kSecond);
  b.Pump();
  ASSERT_EQ(b.inbox.size(), 1u);
  EXPECT_EQ(b.inbox.front().h.op, kVsockOpRst);
  EXPECT_EQ(b.inbox.front().h.dst_port, 9u);
  bool eof = false;
  EXPECT_EQ(HostRead(host.get(), &eof), "");
  EXPECT_TRUE(eof);
  EXPECT_EQ(b.dev->connection_count(), 0u);
}

TEST(VsockTimeoutTest, AHungUpConnectionIsResetIfTheGuestDoesNotAnswer) {
  VsockBench b({.deterministic = true});
  ASSERT_TRUE(b.Activate().ok());
  UniqueFd host = HostConnect(b.config.socket);
  HostWrite(host.get(), "CONNECT 9\n");
  auto req = b.Next();
  ASSERT_TRUE(req);
  b.Send(VsockBench::G(kVsockOpResponse, 9, req->h.src_port));
  b.Pump();
  // Read the OK first: closing over unread bytes is a reset, not a hang-up.
  EXPECT_EQ(HostRead(host.get()), "OK " + std::to_string(req->h.src_port) + "\n");
  host.reset();
  auto sh = b.Next();
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->h.op, kVsockOpShutdown);
  const uint64_t t0 = b.vclock.NowNs();
  auto& loop = static_cast<DeterministicEventLoop&>(b.loop());
  loop.RunUntil(t0 + kVsockConnTimeoutNs - 1);
  b.Pump();
  EXPECT_TRUE(b.inbox.empty());
  loop.RunUntil(t0 + kVsockConnTimeoutNs);
  b.Pump();
  ASSERT_EQ(b.inbox.size(), 1u);
  EXPECT_EQ(b.inbox.front().h.op, kVsockOpRst);
  EXPECT_EQ(b.dev->connection_count(), 0u);
}

// ---------------------------------------------------------------------------
// Hostile packets

TEST_F(VsockDeviceTest, BadPacketsAreDroppedOrResetAndTheDeviceKeepsWorking) {
  // Shorter than a header: dropped.
  b_.SendBytes(std::vector<uint8_t>(20, 0x11));
  b_.SendBytes({});
  // Not from the guest's cid, or not to the host: dropped.
  VsockHeader h = VsockBench::G(kVsockOpRequest, 1, 2);
  h.src_cid = 7;
  b_.Send(h);
  h = VsockBench::G(kVsockOpRequest, 1, 2);
  h.src_cid = kGuestCid | (uint64_t{1} << 32);
  b_.Send(h);
  h = VsockBench::G(kVsockOpRequest, 1, 2);
  h.dst_cid = 1;
  b_.Send(h);
  EXPECT_TRUE(b_.Quiet(3));
  EXPECT_EQ(b_.tx_completed, 5u);  // every chain went back
  // Seqpacket, a len beyond the chain, a huge len, RW for no connection: RST.
  h = VsockBench::G(kVsockOpRequest, 11, 21);
  h.type = kVsockTypeSeqpacket;
  b_.Send(h);
  b_.Send(VsockBench::G(kVsockOpRw, 12, 22, 100), Bytes("short"));
  b_.Send(VsockBench::G(kVsockOpRw, 13, 23, 0x8000'0000));
  b_.Send(VsockBench::G(kVsockOpRw, 14, 24, kVsockMaxPayload + 1),
          std::vector<uint8_t>(kVsockMaxPayload + 1));
  b_.Send(VsockBench::G(kVsockOpRw, 15, 25, 1), Bytes("x"));
  b_.Send(VsockBench::G(kVsockOpCreditUpdate, 16, 26));
  std::vector<std::pair<uint32_t, uint32_t>> rsts;
  ASSERT_TRUE(b_.PumpUntil([&] {
    while (!b_.inbox.empty()) {
      EXPECT_EQ(b_.inbox.front().h.op, kVsockOpRst);
      rsts.emplace_back(b_.inbox.front().h.src_port, b_.inbox.front().h.dst_port);
      b_.inbox.pop_front();
    }
    return rsts.size() == 6;
  }));
  EXPECT_EQ(rsts, (std::vector<std::pair<uint32_t, uint32_t>>{
                      {21, 11}, {22, 12}, {23, 13}, {24, 14}, {25, 15}, {26, 16}}));
  // An RST for no connection is not answered; an unknown op neither kills nor answers.
  b_.Send(VsockBench::G(kVsockOpRst, 17, 27));
  EXPECT_TRUE(b_.Quiet(3));
  EXPECT_TRUE(b_.ctx->failures().empty());
  // Still serving.
  UniqueFd host;
  const uint32_t port = Establish(host, 1);
  h = VsockBench::G(99, 1, port);
  b_.Send(h);
  EXPECT_TRUE(b_.Quiet(3));
  b_.Send(VsockBench::G(kVsockOpRw, 1, port, 2), Bytes("ok"));
  std::string got;
  EXPECT_TRUE(b_.PumpUntil([&] { return (got += HostRead(host.get())) == "ok"; }));
}

TEST_F(VsockDeviceTest, ALenBeyondTheChainResetsTheConnectionItNames) {
  UniqueFd host;
  const uint32_t port = Establish(host, 3);
  b_.Send(VsockBench::G(kVsockOpRw, 3, port, 50), Bytes("only ten.."));
  auto rst = b_.Next();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->h.op, kVsockOpRst);
  EXPECT_EQ(rst->h.src_port, port);
  bool eof = false;
  EXPECT_TRUE(b_.PumpUntil([&] {
    EXPECT_EQ(HostRead(host.get(), &eof), "");
    return eof;
  }));
}

TEST_F(VsockDeviceTest, HeaderAndPayloadMaySplitAnywhere) {
  UniqueFd service = HostListen(b_.config.socket + "_600");
  b_.Send(VsockBench::G(kVsockOpRequest, 30000, 600), {}, {1, 8, 9, 30, 43});
  auto resp = b_.Next();
  ASSERT_TRUE(resp);
  ASSERT_EQ(resp->h.op, kVsockOpResponse);
  UniqueFd conn = HostAccept(service.get());
  const std::vector<uint8_t> payload = Pattern(5000, 9);
  // Header and payload share descriptors: 40 | 4+100 | rest.
  b_.Send(VsockBench::G(kVsockOpRw, 30000, 600, 5000), payload, {40, 144, 145});
  std::string got;
  EXPECT_TRUE(b_.PumpUntil([&] { return (got += HostRead(conn.get())).size() == 5000; }));
  EXPECT_EQ(Bytes(got), payload);
  ::unlink((b_.config.socket + "_600").c_str());
}

TEST_F(VsockDeviceTest, AMalformedRingFailsTheDeviceAndNothingMoreCompletes) {
  // A descriptor outside guest RAM.
  ASSERT_TRUE(b_.tx->WriteDesc(0, {.addr = 1ull << 40, .len = 44}).ok());
  ASSERT_TRUE(b_.tx->SetAvailRing(0, 0).ok());
  ASSERT_TRUE(b_.tx->SetAvailIdx(1).ok());
  b_.dev->QueueNotified(kVsockTxQueue);
  ASSERT_EQ(b_.ctx->failures().size(), 1u);
  EXPECT_NE(b_.ctx->failures()[0].find("virtio-vsock: tx queue"), std::string::npos);
  const uint64_t rx_signals = b_.ctx->signals(kVsockRxQueue);
  const uint64_t tx_signals = b_.ctx->signals(kVsockTxQueue);
  // A host connection and more doorbells: nothing is completed.
  UniqueFd host = HostConnect(b_.config.socket);
  HostWrite(host.get(), "CONNECT 1\n");
  b_.dev->QueueNotified(kVsockRxQueue);
  b_.dev->QueueNotified(kVsockTxQueue);
  b_.dev->QueueNotified(kVsockEventQueue);
  EXPECT_TRUE(b_.Quiet(5));
  EXPECT_EQ(b_.ctx->signals(kVsockRxQueue), rx_signals);
  EXPECT_EQ(b_.ctx->signals(kVsockTxQueue), tx_signals);
  EXPECT_EQ(b_.ctx->failures().size(), 1u);
}

TEST(VsockRxTest, RxBuffersWithoutRoomForAHeaderGoBackEmpty) {
  VsockBench b({.rx_slots = 0});
  ASSERT_TRUE(b.Activate().ok());
  auto tiny = b.rx->Alloc(8);
  ASSERT_TRUE(b.rx->AddChain({{*tiny, 8, true}}).ok());
  ASSERT_TRUE(b.rx->Kick().ok());
  b.Send(VsockBench::G(kVsockOpRequest, 1, 2));  // an RST is due
  auto used = b.rx->PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, 0u);
  EXPECT_TRUE(b.ctx->failures().empty());
}

TEST(VsockRxTest, HeaderOnlyBuffersCarryControlPacketsNotData) {
  VsockBench b({.rx_slots = 0});
  b.AddRxBuffers(4, kVsockHeaderSize);
  ASSERT_TRUE(b.Activate().ok());
  UniqueFd service = HostListen(b.config.socket + "_77");
  b.Send(VsockBench::G(kVsockOpRequest, 7, 77));
  auto resp = b.Next();
  ASSERT_TRUE(resp && resp->h.op == kVsockOpResponse);
  UniqueFd conn = HostAccept(service.get());
  HostWrite(conn.get(), "data");
  // The header-only buffers go back empty; the data waits (no EOF, no
  // SHUTDOWN) for a buffer with room.
  ASSERT_TRUE(b.PumpUntil([&] { return b.empty_rx >= 3; }));
  EXPECT_TRUE(b.inbox.empty());
  b.AddRxBuffers(1, 4096);
  b.PostRx();
  auto data = b.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->h.op, kVsockOpRw);
  EXPECT_EQ(Str(data->data), "data");
  EXPECT_TRUE(b.ctx->failures().empty());
  ::unlink((b.config.socket + "_77").c_str());
}

// ---------------------------------------------------------------------------
// Turns, back-pressure, pause

TEST(VsockTurnsTest, ManyTxChainsAreServedInTurnsAndBackPressured) {
  VsockBench b({.rx_slots = 0, .tx_slots = 256, .tx_slot_bytes = 64});
  ASSERT_TRUE(b.Activate().ok());
  auto orphan = [](int i) {
    const VsockHeaderBytes hb = EncodeVsockHeader(VsockBench::G(kVsockOpRw, 100 + i, 1, 0));
    return std::vector<uint8_t>(hb.begin(), hb.end());
  };
  // A full ring of packets for no connection: each owes an RST, and the
  // guest has given no rx buffer yet. Served 128 per turn.
  for (int i = 0; i < 256; ++i) b.SendBytes(orphan(i), {}, /*notify=*/false);
  b.dev->QueueNotified(kVsockTxQueue);
  for (int i = 0; i < 10; ++i) b.Pump();
  EXPECT_GE(b.ctx->notify_again(kVsockTxQueue), 1u);
  EXPECT_EQ(b.tx_completed, kVsockMaxPendingRefusals);
  // 256 RSTs are owed: the device takes no more tx chains.
  for (int i = 256; i < 300; ++i) b.SendBytes(orphan(i));
  for (int i = 0; i < 10; ++i) b.Pump();
  EXPECT_EQ(b.tx_completed, kVsockMaxPendingRefusals);
  // Rx buffers arrive: the RSTs go out (128 per turn) and tx resumes.
  b.AddRxBuffers(200, 64);
  b.PostRx();
  for (int i = 0; i < 10; ++i) b.Pump();
  EXPECT_EQ(b.tx_completed, 300u);
  EXPECT_EQ(b.inbox.size(), 300u);  // the buffers are recycled
  EXPECT_GE(b.ctx->notify_again(kVsockRxQueue), 1u);
  EXPECT_TRUE(b.ctx->failures().empty());
}

TEST_F(VsockDeviceTest, PausedDeviceServesNothingUntilResumed) {
  UniqueFd host;
  const uint32_t port = Establish(host, 42);
  (void)port;
  bool quiet = false;
  b_.dev->QuiesceQueueGroup(0, [&] { quiet = true; });
  EXPECT_TRUE(quiet);
  HostWrite(host.get(), "while paused");
  b_.dev->QueueNotified(kVsockRxQueue);
  EXPECT_TRUE(b_.Quiet(5));
  b_.dev->ResumeQueueGroup(0);
  auto data = b_.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(Str(data->data), "while paused");
}

// ---------------------------------------------------------------------------
// Reset, transport reset event

TEST_F(VsockDeviceTest, ResetClosesHostSocketsButKeepsListening) {
  UniqueFd host;
  Establish(host, 10);
  UniqueFd service = HostListen(b_.config.socket + "_11");
  b_.Send(VsockBench::G(kVsockOpRequest, 20, 11));
  auto resp = b_.Next();
  ASSERT_TRUE(resp && resp->h.op == kVsockOpResponse);
  UniqueFd conn = HostAccept(service.get());
  ASSERT_TRUE(conn.valid());
  UniqueFd waiting = HostConnect(b_.config.socket);  // no CONNECT line yet
  b_.Pump();
  EXPECT_EQ(b_.dev->connection_count(), 2u);

  b_.ResetDevice();
  EXPECT_EQ(b_.dev->connection_count(), 0u);
  for (int fd : {host.get(), conn.get(), waiting.get()}) {
    bool eof = false;
    HostRead(fd, &eof);
    EXPECT_TRUE(eof);
  }
  // A host program connecting while the driver is away waits for it.
  UniqueFd later = HostConnect(b_.config.socket);
  ASSERT_TRUE(later.valid());
  HostWrite(later.get(), "CONNECT 12\n");
  ASSERT_TRUE(b_.Activate().ok());
  auto req = b_.Next();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->h.op, kVsockOpRequest);
  EXPECT_EQ(req->h.dst_port, 12u);
  ::unlink((b_.config.socket + "_11").c_str());
}

TEST_F(VsockDeviceTest, TransportResetEventGoesIntoTheNextEventBuffer) {
  UniqueFd host;
  Establish(host, 10);
  b_.dev->SendTransportReset();
  EXPECT_TRUE(b_.dev->transport_reset_pending());  // no event buffer yet
  EXPECT_EQ(b_.dev->connection_count(), 0u);       // the guest drops them too
  bool eof = false;
  HostRead(host.get(), &eof);
  EXPECT_TRUE(eof);
  auto req = b_.ev->AddRequest({}, {4});
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(b_.ev->Kick().ok());
  b_.dev->QueueNotified(kVsockEventQueue);
  auto used = b_.ev->PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, 4u);
  EXPECT_EQ(*b_.ev->ReadBytes(req->segments[0].gpa, 4), (std::vector<uint8_t>{0, 0, 0, 0}));
  EXPECT_FALSE(b_.dev->transport_reset_pending());
  EXPECT_EQ(b_.ctx->signals(kVsockEventQueue), 1u);
  // Event buffers are left alone when there is nothing to say.
  ASSERT_TRUE(b_.ev->AddRequest({}, {4}).ok());
  ASSERT_TRUE(b_.ev->Kick().ok());
  b_.dev->QueueNotified(kVsockEventQueue);
  EXPECT_FALSE((*b_.ev->PopUsed()).has_value());
  // With a buffer waiting, the event goes at once.
  b_.dev->SendTransportReset();
  EXPECT_FALSE(b_.dev->transport_reset_pending());
  EXPECT_TRUE((*b_.ev->PopUsed()).has_value());
}

TEST(VsockTransportResetTest, BeforeActivationTheEventWaits) {
  VsockBench b;
  b.dev->SendTransportReset();
  ASSERT_TRUE(b.Activate().ok());
  ASSERT_TRUE(b.ev->AddRequest({}, {4}).ok());
  ASSERT_TRUE(b.ev->Kick().ok());
  b.dev->QueueNotified(kVsockEventQueue);
  auto used = b.ev->PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->len, 4u);
}

// ---------------------------------------------------------------------------
// Snapshot

TEST(VsockRestoreTest, TheRestoredDeviceResetsTheSnapshotsConnections) {
  VsockBench b;
  ASSERT_TRUE(b.dev->Restore({.guest_cid = kGuestCid, .connections = {{1234, 50000}, {1u << 30, 7}}})
                  .ok());
  ASSERT_TRUE(b.Activate().ok());
  std::set<std::pair<uint32_t, uint32_t>> rsts;
  ASSERT_TRUE(b.PumpUntil([&] {
    while (!b.inbox.empty()) {
      EXPECT_EQ(b.inbox.front().h.op, kVsockOpRst);
      rsts.emplace(b.inbox.front().h.src_port, b.inbox.front().h.dst_port);
      b.inbox.pop_front();
    }
    return rsts.size() == 2;
  }));
  EXPECT_EQ(rsts, (std::set<std::pair<uint32_t, uint32_t>>{{1234, 50000}, {1u << 30, 7}}));
  EXPECT_TRUE(b.dev->Save().connections.empty());
}

TEST(VsockRestoreTest, RestoreRefusesAnotherCidAndAnActiveDevice) {
  VsockBench b;
  auto r = b.dev->Restore({.guest_cid = 4});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("guest cid 4 is not this device's cid 3"), std::string::npos);
  ASSERT_TRUE(b.Activate().ok());
  EXPECT_EQ(b.dev->Restore({.guest_cid = kGuestCid}).error().code(), ErrorCode::kBusy);
}

// The shared snapshot suite: a device with a guest-initiated connection
// saves it; a restored device saves the same until activated.
struct VsockTraits {
  using Device = VsockDevice;
  std::string path = SocketPath("suite");
  std::vector<std::unique_ptr<VsockBench>> benches;
  std::vector<std::pair<std::string, UniqueFd>> services;  // "<socket>_900"
  int made = 0;
  ~VsockTraits() {
    for (auto& s : services) ::unlink(s.first.c_str());
  }
  std::unique_ptr<VsockDevice> Make() {
    // Each device binds its own path; the cid is the same.
    auto d = VsockDevice::Create({.cid = kGuestCid, .socket = path + "-" + std::to_string(made++)});
    EXPECT_TRUE(d.ok()) << d.error().message();
    return d.ok() ? std::move(*d) : nullptr;
  }
  void Drive(VsockDevice& d) {
    auto& b = *benches.emplace_back(std::make_unique<VsockBench>(VsockBench::Options{.create = false}));
    const std::string service = d.config().socket + "_900";
    services.emplace_back(service, vsock_test::HostListen(service));
    // The bench activates this device (it does not own it).
    b.ctx->set_device(&d);
    ASSERT_TRUE(b.ctx->ActivateQueue(kVsockRxQueue, b.rx->QueueConfig()).ok());
    ASSERT_TRUE(b.ctx->ActivateQueue(kVsockTxQueue, b.tx->QueueConfig()).ok());
    ASSERT_TRUE(b.ctx->ActivateQueue(kVsockEventQueue, b.ev->QueueConfig()).ok());
    ASSERT_TRUE(d.Activate(*b.ctx).ok());
    // The guest connects to the host service at port 900 ... by hand, as
    // the bench's Send() talks to its own device.
    const VsockHeaderBytes hb = EncodeVsockHeader(VsockBench::G(kVsockOpRequest, 50000, 900));
    auto req = b.tx->AddRequest({std::vector<uint8_t>(hb.begin(), hb.end())}, {});
    ASSERT_TRUE(req.ok());
    ASSERT_TRUE(b.tx->Kick().ok());
    d.QueueNotified(kVsockTxQueue);
    ASSERT_EQ(d.connection_count(), 1u);
  }
  std::vector<uint8_t> Observe(VsockDevice& d) {
    std::vector<uint8_t> out;
    for (auto [h, g] : d.Save().connections) {
      out.push_back(static_cast<uint8_t>(h));
      out.push_back(static_cast<uint8_t>(g));
    }
    return out;
  }
  std::vector<VsockDeviceState> Invalid(const VsockDeviceState& s) {
    VsockDeviceState other_cid = s;
    other_cid.guest_cid = 4;
    VsockDeviceState unsorted = s;
    unsorted.connections = {{2, 2}, {1, 1}};
    VsockDeviceState duplicate = s;
    duplicate.connections = {{1, 1}, {1, 1}};
    VsockDeviceState too_many = s;
    too_many.connections.clear();
    for (uint32_t i = 0; i <= kVsockMaxConnections; ++i) too_many.connections.emplace_back(i, 1);
    return {other_cid, unsorted, duplicate, too_many};
  }
};

}  // namespace
}  // namespace petrel::virtio

namespace petrel::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(VirtioVsock, DeviceStateTest, virtio::VsockTraits);
}  // namespace petrel::testing
