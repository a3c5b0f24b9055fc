// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for VsockConnection (one connection's state machine and credit, no
// fds) and VsockTxBuffer.
#include "devices/virtio/vsock/vsock_connection.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace petrel::virtio {
namespace {

using Action = VsockConnection::GuestAction;

constexpr uint64_t kCid = 42;
constexpr uint32_t kLocal = 1u << 30;  // host side
constexpr uint32_t kPeer = 1234;       // guest side
constexpr uint32_t kGuestBuf = 256 * 1024;

// A packet from the guest for this connection.
VsockHeader FromGuest(uint16_t op, uint32_t len = 0, uint32_t flags = 0,
                      uint32_t buf_alloc = kGuestBuf, uint32_t fwd_cnt = 0) {
  VsockHeader h;
  h.src_cid = kCid;
  h.dst_cid = kVsockHostCid;
  h.src_port = kPeer;
  h.dst_port = kLocal;
  h.len = len;
  h.type = kVsockTypeStream;
  h.op = op;
  h.flags = flags;
  h.buf_alloc = buf_alloc;
  h.fwd_cnt = fwd_cnt;
  return h;
}

// A connection the guest opened to host port kLocal, RESPONSE already taken.
VsockConnection Established(uint32_t guest_buf = kGuestBuf, uint32_t guest_fwd = 0) {
  VsockConnection c =
      VsockConnection::GuestInitiated(kCid, FromGuest(kVsockOpRequest, 0, 0, guest_buf, guest_fwd));
  auto r = c.TakeControl();
  EXPECT_TRUE(r && r->op == kVsockOpResponse);
  return c;
}

TEST(VsockTxBufferTest, PushConsumeWrapsAroundAndRefusesOverflow) {
  VsockTxBuffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.room(), kVsockConnBufAlloc);
  std::vector<uint8_t> bytes(kVsockConnBufAlloc - 10);
  std::iota(bytes.begin(), bytes.end(), uint8_t{0});
  ASSERT_TRUE(b.Push(bytes));
  EXPECT_FALSE(b.Push(std::vector<uint8_t>(11)));  // all or nothing
  EXPECT_EQ(b.size(), bytes.size());
  b.Consume(bytes.size() - 5);
  // 5 left at the end; 20 more wrap to the start.
  std::vector<uint8_t> more(20, 0xee);
  ASSERT_TRUE(b.Push(more));
  std::vector<uint8_t> out;
  while (!b.empty()) {
    auto f = b.Front();
    out.insert(out.end(), f.begin(), f.end());
    b.Consume(f.size());
  }
  std::vector<uint8_t> want;
  for (size_t i = bytes.size() - 5; i < bytes.size(); ++i) want.push_back(bytes[i]);
  for (uint8_t m : more) want.push_back(m);
  EXPECT_EQ(out, want);
}

TEST(VsockConnectionTest, HostInitiatedSendsRequestAndIsEstablishedByResponse) {
  VsockConnection c = VsockConnection::HostInitiated(kCid, kLocal, kPeer);
  EXPECT_EQ(c.state(), VsockConnState::kLocalInit);
  EXPECT_TRUE(c.WantsTimer());  // waits for the RESPONSE at most kVsockConnTimeoutNs
  auto req = c.TakeControl();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->op, kVsockOpRequest);
  EXPECT_EQ(req->src_cid, kVsockHostCid);
  EXPECT_EQ(req->dst_cid, kCid);
  EXPECT_EQ(req->src_port, kLocal);
  EXPECT_EQ(req->dst_port, kPeer);
  EXPECT_EQ(req->type, kVsockTypeStream);
  EXPECT_EQ(req->buf_alloc, kVsockConnBufAlloc);
  EXPECT_EQ(req->len, 0u);
  EXPECT_FALSE(c.HasControl());
  EXPECT_FALSE(c.WantsHostData());
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpResponse)), Action::kAckHost);
  EXPECT_EQ(c.state(), VsockConnState::kEstablished);
  EXPECT_FALSE(c.WantsTimer());
  EXPECT_TRUE(c.WantsHostData());
  // A second RESPONSE changes nothing.
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpResponse)), Action::kNone);
}

TEST(VsockConnectionTest, ExpiredRequestIsReset) {
  VsockConnection c = VsockConnection::HostInitiated(kCid, kLocal, kPeer);
  (void)c.TakeControl();
  c.OnExpired();
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
  EXPECT_TRUE(c.done());
}

