// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciPlatform: PCI segment 0 of a Petrel VM -- the bus with its host bridge
// at 00:00.0, the two config-space accessors (PIO 0xCF8-0xCFF and the ECAM
// window at x86::kPciMmconfigStart), BAR allocation from the 32- and 64-bit
// windows, and BAR mapping on the MMIO/PIO buses.
//
// BARs: AddDevice() allocates every BAR the device declared (naturally
// aligned, first fit, 32-bit BARs from the 32-bit window, 64-bit BARs from
// the 64-bit window) and programs the addresses into its config space, as
// firmware would; Linux keeps them because they lie inside the host
// bridge's _CRS. What is free is worked out from the BARs the devices on
// the bus have programmed at that moment (RangeAllocator), so a range a
// removed device held, or one the guest moved a BAR away from, is reused,
// and one the guest moved a BAR to is not. At boot this gives the same
// addresses as handing them out one after the other.
//
// Hot-plug: AddDevice() works while the guest runs (a vm.add-* request);
// RemoveDevice() takes a device off the bus once the guest has ejected it,
// unmapping its BARs.
// Decoding starts when the guest sets the command register's enable bits.
// Whenever a BAR's decoded address changes (PciConfigSpace's BarMoved rule),
// the platform moves the BAR's bus mapping and then tells the device
// (PciDevice::BarMoved), e.g. to move its doorbells. A guest that programs
// overlapping BARs loses the second mapping (logged once), never the VMM,
// until a move frees the range: then every decoding BAR without a mapping is
// mapped again where it decodes.
//
// Thread-safety: AddDevice and RemoveDevice from one thread at a time (the
// VMM's), while the guest runs or not; BAR moves happen on vCPU
// threads. One device's config writes and their BarMoved callbacks run one
// write at a time, in order (PciConfigSpace's write lock), so the mapping and
// the device follow the last write; moves of different devices are
// serialised by an internal lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/acpi/tables.h"
#include "core/bus/bus.h"
#include "core/io/io_dispatcher.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"
#include "devices/pci/pci_host_bridge.h"
#include "vmm/range_allocator.h"

namespace petrel::vmm {

// The windows a VM with `ram_end` (first byte past the highest RAM) uses.
acpi::PciHostConfig PciHostWindows(uint64_t ram_end);

class PciPlatform {
 public:
  static Result<std::unique_ptr<PciPlatform>> Create(IoDispatcher& io,
                                                     const acpi::PciHostConfig& windows);
  ~PciPlatform();

  // Places `device` on bus 0 (lowest free slot unless `slot`), allocates and
  // programs its BARs. Returns the slot.
  Result<uint8_t> AddDevice(std::shared_ptr<PciDevice> device,
                            std::optional<uint8_t> slot = std::nullopt);

  // Takes the device in `slot` off the bus and unmaps its BARs (after the
  // guest ejected it). Returns it; kNotFound for an empty slot.
  Result<std::shared_ptr<PciDevice>> RemoveDevice(uint8_t slot);

  PciBus& bus() { return *bus_; }

  // Memory a device maps into the guest outside any BAR (virtio-pmem's
  // file, as Cloud Hypervisor allocates it from the segment's 64-bit
  // window): `size` bytes aligned to `align` at the lowest free address of
  // the 64-bit window; BARs placed later keep out of it. kOutOfRange if it
  // does not fit. With `at` (a restore: where the snapshot had it), exactly
  // there, or kAlreadyExists / kOutOfRange. ReleaseMemory gives the range
  // starting at `addr` back.
  Result<uint64_t> AllocateMemory(uint64_t size, uint64_t align,
                                  std::optional<uint64_t> at = std::nullopt);
  void ReleaseMemory(uint64_t addr);

  // The platform's own snapshot state: the 0xCF8 address latch and the host
  // bridge's config space (each device saves its own config space).
  struct State {
    PciConfigIo::State config_io;
    PciConfigSpace::State host_bridge;
    bool operator==(const State&) const = default;
  };
  State Save() const;
  Result<void> Restore(const State& state);
  // After the devices' config spaces were restored (which, like hardware
  // state loaded from a snapshot, calls no BarMoved): maps every BAR where
  // it decodes, replacing any mapping it had. Before the vCPUs run.
  void MapDecodedBars();
  const acpi::PciHostConfig& windows() const { return windows_; }

 private:
  struct MappedDevice;
  class BarWindow;
  PciPlatform(IoDispatcher& io, const acpi::PciHostConfig& windows);
  void MoveBar(MappedDevice& d, int bar, uint64_t new_addr);
  // Maps BAR `bar` of `d` at `addr`; false if the range is taken. Holds mu_.
  bool MapBarLocked(MappedDevice& d, int bar, uint64_t addr);
  // Every BAR the devices on the bus have programmed now, as taken ranges
  // of the two windows. Holds mu_.
  void ReserveProgrammedBarsLocked(RangeAllocator& mmio32, RangeAllocator& mmio64) const;

  IoDispatcher& io_;
  acpi::PciHostConfig windows_;
  std::shared_ptr<PciBus> bus_;
  std::shared_ptr<PciHostBridge> host_bridge_;
  std::shared_ptr<PciConfigIo> config_io_;
  std::vector<Bus::Registration> registrations_;  // 0xCF8 and ECAM
  std::mutex mu_;  // guards the BAR mappings of every device
  std::vector<std::unique_ptr<MappedDevice>> devices_;
  std::vector<std::pair<uint64_t, uint64_t>> memory_;  // AllocateMemory's (addr, size); mu_
};

}  // namespace petrel::vmm
