// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciConfigSpace: masked writes, BAR sizing and moves, capability list
// (see pci_config_space.h).
#include "devices/pci/pci_config_space.h"

#include <string>
#include <utility>
#include <vector>

namespace petrel {
namespace {

bool IsPowerOfTwo(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

bool ValidWidth(size_t size) {
  return size == 1 || size == 2 || size == 4;
}

}  // namespace

PciConfigSpace::PciConfigSpace(const PciIds& ids) {
  PutLocked(kPciVendorId, 2, ids.vendor_id);
  PutLocked(kPciDeviceId, 2, ids.device_id);
  PutLocked(kPciRevisionId, 1, ids.revision);
  PutLocked(kPciClassCode, 1, ids.class_code & 0xff);
  PutLocked(kPciClassCode + 1, 1, (ids.class_code >> 8) & 0xff);
  PutLocked(kPciClassCode + 2, 1, (ids.class_code >> 16) & 0xff);
  PutLocked(kPciHeaderType, 1, 0x00);  // §6.2.1: type 0, single function
  PutLocked(kPciSubsystemVendorId, 2, ids.subsystem_vendor_id);
  PutLocked(kPciSubsystemId, 2, ids.subsystem_id);
  PutLocked(kPciInterruptPin, 1, ids.interrupt_pin);
  // §6.2.2: the command bits this model implements are RW; the rest RO 0.
  const uint16_t cmd_mask = kPciCommandIoSpace | kPciCommandMemorySpace | kPciCommandBusMaster |
                            kPciCommandParityErrorResponse | kPciCommandSerrEnable |
                            kPciCommandInterruptDisable;
  wmask_[kPciCommand] = cmd_mask & 0xff;
  wmask_[kPciCommand + 1] = cmd_mask >> 8;
  w1c_[kPciStatus] = kPciStatusW1cMask & 0xff;
  w1c_[kPciStatus + 1] = kPciStatusW1cMask >> 8;
  wmask_[kPciCacheLineSize] = 0xff;  // §6.2.4: RW
  wmask_[kPciInterruptLine] = 0xff;  // §6.2.4: RW, for the OS's use
}

Result<void> PciConfigSpace::AddBar(int index, uint64_t size, PciBarKind kind, bool prefetchable) {
  const int regs = kind == PciBarKind::kMmio64 ? 2 : 1;
  if (index < 0 || index + regs > kPciBarCount) {
    return Error(ErrorCode::kOutOfRange, "PCI BAR index out of range");
  }
  if (!IsPowerOfTwo(size)) {
    return Error(ErrorCode::kInvalidArgument, "PCI BAR size is not a power of two");
  }
  uint32_t type = 0;
  switch (kind) {
    case PciBarKind::kIo:
      if (size < kMinIoBarSize || size > kMaxIoBarSize || prefetchable) {
        return Error(ErrorCode::kInvalidArgument, "PCI I/O BAR: size 4-256, not prefetchable");
      }
      type = kPciBarIo;
      break;
    case PciBarKind::kMmio32:
      if (size < kMinMmioBarSize || size > (1ULL << 31)) {
        return Error(ErrorCode::kInvalidArgument, "PCI 32-bit BAR: size 16 B - 2 GiB");
      }
      break;
    case PciBarKind::kMmio64:
      if (size < kMinMmioBarSize || size > (1ULL << 63)) {
        return Error(ErrorCode::kInvalidArgument, "PCI 64-bit BAR: size below 16 B");
      }
      type = kPciBarMem64;
      break;
  }
  if (prefetchable) type |= kPciBarPrefetchable;
  std::lock_guard lock(mu_);
  for (int i = 0; i < kPciBarCount; ++i) {
    if (bars_[i].size == 0) continue;
    const int end = i + (bars_[i].kind == PciBarKind::kMmio64 ? 2 : 1);
    if (index < end && i < index + regs) {
      return Error(ErrorCode::kInvalidArgument, "PCI BAR register already in use");
    }
  }
  bars_[index] = Bar{size, kind};
  const uint16_t off = kPciBar0 + 4 * index;
  const uint32_t low_bits = kind == PciBarKind::kIo ? 0x3 : 0xf;  // §6.2.5.1: RO type bits
  const uint32_t low_mask = static_cast<uint32_t>(~(size - 1)) & ~low_bits;
  PutLocked(off, 4, type);
  for (int b = 0; b < 4; ++b) wmask_[off + b] = static_cast<uint8_t>(low_mask >> (8 * b));
  if (regs == 2) {
    const uint32_t high_mask = static_cast<uint32_t>(~(size - 1) >> 32);
    PutLocked(off + 4, 4, 0);
    for (int b = 0; b < 4; ++b) wmask_[off + 4 + b] = static_cast<uint8_t>(high_mask >> (8 * b));
  }
  return Ok();
}

Result<uint8_t> PciConfigSpace::AddCapability(std::span<const uint8_t> bytes,
                                              std::span<const uint8_t> write_mask) {
  if (bytes.size() < 2) return Error(ErrorCode::kInvalidArgument, "PCI capability under 2 bytes");
  if (!write_mask.empty() && write_mask.size() != bytes.size()) {
    return Error(ErrorCode::kInvalidArgument, "PCI capability write mask size mismatch");
  }
  std::lock_guard lock(mu_);
  // §6.7: capabilities are dword aligned and live in 0x40-0xFF.
  const size_t offset = next_free_;
  if (offset + bytes.size() > kSize) {
    return Error(ErrorCode::kOutOfRange, "PCI capability does not fit in config space");
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    regs_[offset + i] = bytes[i];
    wmask_[offset + i] = (i >= 2 && !write_mask.empty()) ? write_mask[i] : 0;
  }
  regs_[offset + 1] = 0;  // end of list
  if (last_cap_ == 0) {
    regs_[kPciCapabilityPointer] = static_cast<uint8_t>(offset);
  } else {
    regs_[last_cap_ + 1] = static_cast<uint8_t>(offset);
  }
  regs_[kPciStatus] |= kPciStatusCapabilities;
  last_cap_ = static_cast<uint8_t>(offset);
  next_free_ = static_cast<uint16_t>((offset + bytes.size() + 3) & ~size_t{3});
  return static_cast<uint8_t>(offset);
}

void PciConfigSpace::SetBarMovedCallback(BarMovedFn fn) {
  std::lock_guard lock(mu_);
  bar_moved_ = std::move(fn);
}

uint32_t PciConfigSpace::GetLocked(uint16_t offset, size_t size) const {
  uint32_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    const size_t at = size_t{offset} + i;
    const uint32_t byte = at < kSize ? regs_[at] : 0;
    v |= byte << (8 * i);
  }
  return v;
}

void PciConfigSpace::PutLocked(uint16_t offset, size_t size, uint32_t value) {
  for (size_t i = 0; i < size; ++i) {
    const size_t at = size_t{offset} + i;
    if (at < kSize) regs_[at] = static_cast<uint8_t>(value >> (8 * i));
  }
}

uint32_t PciConfigSpace::Read(uint16_t offset, size_t size) const {
  if (!ValidWidth(size)) return 0xffffffff;
  std::lock_guard lock(mu_);
  return GetLocked(offset, size);
}

void PciConfigSpace::Write(uint16_t offset, size_t size, uint32_t value) {
  if (!ValidWidth(size)) return;
  // Until the callbacks below have run: a later write's moves must not
  // overtake this one's.
  std::lock_guard serialised(write_mu_);
  std::vector<std::array<uint64_t, 3>> moves;
  BarMovedFn fn;
  {
    std::lock_guard lock(mu_);
    std::array<uint64_t, kPciBarCount> before{};
    for (int i = 0; i < kPciBarCount; ++i) before[i] = DecodedLocked(i);
    for (size_t i = 0; i < size; ++i) {
      const size_t at = size_t{offset} + i;
      if (at >= kSize) break;
      const uint8_t v = static_cast<uint8_t>(value >> (8 * i));
      uint8_t r = static_cast<uint8_t>((regs_[at] & ~wmask_[at]) | (v & wmask_[at]));
      r = static_cast<uint8_t>(r & ~(v & w1c_[at]));
      regs_[at] = r;
    }
    for (int i = 0; i < kPciBarCount; ++i) {
      const uint64_t after = DecodedLocked(i);
      if (after != before[i]) moves.push_back({uint64_t(i), before[i], after});
    }
    if (!moves.empty()) fn = bar_moved_;
  }
  if (fn) {
    for (const auto& m : moves) fn(static_cast<int>(m[0]), m[1], m[2]);
  }
}

void PciConfigSpace::SetRaw(uint16_t offset, size_t size, uint32_t value) {
  if (!ValidWidth(size)) return;
  std::lock_guard lock(mu_);
  PutLocked(offset, size, value);
}

uint64_t PciConfigSpace::BarAddressLocked(int index) const {
  const Bar& bar = bars_[index];
  const uint16_t off = kPciBar0 + 4 * index;
  const uint32_t low = GetLocked(off, 4);
  switch (bar.kind) {
    case PciBarKind::kIo: return low & ~uint32_t{0x3};
    case PciBarKind::kMmio32: return low & ~uint32_t{0xf};
    case PciBarKind::kMmio64:
      return (uint64_t{GetLocked(off + 4, 4)} << 32) | (low & ~uint32_t{0xf});
  }
  return 0;
}

uint64_t PciConfigSpace::DecodedLocked(int index) const {
  const Bar& bar = bars_[index];
  if (bar.size == 0) return 0;
  const uint16_t cmd = static_cast<uint16_t>(GetLocked(kPciCommand, 2));
  const uint16_t enable = bar.kind == PciBarKind::kIo ? kPciCommandIoSpace : kPciCommandMemorySpace;
  if ((cmd & enable) == 0) return 0;
  const uint64_t addr = BarAddressLocked(index);
  if (addr == 0) return 0;
  // Sizing in progress: some dword holds all of its writable bits.
  const int regs = bar.kind == PciBarKind::kMmio64 ? 2 : 1;
  for (int r = 0; r < regs; ++r) {
    const uint16_t off = kPciBar0 + 4 * (index + r);
    uint32_t mask = 0;
    for (int b = 0; b < 4; ++b) mask |= uint32_t{wmask_[off + b]} << (8 * b);
    if (mask != 0 && (GetLocked(off, 4) & mask) == mask) return 0;
  }
  return addr;
}

std::optional<uint64_t> PciConfigSpace::BarAddress(int index) const {
  if (index < 0 || index >= kPciBarCount) return std::nullopt;
  std::lock_guard lock(mu_);
  if (bars_[index].size == 0) return std::nullopt;
  return BarAddressLocked(index);
}

std::optional<uint64_t> PciConfigSpace::DecodedBarAddress(int index) const {
  if (index < 0 || index >= kPciBarCount) return std::nullopt;
  std::lock_guard lock(mu_);
  if (bars_[index].size == 0) return std::nullopt;
  return DecodedLocked(index);
}

std::optional<uint64_t> PciConfigSpace::BarSize(int index) const {
  if (index < 0 || index >= kPciBarCount) return std::nullopt;
  std::lock_guard lock(mu_);
  if (bars_[index].size == 0) return std::nullopt;
  return bars_[index].size;
}

std::optional<PciBarKind> PciConfigSpace::BarKindAt(int index) const {
  if (index < 0 || index >= kPciBarCount) return std::nullopt;
  std::lock_guard lock(mu_);
  if (bars_[index].size == 0) return std::nullopt;
  return bars_[index].kind;
}

uint16_t PciConfigSpace::command() const {
  std::lock_guard lock(mu_);
  return static_cast<uint16_t>(GetLocked(kPciCommand, 2));
}

PciConfigSpace::State PciConfigSpace::Save() const {
  std::lock_guard lock(mu_);
  return State{regs_};
}

Result<void> PciConfigSpace::Restore(const State& state) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kSize; ++i) {
    uint8_t fixed = static_cast<uint8_t>(~(wmask_[i] | w1c_[i]));
    if (i == kPciStatus) fixed &= static_cast<uint8_t>(~kPciStatusInterrupt);  // device-driven
    if ((state.regs[i] & fixed) != (regs_[i] & fixed)) {
      return Error(ErrorCode::kInvalidArgument,
                   "PCI config state: read-only bits differ at offset " + std::to_string(i));
    }
  }
  regs_ = state.regs;
  return Ok();
}

}  // namespace petrel