TEST(VsockConnectionTest, GuestInitiatedAnswersWithResponse) {
  VsockConnection c = VsockConnection::GuestInitiated(kCid, FromGuest(kVsockOpRequest));
  EXPECT_EQ(c.local_port(), kLocal);
  EXPECT_EQ(c.peer_port(), kPeer);
  EXPECT_EQ(c.state(), VsockConnState::kPeerInit);
  EXPECT_FALSE(c.WantsTimer());
  auto resp = c.TakeControl();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->op, kVsockOpResponse);
  EXPECT_EQ(resp->src_port, kLocal);
  EXPECT_EQ(resp->dst_port, kPeer);
  EXPECT_EQ(c.state(), VsockConnState::kEstablished);
  // The REQUEST's credit counts: the guest advertised kGuestBuf.
  EXPECT_EQ(c.PeerCredit(), kGuestBuf);
}

TEST(VsockConnectionTest, RwWithinCreditIsForwardedBeyondItIsReset) {
  VsockConnection c = Established();
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 4096)), Action::kForward);
  // The host took 1000 bytes; the rest waits in the buffer.
  c.OnForwarded(1000);
  c.Buffer(std::vector<uint8_t>(3096));
  EXPECT_EQ(c.tx_size(), 3096u);
  // The guest may now send kVsockConnBufAlloc - 3096 more, not one byte beyond.
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, kVsockConnBufAlloc - 3096)), Action::kForward);
  c.Buffer(std::vector<uint8_t>(kVsockConnBufAlloc - 3096));
  EXPECT_EQ(c.tx_size(), kVsockConnBufAlloc);
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 1)), Action::kNone);
  EXPECT_EQ(c.state(), VsockConnState::kKilled);
  EXPECT_TRUE(c.tx_empty());  // dropped with the connection
  EXPECT_TRUE(c.host_closed());
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
  EXPECT_FALSE(c.HasControl());
  EXPECT_TRUE(c.done());
}

TEST(VsockConnectionTest, RwOutsideEstablishedOrEmptyIsDropped) {
  VsockConnection local = VsockConnection::HostInitiated(kCid, kLocal, kPeer);
  EXPECT_EQ(local.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kNone);
  VsockConnection peer = VsockConnection::GuestInitiated(kCid, FromGuest(kVsockOpRequest));
  EXPECT_EQ(peer.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kNone);  // RESPONSE not out
  VsockConnection c = Established();
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 0)), Action::kNone);
  EXPECT_EQ(c.state(), VsockConnState::kEstablished);
}

TEST(VsockConnectionTest, CreditUpdateAfterAQuarterForwardedOrWhenAsked) {
  VsockConnection c = Established();
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, kVsockConnBufAlloc / 4 - 1)), Action::kForward);
  c.OnForwarded(kVsockConnBufAlloc / 4 - 1);
  EXPECT_FALSE(c.HasControl());
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 1)), Action::kForward);
  c.OnForwarded(1);
  auto up = c.TakeControl();
  ASSERT_TRUE(up);
  EXPECT_EQ(up->op, kVsockOpCreditUpdate);
  EXPECT_EQ(up->fwd_cnt, kVsockConnBufAlloc / 4);
  EXPECT_EQ(up->buf_alloc, kVsockConnBufAlloc);
  EXPECT_FALSE(c.HasControl());

  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpCreditRequest)), Action::kNone);
  up = c.TakeControl();
  ASSERT_TRUE(up);
  EXPECT_EQ(up->op, kVsockOpCreditUpdate);
  EXPECT_EQ(up->fwd_cnt, kVsockConnBufAlloc / 4);
}

TEST(VsockConnectionTest, FlushedBytesCountAsForwarded) {
  VsockConnection c = Established();
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 20000)), Action::kForward);
  c.Buffer(std::vector<uint8_t>(20000, 7));
  EXPECT_EQ(c.fwd_cnt(), 0u);
  auto f = c.tx_front();
  ASSERT_EQ(f.size(), 20000u);
  EXPECT_EQ(f[0], 7);
  c.OnFlushed(20000);
  EXPECT_TRUE(c.tx_empty());
  EXPECT_EQ(c.fwd_cnt(), 20000u);
  auto up = c.TakeControl();  // 20000 >= a quarter of 64 KiB
  ASSERT_TRUE(up);
  EXPECT_EQ(up->op, kVsockOpCreditUpdate);
}

