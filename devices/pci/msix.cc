// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MsixTable: MSI-X capability, vector table, PBA and delivery (see msix.h).
#include "devices/pci/msix.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/base/log.h"

namespace petrel {
namespace {

constexpr uint16_t kControlState = kMsixControlEnable | kMsixControlFunctionMask;
constexpr uint32_t kAddressLoRoBits = 0x3;  // §6.8.2.6: bits 1:0, DWORD alignment

// §6.8.2: only aligned DWORD and QWORD accesses are defined.
bool DefinedAccess(uint64_t offset, size_t len) {
  return (len == 4 || len == 8) && offset % len == 0;
}

bool InRegion(uint64_t offset, size_t len, uint64_t region_size) {
  return offset < region_size && len <= region_size - offset;
}

uint32_t LoadLe32(std::span<const uint8_t> b) {
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

void StoreLe32(std::span<uint8_t> b, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
}

Result<void> CheckBar(const PciConfigSpace& config, uint8_t bar, uint32_t offset, uint64_t size,
                      const char* what) {
  const std::string name = what;
  if (bar >= kPciBarCount)
    return Error(ErrorCode::kOutOfRange, "MSI-X " + name + " BIR past BAR 5");
  const auto bar_size = config.BarSize(bar);
  if (!bar_size) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X " + name + " BIR names no BAR");
  }
  if (config.BarKindAt(bar) == PciBarKind::kIo) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X " + name + " must be in a memory BAR");
  }
  if ((offset & kMsixBirMask) != 0) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X " + name + " offset not QWORD aligned");
  }
  if (offset > *bar_size || size > *bar_size - offset) {
    return Error(ErrorCode::kOutOfRange, "MSI-X " + name + " does not fit in its BAR");
  }
  return Ok();
}

}  // namespace

Result<std::unique_ptr<MsixTable>> MsixTable::Create(PciConfigSpace& config,
                                                     const MsixLayout& layout,
                                                     MsiInterruptFactory factory) {
  if (layout.vectors == 0 || layout.vectors > kMsixMaxVectors) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X vector count must be 1-2048");
  }
  PETREL_TRY(CheckBar(config, layout.table_bar, layout.table_offset, layout.table_size(), "table"));
  PETREL_TRY(CheckBar(config, layout.pba_bar, layout.pba_offset, layout.pba_size(), "PBA"));
  if (layout.table_bar == layout.pba_bar &&
      layout.table_offset < layout.pba_offset + layout.pba_size() &&
      layout.pba_offset < layout.table_offset + layout.table_size()) {
    // §6.8.2: the table and PBA may share a BAR but must not overlap.
    return Error(ErrorCode::kInvalidArgument, "MSI-X table and PBA overlap");
  }
  const uint16_t control = static_cast<uint16_t>(layout.vectors - 1);  // §6.8.2.3: N-1
  const uint32_t table = layout.table_offset | layout.table_bar;
  const uint32_t pba = layout.pba_offset | layout.pba_bar;
  std::array<uint8_t, kMsixCapSize> bytes{};
  bytes[0] = kPciCapIdMsix;
  bytes[kMsixCapControl] = static_cast<uint8_t>(control);
  bytes[kMsixCapControl + 1] = static_cast<uint8_t>(control >> 8);
  StoreLe32(std::span(bytes).subspan(kMsixCapTable, 4), table);
  StoreLe32(std::span(bytes).subspan(kMsixCapPba, 4), pba);
  std::array<uint8_t, kMsixCapSize> mask{};
  mask[kMsixCapControl + 1] = kControlState >> 8;  // §6.8.2.3: bits 14-15 RW, rest RO
  PETREL_ASSIGN_OR_RETURN(const uint8_t cap, config.AddCapability(bytes, mask));
  return std::unique_ptr<MsixTable>(new MsixTable(config, layout, cap, std::move(factory)));
}

