// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzz target: virtio-net's guest-facing paths over an in-memory endpoint.
// Two modes, chosen by the input's first control byte:
//  - raw: the input becomes the ring and buffer memory of every queue
//    (descriptor tables, avail rings, data), so rings hold arbitrary
//    descriptors pointing anywhere;
//  - structured: the input describes well-formed chains (segment lengths,
//    readable/writable, contents) added through the guest-side driver, so
//    the tx, rx (MRG_RXBUF or not) and control-command parsers see
//    arbitrary but valid-looking requests.
// Then every queue is notified and host packets are offered to rx. The
// device must never crash or touch memory outside GuestMemory; it may only
// complete chains or Fail(). In structured mode the used rings are then
// checked against what the driver added (CheckTx, CheckRx):
//  - tx: frames out equal frames in: the endpoint received, in used-ring
//    order, exactly the readable bytes of each used tx chain that the device
//    does not drop (longer than kMaxPacketBytes, or refused by the
//    endpoint), with used length 0; tx_packets + tx_dropped = tx chains used
//    and tx_packets = frames the endpoint took;
//  - rx: each used rx chain holds the next host packet (runts, and without
//    MRG_RXBUF packets longer than the chain, are dropped) with num_buffers
//    (§5.1.6.4) = the chains it spans (1 without MRG_RXBUF); every chain but
//    a packet's last is full, the used lengths add up to the packet length
//    and the bytes are the packet's; rx_packets = packets found.
// Work per input: at most 32 chains of at most 4 segments, 3 host packets
// per queue pair, two notify rounds over every queue (each bounded by the
// device's per-turn budgets).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "devices/virtio/net/net_test_util.h"
#include "devices/virtio/net/virtio_net.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

using namespace petrel;
using namespace petrel::virtio;