TEST(VsockConnectionTest, ForwardCountWrapsAround) {
  VsockConnection c = Established();
  // 4 GiB and a bit through the connection: fwd_cnt wraps; updates go on.
  uint32_t updates = 0;
  const uint64_t packets = (1ull << 32) / kVsockMaxPayload + 2;
  for (uint64_t i = 0; i < packets; ++i) {
    ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, kVsockMaxPayload)), Action::kForward) << i;
    c.OnForwarded(kVsockMaxPayload);
    while (auto h = c.TakeControl()) {
      ASSERT_EQ(h->op, kVsockOpCreditUpdate);
      ++updates;
    }
  }
  EXPECT_EQ(c.fwd_cnt(), static_cast<uint32_t>(packets * kVsockMaxPayload));
  EXPECT_EQ(c.fwd_cnt(), 2 * kVsockMaxPayload);  // wrapped
  EXPECT_EQ(updates, packets);                   // one per 64 KiB packet (>= a quarter)
}

TEST(VsockConnectionTest, PeerCreditFollowsTheGuestAcrossWraparound) {
  // The guest's fwd_cnt starts just below 2^32 (counters are free-running).
  VsockConnection c = Established(kGuestBuf, 0);
  EXPECT_EQ(c.PeerCredit(), kGuestBuf);
  c.SetHostReadable(true);
  ASSERT_TRUE(c.HasData());
  uint64_t sent = 0;
  uint32_t guest_fwd = 0;
  // Send 4 GiB + 128 KiB; the guest consumes everything after each packet.
  while (sent < (1ull << 32) + 2 * kVsockMaxPayload) {
    const uint32_t n = std::min(kVsockMaxPayload, c.PeerCredit());
    ASSERT_GT(n, 0u);
    VsockHeader h = c.TakeData(n);
    ASSERT_EQ(h.op, kVsockOpRw);
    ASSERT_EQ(h.len, n);
    sent += n;
    guest_fwd += n;
    ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpCreditUpdate, 0, 0, kGuestBuf, guest_fwd)),
              Action::kNone);
    ASSERT_EQ(c.PeerCredit(), kGuestBuf);
  }
  EXPECT_EQ(c.rx_cnt(), static_cast<uint32_t>(sent));
  // In flight across the wrap: sent 64 KiB the guest has not consumed.
  (void)c.TakeData(kVsockMaxPayload);
  EXPECT_EQ(c.PeerCredit(), kGuestBuf - kVsockMaxPayload);
}

TEST(VsockConnectionTest, NoCreditMeansNoDataAndOneCreditRequest) {
  VsockConnection c = Established(/*guest_buf=*/1000);
  c.SetHostReadable(true);
  ASSERT_TRUE(c.HasData());
  (void)c.TakeData(1000);
  EXPECT_EQ(c.PeerCredit(), 0u);
  EXPECT_FALSE(c.HasData());
  auto req = c.TakeControl();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->op, kVsockOpCreditRequest);
  // The guest answers with unchanged credit: asking again would ping-pong.
  (void)c.OnGuestPacket(FromGuest(kVsockOpCreditUpdate, 0, 0, 1000, 0));
  EXPECT_FALSE(c.HasControl());
  EXPECT_FALSE(c.HasData());
  // The guest consumed 600: data flows again.
  (void)c.OnGuestPacket(FromGuest(kVsockOpCreditUpdate, 0, 0, 1000, 600));
  EXPECT_EQ(c.PeerCredit(), 600u);
  EXPECT_TRUE(c.HasData());
}

TEST(VsockConnectionTest, AGuestCountAheadOfWhatItWasSentGivesNoCredit) {
  VsockConnection c = Established(kGuestBuf, 0);
  c.SetHostReadable(true);
  (void)c.TakeData(100);
  (void)c.OnGuestPacket(FromGuest(kVsockOpCreditUpdate, 0, 0, kGuestBuf, 5000));  // lies
  EXPECT_EQ(c.PeerCredit(), 0u);
  EXPECT_FALSE(c.HasData());
}

TEST(VsockConnectionTest, GuestShutdownFlagsAccumulate) {
  VsockConnection c = Established();
  (void)c.OnGuestPacket(FromGuest(kVsockOpShutdown, 0, kVsockShutdownRcv));
  EXPECT_EQ(c.guest_shutdown(), kVsockShutdownRcv);
  EXPECT_FALSE(c.WantsHostData());  // the guest receives no more
  EXPECT_FALSE(c.WantsHostWriteShutdown());
  EXPECT_FALSE(c.HasControl());
  // Data from the guest still flows.
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kForward);
  c.OnForwarded(10);
  (void)c.OnGuestPacket(FromGuest(kVsockOpShutdown, 0, kVsockShutdownSend));
  EXPECT_EQ(c.guest_shutdown(), kVsockShutdownBoth);
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
  EXPECT_TRUE(c.done());
}

