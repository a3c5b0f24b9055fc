// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciBus: PCI segment 0, bus 0 -- up to 32 devices (function 0 only) -- and
// the two ways the guest reaches their configuration space (as Cloud Hypervisor):
//   PciConfigIo   PIO 0xCF8-0xCFF, configuration mechanism #1
//                 (PCI Local Bus Spec 3.0 §3.2.2.3.2)
//   PciConfigMmio the ECAM window (PCIe Base Spec §7.2.2): 1 MiB per bus,
//                 offset = bus << 20 | device << 15 | function << 12 | register
// Absent devices, other functions and other buses read all-ones (so the
// vendor id reads 0xFFFF, §6.1) and drop writes.
//
// Thread-safety: safe from any thread. The device table has its own lock;
// each device's config space locks itself, and no bus lock is held while a
// device's ConfigWritten() or BarMoved callback runs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>

#include "core/base/result.h"
#include "core/bus/bus.h"
#include "devices/pci/pci_device.h"

namespace petrel {

class PciBus {
 public:
  static constexpr uint8_t kMaxDevices = 32;     // §3.2.2.3.2: 5-bit device number
  static constexpr uint8_t kMaxFunctions = 8;    // 3-bit function number
  static constexpr uint16_t kConfigSize = 4096;  // PCIe extended config space per function

  // Places `device` at `slot`, or at the lowest free slot. Fails if the slot
  // is taken, out of range, or the bus is full.
  Result<uint8_t> AddDevice(std::shared_ptr<PciDevice> device, std::optional<uint8_t> slot);
  std::shared_ptr<PciDevice> GetDevice(uint8_t slot) const;
  // Takes the device at `slot` off the bus (PCI hot-unplug): from then on
  // its config space reads all-ones. Returns it; kNotFound if the slot is
  // empty or out of range; slot 0 (the host bridge's) is never removed.
  Result<std::shared_ptr<PciDevice>> RemoveDevice(uint8_t slot);

  // Config access to bus 0: `size` 1, 2 or 4 and `reg + size` within
  // kConfigSize (else all-ones / dropped). Values are little-endian.
  uint32_t ReadConfig(uint8_t dev, uint8_t fn, uint16_t reg, size_t size) const;
  void WriteConfig(uint8_t dev, uint8_t fn, uint16_t reg, size_t size, uint32_t value);

 private:
  std::shared_ptr<PciDevice> Find(uint8_t dev, uint8_t fn) const;
  mutable std::shared_mutex mu_;
  std::array<std::shared_ptr<PciDevice>, kMaxDevices> devices_{};
};

// PIO 0xCF8, 8 bytes. Offset 0 (0xCF8) is CONFIG_ADDRESS, reached only by
// dword accesses (§3.2.2.3.2: other widths are not claimed: reads return
// all-ones, writes are dropped). Offsets 4-7 (0xCFC-0xCFF) are CONFIG_DATA:
// a 1/2/4-byte access at 4 + k (k + size <= 4) reaches register
// (CONFIG_ADDRESS[7:2] << 2) + k when bit 31 (enable) is set.
class PciConfigIo final : public BusDevice {
 public:
  static constexpr uint64_t kBase = 0xcf8;
  static constexpr uint64_t kSize = 8;
  // CONFIG_ADDRESS layout (§3.2.2.3.2).
  static constexpr uint32_t kEnable = 1u << 31;
  static constexpr uint32_t kWritableMask = 0x80ff'fffc;  // 30:24 reserved, 1:0 = 00

  explicit PciConfigIo(std::shared_ptr<PciBus> bus) : bus_(std::move(bus)) {}
  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  struct State {
    uint32_t config_address = 0;
    bool operator==(const State&) const = default;
  };
  State Save() const;
  Result<void> Restore(const State& state);

 private:
  std::shared_ptr<PciBus> bus_;
  mutable std::mutex mu_;
  uint32_t config_address_ = 0;
};

// The ECAM window of segment 0 (placed at x86::kPciMmconfigStart by the
// VMM). `size` covers `size >> 20` buses; only bus 0 has devices. Accesses
// must be 1, 2 or 4 bytes and naturally aligned (PCIe §7.2.2.1), else reads
// return all-ones and writes are dropped.
class PciConfigMmio final : public BusDevice {
 public:
  static constexpr uint64_t kBusSize = 1ULL << 20;

  PciConfigMmio(std::shared_ptr<PciBus> bus, uint64_t size) : bus_(std::move(bus)), size_(size) {}
  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

 private:
  std::shared_ptr<PciBus> bus_;
  const uint64_t size_;
};

}  // namespace petrel
