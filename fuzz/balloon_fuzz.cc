// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes BalloonDevice (virtio 1.2 §5.5) against a hostile driver: the first
// bytes choose the four rings' placement and sizes, the negotiated features
// and the order of doorbells, statistics requests, targets and `actual`
// writes; the rest becomes guest RAM (rings, descriptor tables, page
// numbers, statistics, reported ranges). Oracles: no crash or sanitizer
// report; at most one Fail(), after which nothing more is completed until
// reset; the config space reads back the target and actual; Save/Restore
// round-trips. A flags bit masks RAM so descriptors point into RAM and
// chains reach the page, statistics and reporting paths.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/balloon/balloon_device.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/virtio_spec.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::virtio::BalloonDevice;
using petrel::virtio::SplitQueue;

constexpr uint64_t kMemSize = 64 << 10;  // guest RAM at GPA 0, rewritten per input
constexpr size_t kQueues = 4;
constexpr size_t kHeader = 4 * kQueues + 4;

std::shared_ptr<petrel::GuestMemory> Memory() {
  auto m = petrel::GuestMemory::CreateX86(kMemSize);
  Check(m.ok());
  return *m;
}

SplitQueue::Config QueueConfig(const uint8_t* b) {
  SplitQueue::Config c;
  c.size = static_cast<uint16_t>(1u << (b[0] % 6));  // 1..32
  c.event_idx = b[0] & 0x40;
  c.indirect = b[0] & 0x80;
  c.desc_gpa = uint64_t{b[1]} << 8;
  c.avail_gpa = uint64_t{b[2]} << 8;
  c.used_gpa = uint64_t{b[3]} << 8;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<petrel::GuestMemory> mem = Memory();
  if (size < kHeader) return 0;
  SplitQueue::Config configs[kQueues];
  for (size_t q = 0; q < kQueues; ++q) configs[q] = QueueConfig(data + 4 * q);
  const uint8_t flags = data[16];
  const uint8_t ops = data[17];
  const uint16_t target_pages = static_cast<uint16_t>(data[18] | data[19] << 8);
  data += kHeader;
  size -= kHeader;

  uint8_t* ram = mem->HostPointer(0, kMemSize);
  Check(ram != nullptr);
  if (size == 0) {
    std::memset(ram, 0, kMemSize);
  } else {
    for (uint64_t off = 0; off < kMemSize; off += size) {
      std::memcpy(ram + off, data, std::min<uint64_t>(size, kMemSize - off));
    }
  }
  if (flags & 0x10) {
    // Every 16-byte slot outside the avail rings looks like a descriptor
    // into RAM (addr < 64 KiB, len < 64 KiB).
    for (uint64_t off = 0; off < kMemSize; off += 16) {
      bool in_avail = false;
      for (const auto& c : configs) {
        in_avail |= off + 16 > c.avail_gpa && off < c.avail_gpa + petrel::virtio::AvailRingBytes(c.size);
      }
      if (in_avail) continue;
      std::memset(ram + off + 2, 0, 6);
      std::memset(ram + off + 10, 0, 2);
    }
  }

  uint64_t features = 0;
  if (flags & 1) features |= petrel::virtio::FeatureBit(petrel::virtio::kBalloonFStatsVq);
  if (flags & 2) features |= petrel::virtio::FeatureBit(petrel::virtio::kBalloonFPageReporting);
  if (flags & 4) features |= petrel::virtio::FeatureBit(petrel::virtio::kBalloonFDeflateOnOom);
  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop loop(clock);
  BalloonDevice dev({.size = 0, .deflate_on_oom = (flags & 4) != 0,
                     .free_page_reporting = (flags & 8) != 0});
  petrel::virtio::testing::FakeVirtioContext ctx(mem, loop, kQueues, features);
  for (size_t q = 0; q < kQueues; ++q) {
    (void)ctx.ActivateQueue(static_cast<uint16_t>(q), configs[q]);  // bad ones stay not ready
  }
  Check(dev.Activate(ctx).ok());

  for (int step = 0; step < 8; ++step) {
    const size_t failures_before = ctx.failures().size();
    uint64_t signals_before = 0;
    for (uint16_t q = 0; q < kQueues; ++q) signals_before += ctx.signals(q);
    const uint16_t q = static_cast<uint16_t>((ops >> (step % 4 * 2)) & 3);
    switch ((step + ops) % 4) {
      case 0:
      case 1:
        dev.QueueNotified(q);
        break;
      case 2:
        dev.RequestStats();
        break;
      default: {
        Check(dev.SetTarget(uint64_t{target_pages} << 12).ok());
        uint8_t actual[4];
        petrel::StoreLe<uint32_t>(actual, 0, target_pages / 2);
        dev.WriteConfig(petrel::virtio::kBalloonConfigActual, actual);
        break;
      }
    }
    loop.RunUntilIdle();
    if (failures_before > 0) {
      uint64_t signals_after = 0;
      for (uint16_t k = 0; k < kQueues; ++k) signals_after += ctx.signals(k);
      Check(signals_after == signals_before);  // failed: completes nothing more
    }
    Check(ctx.failures().size() <= 1);
  }

  uint8_t cfg[8];
  dev.ReadConfig(0, cfg);
  Check(petrel::LoadLe<uint32_t>(cfg, 0) == static_cast<uint32_t>(dev.target_bytes() >> 12));
  Check(petrel::LoadLe<uint32_t>(cfg, 4) == static_cast<uint32_t>(dev.actual_bytes() >> 12));
  (void)dev.Counters();

  const petrel::virtio::BalloonDeviceState state = dev.Save();
  BalloonDevice copy({});
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  dev.Reset();
  ctx.ResetQueues();
  dev.QueueNotified(0);  // ignored after reset
  loop.RunUntilIdle();
  Check(dev.Save() == state);
  return 0;
}
