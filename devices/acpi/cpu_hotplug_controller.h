// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuHotplugController: the VMM side of ACPI vCPU hot-plug, the register
// block the DSDT's `\_SB_.PRES` and `\_SB_.CPUS` methods drive (layout in
// core/acpi/cpu_hotplug_registers.h, as Cloud Hypervisor's).
//
// It keeps, per possible vCPU (index 0 .. max_vcpus - 1), what the guest may
// see and do:
//   enabled            present: `_STA` says 0xF (CSTA reads CPEN)
//   inserting          added, and the guest has not scanned it yet (CINS)
//   removing           a removal the guest has not scanned yet (CRMV)
//   removal_requested  the VMM asked for the removal; only such a vCPU may
//                      be ejected, and never vCPU 0
// The VMM plugs a vCPU with Insert() after its thread runs, and asks for a
// removal with RequestRemoval(); then it raises the GED's CPU event, and the
// guest's CSCN scans every index, notifies the processor objects (Device
// Check for an insertion, Eject Request for a removal) and acknowledges
// each flag by writing it back. The guest offlines a vCPU and calls its
// `_EJ0`, which writes CEJ0: the controller forgets the vCPU and calls
// `on_eject(index)`, on that vCPU thread and without its lock; the VMM then
// stops and joins the vCPU's thread from another thread.
//
// The guest is hostile: any value may be selected (an index out of range
// reads 0 and ignores writes), and an eject of a vCPU the VMM did not ask to
// remove, or of vCPU 0, is ignored and logged once.
//
// Thread-safety: safe from any thread (vCPU threads access the registers,
// the VMM inserts and removes).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "core/acpi/cpu_hotplug_registers.h"
#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class CpuHotplugController final : public BusDevice {
 public:
  static constexpr uint64_t kSize = acpi::kCpuHotplugSize;
  using OnEject = std::function<void(uint32_t index)>;

  struct Slot {
    bool enabled = false;
    bool inserting = false;
    bool removing = false;
    bool removal_requested = false;
    bool operator==(const Slot&) const = default;
  };
  struct State {
    uint32_t selected = 0;    // CSEL, as the guest wrote it
    std::vector<Slot> slots;  // one per possible vCPU
    bool operator==(const State&) const = default;
  };

  // vCPUs 0 .. boot_vcpus - 1 start enabled. 1 <= boot_vcpus <= max_vcpus.
  CpuHotplugController(uint32_t max_vcpus, uint32_t boot_vcpus, OnEject on_eject);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // The vCPU at `index` runs now: enabled, and announced on the next scan.
  // kInvalidArgument for an index out of range or already enabled.
  Result<void> Insert(uint32_t index);
  // Asks the guest to eject the enabled vCPU at `index` (not 0); asking
  // again is Ok. kInvalidArgument otherwise.
  Result<void> RequestRemoval(uint32_t index);
  // Withdraws a removal the guest has not ejected yet: the vCPU stays, and
  // a later eject of it is ignored. True if there was one.
  bool CancelRemoval(uint32_t index);
  bool enabled(uint32_t index) const;
  uint32_t enabled_count() const;
  // Some requested removal has not been ejected yet.
  bool removal_pending() const;

  State Save() const;
  // kInvalidArgument for a state of another size or one no sequence of
  // operations reaches (vCPU 0 absent, a flag on an absent vCPU).
  Result<void> Restore(const State& state);

 private:
  const size_t max_vcpus_;
  const OnEject on_eject_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
