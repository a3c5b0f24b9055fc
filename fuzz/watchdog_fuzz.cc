// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes WatchdogDevice (Cloud Hypervisor's virtio-watchdog) against a
// hostile driver: the first bytes choose the ring's placement and size and a
// script of steps (doorbells, virtual time passing, pause and resume, device
// resets); the rest becomes guest RAM (ring, descriptors, buffers). A flags
// bit masks RAM so descriptors point into RAM and chains reach the ping path.
// Oracles: no crash or sanitizer report; after a Fail() nothing more is
// completed until reset; a VM reset is asked for only by an armed device and
// only after more than 20 s of virtual time without a ping (paused time not
// counted); Save/Restore round-trips.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/virtio_spec.h"
#include "devices/virtio/watchdog/watchdog_device.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::virtio::SplitQueue;
using petrel::virtio::WatchdogDevice;

constexpr uint64_t kMemSize = 64 << 10;  // guest RAM at GPA 0, rewritten per input
constexpr size_t kHeader = 4 + 1 + 8;    // queue config, flags, eight steps
constexpr uint64_t kSecond = 1'000'000'000;

std::shared_ptr<petrel::GuestMemory> Memory() {
  auto m = petrel::GuestMemory::CreateX86(kMemSize);
  Check(m.ok());
  return *m;
}

SplitQueue::Config QueueConfig(const uint8_t* b) {
  SplitQueue::Config c;
  c.size = static_cast<uint16_t>(1u << (b[0] % 4));  // 1..8
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
  const SplitQueue::Config config = QueueConfig(data);
  const uint8_t flags = data[4];
  const uint8_t* steps = data + 5;
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
    // Every 16-byte slot outside the avail ring looks like a descriptor into
    // RAM (addr < 64 KiB, len < 64 KiB).
    const uint64_t avail_end = config.avail_gpa + petrel::virtio::AvailRingBytes(config.size);
    for (uint64_t off = 0; off < kMemSize; off += 16) {
      if (off + 16 > config.avail_gpa && off < avail_end) continue;
      std::memset(ram + off + 2, 0, 6);
      std::memset(ram + off + 10, 0, 2);
    }
  }

  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop loop(clock);
  // The last ping as the device must have seen it: a used element appeared.
  uint64_t last_ping_ns = 0;
  WatchdogDevice* device = nullptr;
  WatchdogDevice dev([&](const std::string&) {
    Check(device->armed());
    Check(clock.NowNs() - last_ping_ns > petrel::virtio::kWatchdogTimeoutNs);
  });
  device = &dev;
  petrel::virtio::testing::FakeVirtioContext ctx(mem, loop, 1);
  ctx.set_device(&dev);
  (void)ctx.ActivateQueue(0, config);  // a bad one stays not ready
  Check(dev.Activate(ctx).ok());
  bool paused = false;
  bool failed = false;  // since the last activation

  for (int i = 0; i < 8; ++i) {
    const uint8_t step = steps[i];
    const size_t failures_before = ctx.failures().size();
    const uint64_t pings_before = dev.pings();
    const uint64_t signals_before = ctx.signals(0);
    switch (step & 3) {
      case 0:
      case 1:
        if (!paused) dev.QueueNotified(0);
        break;
      case 2:  // time passes: 0..63 s
        loop.RunUntil(clock.NowNs() + (step >> 2) * kSecond);
        break;
      default:
        if (step & 4) {
          if (paused) {
            dev.ResumeQueueGroup(0);
            last_ping_ns = clock.NowNs();  // paused time does not count
          } else {
            bool quiet = false;
            dev.QuiesceQueueGroup(0, [&] { quiet = true; });
            Check(quiet);
          }
          paused = !paused;
        } else {
          dev.Reset();
          ctx.ResetQueues();
          Check(!dev.armed());
          (void)ctx.ActivateQueue(0, config);
          Check(dev.Activate(ctx).ok());
          paused = false;
          failed = false;
        }
        break;
    }
    loop.RunUntil(clock.NowNs());  // what is due now (a NotifyAgain)
    if (dev.pings() != pings_before) last_ping_ns = clock.NowNs();
    if (failed) {
      Check(ctx.signals(0) == signals_before);  // failed: completes nothing more
      Check(dev.pings() == pings_before);
    }
    failed |= ctx.failures().size() != failures_before;
  }

  const petrel::virtio::WatchdogDeviceState state = dev.Save();
  WatchdogDevice copy(nullptr);
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  dev.Reset();
  ctx.ResetQueues();
  dev.QueueNotified(0);  // ignored after reset
  Check(!dev.armed());
  return 0;
}
