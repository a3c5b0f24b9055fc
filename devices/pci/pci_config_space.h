// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciConfigSpace: one function's 256-byte type-0 configuration header
// (PCI Local Bus Spec 3.0 §6.1-6.2) with per-byte write masks, BARs with the
// sizing protocol (§6.2.5.1), and the capability list (§6.7).
//
// Writes from the guest go through Write(): each bit lands only where the
// write mask allows it; status bits that are RW1C (§6.2.3) are cleared by
// writing 1. Reads past the header (offsets 0x100-0xFFF of the PCIe extended
// space reached through ECAM) return 0, which PCIe §7.6.3 reads as "no
// extended capabilities".
//
// BAR move rule. A BAR *decodes* at its address A when
//   - its command-register enable is set (bit 1 Memory Space for MMIO BARs,
//     bit 0 I/O Space for I/O BARs), and
//   - A != 0 (0 means "unassigned", as firmware and Linux treat it), and
//   - no dword of the BAR holds its sizing pattern (all writable address bits
//     set, what the guest reads back after writing 0xFFFFFFFF).
// The decoded address is A when it decodes, otherwise 0. After every write
// that changes a BAR's decoded address (a BAR write, or a command write that
// toggles decoding) the BarMoved callback runs with (bar, old, new): old == 0
// means "was not mapped", new == 0 means "now unmapped". A 64-bit BAR
// reprogrammed dword by dword while decoding is enabled reports the
// intermediate address too (Linux disables decoding while it moves BARs).
// The callback runs on the writing thread after the register lock is
// released, so it may read this object (Read, DecodedBarAddress, ...), but
// must not Write() it: guest writes are serialised together with their
// callbacks (a second lock held across Write, callbacks included), so the
// callbacks of concurrent writes run in the order of the writes and the last
// one reported is where the BAR decodes (issue 8: two vCPUs, one moving a BAR
// and one toggling decoding, could otherwise report the moves out of order
// and leave a mapping or doorbells where the BAR no longer decodes).
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>

#include "core/base/result.h"

namespace petrel {

// PCI 3.0 §6.1 / §6.2: header offsets.
inline constexpr uint16_t kPciVendorId = 0x00;
inline constexpr uint16_t kPciDeviceId = 0x02;
inline constexpr uint16_t kPciCommand = 0x04;
inline constexpr uint16_t kPciStatus = 0x06;
inline constexpr uint16_t kPciRevisionId = 0x08;
inline constexpr uint16_t kPciClassCode = 0x09;  // prog-if 0x09, subclass 0x0a, base 0x0b
inline constexpr uint16_t kPciCacheLineSize = 0x0c;
inline constexpr uint16_t kPciHeaderType = 0x0e;
inline constexpr uint16_t kPciBar0 = 0x10;
inline constexpr uint16_t kPciSubsystemVendorId = 0x2c;
inline constexpr uint16_t kPciSubsystemId = 0x2e;
inline constexpr uint16_t kPciCapabilityPointer = 0x34;
inline constexpr uint16_t kPciInterruptLine = 0x3c;
inline constexpr uint16_t kPciInterruptPin = 0x3d;
inline constexpr uint16_t kPciCapabilityStart = 0x40;  // §6.7: caps live after the header

// §6.2.2 command register bits.
inline constexpr uint16_t kPciCommandIoSpace = 1 << 0;
inline constexpr uint16_t kPciCommandMemorySpace = 1 << 1;
inline constexpr uint16_t kPciCommandBusMaster = 1 << 2;
inline constexpr uint16_t kPciCommandParityErrorResponse = 1 << 6;
inline constexpr uint16_t kPciCommandSerrEnable = 1 << 8;
inline constexpr uint16_t kPciCommandInterruptDisable = 1 << 10;
// §6.2.3 status register bits.
inline constexpr uint16_t kPciStatusInterrupt = 1 << 3;     // RO
inline constexpr uint16_t kPciStatusCapabilities = 1 << 4;  // RO
inline constexpr uint16_t kPciStatusW1cMask = 0xf900;       // bits 8, 11-15: RW1C
// §6.2.5.1 BAR low bits.
inline constexpr uint32_t kPciBarIo = 0x1;            // bit 0: I/O space
inline constexpr uint32_t kPciBarMem64 = 0x4;         // bits 2:1 = 10b: 64-bit
inline constexpr uint32_t kPciBarPrefetchable = 0x8;  // bit 3
inline constexpr int kPciBarCount = 6;

enum class PciBarKind { kMmio32, kMmio64, kIo };

struct PciIds {
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint8_t revision = 0;
  uint32_t class_code = 0;  // 24 bits: base class << 16 | subclass << 8 | prog-if
  uint16_t subsystem_vendor_id = 0;
  uint16_t subsystem_id = 0;
  uint8_t interrupt_pin = 0;  // 0 none, 1-4 INTA#-INTD# (§6.2.4)
};

class PciConfigSpace {
 public:
  static constexpr size_t kSize = 256;
  // §6.2.5.1: memory BARs claim at least 16 bytes, I/O BARs 4 to 256 bytes.
  static constexpr uint64_t kMinMmioBarSize = 16;
  static constexpr uint64_t kMinIoBarSize = 4;
  static constexpr uint64_t kMaxIoBarSize = 256;