namespace {

using Input = petrel::fuzz::FuzzInput;

void RawRings(testing::NetHarness& h, Input& in) {
  const uint8_t* data;
  const size_t size = in.Rest(&data);
  size_t at = 0;
  for (uint16_t q = 0; q < h.device->queue_count() && at < size; ++q) {
    const size_t ring_bytes = std::min<size_t>(size - at, 0x1000);
    (void)h.memory->Write(0x10000ull * (q + 1), {data + at, ring_bytes});
    at += ring_bytes;
    const size_t data_bytes = std::min<size_t>(size - at, 0x1000);
    (void)h.memory->Write(0x100000ull * (q + 1), {data + at, data_bytes});
    at += data_bytes;
  }
}

// What the driver put in each chain, per queue and head.
struct Added {
  std::vector<uint8_t> readable;  // all readable bytes, in order
  std::vector<testing::VirtqDriver::Segment> writable;
  uint32_t writable_len = 0;
};
using AddedChains = std::vector<std::map<uint16_t, Added>>;

void Chains(testing::NetHarness& h, Input& in, AddedChains& added) {
  // At most 32 chains of at most 4 segments; lengths up to 64 KiB + a bit.
  for (int c = 0; c < 32 && !in.empty(); ++c) {
    const uint16_t q = static_cast<uint16_t>(in.Byte() % h.device->queue_count());
    const int segs = 1 + in.Byte() % 4;
    std::vector<std::vector<uint8_t>> readable;
    std::vector<uint32_t> writable;
    for (int s = 0; s < segs; ++s) {
      const uint8_t kind = in.Byte();
      uint32_t len = in.U16();
      if (kind & 0x80) len += 0x10000;
      if (kind & 1) {
        writable.push_back(len % 0x12000);
      } else if (writable.empty()) {
        std::vector<uint8_t> bytes = in.Bytes(kind & 2 ? len % 64 : len % 0x11000);
        bytes.resize(len % 0x11000);  // zero-padded past the input
        readable.push_back(std::move(bytes));
      }
    }
    if (readable.empty() && writable.empty()) continue;
    auto req = h.drivers[q].AddRequest(readable, writable);
    if (!req.ok()) continue;
    Added a;
    for (const auto& r : readable) a.readable.insert(a.readable.end(), r.begin(), r.end());
    for (const auto& seg : req->segments) {
      if (!seg.writable) continue;
      a.writable.push_back(seg);
      a.writable_len += seg.len;
    }
    added[q][req->head] = std::move(a);
    (void)h.drivers[q].Kick();
  }
}

// The used elements of every queue, in ring order.
std::vector<std::vector<testing::VirtqDriver::UsedElem>> PopAllUsed(testing::NetHarness& h) {
  std::vector<std::vector<testing::VirtqDriver::UsedElem>> used(h.drivers.size());
  for (size_t q = 0; q < h.drivers.size(); ++q) {
    for (;;) {
      auto e = h.drivers[q].PopUsed();
      Check(e.ok());
      if (!*e) break;
      used[q].push_back(**e);
    }
  }
  return used;
}

// Tx queues 1, 3, ... of the usable pairs: frames out equal frames in.
void CheckTx(testing::NetHarness& h, const AddedChains& added,
             const std::vector<std::vector<testing::VirtqDriver::UsedElem>>& used,
             uint16_t usable_pairs, bool refuse) {
  uint64_t chains = 0;
  uint64_t sent = 0;
  for (uint16_t pair = 0; pair < usable_pairs; ++pair) {
    const uint16_t q = static_cast<uint16_t>(2 * pair + 1);
    const auto& out = h.endpoints[pair]->outbound;
    size_t next = 0;
    for (const auto& e : used[q]) {
      auto it = added[q].find(static_cast<uint16_t>(e.id));
      Check(it != added[q].end());
      Check(e.len == 0);  // §5.1.6.2: the device writes nothing into a tx chain
      ++chains;
      const auto& frame = it->second.readable;
      if (refuse || frame.size() > net::kMaxPacketBytes) continue;  // dropped
      Check(next < out.size() && out[next] == frame);
      ++next;
    }
    Check(next == out.size());
    sent += next;
  }
  const NetStats& st = h.device->stats();
  Check(st.tx_packets == sent);
  Check(st.tx_packets + st.tx_dropped == chains);
}

// The first `len` bytes of the chain `a` on queue q (what the device wrote).
std::vector<uint8_t> Written(testing::NetHarness& h, uint16_t q, const Added& a, uint32_t len) {
  std::vector<uint8_t> bytes;
  for (const auto& seg : a.writable) {
    if (bytes.size() >= len) break;
    const uint32_t take = std::min<uint32_t>(seg.len, len - static_cast<uint32_t>(bytes.size()));
    auto b = h.drivers[q].ReadBytes(seg.gpa, take);
    Check(b.ok());
    bytes.insert(bytes.end(), b->begin(), b->end());
  }
  return bytes;
}

// Rx queues 0, 2, ...: each used chain (group) holds the next host packet.
void CheckRx(testing::NetHarness& h, const AddedChains& added,
             const std::vector<std::vector<testing::VirtqDriver::UsedElem>>& used,
             const std::vector<std::vector<std::vector<uint8_t>>>& pushed, uint16_t usable_pairs,
             bool mrg_rxbuf) {
  uint64_t delivered = 0;
  for (uint16_t pair = 0; pair < usable_pairs; ++pair) {
    const uint16_t q = static_cast<uint16_t>(2 * pair);
    const auto& elems = used[q];
    size_t packet = 0;
    for (size_t i = 0; i < elems.size();) {
      auto it = added[q].find(static_cast<uint16_t>(elems[i].id));
      Check(it != added[q].end());
      // The next packet this chain can take: runts are dropped, and without
      // MRG_RXBUF so is a packet longer than the chain (§5.1.6.3.1).
      while (packet < pushed[pair].size() &&
             (pushed[pair][packet].size() < net::kVnetHeaderSize ||
              (!mrg_rxbuf && pushed[pair][packet].size() > it->second.writable_len))) {
        ++packet;
      }
      Check(packet < pushed[pair].size());
      std::vector<uint8_t> want = pushed[pair][packet++];
      std::vector<uint8_t> got = Written(h, q, it->second, elems[i].len);
      Check(got.size() >= net::kVnetHeaderSize);
      const uint16_t num_buffers = static_cast<uint16_t>(got[kNetHdrNumBuffersOffset] |
                                                         got[kNetHdrNumBuffersOffset + 1] << 8);
      Check(num_buffers >= 1 && (mrg_rxbuf || num_buffers == 1));
      Check(i + num_buffers <= elems.size());
      uint64_t total = elems[i].len;
      for (uint16_t b = 1; b < num_buffers; ++b) {
        // Every chain but the last is full.
        Check(elems[i + b - 1].len ==
              added[q].at(static_cast<uint16_t>(elems[i + b - 1].id)).writable_len);
        auto next = added[q].find(static_cast<uint16_t>(elems[i + b].id));
        Check(next != added[q].end());
        auto more = Written(h, q, next->second, elems[i + b].len);
        got.insert(got.end(), more.begin(), more.end());
        total += elems[i + b].len;
      }
      Check(total == want.size());
      want[kNetHdrNumBuffersOffset] = static_cast<uint8_t>(num_buffers);
      want[kNetHdrNumBuffersOffset + 1] = static_cast<uint8_t>(num_buffers >> 8);
      Check(got == want);
      i += num_buffers;
      ++delivered;
    }
  }
  Check(h.device->stats().rx_packets == delivered);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint64_t features = 0;
  for (int i = 0; i < 8; ++i) features |= uint64_t{in.Byte()} << (8 * i);
  const uint8_t control = in.Byte();

  testing::NetHarness h;
  VirtioNetOptions options;
  options.num_queues = (control & 1) ? 4 : 2;
  if (!h.Init(options, features).ok()) return 0;
  std::vector<std::vector<std::vector<uint8_t>>> pushed;  // per pair, in order
  for (auto* ep : h.endpoints) {
    ep->refuse_writes = (control & 2) != 0;
    std::vector<std::vector<uint8_t>> packets = {
        std::vector<uint8_t>(60 + (control >> 3 & 7) * 9000u, control),
        std::vector<uint8_t>(5, 0),  // runt
        std::vector<uint8_t>(1500, 1)};
    for (size_t i = 0; i < packets[2].size(); ++i) packets[2][i] = static_cast<uint8_t>(i * 7);
    for (const auto& p : packets) ep->Push(p);
    pushed.push_back(std::move(packets));
  }
  AddedChains added(h.device->queue_count());
  if (control & 4) {
    Chains(h, in, added);
  } else {
    RawRings(h, in);
  }
  for (int round = 0; round < 2; ++round) {
    for (uint16_t q = 0; q < h.device->queue_count(); ++q) h.device->QueueNotified(q);
    h.loop.RunUntilIdle();
  }
  if (control & 4) {
    const uint64_t negotiated = h.context->features();
    const uint16_t usable_pairs =
        (negotiated & FeatureBit(kNetFMq)) ? static_cast<uint16_t>(options.num_queues / 2) : 1;
    const auto used = PopAllUsed(h);
    CheckTx(h, added, used, usable_pairs, (control & 2) != 0);
    CheckRx(h, added, used, pushed, usable_pairs, (negotiated & FeatureBit(kNetFMrgRxbuf)) != 0);
  }
  h.device->Reset();
  return 0;
}
