// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes MemDevice (virtio 1.2 §5.15) against a hostile driver: the first
// bytes choose the guest-request ring's placement and size, the negotiated
// features, a starting bitmap (restored before activation) and requested
// size, and a sequence of doorbells, requested-size changes, quiesce/resume
// and reset/reactivation; the rest becomes the low 64 KiB of guest RAM
// (rings, descriptor tables, requests; fuzz/seeds/virtio_mem_fuzz holds
// inputs with well-formed rings of requests to start from). The device's
// region is 128 MiB of 2 MiB blocks at 256 MiB, with one canary page of RAM
// on each side.
//
// Oracles: no crash or sanitizer report; at most one Fail() per activation,
// after which nothing more is completed; the config space reads back the
// constant fields, requested_size, and plugged_size == popcount(bitmap) *
// block_size <= region_size; the canary pages outside the region are never
// discarded (never read all zero); a plugged block's first page keeps the
// marker written when it was plugged (the device never discards plugged
// memory); Save/Restore round-trips and a reset keeps the blocks. With the
// flags' strict bit (no indirect descriptors, the table's addresses and
// lengths masked) every descriptor points into the low 64 KiB, so nothing the
// device writes lands in the region and the strict forms hold: a plugged
// block's marker is intact byte for byte and every unplugged block reads zero.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/mem/mem_device.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/virtio_spec.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::virtio::MemDevice;
using petrel::virtio::MemDeviceState;
using petrel::virtio::SplitQueue;

constexpr uint64_t kLowSize = 64 << 10;  // rings and requests, rewritten per input
constexpr uint64_t kPage = 4096;
constexpr uint64_t kBlock = 2 << 20;
constexpr uint64_t kRegion = 256 << 20;
constexpr uint64_t kRegionSize = 128 << 20;
constexpr uint64_t kBlocks = kRegionSize / kBlock;  // 64: one bitmap word
constexpr uint64_t kCanaryBelow = kRegion - kPage;
constexpr uint8_t kCanary = 0xc3;
constexpr uint8_t kMarker = 0xa5;
constexpr size_t kMarkerCheck = 64;  // bytes of a block's first page compared
constexpr size_t kHeader = 20;

std::shared_ptr<petrel::GuestMemory> Memory() {
  auto low = petrel::HostRegion::Anonymous(kLowSize);
  auto high = petrel::HostRegion::Anonymous(kRegionSize + 2 * kPage);
  Check(low.ok() && high.ok());
  auto m = petrel::GuestMemory::Create(
      {{0, kLowSize, *low}, {kCanaryBelow, kRegionSize + 2 * kPage, *high}});
  Check(m.ok());
  // Small pages: a marker written into a block then faults in 4 KiB, not a
  // zeroed 2 MiB huge page per block (the region is 2 MiB aligned).
  Check((*m)->Advise({.thp = false}).ok());
  return *m;
}

SplitQueue::Config QueueConfig(const uint8_t* b) {
  SplitQueue::Config c;
  c.size = static_cast<uint16_t>(1u << (b[0] % 8));  // 1..128
  c.event_idx = b[0] & 0x40;
  c.indirect = b[0] & 0x80;
  c.desc_gpa = uint64_t{b[1]} << 8;
  c.avail_gpa = uint64_t{b[2]} << 8;
  c.used_gpa = uint64_t{b[3]} << 8;
  return c;
}

uint64_t Bitmap(const MemDeviceState& s) {
  Check(s.plugged.size() == kBlocks / 8);
  uint64_t w = 0;
  for (size_t i = 0; i < s.plugged.size(); ++i) w |= uint64_t{s.plugged[i]} << (8 * i);
  return w;
}

bool AllZero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

bool AllOf(const uint8_t* p, size_t n, uint8_t v) {
  return std::all_of(p, p + n, [v](uint8_t b) { return b == v; });
}