  using BarMovedFn = std::function<void(int bar, uint64_t old_addr, uint64_t new_addr)>;

  struct State {
    std::array<uint8_t, kSize> regs{};
    bool operator==(const State&) const = default;
  };

  explicit PciConfigSpace(const PciIds& ids);
  PciConfigSpace(const PciConfigSpace&) = delete;
  PciConfigSpace& operator=(const PciConfigSpace&) = delete;

  // Set-up (before the guest runs). `size` is a power of two; a 64-bit BAR
  // also takes register index + 1.
  Result<void> AddBar(int index, uint64_t size, PciBarKind kind, bool prefetchable);
  // Links a capability at the end of the list and returns its offset.
  // bytes[0] is the capability id; bytes[1] (next pointer) is filled in.
  // `write_mask`, if not empty, has one mask per byte (bytes 0-1 stay RO).
  Result<uint8_t> AddCapability(std::span<const uint8_t> bytes,
                                std::span<const uint8_t> write_mask = {});
  void SetBarMovedCallback(BarMovedFn fn);

  // Guest accesses: `size` 1, 2 or 4; bytes past kSize read 0 / are dropped.
  uint32_t Read(uint16_t offset, size_t size) const;
  void Write(uint16_t offset, size_t size, uint32_t value);

  // Device-side update ignoring the write masks (e.g. status bit 3, a
  // capability's RO state). No callbacks run.
  void SetRaw(uint16_t offset, size_t size, uint32_t value);

  // The BAR's programmed address (low register index), nullopt if the index
  // holds no BAR. Decoding is not considered: see DecodedBarAddress().
  std::optional<uint64_t> BarAddress(int index) const;
  // The address the BAR decodes at now per the rule above (0: not mapped).
  std::optional<uint64_t> DecodedBarAddress(int index) const;
  std::optional<uint64_t> BarSize(int index) const;
  std::optional<PciBarKind> BarKindAt(int index) const;
  uint16_t command() const;

  State Save() const;
  // Rejects a state whose read-only bits differ from this device's layout
  // (AddBar/AddCapability must have run first), except status bit 3. Runs no
  // BarMoved callback: the owner maps BARs from DecodedBarAddress() after.
  Result<void> Restore(const State& state);

 private:
  struct Bar {
    uint64_t size = 0;  // 0: no BAR starts here
    PciBarKind kind = PciBarKind::kMmio32;
  };
  uint32_t GetLocked(uint16_t offset, size_t size) const;
  void PutLocked(uint16_t offset, size_t size, uint32_t value);
  uint64_t BarAddressLocked(int index) const;
  uint64_t DecodedLocked(int index) const;

  // Held across a whole Write(), callbacks included; taken before mu_.
  std::mutex write_mu_;
  mutable std::mutex mu_;
  std::array<uint8_t, kSize> regs_{};
  std::array<uint8_t, kSize> wmask_{};
  std::array<uint8_t, kSize> w1c_{};
  std::array<Bar, kPciBarCount> bars_{};
  uint8_t last_cap_ = 0;  // offset of the last capability, 0 if none
  uint16_t next_free_ = kPciCapabilityStart;
  BarMovedFn bar_moved_;
};

}  // namespace petrel
