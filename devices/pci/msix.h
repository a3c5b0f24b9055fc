// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MsixTable: one PCI function's MSI-X capability, vector table and Pending
// Bit Array (PCI Local Bus Spec 3.0 §6.8.2), delivering each vector through
// an hv::MsiInterrupt. The message address/data are passed through unchanged;
// on x86 they are in the Intel SDM Vol. 3 §11.11 format (address 0xFEExxxxx,
// data = vector | delivery mode), which the backend decodes.
//
// Set-up: the device adds its BAR(s) to its PciConfigSpace, then calls
// MsixTable::Create(), which links the capability (id 0x11) into the config
// space: Message Control holds table size N-1 (read-only) and the guest-
// writable Function Mask (bit 14) and MSI-X Enable (bit 15); Table and PBA
// Offset/BIR (read-only) point into the BAR(s) given in MsixLayout.
//
// Wiring the owner must do (the PciDevice that owns config space and table):
//   - ConfigWritten(offset, size) from PciDevice::ConfigWritten(), so the
//     table sees guest writes to Message Control (enable / function mask).
//   - guest MMIO on the BAR: BarRead()/BarWrite() (they return false when the
//     access is not in the table or PBA), or ReadTable/WriteTable/ReadPba/
//     WritePba with offsets relative to each region.
//   - Notify(vector) when the device wants to interrupt (virtio: a used
//     buffer or a config change).
//   - Restore: see State below for the order.
//
// Delivery (§6.8.2.9, §6.8.2.10): Notify(v) delivers when MSI-X is enabled
// and neither the function nor entry v is masked; otherwise it sets v's
// pending bit. Whatever unmasks (a Vector Control write, clearing Function
// Mask, setting Enable) delivers the pending vectors it unmasked, in vector
// order, and clears their bits. Delivery programs the entry's message into
// the vector's hv::MsiInterrupt when it differs from the last message
// programmed there, then calls Signal(). Interrupts come from the factory the
// first time a vector is delivered (so unused vectors cost no GSI route). A
// failing factory or SetMessage is logged once, counted, and the interrupt is
// dropped (never fatal); the next Notify retries.
//
// Guest MMIO (§6.8.2: software uses aligned DWORD or QWORD accesses, other
// accesses are undefined): aligned 4- and 8-byte accesses work on the table
// and PBA; any other width or alignment reads 0 and writes are ignored.
// Reserved bits (Vector Control bits 31:1, address bits 1:0) read 0. The PBA
// is read-only. Accesses past the end of a region read 0 / are ignored.
//
// Thread-safety: every method is safe from any thread (guest MMIO and config
// writes come from vCPU threads, Notify from the device's event loop). An
// internal lock is held while SetMessage()/Signal() run, so an MsiInterrupt
// must not call back into the table. The PciConfigSpace passed to Create()
// must outlive the table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"
#include "devices/pci/pci_config_space.h"

namespace petrel {

// PCI 3.0 §6.8.2.1: MSI-X capability id.
inline constexpr uint8_t kPciCapIdMsix = 0x11;
// §6.8.2: capability structure size (id, next, control, table, PBA dwords).
inline constexpr size_t kMsixCapSize = 12;
// §6.8.2 register offsets inside the capability.
inline constexpr uint16_t kMsixCapControl = 2;  // Message Control (16 bits)
inline constexpr uint16_t kMsixCapTable = 4;    // Table Offset/Table BIR
inline constexpr uint16_t kMsixCapPba = 8;      // PBA Offset/PBA BIR
// §6.8.2.3 Message Control bits.
inline constexpr uint16_t kMsixControlTableSize = 0x07ff;  // bits 10:0, N-1, RO
inline constexpr uint16_t kMsixControlFunctionMask = 1 << 14;
inline constexpr uint16_t kMsixControlEnable = 1 << 15;
// §6.8.2.4 / §6.8.2.5: bits 2:0 of the offset dwords are the BIR.
inline constexpr uint32_t kMsixBirMask = 0x7;
// §6.8.2.3: table size field is 11 bits, so at most 2048 vectors.
inline constexpr uint16_t kMsixMaxVectors = 2048;
// §6.8.2.6-6.8.2.9: one table entry is four dwords.
inline constexpr size_t kMsixEntrySize = 16;
inline constexpr uint16_t kMsixEntryAddressLo = 0x0;  // §6.8.2.6, bits 1:0 RO 0
inline constexpr uint16_t kMsixEntryAddressHi = 0x4;  // §6.8.2.7
inline constexpr uint16_t kMsixEntryData = 0x8;       // §6.8.2.8
inline constexpr uint16_t kMsixEntryControl = 0xc;    // §6.8.2.9
inline constexpr uint32_t kMsixVectorMasked = 1;      // §6.8.2.9: Vector Control bit 0
// §6.8.2.10: the PBA is an array of QWORDs, one bit per vector.
inline constexpr size_t kMsixPbaWordBits = 64;
// virtio 1.2 §4.1.4.3: VIRTIO_MSI_NO_VECTOR, "no vector"; Notify ignores it.
inline constexpr uint16_t kMsixNoVector = 0xffff;

// Where the table and PBA live. Offsets are from the start of the BAR and
// QWORD aligned (§6.8.2.4: the low 3 bits hold the BIR); the BAR must be a
// memory BAR already added to the config space (a 64-bit BAR is named by its
// low register index). Table and PBA may share a BAR but not overlap.
struct MsixLayout {
  uint16_t vectors = 1;  // N, 1..kMsixMaxVectors
  uint8_t table_bar = 0;
  uint32_t table_offset = 0;
  uint8_t pba_bar = 0;
  uint32_t pba_offset = 0;

