// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the virtio-pci transport (devices/virtio/pci) as a hostile driver
// sees it. The transport wraps a virtio-rng device (seeded entropy) on
// hv_sim with a DeterministicEventLoop; each 8-byte record of the input is
// one operation:
//   0: BAR0 write  (any offset in the BAR: common cfg, ISR, device cfg,
//                   notify area, MSI-X table and PBA, holes; width 1-8)
//   1: BAR0 read
//   2: PCI config write (BARs, command register, MSI-X control, the PCI_CFG
//                   window; widths 1, 2, 4)
//   3: PCI config read
//   4: one loop turn (the events due now; a device yields after a batch)
//   5: a 4-byte guest RAM write (so rings and descriptors can be valid)
// The work per input is bounded: at most kMaxRecords operations and a
// bounded number of loop turns, each bounded by the devices' budgets, so an
// unbounded loop shows up as a timeout.
// Oracles: no crash or sanitizer report, and the transport's invariants:
// DRIVER_OK never without FEATURES_OK; NEEDS_RESET only after a counted
// failure; an active device only while status has DRIVER_OK or a reset is
// on its way; the loop's posted work stays bounded whatever the driver
// writes (one activation, one reset, one turn and one doorbell per queue).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/event/deterministic_event_loop.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/rng/rng_device.h"
#include "hv_sim/sim_hypervisor.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::virtio::kStatusDeviceNeedsReset;
using petrel::virtio::kStatusDriverOk;
using petrel::virtio::kStatusFeaturesOk;

constexpr uint64_t kMemSize = 1 << 20;
constexpr size_t kRecord = 8;
constexpr size_t kMaxRecords = 512;
constexpr int kFinalTurns = 8;

struct Env {
  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop loop{clock};
  petrel::IoDispatcher io;
  std::unique_ptr<petrel::hv::Hypervisor> hv = petrel::sim::MakeSimHypervisor();
  std::shared_ptr<petrel::hv::Vm> vm = *hv->CreateVm({});
  std::shared_ptr<petrel::GuestMemory> memory = *petrel::GuestMemory::CreateX86(kMemSize);
  petrel::SplitMix64 random{1};
  std::shared_ptr<petrel::virtio::VirtioPciDevice> dev;

  Env() {
    auto rng = std::make_shared<petrel::virtio::RngDevice>(
        petrel::virtio::RandomEntropySource(random));
    auto created =
        petrel::virtio::VirtioPciDevice::Create(rng, memory, loop, io, vm.get(), {.name = "fuzz"});
    Check(created.ok());
    dev = *created;
  }
  ~Env() { dev.reset(); }  // before the loop and the VM

  void CheckInvariants() {
    const uint8_t status = dev->status();
    if (status & kStatusDriverOk) Check((status & kStatusFeaturesOk) != 0);
    if (status & kStatusDeviceNeedsReset) Check(dev->counters().failures > 0);
    if (dev->active()) Check((status & kStatusDriverOk) != 0);
    const size_t queues = dev->device().queue_count();
    Check(loop.pending() <= 2 * queues + 2);
  }
};

uint64_t Le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Env env;
  const uint64_t bar_size = env.dev->layout().bar_size;
  uint8_t buf[8];
  for (size_t r = 0; r + kRecord <= size && r / kRecord < kMaxRecords; r += kRecord) {
    const uint8_t* rec = data + r;
    const uint8_t op = rec[0] % 6;
    const size_t width = size_t{1} << (rec[3] % 4);  // 1, 2, 4, 8
    switch (op) {
      case 0:
      case 1: {
        const uint64_t offset = Le(rec + 1, 3) % bar_size;
        if (op == 0) {
          for (size_t i = 0; i < width; ++i) buf[i] = rec[4 + i % 4];
          env.dev->BarWrite(0, offset, std::span<const uint8_t>(buf, width));
        } else {
          env.dev->BarRead(0, offset, std::span<uint8_t>(buf, width));
        }
        break;
      }
      case 2:
      case 3: {
        const size_t cfg_width = width > 4 ? 4 : width;
        const auto offset = static_cast<uint16_t>(rec[1] & ~(cfg_width - 1));
        if (op == 2) {
          env.dev->config().Write(offset, cfg_width, static_cast<uint32_t>(Le(rec + 4, 4)));
          env.dev->ConfigWritten(offset, cfg_width);
        } else {
          env.dev->ConfigRead(offset, cfg_width);
          (void)env.dev->config().Read(offset, cfg_width);
        }
        break;
      }
      case 4: Check(env.loop.RunOnce(0).ok()); break;
      case 5: {
        const uint64_t gpa = Le(rec + 1, 3) % (kMemSize - 4);
        (void)env.memory->WriteObj<uint32_t>(gpa, static_cast<uint32_t>(Le(rec + 4, 4)));
        break;
      }
    }
    env.CheckInvariants();
  }
  for (int i = 0; i < kFinalTurns; ++i) {
    Check(env.loop.RunOnce(0).ok());
    env.CheckInvariants();
  }
  return 0;
}
