// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes VsockDevice (virtio 1.2 §5.10, Cloud Hypervisor's hybrid vsock)
// against a hostile driver and busy host programs. One device lives for
// the whole run (its socket in a private temp dir, with host services
// listening at "<socket>_1" and "<socket>_2"); each input activates it on
// a fresh fake transport and deterministic loop, then plays up to 48 steps:
//   - raw mode (first byte odd): the three rings' placement and sizes come
//     from the input and the rest becomes guest RAM (rings, descriptors,
//     headers; a flags bit makes every descriptor point into RAM); steps
//     ring doorbells;
//   - structured mode: a guest driver (VirtqDriver) sends packets whose
//     fields the input picks (mostly well addressed, to reach the
//     connection logic: REQUEST/RESPONSE/RW/SHUTDOWN/credit/RST, ports
//     often those the device just used, lengths right and wrong, payloads
//     up to 64 KiB + 1, floods of one packet, header and payload split
//     anywhere) and posts rx and event buffers of any size;
// and in both, host programs connect ("CONNECT <port>\n" or garbage), write,
// half-close and close, host services accept and answer, virtual time
// passes (the 2 s timeouts), the VM pauses and resumes, transport resets,
// device resets. Oracles: no crash or sanitizer report; after a Fail()
// nothing more is completed until reset; the connection count, the host
// programs waiting and the refusals owed stay within their caps; every rx
// packet (structured mode) comes from the host to the guest's cid with a
// used length of header + len, and an RW never beyond the credit the guest
// gave (§5.10.6.3; checked against every credit the device may have taken
// since the guest last read its rx ring); Save/Restore round-trips.
// fuzz/seeds/vsock_fuzz/flood reaches a full host socket, the buffered
// data's flush and the RST of a guest beyond its credit.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/unique_fd.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "devices/virtio/virtio_spec.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "fuzz/fuzz_input.h"

namespace {

using petrel::UniqueFd;
using petrel::fuzz::FuzzInput;
using petrel::virtio::SplitQueue;
using petrel::virtio::VsockDevice;
using petrel::virtio::VsockHeader;
using petrel::virtio::testing::VirtqDriver;
namespace v = petrel::virtio;

// An oracle: a failed one names its line before aborting.
void CheckAt(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "vsock_fuzz: oracle at line %d failed\n", line);
  std::abort();
}
#define Check(ok) CheckAt((ok), __LINE__)

constexpr uint64_t kCid = 3;
constexpr uint64_t kRawMemSize = 64 << 10;
constexpr uint64_t kMemSize = 16 << 20;
constexpr int kMaxSteps = 48;
constexpr size_t kMaxHosts = 8;
constexpr uint64_t kSecond = 1'000'000'000;

