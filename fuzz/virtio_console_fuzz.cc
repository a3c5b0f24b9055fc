// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes ConsoleDevice (virtio 1.2 §5.3) against a hostile driver: the first
// bytes choose the receiveq/transmitq ring placement and sizes, the amount of
// host input and the order of doorbells; the rest becomes guest RAM (rings,
// descriptor tables, buffers). Oracles: no crash or sanitizer report; the
// sink receives exactly stats().output_bytes; every queued input byte is
// delivered, pending or dropped; pending input stays within its cap; after a
// Fail() the device completes nothing more until reset; Save/Restore
// round-trips. A flags bit masks RAM so descriptors point into RAM and
// chains reach the sink and the receive buffers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/console/console_device.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/virtio_spec.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::virtio::ConsoleDevice;
using petrel::virtio::SplitQueue;

constexpr uint64_t kMemSize = 64 << 10;  // guest RAM at GPA 0, rewritten per input
constexpr size_t kHeader = 10;

std::shared_ptr<petrel::GuestMemory> Memory() {
  auto m = petrel::GuestMemory::CreateX86(kMemSize);
  Check(m.ok());
  return *m;
}

SplitQueue::Config QueueConfig(uint8_t size_byte, uint8_t desc, uint8_t avail, uint8_t used,
                               uint8_t flags) {
  SplitQueue::Config c;
  c.size = static_cast<uint16_t>(1u << (size_byte % 6));  // 1..32
  c.event_idx = flags & 1;
  c.indirect = flags & 2;
  c.desc_gpa = uint64_t{desc} << 7;
  c.avail_gpa = uint64_t{avail} << 7;
  c.used_gpa = uint64_t{used} << 7;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<petrel::GuestMemory> mem = Memory();
  if (size < kHeader) return 0;
  const SplitQueue::Config rx = QueueConfig(data[0], data[1], data[2], data[3], data[8]);
  const SplitQueue::Config tx = QueueConfig(data[0] >> 4, data[4], data[5], data[6], data[8] >> 2);
  const size_t input_len = size_t{data[7]} * 3;
  const uint8_t ops = data[9];
  const bool negotiate_size = data[8] & 16;
  const bool mask_descriptors = data[8] & 32;
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

  // Bit 5 of the flags byte: make every 16-byte slot outside the two avail
  // rings look like a descriptor into RAM (addr < 64 KiB, len < 64 KiB), so
  // chains reach the sink and the receive path instead of failing early.
  if (mask_descriptors) {
    auto overlaps = [](uint64_t off, uint64_t start, uint64_t len) {
      return off + 16 > start && off < start + len;
    };
    for (uint64_t off = 0; off < kMemSize; off += 16) {
      if (overlaps(off, rx.avail_gpa, petrel::virtio::AvailRingBytes(rx.size)) ||
          overlaps(off, tx.avail_gpa, petrel::virtio::AvailRingBytes(tx.size)))
        continue;
      std::memset(ram + off + 2, 0, 6);
      std::memset(ram + off + 10, 0, 2);
    }
  }

  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop loop(clock);
  uint64_t sunk = 0;
  ConsoleDevice dev([&sunk](std::span<const uint8_t> b) { sunk += b.size(); }, {80, 24});
  petrel::virtio::testing::FakeVirtioContext ctx(
      mem, loop, petrel::virtio::kConsoleQueueCount,
      negotiate_size ? petrel::virtio::FeatureBit(petrel::virtio::kConsoleFSize) : 0);
  // Queues whose config is invalid stay not ready; the device must skip them.
  (void)ctx.ActivateQueue(petrel::virtio::kConsoleReceiveQueue, rx);
  (void)ctx.ActivateQueue(petrel::virtio::kConsoleTransmitQueue, tx);

  // Input: the guest RAM bytes (any values), some before activation.
  std::vector<uint8_t> input(input_len);
  for (size_t i = 0; i < input_len; ++i) input[i] = ram[i % kMemSize];
  uint64_t queued = 0;
  const size_t early = input_len / 2;
  dev.QueueInput(std::span<const uint8_t>(input.data(), early));
  queued += early;
  Check(dev.Activate(ctx).ok());
  dev.QueueInput(std::span<const uint8_t>(input.data() + early, input_len - early));
  queued += input_len - early;

  for (int step = 0; step < 4; ++step) {
    const size_t failures_before = ctx.failures().size();
    const uint64_t rx_before = ctx.signals(0), tx_before = ctx.signals(1);
    if (ops & (1 << step)) dev.QueueNotified(petrel::virtio::kConsoleTransmitQueue);
    if (ops & (16 << step)) dev.QueueNotified(petrel::virtio::kConsoleReceiveQueue);
    loop.RunUntilIdle();
    if (failures_before > 0) {
      // Failed earlier: nothing more is completed until reset.
      Check(ctx.signals(0) == rx_before && ctx.signals(1) == tx_before);
    }
    Check(ctx.failures().size() <= 1);
  }
  dev.SetSize({static_cast<uint16_t>(ops), 7});
  loop.RunUntilIdle();
  uint8_t cfg[6];
  dev.ReadConfig(0, cfg);  // §5.3.4: le16 cols, le16 rows, le32 max_nr_ports
  Check(cfg[0] == ops && cfg[1] == 0 && cfg[2] == 7 && cfg[3] == 0 && cfg[4] == 1);
  if (ops != 0) {
    dev.ReadConfig(~uint64_t{0} - ops, cfg);  // far (and wrapping) offsets read as zeros
    for (uint8_t b : cfg) Check(b == 0);
  }

  const petrel::virtio::ConsoleStats stats = dev.stats();
  Check(sunk == stats.output_bytes);
  Check(dev.pending_input() <= petrel::virtio::kConsoleMaxPendingInput);
  Check(stats.input_bytes + dev.pending_input() + stats.input_bytes_dropped == queued);

  const petrel::virtio::ConsoleDeviceState state = dev.Save();
  ConsoleDevice copy(nullptr);
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);

  dev.Reset();
  ctx.ResetQueues();
  dev.QueueNotified(petrel::virtio::kConsoleTransmitQueue);  // ignored after reset
  loop.RunUntilIdle();
  Check(dev.Save() == state);  // reset keeps buffered input and size
  return 0;
}