MsixTable::MsixTable(PciConfigSpace& config, const MsixLayout& layout, uint8_t cap_offset,
                     MsiInterruptFactory factory)
    : config_(config),
      layout_(layout),
      cap_offset_(cap_offset),
      factory_(std::move(factory)),
      table_(layout.vectors),
      pba_(layout.pba_size() / 8, 0),
      irqs_(layout.vectors),
      programmed_(layout.vectors) {}

bool MsixTable::FunctionDeliverableLocked() const {
  return (control_ & kMsixControlEnable) != 0 && (control_ & kMsixControlFunctionMask) == 0;
}

bool MsixTable::VectorMaskedLocked(uint16_t vector) const {
  return (table_[vector].vector_control & kMsixVectorMasked) != 0;
}

bool MsixTable::PendingLocked(uint16_t vector) const {
  return (pba_[vector / kMsixPbaWordBits] >> (vector % kMsixPbaWordBits)) & 1;
}

void MsixTable::SetPendingLocked(uint16_t vector, bool pending) {
  const uint64_t bit = uint64_t{1} << (vector % kMsixPbaWordBits);
  uint64_t& word = pba_[vector / kMsixPbaWordBits];
  word = pending ? (word | bit) : (word & ~bit);
}

void MsixTable::DeliverLocked(uint16_t vector) {
  std::shared_ptr<hv::MsiInterrupt>& irq = irqs_[vector];
  if (!irq) {
    Result<std::shared_ptr<hv::MsiInterrupt>> created =
        factory_ ? factory_() : Error(ErrorCode::kInternal, "no MSI interrupt factory");
    if (!created.ok() || !*created) {
      ++counters_.factory_failures;
      PETREL_LOG_ONCE(kWarn, "msix: interrupt factory failed")
          << "MSI-X: cannot create an interrupt for vector " << vector << ": "
          << (created.ok() ? std::string("null interrupt") : created.error().message());
      return;
    }
    irq = std::move(created).value();
  }
  const MsixEntry& e = table_[vector];
  const hv::MsiMessage message{.address = uint64_t{e.address_hi} << 32 | e.address_lo,
                               .data = e.data};
  if (programmed_[vector] != message) {
    auto set = irq->SetMessage(message);
    if (!set.ok()) {
      ++counters_.set_message_failures;
      programmed_[vector].reset();  // unknown: reprogram next time
      PETREL_LOG_ONCE(kWarn, "msix: SetMessage failed")
          << "MSI-X: vector " << vector << " dropped: " << set.error().message();
      return;
    }
    programmed_[vector] = message;
  }
  irq->Signal();
  ++counters_.delivered;
}

void MsixTable::DeliverPendingLocked() {
  for (size_t w = 0; w < pba_.size(); ++w) {
    uint64_t bits = pba_[w];
    while (bits != 0) {
      const int b = __builtin_ctzll(bits);
      bits &= bits - 1;
      const auto vector = static_cast<uint16_t>(w * kMsixPbaWordBits + b);
      if (VectorMaskedLocked(vector)) continue;
      SetPendingLocked(vector, false);
      DeliverLocked(vector);
    }
  }
}

void MsixTable::Notify(uint16_t vector) {
  if (vector == kMsixNoVector) return;
  std::lock_guard lock(mu_);
  if (vector >= layout_.vectors) {
    ++counters_.ignored_notifies;
    PETREL_LOG_ONCE(kWarn, "msix: notify past table")
        << "MSI-X: Notify(" << vector << ") past " << layout_.vectors << " vectors ignored";
    return;
  }
  if (!FunctionDeliverableLocked() || VectorMaskedLocked(vector)) {
    SetPendingLocked(vector, true);  // §6.8.2.10
    return;
  }
  DeliverLocked(vector);
}

