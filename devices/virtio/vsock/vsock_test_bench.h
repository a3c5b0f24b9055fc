// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockBench: a VsockDevice on a fake transport with a guest-side model of
// its three queues (rx buffers recycled from a fixed pool, tx packets laid
// out over descriptors as a test chooses), on an epoll loop (host sockets
// that fill up need writable watches) or a deterministic one (timeouts on
// virtual time); and host-side helpers over real UNIX sockets in the test's
// temp dir. Single-threaded: the test plays guest and host programs.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/base/clock.h"
#include "core/base/unique_fd.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/epoll_event_loop.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "devices/virtio/vsock/vsock_device.h"

namespace petrel::virtio::vsock_test {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

inline constexpr uint64_t kGuestCid = 3;

// A fresh socket path in the test's temp dir (removed if left over).
inline std::string SocketPath(const std::string& tag) {
  static int n = 0;
  std::string dir = ::testing::TempDir();
  if (dir.empty() || dir.back() != '/') dir += '/';
  std::string path = dir + "vsock-" + std::to_string(::getpid()) + "-" + tag + "-" +
                     std::to_string(n++);
  ::unlink(path.c_str());
  return path;
}

// A non-blocking host socket connected to `path` (invalid if it failed).
inline UniqueFd HostConnect(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

// A listening host socket at `path` (a host service for guest connections).
inline UniqueFd HostListen(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  if (::listen(fd.get(), 16) != 0) return {};
  return fd;
}

inline UniqueFd HostAccept(int listener) {
  return UniqueFd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

inline void HostWrite(int fd, const std::string& s) {
  ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

// What is readable now (non-blocking); `eof` set if the peer closed.
inline std::string HostRead(int fd, bool* eof = nullptr) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 && eof != nullptr) *eof = true;
    break;
  }
  return out;
}

inline std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
inline std::string Str(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

struct Packet {
  VsockHeader h;
  std::vector<uint8_t> data;
};

class VsockBench {
 public:
  struct Options {
    bool deterministic = false;  // DeterministicEventLoop on virtual time
    uint32_t rx_slots = 64;      // rx buffers the guest keeps posted
    uint32_t rx_data = 65536;    // payload room of each (after a 44-byte header buffer)
    uint32_t tx_slots = 128;     // tx packets in flight at most
    uint32_t tx_slot_bytes = kVsockHeaderSize + kVsockMaxPayload + 64;  // each at most
    bool create = true;          // create the device now
  };

  explicit VsockBench(Options o) : o_(o) {
    config.cid = kGuestCid;
    config.socket = SocketPath("dev");
    if (o.deterministic) {
      loop_ = std::make_unique<DeterministicEventLoop>(vclock);
    } else {
      loop_ = std::move(EpollEventLoop::Create(mclock)).value();
    }
    mem = *GuestMemory::CreateX86(64ull << 20);
    rx = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem, {.size = 256, .ring_gpa = 0x1'0000, .data_gpa = 0x10'0000, .data_size = 16 << 20}));
    tx = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem, {.size = 256, .ring_gpa = 0x2'0000, .data_gpa = 0x110'0000, .data_size = 16 << 20}));
    ev = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem, {.size = 16, .ring_gpa = 0x3'0000, .data_gpa = 0x210'0000, .data_size = 1 << 20}));
    ctx = std::make_unique<FakeVirtioContext>(mem, *loop_, kVsockQueueCount);
    for (uint32_t i = 0; i < o.rx_slots; ++i) {
      rx_slots_.push_back({*rx->Alloc(kVsockHeaderSize), *rx->Alloc(o.rx_data), o.rx_data, true});
    }
    for (uint32_t i = 0; i < o.tx_slots; ++i) {
      tx_slots_.push_back({*tx->Alloc(o.tx_slot_bytes), true});
    }
    if (o.create) {
      auto d = VsockDevice::Create(config);
      EXPECT_TRUE(d.ok()) << d.error().message();
      if (d.ok()) dev = std::move(*d);
    }
  }
  VsockBench() : VsockBench(Options{}) {}
  ~VsockBench() {
    dev.reset();  // resets on the way out, while the context lives
  }

  EventLoop& loop() { return *loop_; }

  Result<void> Activate() {
    ctx->set_device(dev.get());
    PETREL_TRY(ctx->ActivateQueue(kVsockRxQueue, rx->QueueConfig()));
    PETREL_TRY(ctx->ActivateQueue(kVsockTxQueue, tx->QueueConfig()));
    PETREL_TRY(ctx->ActivateQueue(kVsockEventQueue, ev->QueueConfig()));
    PETREL_TRY(dev->Activate(*ctx));
    PostRx();
    return Ok();
  }
  void ResetDevice() {
    dev->Reset();
    ctx->ResetQueues();
    rx = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem, {.size = 256, .ring_gpa = 0x1'0000, .data_gpa = 0x10'0000, .data_size = 16 << 20}));
    tx = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem, {.size = 256, .ring_gpa = 0x2'0000, .data_gpa = 0x110'0000, .data_size = 16 << 20}));
    ev = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem, {.size = 16, .ring_gpa = 0x3'0000, .data_gpa = 0x210'0000, .data_size = 1 << 20}));
    for (auto& s : rx_slots_) s.free = true;
    for (auto& s : tx_slots_) s.free = true;
    rx_heads_.clear();
    tx_heads_.clear();
    inbox.clear();
  }

  // ---- guest rx
  // Posts every free rx buffer and rings the rx doorbell.
  void PostRx(bool notify = true) {
    bool added = false;
    for (size_t i = 0; i < rx_slots_.size(); ++i) {
      if (!rx_slots_[i].free) continue;
      const RxSlot& r = rx_slots_[i];
      auto head = r.data != 0 ? rx->AddChain({{r.hdr, kVsockHeaderSize, true}, {r.data, r.len, true}})
                              : rx->AddChain({{r.hdr, r.len, true}});
      if (!head.ok()) break;
      rx_slots_[i].free = false;
      rx_heads_[*head] = i;
      added = true;
    }
    if (!added) return;
    ASSERT_TRUE(rx->Kick().ok());
    if (notify) dev->QueueNotified(kVsockRxQueue);
  }
  // Adds `count` more rx buffers of `len` bytes each (header and payload
  // in one descriptor), posted with the next PostRx().
  void AddRxBuffers(uint32_t count, uint32_t len) {
    for (uint32_t i = 0; i < count; ++i) rx_slots_.push_back({*rx->Alloc(len), 0, len, true});
  }
  // Takes every used rx buffer into the inbox (re-posting them if `repost`).
  void ReapRx(bool repost = true) {
    bool any = false;
    for (;;) {
      auto used = rx->PopUsed();
      ASSERT_TRUE(used.ok());
      if (!used->has_value()) break;
      const size_t slot = rx_heads_.at((*used)->id);
      rx_heads_.erase((*used)->id);
      rx_slots_[slot].free = true;
      any = true;
      const uint32_t len = (*used)->len;
      if (len < kVsockHeaderSize) {
        ++empty_rx;
        continue;
      }
      const RxSlot& r = rx_slots_[slot];
      auto hb = *rx->ReadBytes(r.hdr, kVsockHeaderSize);
      Packet p;
      p.h = DecodeVsockHeader(std::span<const uint8_t, kVsockHeaderSize>(hb.data(), hb.size()));
      EXPECT_EQ(len, kVsockHeaderSize + p.h.len);
      p.data = r.data != 0 ? *rx->ReadBytes(r.data, len - kVsockHeaderSize)
                           : *rx->ReadBytes(r.hdr + kVsockHeaderSize, len - kVsockHeaderSize);
      inbox.push_back(std::move(p));
    }
    if (any && repost) PostRx();
  }

  // ---- guest tx
  // A header from the guest.
  static VsockHeader G(uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t len = 0,
                       uint32_t flags = 0, uint32_t buf_alloc = 256 * 1024,
                       uint32_t fwd_cnt = 0) {
    VsockHeader h;
    h.src_cid = kGuestCid;
    h.dst_cid = kVsockHostCid;
    h.src_port = src_port;
    h.dst_port = dst_port;
    h.len = len;
    h.type = kVsockTypeStream;
    h.op = op;
    h.flags = flags;
    h.buf_alloc = buf_alloc;
    h.fwd_cnt = fwd_cnt;
    return h;
  }
  // Sends raw bytes as one tx chain, cut into descriptors at `cuts` (offsets
  // into the bytes), then rings the tx doorbell.
  void SendBytes(const std::vector<uint8_t>& bytes, std::vector<uint32_t> cuts = {},
                 bool notify = true) {
    ReapTx();
    size_t slot = 0;
    while (slot < tx_slots_.size() && !tx_slots_[slot].free) ++slot;
    ASSERT_LT(slot, tx_slots_.size()) << "no free tx slot";
    ASSERT_LE(bytes.size(), o_.tx_slot_bytes);
    ASSERT_TRUE(mem->Write(tx_slots_[slot].gpa, bytes).ok());
    std::vector<VirtqDriver::Segment> segs;
    uint32_t at = 0;
    cuts.push_back(static_cast<uint32_t>(bytes.size()));
    for (uint32_t cut : cuts) {
      if (cut <= at && !(cut == 0 && bytes.empty())) continue;
      segs.push_back({tx_slots_[slot].gpa + at, cut - at, false});
      at = cut;
    }
    if (segs.empty()) segs.push_back({tx_slots_[slot].gpa, 0, false});
    auto head = tx->AddChain(segs);
    ASSERT_TRUE(head.ok()) << head.error().message();
    tx_slots_[slot].free = false;
    tx_heads_[*head] = slot;
    ASSERT_TRUE(tx->Kick().ok());
    if (notify) dev->QueueNotified(kVsockTxQueue);
  }
  void Send(const VsockHeader& h, const std::vector<uint8_t>& payload = {},
            std::vector<uint32_t> cuts = {}) {
    const VsockHeaderBytes hb = EncodeVsockHeader(h);
    std::vector<uint8_t> bytes(hb.begin(), hb.end());
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    SendBytes(bytes, std::move(cuts));
  }
  void ReapTx() {
    for (;;) {
      auto used = tx->PopUsed();
      ASSERT_TRUE(used.ok());
      if (!used->has_value()) break;
      EXPECT_EQ((*used)->len, 0u);
      tx_slots_[tx_heads_.at((*used)->id)].free = true;
      tx_heads_.erase((*used)->id);
      ++tx_completed;
    }
  }
  size_t tx_in_flight() const { return tx_heads_.size(); }

  // ---- running
  // One turn of the loop (host events, NotifyAgain), then the guest takes
  // its rx and tx completions.
  void Pump(int64_t timeout_ns = 0) {
    ASSERT_TRUE(loop_->RunOnce(timeout_ns).ok());
    ReapRx();
    ReapTx();
  }
  // Pumps until `done` or `rounds` turns (each waits up to 1 ms for events
  // on the epoll loop).
  bool PumpUntil(const std::function<bool()>& done, int rounds = 2000) {
    for (int i = 0; i < rounds; ++i) {
      if (done()) return true;
      Pump(o_.deterministic ? 0 : 1'000'000);
    }
    return done();
  }
  // The next packet for the guest (pumping for it), or nullopt.
  std::optional<Packet> Next(int rounds = 2000) {
    if (!PumpUntil([&] { return !inbox.empty(); }, rounds)) return std::nullopt;
    Packet p = std::move(inbox.front());
    inbox.pop_front();
    return p;
  }
  // Pumps a few turns and says whether the guest got nothing.
  bool Quiet(int rounds = 20) {
    for (int i = 0; i < rounds; ++i) Pump(o_.deterministic ? 0 : 1'000'000);
    return inbox.empty();
  }

  VsockConfig config;
  MonotonicClock mclock;
  VirtualClock vclock;
  std::shared_ptr<GuestMemory> mem;
  std::unique_ptr<VirtqDriver> rx, tx, ev;
  std::unique_ptr<FakeVirtioContext> ctx;
  std::unique_ptr<VsockDevice> dev;
  std::deque<Packet> inbox;
  uint64_t tx_completed = 0;
  uint64_t empty_rx = 0;  // rx buffers handed back without a packet

 private:
  struct RxSlot {
    uint64_t hdr;   // the header buffer, or the whole buffer if data == 0
    uint64_t data;  // the payload buffer
    uint32_t len;   // of the payload buffer, or of the whole buffer
    bool free;
  };
  struct TxSlot {
    uint64_t gpa;
    bool free;
  };
  Options o_;
  std::unique_ptr<EventLoop> loop_;
  std::vector<RxSlot> rx_slots_;
  std::vector<TxSlot> tx_slots_;
  std::map<uint16_t, size_t> rx_heads_;
  std::map<uint16_t, size_t> tx_heads_;
};

}  // namespace petrel::virtio::vsock_test