class Harness {
 public:
  Harness(petrel::GuestMemory& mem, MemDevice& dev, bool strict)
      : dev_(dev),
        strict_(strict),
        region_(mem.HostPointer(kCanaryBelow, kRegionSize + 2 * kPage)) {
    Check(region_ != nullptr);
  }
  uint8_t* Block(uint64_t i) { return region_ + kPage + i * kBlock; }

  // Markers into blocks that became plugged; the oracles over the rest.
  void Observe() {
    const uint64_t now = Bitmap(dev_.Save());
    Check(uint64_t{static_cast<unsigned>(std::popcount(now))} * kBlock == dev_.plugged_size());
    Check(dev_.plugged_size() <= kRegionSize);
    uint8_t cfg[petrel::virtio::kMemConfigSize];
    dev_.ReadConfig(0, cfg);
    using petrel::LoadLe;
    Check(LoadLe<uint64_t>(cfg, petrel::virtio::kMemConfigBlockSize) == kBlock);
    Check(LoadLe<uint64_t>(cfg, petrel::virtio::kMemConfigAddr) == kRegion);
    Check(LoadLe<uint64_t>(cfg, petrel::virtio::kMemConfigRegionSize) == kRegionSize);
    Check(LoadLe<uint64_t>(cfg, petrel::virtio::kMemConfigUsableRegionSize) == kRegionSize);
    Check(LoadLe<uint64_t>(cfg, petrel::virtio::kMemConfigPluggedSize) == dev_.plugged_size());
    Check(LoadLe<uint64_t>(cfg, petrel::virtio::kMemConfigRequestedSize) == dev_.requested_size());
    // A discard zeroes a whole page; a response the guest aimed there
    // changes at most 10 bytes.
    Check(!AllZero(region_, kPage) && !AllZero(region_ + kPage + kRegionSize, kPage));
    for (uint64_t b = 0; b < kBlocks; ++b) {
      const bool was = (known_ >> b) & 1, is = (now >> b) & 1;
      uint8_t* p = Block(b);
      if (is && was) {
        Check(strict_ ? AllOf(p, kMarkerCheck, kMarker) : !AllZero(p, kPage));
      } else if (is) {
        std::memset(p, kMarker, kPage);  // the guest uses its new block
      } else if (strict_ && active_) {
        Check(AllZero(p, kMarkerCheck));  // unplugged: discarded
      }
    }
    known_ = now;
  }
  void set_active(bool active) { active_ = active; }
  // Plugged blocks before the first activation get their markers here.
  void Seed() {
    known_ = 0;
    Observe();
  }

 private:
  MemDevice& dev_;
  const bool strict_;
  uint8_t* const region_;
  uint64_t known_ = 0;
  bool active_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<petrel::GuestMemory> mem = Memory();
  if (size < kHeader) return 0;
  SplitQueue::Config qc = QueueConfig(data);
  const uint8_t flags = data[4];
  const uint16_t ops = static_cast<uint16_t>(data[5] | data[6] << 8);
  const uint8_t requested_blocks = data[7] % (kBlocks + 1);
  const uint8_t initial_blocks = data[8] % (kBlocks + 1);
  MemDeviceState initial{.requested_size = initial_blocks * kBlock,
                         .plugged = std::vector<uint8_t>(data + 9, data + 17)};
  data += kHeader;
  size -= kHeader;