void MsixTable::ConfigWritten(uint16_t offset, size_t size) {
  const uint32_t control = uint32_t{cap_offset_} + kMsixCapControl;
  if (uint32_t{offset} + size <= control || offset >= control + 2) return;
  std::lock_guard lock(mu_);
  const bool was = FunctionDeliverableLocked();
  control_ = static_cast<uint16_t>(config_.Read(static_cast<uint16_t>(control), 2) & kControlState);
  if (!was && FunctionDeliverableLocked()) DeliverPendingLocked();
}

uint32_t MsixTable::TableDwordLocked(size_t entry, size_t dword) const {
  const MsixEntry& e = table_[entry];
  switch (dword) {
    case 0: return e.address_lo;
    case 1: return e.address_hi;
    case 2: return e.data;
    default: return e.vector_control;
  }
}

void MsixTable::WriteTableDwordLocked(size_t entry, size_t dword, uint32_t value) {
  MsixEntry& e = table_[entry];
  switch (dword) {
    case 0: e.address_lo = value & ~kAddressLoRoBits; break;
    case 1: e.address_hi = value; break;
    case 2: e.data = value; break;
    default: {
      const auto vector = static_cast<uint16_t>(entry);
      const bool was_masked = VectorMaskedLocked(vector);
      e.vector_control = value & kMsixVectorMasked;  // §6.8.2.9: bits 31:1 reserved
      if (was_masked && !VectorMaskedLocked(vector) && FunctionDeliverableLocked() &&
          PendingLocked(vector)) {
        SetPendingLocked(vector, false);
        DeliverLocked(vector);
      }
    }
  }
}

void MsixTable::CountBadAccessLocked(const char* what) {
  ++counters_.bad_accesses;
  PETREL_LOG_ONCE(kWarn, std::string("msix: ") + what) << "MSI-X: guest " << what << " ignored";
}

void MsixTable::ReadTable(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  std::lock_guard lock(mu_);
  if (!DefinedAccess(offset, data.size()) || !InRegion(offset, data.size(), layout_.table_size())) {
    CountBadAccessLocked("MSI-X table read of undefined width/offset");
    return;
  }
  const size_t entry = offset / kMsixEntrySize;
  const size_t dword = (offset % kMsixEntrySize) / 4;
  for (size_t i = 0; i < data.size() / 4; ++i) {
    StoreLe32(data.subspan(4 * i, 4), TableDwordLocked(entry, dword + i));
  }
}

void MsixTable::WriteTable(uint64_t offset, std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  if (!DefinedAccess(offset, data.size()) || !InRegion(offset, data.size(), layout_.table_size())) {
    CountBadAccessLocked("MSI-X table write of undefined width/offset");
    return;
  }
  const size_t entry = offset / kMsixEntrySize;
  const size_t dword = (offset % kMsixEntrySize) / 4;
  for (size_t i = 0; i < data.size() / 4; ++i) {
    WriteTableDwordLocked(entry, dword + i, LoadLe32(data.subspan(4 * i, 4)));
  }
}

void MsixTable::ReadPba(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
  std::lock_guard lock(mu_);
  if (!DefinedAccess(offset, data.size()) || !InRegion(offset, data.size(), layout_.pba_size())) {
    CountBadAccessLocked("MSI-X PBA read of undefined width/offset");
    return;
  }
  const uint64_t word = pba_[offset / 8];
  const unsigned shift = (offset % 8) * 8;  // the high dword of a QWORD
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(word >> (shift + 8 * i));
}

void MsixTable::WritePba(uint64_t offset, std::span<const uint8_t> data) {
  (void)offset;
  (void)data;
  std::lock_guard lock(mu_);
  CountBadAccessLocked("MSI-X PBA write");  // §6.8.2.10: Pending Bits are RO
}

bool MsixTable::BarRead(int bar, uint64_t offset, std::span<uint8_t> data) {
  if (bar == layout_.table_bar && offset >= layout_.table_offset &&
      offset - layout_.table_offset < layout_.table_size()) {
    ReadTable(offset - layout_.table_offset, data);
    return true;
  }
  if (bar == layout_.pba_bar && offset >= layout_.pba_offset &&
      offset - layout_.pba_offset < layout_.pba_size()) {
    ReadPba(offset - layout_.pba_offset, data);
    return true;
  }
  return false;
}