TEST(VsockConnectionTest, GuestSendShutdownShutsTheHostWriteSideOnceDrained) {
  VsockConnection c = Established();
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 100)), Action::kForward);
  c.Buffer(std::vector<uint8_t>(100));
  (void)c.OnGuestPacket(FromGuest(kVsockOpShutdown, 0, kVsockShutdownSend));
  EXPECT_FALSE(c.WantsHostWriteShutdown());  // 100 bytes still to go
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kNone);  // sends no more
  c.OnFlushed(100);
  EXPECT_TRUE(c.WantsHostWriteShutdown());
  c.OnHostWriteShutdown();
  EXPECT_FALSE(c.WantsHostWriteShutdown());
  EXPECT_TRUE(c.WantsHostData());  // the host may still answer
  EXPECT_EQ(c.state(), VsockConnState::kEstablished);
}

TEST(VsockConnectionTest, FullGuestShutdownWaitsForBufferedDataThenResets) {
  VsockConnection c = Established();
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 100)), Action::kForward);
  c.Buffer(std::vector<uint8_t>(100));
  (void)c.OnGuestPacket(FromGuest(kVsockOpShutdown, 0, kVsockShutdownBoth));
  EXPECT_FALSE(c.HasControl());
  EXPECT_TRUE(c.WantsTimer());  // drains within the timeout or is reset
  c.OnFlushed(60);
  EXPECT_FALSE(c.HasControl());
  c.OnFlushed(40);
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
  EXPECT_FALSE(c.WantsTimer());
}

TEST(VsockConnectionTest, HostHalfCloseSendsShutdownSendAndKeepsGuestData) {
  VsockConnection c = Established();
  c.OnHostEof(/*hung_up=*/false);
  EXPECT_TRUE(c.host_eof());
  EXPECT_FALSE(c.WantsHostData());
  auto sh = c.TakeControl();
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->op, kVsockOpShutdown);
  EXPECT_EQ(sh->flags, kVsockShutdownSend);
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kForward);
  c.OnForwarded(10);
  // The guest is done sending too: nothing can flow, an RST ends it.
  (void)c.OnGuestPacket(FromGuest(kVsockOpShutdown, 0, kVsockShutdownSend));
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
}

TEST(VsockConnectionTest, HostHangUpSendsFullShutdownAndWaitsForTheGuestsRst) {
  VsockConnection c = Established();
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 100)), Action::kForward);
  c.Buffer(std::vector<uint8_t>(100));
  c.OnHostEof(/*hung_up=*/true);
  EXPECT_EQ(c.state(), VsockConnState::kClosing);
  EXPECT_TRUE(c.tx_empty());  // nowhere to go
  EXPECT_TRUE(c.WantsTimer());
  auto sh = c.TakeControl();
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->op, kVsockOpShutdown);
  EXPECT_EQ(sh->flags, kVsockShutdownBoth);
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kNone);
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRst)), Action::kClose);
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.HasControl());
  EXPECT_FALSE(c.WantsTimer());
}

TEST(VsockConnectionTest, HostHangUpTimesOutIntoAnRst) {
  VsockConnection c = Established();
  c.OnHostEof(true);
  (void)c.TakeControl();
  c.OnExpired();
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
}

TEST(VsockConnectionTest, GuestRstClosesAtOnceAndLaterPacketsAreIgnored) {
  VsockConnection c = Established();
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRst)), Action::kClose);
  EXPECT_TRUE(c.done());
  EXPECT_TRUE(c.host_closed());
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRw, 10)), Action::kNone);
  EXPECT_FALSE(c.HasControl());
}

TEST(VsockConnectionTest, ASecondRequestResetsTheConnection) {
  VsockConnection c = Established();
  EXPECT_EQ(c.OnGuestPacket(FromGuest(kVsockOpRequest)), Action::kNone);
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
}

TEST(VsockConnectionTest, KillDropsEverythingButTheRst) {
  VsockConnection c = Established();
  ASSERT_EQ(c.OnGuestPacket(FromGuest(kVsockOpCreditRequest)), Action::kNone);
  c.Kill();
  auto rst = c.TakeControl();
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->op, kVsockOpRst);
  EXPECT_FALSE(c.TakeControl());
}

}  // namespace
}  // namespace petrel::virtio