  uint64_t table_size() const { return uint64_t{vectors} * kMsixEntrySize; }
  // §6.8.2.10: QWORDs, rounded up.
  uint64_t pba_size() const { return (vectors + kMsixPbaWordBits - 1) / kMsixPbaWordBits * 8; }
};

// One table entry as the guest programmed it.
struct MsixEntry {
  uint32_t address_lo = 0;
  uint32_t address_hi = 0;
  uint32_t data = 0;
  uint32_t vector_control = kMsixVectorMasked;  // §6.8.2.9: masked after reset
  bool operator==(const MsixEntry&) const = default;
};

using MsiInterruptFactory = std::function<Result<std::shared_ptr<hv::MsiInterrupt>>()>;

class MsixTable {
 public:
  // Plain state. `control` holds only Message Control bits 14-15. Restore the
  // PciConfigSpace first, then the table: Restore() rejects a state whose
  // control bits differ from the config space's Message Control. To check
  // both before changing anything, call CheckState(state, config_state) first.
  struct State {
    std::vector<MsixEntry> table;  // N entries
    std::vector<uint64_t> pba;     // ceil(N / 64) words
    uint16_t control = 0;
    bool operator==(const State&) const = default;
  };

  // Guest-caused and backend events, counted (each is also logged once).
  struct Counters {
    uint64_t bad_accesses = 0;          // odd width/alignment, PBA write, past the end
    uint64_t ignored_notifies = 0;      // Notify() of a vector >= N (not NO_VECTOR)
    uint64_t factory_failures = 0;      // the interrupt factory failed
    uint64_t set_message_failures = 0;  // MsiInterrupt::SetMessage failed
    uint64_t delivered = 0;             // Signal() calls
  };

  // Adds the MSI-X capability to `config` (whose BARs must already exist) and
  // returns the table in its reset state: all vectors masked, addresses and
  // data 0, nothing pending, MSI-X disabled.
  static Result<std::unique_ptr<MsixTable>> Create(PciConfigSpace& config, const MsixLayout& layout,
                                                   MsiInterruptFactory factory);
  MsixTable(const MsixTable&) = delete;
  MsixTable& operator=(const MsixTable&) = delete;

  // Device side: request vector `vector`. Vectors >= N and kMsixNoVector are
  // ignored.
  void Notify(uint16_t vector);

  // Call after every guest config write (from PciDevice::ConfigWritten); it
  // acts only when [offset, offset + size) touches Message Control.
  void ConfigWritten(uint16_t offset, size_t size);

  // Guest MMIO, offsets relative to the start of the table / the PBA.
  void ReadTable(uint64_t offset, std::span<uint8_t> data);
  void WriteTable(uint64_t offset, std::span<const uint8_t> data);
  void ReadPba(uint64_t offset, std::span<uint8_t> data);
  void WritePba(uint64_t offset, std::span<const uint8_t> data);
  // Guest MMIO at `offset` in BAR `bar`: handles it and returns true if the
  // access starts inside the table or the PBA, else returns false.
  bool BarRead(int bar, uint64_t offset, std::span<uint8_t> data);
  bool BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data);

  const MsixLayout& layout() const { return layout_; }
  uint8_t cap_offset() const { return cap_offset_; }
  bool enabled() const;          // Message Control Enable
  bool function_masked() const;  // Message Control Function Mask
  bool IsPending(uint16_t vector) const;
  std::optional<MsixEntry> Entry(uint16_t vector) const;
  Counters counters() const;

  State Save() const;
  // Rejects a state whose sizes do not match N, with pending bits past N,
  // control bits other than 14-15, a pending bit on a deliverable vector (no
  // Petrel state has one), or control bits that differ from the config space.
  Result<void> Restore(const State& state);
  // Restore()'s checks, against `config` (a PciConfigSpace::State about to be
  // restored) instead of the current config space. Changes nothing.
  Result<void> CheckState(const State& state, const PciConfigSpace::State& config) const;

 private:
  MsixTable(PciConfigSpace& config, const MsixLayout& layout, uint8_t cap_offset,
            MsiInterruptFactory factory);

  Result<void> Validate(const State& state, uint16_t config_control) const;
  bool FunctionDeliverableLocked() const;
  bool VectorMaskedLocked(uint16_t vector) const;
  bool PendingLocked(uint16_t vector) const;
  void SetPendingLocked(uint16_t vector, bool pending);
  void DeliverLocked(uint16_t vector);
  void DeliverPendingLocked();
  uint32_t TableDwordLocked(size_t entry, size_t dword) const;
  void WriteTableDwordLocked(size_t entry, size_t dword, uint32_t value);
  void CountBadAccessLocked(const char* what);

  PciConfigSpace& config_;
  const MsixLayout layout_;
  const uint8_t cap_offset_;
  const MsiInterruptFactory factory_;

  mutable std::mutex mu_;
  std::vector<MsixEntry> table_;
  std::vector<uint64_t> pba_;
  uint16_t control_ = 0;                                   // cached Message Control bits 14-15
  std::vector<std::shared_ptr<hv::MsiInterrupt>> irqs_;    // lazily created
  std::vector<std::optional<hv::MsiMessage>> programmed_;  // last SetMessage per vector
  Counters counters_;
};

}  // namespace petrel