  uint8_t* ram = mem->HostPointer(0, kLowSize);
  Check(ram != nullptr);
  if (size == 0) {
    std::memset(ram, 0, kLowSize);
  } else {
    for (uint64_t off = 0; off < kLowSize; off += size) {
      std::memcpy(ram + off, data, std::min<uint64_t>(size, kLowSize - off));
    }
  }
  const bool strict = flags & 0x10;
  if (strict) {
    // Every descriptor points into the low RAM (addr < 64 KiB, len < 64
    // KiB): no indirect tables, and the table's slots (outside the avail
    // ring) masked. The rest of the low RAM is left as given, for requests.
    qc.indirect = false;
    for (uint64_t off = qc.desc_gpa; off < qc.desc_gpa + 16ull * qc.size && off < kLowSize;
         off += 16) {
      if (off + 16 > qc.avail_gpa && off < qc.avail_gpa + petrel::virtio::AvailRingBytes(qc.size)) {
        continue;
      }
      std::memset(ram + off + 2, 0, 6);
      std::memset(ram + off + 10, 0, 2);
    }
  }
  uint8_t* canary = mem->HostPointer(kCanaryBelow, kPage);
  std::memset(canary, kCanary, kPage);
  std::memset(canary + kPage + kRegionSize, kCanary, kPage);

  petrel::virtio::VirtioMemConfig config{
      .addr = kRegion, .size = kRegionSize, .requested_size = requested_blocks * kBlock};
  if (flags & 1) config.numa_node = 1;
  auto created = MemDevice::Create(config);
  Check(created.ok());
  MemDevice& dev = **created;
  Harness harness(*mem, dev, strict);
  if (flags & 2) Check(dev.Restore(initial).ok());
  harness.Seed();

  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop loop(clock);
  petrel::virtio::testing::FakeVirtioContext ctx(mem, loop, 1, dev.device_features());
  ctx.set_device(&dev);
  (void)ctx.ActivateQueue(0, qc);  // a bad one stays not ready
  Check(dev.Activate(ctx).ok());
  harness.set_active(true);
  harness.Observe();

  size_t failures_at_activation = 0;
  for (int step = 0; step < 8; ++step) {
    const size_t failures_before = ctx.failures().size();
    const uint64_t signals_before = ctx.signals(0);
    const unsigned op = (ops >> (2 * step)) & 3;
    switch (op) {
      case 0:
      case 1: dev.QueueNotified(0); break;
      case 2: {
        const uint64_t bytes = ((requested_blocks + step * 7) % (kBlocks + 1)) * kBlock;
        Check(dev.SetRequestedSize(bytes).ok());
        Check(!dev.SetRequestedSize(bytes + kPage).ok());
        Check(!dev.SetRequestedSize(kRegionSize + kBlock).ok());
        Check(dev.requested_size() == bytes);
        break;
      }
      default:
        if (step % 2 == 0) {
          bool done = false;
          dev.QuiesceQueueGroup(0, [&] { done = true; });
          Check(done);
          dev.QueueNotified(0);  // quiesced: takes nothing
          Check(ctx.signals(0) == signals_before);
          dev.ResumeQueueGroup(0);
        } else {
          // A device reset keeps the blocks (§5.15.5.2); the driver comes back.
          const MemDeviceState before = dev.Save();
          dev.Reset();
          ctx.ResetQueues();
          Check(dev.Save() == before);
          (void)ctx.ActivateQueue(0, qc);
          Check(dev.Activate(ctx).ok());
          failures_at_activation = ctx.failures().size();
        }
        break;
    }
    loop.RunUntilIdle();
    if (failures_before > failures_at_activation) {
      Check(ctx.signals(0) == signals_before);  // failed: completes nothing more
    }
    Check(ctx.failures().size() - failures_at_activation <= 1);
    harness.Observe();
  }
  (void)dev.Counters();

  const MemDeviceState state = dev.Save();
  auto copy = MemDevice::Create(config);
  Check(copy.ok());
  Check((*copy)->Restore(state).ok());
  Check((*copy)->Save() == state);
  Check((*copy)->plugged_size() == dev.plugged_size());
  dev.Reset();
  ctx.ResetQueues();
  dev.QueueNotified(0);  // ignored after reset
  loop.RunUntilIdle();
  Check(dev.Save() == state);
  Check(dev.UnplugAllForSystemReset().ok());
  Check(dev.plugged_size() == 0);
  return 0;
}