bool MsixTable::BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data) {
  if (bar == layout_.table_bar && offset >= layout_.table_offset &&
      offset - layout_.table_offset < layout_.table_size()) {
    WriteTable(offset - layout_.table_offset, data);
    return true;
  }
  if (bar == layout_.pba_bar && offset >= layout_.pba_offset &&
      offset - layout_.pba_offset < layout_.pba_size()) {
    WritePba(offset - layout_.pba_offset, data);
    return true;
  }
  return false;
}

bool MsixTable::enabled() const {
  std::lock_guard lock(mu_);
  return (control_ & kMsixControlEnable) != 0;
}

bool MsixTable::function_masked() const {
  std::lock_guard lock(mu_);
  return (control_ & kMsixControlFunctionMask) != 0;
}

bool MsixTable::IsPending(uint16_t vector) const {
  std::lock_guard lock(mu_);
  return vector < layout_.vectors && PendingLocked(vector);
}

std::optional<MsixEntry> MsixTable::Entry(uint16_t vector) const {
  std::lock_guard lock(mu_);
  if (vector >= layout_.vectors) return std::nullopt;
  return table_[vector];
}

MsixTable::Counters MsixTable::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

MsixTable::State MsixTable::Save() const {
  std::lock_guard lock(mu_);
  return State{.table = table_, .pba = pba_, .control = control_};
}

Result<void> MsixTable::Validate(const State& state, uint16_t config_control) const {
  if (state.table.size() != layout_.vectors || state.pba.size() != pba_.size()) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X state: vector count differs");
  }
  const size_t tail = layout_.vectors % kMsixPbaWordBits;
  if (tail != 0 && (state.pba.back() >> tail) != 0) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X state: pending bit past the table");
  }
  if ((state.control & ~kControlState) != 0) {
    return Error(ErrorCode::kInvalidArgument, "MSI-X state: control bits other than 14-15");
  }
  if (state.control != (config_control & kControlState)) {
    return Error(ErrorCode::kInvalidArgument,
                 "MSI-X state: control differs from the config space (restore it first)");
  }
  const bool deliverable =
      (state.control & kMsixControlEnable) != 0 && (state.control & kMsixControlFunctionMask) == 0;
  for (size_t v = 0; v < state.table.size(); ++v) {
    const MsixEntry& e = state.table[v];
    if ((e.address_lo & kAddressLoRoBits) != 0 || (e.vector_control & ~kMsixVectorMasked) != 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "MSI-X state: reserved bits set in entry " + std::to_string(v));
    }
    const bool pending = (state.pba[v / kMsixPbaWordBits] >> (v % kMsixPbaWordBits)) & 1;
    if (pending && deliverable && (e.vector_control & kMsixVectorMasked) == 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "MSI-X state: deliverable vector " + std::to_string(v) + " is pending");
    }
  }
  return Ok();
}

Result<void> MsixTable::CheckState(const State& state, const PciConfigSpace::State& config) const {
  const size_t at = size_t{cap_offset_} + kMsixCapControl;
  const auto control = static_cast<uint16_t>(config.regs[at] | config.regs[at + 1] << 8);
  return Validate(state, control);
}

Result<void> MsixTable::Restore(const State& state) {
  std::lock_guard lock(mu_);
  const auto control =
      static_cast<uint16_t>(config_.Read(static_cast<uint16_t>(cap_offset_ + kMsixCapControl), 2));
  PETREL_TRY(Validate(state, control));
  table_ = state.table;
  pba_ = state.pba;
  control_ = state.control;
  // The interrupts may hold messages from before; program them again on use.
  std::fill(programmed_.begin(), programmed_.end(), std::nullopt);
  return Ok();
}

}  // namespace petrel