UniqueFd Listen(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  Check(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  Check(::listen(fd.get(), 64) == 0);
  return fd;
}

UniqueFd Connect(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

void Drain(int fd) {
  char buf[16384];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

// What lives across inputs: the device (binding a socket is slow) and the
// host services its guest connects to.
struct World {
  World() {
    char tmpl[] = "/tmp/petrel-vsock-fuzz-XXXXXX";
    Check(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/v.sock";
    services[0] = Listen(path + "_1");
    services[1] = Listen(path + "_2");
    auto d = VsockDevice::Create({.cid = kCid, .socket = path});
    Check(d.ok());
    dev = std::move(*d);
    auto m = petrel::GuestMemory::CreateX86(kRawMemSize);
    Check(m.ok());
    raw_mem = *m;
    m = petrel::GuestMemory::CreateX86(kMemSize);
    Check(m.ok());
    mem = *m;
  }
  ~World() {
    dev.reset();
    ::unlink((path + "_1").c_str());
    ::unlink((path + "_2").c_str());
    ::rmdir(dir.c_str());
  }
  std::string dir, path;
  UniqueFd services[2];
  std::unique_ptr<VsockDevice> dev;
  std::shared_ptr<petrel::GuestMemory> raw_mem, mem;
};

SplitQueue::Config RawQueueConfig(FuzzInput& in) {
  SplitQueue::Config c;
  const uint8_t b = in.Byte();
  c.size = static_cast<uint16_t>(1u << (b % 6));  // 1..32
  c.event_idx = b & 0x40;
  c.indirect = b & 0x80;
  c.desc_gpa = uint64_t{in.Byte()} << 8;
  c.avail_gpa = uint64_t{in.Byte()} << 8;
  c.used_gpa = uint64_t{in.Byte()} << 8;
  return c;
}

// The guest side of structured mode: what it posted and the credit it gave.
struct Guest {
  using Key = std::pair<uint32_t, uint32_t>;  // (host port, guest port)
  std::unique_ptr<VirtqDriver> q[3];
  std::map<uint16_t, std::vector<VirtqDriver::Segment>> rx_posted;  // head -> buffers
  // Per connection: bytes received, and the (fwd_cnt, buf_alloc) pairs the
  // device may be using: every one it took since the guest last read its
  // rx ring (the rings do not say how tx and rx interleaved), and the last
  // one before. A guest REQUEST starts a new count once the device answers
  // it with a RESPONSE: packets of an older connection come before that.
  struct Credit {
    uint32_t received = 0;
    std::vector<std::pair<uint32_t, uint32_t>> window;
    // Per unanswered REQUEST, the credit the device may use for the
    // connection it opens (the REQUEST's, and any packet's since).
    std::deque<std::vector<std::pair<uint32_t, uint32_t>>> requested;
  };
  std::map<Key, Credit> credit;
  // Credit carried by tx chains not yet used: head -> (connection, op, fwd_cnt, buf_alloc).
  struct Told {
    Key key;
    uint16_t op;
    uint32_t fwd_cnt;
    uint32_t buf_alloc;
  };
  std::map<uint16_t, Told> told;
  // (host port, guest port) of the last packets from the device.
  std::vector<Key> seen;

  // The device took the tx chains used so far: their credit applies.
  void ReapTx() {
    for (;;) {
      auto used = q[1]->PopUsed();
      Check(used.ok());
      if (!used->has_value()) break;
      Check((*used)->len == 0);
      auto it = told.find((*used)->id);
      if (it == told.end()) continue;
      const Told t = it->second;
      told.erase(it);
      Credit& c = credit[t.key];
      if (t.op == v::kVsockOpRequest) {
        c.requested.push_back({{t.fwd_cnt, t.buf_alloc}});
      } else if (t.op == v::kVsockOpRst) {
        c.requested.clear();  // the connection is dropped, with any answer it owed
      } else {
        c.window.emplace_back(t.fwd_cnt, t.buf_alloc);
        for (auto& r : c.requested) r.emplace_back(t.fwd_cnt, t.buf_alloc);
      }
    }
  }
  // A packet from the device for connection `key`.
  void OnRx(const VsockHeader& h) {
    if (seen.size() == 8) seen.erase(seen.begin());
    seen.emplace_back(h.src_port, h.dst_port);
    Credit& c = credit[{h.src_port, h.dst_port}];
    if (h.op == v::kVsockOpRequest) {
      c = Credit{};  // a host-initiated connection starts
    } else if (h.op == v::kVsockOpResponse && !c.requested.empty()) {
      // A guest REQUEST opened a connection: a new count, with the credit
      // of one of the REQUESTs not yet answered (which one is the device's
      // business: a REQUEST for a live connection resets it, one for a
      // connection being reset is ignored).
      c.received = 0;
      c.window.clear();
      for (const auto& r : c.requested) c.window.insert(c.window.end(), r.begin(), r.end());
      c.requested.clear();
    } else if (h.op == v::kVsockOpRst) {
      c.received = 0;  // no data before the next connection
    } else if (h.op == v::kVsockOpRw) {
      // §5.10.6.3: never beyond what the guest advertised.
      c.received += h.len;
      bool within = false;
      for (auto [fwd, buf] : c.window) within |= c.received - fwd <= buf;
      Check(within);
    }
  }
  // Every connection is gone (chains not yet taken still carry their credit).
  void Forget() { credit.clear(); }
};

uint32_t PickPort(FuzzInput& in, bool host_side) {
  const uint8_t b = in.Byte();
  switch (b % 4) {
    case 0:
      return host_side ? 1 + (b >> 2) % 3 : 1000 + (b >> 2) % 4;  // a service / a guest socket
    case 1:
      return (1u << 30) + (b >> 2) % 4;  // the host ports the device hands out
    case 2:
      return b >> 2;
    default:
      return static_cast<uint32_t>(in.U16()) << 16 | in.U16();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world_;  // its sockets and temp dir go at exit
  World* world = &world_;
  VsockDevice& dev = *world->dev;
  FuzzInput in(data, size);
  const uint8_t mode = in.Byte();
  const bool raw = mode & 1;

  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop loop(clock);
  auto mem = raw ? world->raw_mem : world->mem;
  petrel::virtio::testing::FakeVirtioContext ctx(mem, loop, v::kVsockQueueCount);
  ctx.set_device(&dev);
  Guest guest;
  SplitQueue::Config configs[3];
  if (raw) {
    for (auto& c : configs) c = RawQueueConfig(in);
    const uint8_t flags = in.Byte();
    const uint8_t* rest;
    const size_t n = in.Rest(&rest);
    uint8_t* ram = mem->HostPointer(0, kRawMemSize);
    Check(ram != nullptr);
    if (n == 0) {
      std::memset(ram, 0, kRawMemSize);
    } else {
      for (uint64_t off = 0; off < kRawMemSize; off += n) {
        std::memcpy(ram + off, rest, std::min<uint64_t>(n, kRawMemSize - off));
      }
    }
    if (flags & 0x10) {
      // Every 16-byte slot outside the avail rings looks like a descriptor
      // into RAM (addr < 64 KiB, len < 64 KiB).
      for (uint64_t off = 0; off < kRawMemSize; off += 16) {
        bool in_avail = false;
        for (const auto& c : configs) {
          in_avail |= off + 16 > c.avail_gpa && off < c.avail_gpa + v::AvailRingBytes(c.size);
        }
        if (in_avail) continue;
        std::memset(ram + off + 2, 0, 6);
        std::memset(ram + off + 10, 0, 2);
      }
    }
    if (flags & 0x20) {
      // Headers as the guest's: at every 64-byte boundary, src_cid 3 and dst_cid 2.
      for (uint64_t off = 0; off + 16 <= kRawMemSize; off += 64) {
        const uint64_t src = kCid, dst = v::kVsockHostCid;
        std::memcpy(ram + off, &src, 8);
        std::memcpy(ram + off + 8, &dst, 8);
      }
    }
  } else {
    const uint64_t rings[3] = {0x1000, 0x3000, 0x5000};
    const uint64_t datas[3] = {0x10'0000, 0x50'0000, 0x90'0000};
    for (int i = 0; i < 3; ++i) {
      auto d = VirtqDriver::Create(mem, {.size = 64, .ring_gpa = rings[i], .data_gpa = datas[i],
                                         .data_size = 0x40'0000, .indirect = (mode & 2) != 0});
      Check(d.ok());
      guest.q[i] = std::make_unique<VirtqDriver>(std::move(*d));
      configs[i] = guest.q[i]->QueueConfig();
    }
  }
  for (uint16_t i = 0; i < 3; ++i) (void)ctx.ActivateQueue(i, configs[i]);  // bad ones stay not ready
  Check(dev.Activate(ctx).ok());

  std::vector<UniqueFd> hosts;     // host programs connected to the device
  std::vector<UniqueFd> accepted;  // guest connections at the host services
  bool failed = false;
  bool paused = false;
  size_t failures_at_activation = 0;

  // Structured mode: the guest reads its rx ring and checks every packet.
  auto reap_rx = [&] {
    if (raw) return;
    for (;;) {
      auto used = guest.q[v::kVsockRxQueue]->PopUsed();
      Check(used.ok());
      if (!used->has_value()) break;
      auto it = guest.rx_posted.find((*used)->id);
      Check(it != guest.rx_posted.end());
      std::vector<uint8_t> bytes;
      for (const auto& s : it->second) {
        auto b = guest.q[0]->ReadBytes(s.gpa, s.len);
        Check(b.ok());
        bytes.insert(bytes.end(), b->begin(), b->end());
      }
      guest.rx_posted.erase(it);
      const uint32_t len = (*used)->len;
      Check(len <= bytes.size());
      if (len == 0) continue;  // handed back unused
      Check(len >= v::kVsockHeaderSize);
      const VsockHeader h = v::DecodeVsockHeader(
          std::span<const uint8_t, v::kVsockHeaderSize>(bytes.data(), v::kVsockHeaderSize));
      Check(h.src_cid == v::kVsockHostCid && h.dst_cid == kCid);
      Check(h.type == v::kVsockTypeStream);
      Check(len == v::kVsockHeaderSize + h.len);
      Check(h.len <= v::kVsockMaxPayload);
      Check(h.op == v::kVsockOpRw || h.len == 0);
      guest.OnRx(h);
    }
    for (auto& [key, c] : guest.credit) {
      if (c.window.size() > 1) c.window.erase(c.window.begin(), c.window.end() - 1);
      for (auto& r : c.requested) r.erase(r.begin(), r.end() - 1);
    }
  };
  auto check_bounds = [&] {
    const auto& m = dev.muxer();
    Check(m.connection_count() <= v::kVsockMaxConnections);
    Check(m.pending_host_count() <= v::kVsockMaxConnections);
    Check(m.pending_refusals() <= v::kVsockMaxPendingRefusals);
    Check(ctx.failures().size() - failures_at_activation <= 1);  // one Fail() per activation
  };

  for (int step = 0; step < kMaxSteps && !in.empty(); ++step) {
    const size_t failures_before = ctx.failures().size();
    uint64_t signals_before = 0;
    for (uint16_t q = 0; q < 3; ++q) signals_before += ctx.signals(q);
    const uint8_t op = in.Byte();
    switch (op % 12) {
      case 0:
      case 1: {  // a doorbell (raw), or a guest packet (structured)
        if (raw) {
          if (!paused) dev.QueueNotified(static_cast<uint16_t>(op / 12 % 4));
          break;
        }
        VsockHeader h;
        const uint8_t sel = in.Byte();
        h.src_cid = (sel & 0xe0) == 0xe0 ? in.Byte() : kCid;
        h.dst_cid = (sel & 0xe0) == 0xc0 ? in.Byte() : v::kVsockHostCid;
        h.type = (sel & 0xe0) == 0xa0 ? in.Byte() : v::kVsockTypeStream;
        h.op = static_cast<uint16_t>(sel % 8);
        const uint8_t addr = in.Byte();
        if ((addr & 0x80) && !guest.seen.empty()) {
          // Answer (or talk on) a connection the device named lately.
          const auto& [host, guest_port] = guest.seen[addr % guest.seen.size()];
          h.src_port = guest_port;
          h.dst_port = host;
        } else {
          h.src_port = PickPort(in, false);
          h.dst_port = PickPort(in, true);
        }
        h.flags = in.Byte() % 4;
        const uint8_t cb = in.Byte();
        h.buf_alloc = cb & 0x80 ? in.U16() : (uint32_t{cb} & 0x7f) << 12;
        // The guest's fwd_cnt: what it received so far, minus a little.
        const Guest::Key key{h.dst_port, h.src_port};
        const uint32_t received = h.op == v::kVsockOpRequest ? 0 : guest.credit[key].received;
        h.fwd_cnt = received - std::min<uint32_t>(received, in.Byte());
        // Up to 64 KiB + 1 of payload (RW; other ops mostly none).
        uint32_t payload_len = (addr & 0x40) ? in.U16() % 4097 : in.U16() + in.Byte() % 2;
        if (h.op != v::kVsockOpRw && !(sel & 0x18)) payload_len = 0;
        h.len = (sel & 0x18) == 0x18 ? static_cast<uint32_t>(in.U16()) << in.Byte() % 17
                                     : payload_len;
        const v::VsockHeaderBytes hb = v::EncodeVsockHeader(h);
        std::vector<uint8_t> bytes(hb.begin(), hb.end());
        std::vector<uint8_t> payload = in.PaddedBytes(std::min<size_t>(payload_len, 64));
        payload.resize(payload_len, 0x5a);
        bytes.insert(bytes.end(), payload.begin(), payload.end());
        if (in.Byte() & 1) bytes.resize(in.Byte() % bytes.size());  // cut short
        std::vector<VirtqDriver::Segment> segs;
        size_t at = 0;
        const uint8_t pieces = in.Byte() % 4;
        for (uint8_t p = 0; p < pieces && at < bytes.size(); ++p) {
          const size_t cut = std::min(bytes.size(), at + 1 + in.Byte());
          auto gpa = guest.q[1]->AllocBytes(std::span<const uint8_t>(bytes.data() + at, cut - at));
          if (!gpa.ok()) break;
          segs.push_back({*gpa, static_cast<uint32_t>(cut - at), false});
          at = cut;
        }
        if (at < bytes.size() || segs.empty()) {
          auto gpa = guest.q[1]->AllocBytes(std::span<const uint8_t>(bytes.data() + at, bytes.size() - at));
          if (!gpa.ok()) break;
          segs.push_back({*gpa, static_cast<uint32_t>(bytes.size() - at), false});
        }
        if (sel & 0x04) {  // a writable buffer after the packet
          auto gpa = guest.q[1]->Alloc(16);
          if (gpa.ok()) segs.push_back({*gpa, 16, true});
        }
        const bool indirect = (mode & 2) && (op & 0x80);
        // Sometimes the same packet (buffers) several times: a flood that
        // fills the host socket and the connection's buffer.
        const int copies = (sel & 0x18) == 0x10 ? 1 + in.Byte() % 8 : 1;
        for (int k = 0; k < copies; ++k) {
          auto head = indirect ? guest.q[1]->AddIndirectChain(segs) : guest.q[1]->AddChain(segs);
          if (!head.ok()) break;  // the ring is full
          // The device reads this header (a shorter packet is dropped
          // unread); a malformed RST is ignored, other malformed packets
          // reset their connection.
          const bool read = h.src_cid == kCid && h.dst_cid == v::kVsockHostCid &&
                            bytes.size() >= v::kVsockHeaderSize;
          const bool well_formed = h.type == v::kVsockTypeStream && h.len <= v::kVsockMaxPayload &&
                                   h.len <= bytes.size() - std::min(bytes.size(), v::kVsockHeaderSize);
          if (read && (well_formed || h.op != v::kVsockOpRst)) {
            guest.told[*head] = {key, h.op, h.fwd_cnt, h.buf_alloc};
          }
        }
        Check(guest.q[1]->Kick().ok());
        if (!paused) dev.QueueNotified(v::kVsockTxQueue);
        break;
      }
      case 2: {  // rx buffers (structured), or an rx doorbell
        if (!raw) {
          const uint8_t count = 1 + in.Byte() % 8;
          for (uint8_t i = 0; i < count; ++i) {
            const uint8_t shape = in.Byte();
            const uint32_t len = shape & 0x80 ? 44 + (shape & 0x7f) * 512 : shape;
            std::vector<VirtqDriver::Segment> segs;
            if ((shape & 3) == 3 && len > 44) {
              segs.push_back({0, 44, true});
              segs.push_back({0, len - 44, true});
            } else {
              segs.push_back({0, std::max<uint32_t>(len, 1), true});
            }
            if (shape == 0x41) segs.insert(segs.begin(), {0, 8, false});  // readable first
            bool ok = true;
            for (auto& s : segs) {
              auto gpa = guest.q[0]->Alloc(s.len);
              if (!gpa.ok()) {
                ok = false;
                break;
              }
              s.gpa = *gpa;
            }
            if (!ok) break;
            auto head = guest.q[0]->AddChain(segs);
            if (!head.ok()) break;
            guest.rx_posted[*head] = segs;
          }
          Check(guest.q[0]->Kick().ok());
        }
        if (!paused) dev.QueueNotified(v::kVsockRxQueue);
        break;
      }
      case 3: {  // an event buffer, or the event doorbell
        if (!raw) {
          auto gpa = guest.q[2]->Alloc(8);
          if (gpa.ok() && guest.q[2]->AddChain({{*gpa, static_cast<uint32_t>(in.Byte() % 9), true}}).ok()) {
            Check(guest.q[2]->Kick().ok());
          }
        }
        if (!paused) dev.QueueNotified(v::kVsockEventQueue);
        break;
      }
      case 4: {  // a host program connects
        if (hosts.size() >= kMaxHosts) break;
        UniqueFd fd = Connect(world->path);
        if (!fd.valid()) break;
        const uint8_t how = in.Byte();
        std::string line;
        if (how % 4 == 0) {
          line = std::string(in.Byte() % 40, 'x');
        } else {
          line = (how & 4 ? "connect " : "CONNECT ") + std::to_string(PickPort(in, false)) + "\n";
          if (how & 8) line += "data";
          if (how & 16) line = line.substr(0, line.size() / 2);  // the rest later, maybe
        }
        (void)::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL);
        hosts.push_back(std::move(fd));
        break;
      }
      case 5: {  // a host program writes (or reads what it got)
        if (hosts.empty()) break;
        UniqueFd& fd = hosts[in.Byte() % hosts.size()];
        if (!fd.valid()) break;
        Drain(fd.get());
        std::vector<uint8_t> bytes(in.U16() % 70000, static_cast<uint8_t>(op));
        (void)::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
      }
      case 6: {  // a host program half-closes or closes
        if (hosts.empty()) break;
        const uint8_t which = in.Byte();
        UniqueFd& fd = hosts[which % hosts.size()];
        if (which & 0x80) {
          ::shutdown(fd.get(), SHUT_WR);
        } else {
          fd.reset();
        }
        break;
      }
      case 7: {  // the host services accept, answer, or close
        for (auto& s : world->services) {
          while (accepted.size() < kMaxHosts) {
            UniqueFd c(::accept4(s.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!c.valid()) break;
            accepted.push_back(std::move(c));
          }
        }
        if (accepted.empty()) break;
        const uint8_t which = in.Byte();
        UniqueFd& fd = accepted[which % accepted.size()];
        if (which & 0x80) {
          fd.reset();
        } else if (fd.valid()) {
          if (which & 0x40) Drain(fd.get());
          std::vector<uint8_t> bytes(in.U16() % 70000, 0xa5);
          (void)::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        break;
      }
      case 8:  // time passes: 0..3.2 s
        loop.RunUntil(clock.NowNs() + (in.Byte() % 33) * kSecond / 10);
        break;
      case 9:
        dev.SendTransportReset();
        guest.Forget();
        break;
      case 10: {
        if (paused) {
          dev.ResumeQueueGroup(0);
        } else {
          bool quiet = false;
          dev.QuiesceQueueGroup(0, [&] { quiet = true; });
          Check(quiet);
        }
        paused = !paused;
        break;
      }
      default: {  // device reset and a new activation (same rings)
        if ((op & 0xf0) != 0xb0) {  // rare: the rings start over
          if (!paused) dev.QueueNotified(static_cast<uint16_t>(op % 3));
          break;
        }
        dev.Reset();
        ctx.ResetQueues();
        guest.Forget();
        Check(dev.connection_count() == 0);
        if (!raw) break;  // the structured guest's rings stay stopped
        for (uint16_t i = 0; i < 3; ++i) (void)ctx.ActivateQueue(i, configs[i]);
        Check(dev.Activate(ctx).ok());
        failed = false;
        paused = false;
        failures_at_activation = ctx.failures().size();
        continue;
      }
    }
    loop.RunUntil(clock.NowNs());  // what is due now (host events, NotifyAgain)
    if (!raw) guest.ReapTx();
    reap_rx();
    if (failed) {
      uint64_t signals_after = 0;
      for (uint16_t q = 0; q < 3; ++q) signals_after += ctx.signals(q);
      Check(signals_after == signals_before);  // failed: completes nothing more
    }
    failed |= ctx.failures().size() != failures_before;
    check_bounds();
  }

  (void)dev.Counters();
  const v::VsockDeviceState state = dev.Save();
  Check(state.guest_cid == kCid);
  Check(state.connections.size() <= v::kVsockMaxConnections);
  dev.Reset();
  ctx.ResetQueues();
  Check(dev.connection_count() == 0);
  Check(dev.Restore(state).ok());
  Check(dev.Save() == state);
  Check(dev.Restore({.guest_cid = kCid}).ok());  // nothing owed to the next input
  Check(dev.Save().connections.empty());
  dev.QueueNotified(0);  // ignored after reset
  // The next input starts with empty service backlogs.
  for (auto& s : world->services) {
    for (;;) {
      UniqueFd c(::accept4(s.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!c.valid()) break;
    }
  }
  return 0;
}
