// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TestDevice: Petrel's device for the in-tree test guests (`--test-device`,
// tests/guests, docs/test-guests.md). It is not a PC device and no OS drives
// it; it gives small guests something deterministic to read, write and be
// interrupted by, the same on every backend, so a differential run (KVM
// against hv_sim's interpreter) can compare the accesses.
//
// MMIO window, kMmioSize bytes at x86::kTestDeviceStart (any access width
// 1..8 at any offset; registers are little-endian):
//   0x000 ID       read: kId ("PTST"); writes ignored
//   0x004 IRQ      write: bit 0 pulses the device's IOAPIC pin
//                  (x86::kTestDeviceIrq, an edge); bit 1 raises the pin and
//                  bit 2 lowers it (a level); reads return the pin's level
//   0x008 MSI      write: sends one MSI to APIC ID 0, fixed delivery, edge,
//                  with the written value's low byte as the vector
//                  (SDM 3A 11.11.1/11.11.2: address 0xFEE00000, data = vector)
//   0x00c COUNTER  read: a counter that starts at 0 and counts reads;
//                  writes set it
//   0x100..       SCRATCH: kScratchSize bytes that read back what was written
//                  (zero at start)
// Port window, kPortSize ports at x86::kTestDevicePort:
//   +0 DATA        read: the next bytes of a fixed sequence (byte n is
//                  (n * 7 + 3) & 0xff, n counting every byte read); writes
//                  are accepted and dropped (a guest dumps registers there)
//   +4 SEQ         read/write: n, the DATA sequence position (32-bit)
//
// Thread-safety: safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"

namespace petrel {

class TestDevice : public std::enable_shared_from_this<TestDevice> {
 public:
  static constexpr uint64_t kMmioSize = 0x1000;
  static constexpr uint64_t kPortSize = 8;
  static constexpr uint32_t kId = 0x54535450;  // "PTST" in memory order
  static constexpr uint64_t kRegId = 0x000;
  static constexpr uint64_t kRegIrq = 0x004;
  static constexpr uint64_t kRegMsi = 0x008;
  static constexpr uint64_t kRegCounter = 0x00c;
  static constexpr uint64_t kScratchStart = 0x100;
  static constexpr uint64_t kScratchSize = kMmioSize - kScratchStart;
  static constexpr uint64_t kPortData = 0;
  static constexpr uint64_t kPortSeq = 4;
  static constexpr uint64_t kMsiAddress = 0xfee0'0000;  // APIC ID 0, physical destination

  // `irq`: the device's pin; `msi`: its MSI vector. Make it with
  // std::make_shared (the windows keep the device alive).
  TestDevice(std::shared_ptr<hv::InterruptLine> irq, std::shared_ptr<hv::MsiInterrupt> msi);

  // The two windows, for the MMIO and PIO buses.
  std::shared_ptr<BusDevice> mmio();
  std::shared_ptr<BusDevice> ports();

  static uint8_t DataByte(uint32_t n) { return static_cast<uint8_t>(n * 7 + 3); }

 private:
  class Mmio;
  class Ports;
  uint8_t MmioByte(uint64_t offset);  // mu_ held
  void MmioRead(uint64_t offset, std::span<uint8_t> data);
  void MmioWrite(uint64_t offset, std::span<const uint8_t> data);
  void PortRead(uint64_t offset, std::span<uint8_t> data);
  void PortWrite(uint64_t offset, std::span<const uint8_t> data);

  std::shared_ptr<hv::InterruptLine> irq_;
  std::shared_ptr<hv::MsiInterrupt> msi_;
  std::mutex mu_;
  bool level_ = false;
  uint32_t counter_ = 0;
  uint32_t seq_ = 0;
  std::array<uint8_t, kScratchSize> scratch_{};
};

}  // namespace petrel
