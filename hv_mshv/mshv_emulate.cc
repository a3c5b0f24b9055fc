// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The x86 emulator's register file and platform on MSHV (see mshv_emulate.h).
#include "hv_mshv/mshv_emulate.h"

#include <cstring>
#include <sstream>

#include "core/x86emu/page_walk.h"
#include "hv_mshv/mshv_hvcall.h"
#include "hv_mshv/mshv_regs.h"

namespace petrel::mshv {
namespace {

using x86emu::Reg;
using x86emu::SegReg;

constexpr uint64_t kPageMask = kHvPageSize - 1;

// Guest RAM as the page walk reads and writes it (accessed/dirty bits).
class RamView final : public x86emu::PhysicalMemory {
 public:
  explicit RamView(GuestMemory* memory) : memory_(memory) {}
  Result<void> Read(uint64_t gpa, std::span<uint8_t> data) override {
    if (!memory_ || !memory_->Contains(gpa, data.size())) return Outside(gpa);
    return memory_->Read(gpa, data);
  }
  Result<void> Write(uint64_t gpa, std::span<const uint8_t> data) override {
    if (!memory_ || !memory_->Contains(gpa, data.size())) return Outside(gpa);
    return memory_->Write(gpa, data);
  }

 private:
  static Error Outside(uint64_t gpa) {
    std::ostringstream s;
    s << "page table entry at GPA 0x" << std::hex << gpa << " is not in guest RAM";
    return Error(ErrorCode::kUnsupported, s.str());
  }
  GuestMemory* memory_;
};

}  // namespace

uint32_t HvRegisterNameOf(Reg reg) {
  const unsigned i = static_cast<unsigned>(reg);
  if (i < 16) return kHvX64RegRax + i;
  switch (reg) {
    case Reg::kRip: return kHvX64RegRip;
    case Reg::kRflags: return kHvX64RegRflags;
    case Reg::kCr0: return kHvX64RegCr0;
    case Reg::kCr3: return kHvX64RegCr3;
    case Reg::kCr4: return kHvX64RegCr4;
    case Reg::kEfer: return kHvX64RegEfer;
    default: return 0;
  }
}

uint32_t HvSegmentNameOf(SegReg seg) {
  // Both in the SDM's encoding order: ES, CS, SS, DS, FS, GS.
  static_assert(uint32_t{kHvX64RegCs} == uint32_t{kHvX64RegEs} + 1 &&
                uint32_t{kHvX64RegSs} == uint32_t{kHvX64RegEs} + 2 &&
                uint32_t{kHvX64RegDs} == uint32_t{kHvX64RegEs} + 3 &&
                uint32_t{kHvX64RegGs} == uint32_t{kHvX64RegEs} + 5);
  return kHvX64RegEs + static_cast<uint32_t>(seg);
}

void MshvRegisterFile::Prefill(Reg reg, uint64_t value) {
  const unsigned i = static_cast<unsigned>(reg);
  if (i >= kScalars) return;
  values_[i] = value;
  known_[i] = true;
}

void MshvRegisterFile::PrefillSegment(SegReg seg, const HvX64SegmentRegister& value) {
  const unsigned s = static_cast<unsigned>(seg);
  if (s >= 6) return;
  HvRegisterValue v{};
  std::memcpy(&v, &value, sizeof value);
  segments_[s] = SegmentFromHv(v);
  segment_known_[s] = true;
}

Result<void> MshvRegisterFile::LoadRest() {
  std::vector<uint32_t> names;
  std::vector<int> slots;  // >= 0: scalar index; < 0: -(segment + 1)
  for (unsigned i = 0; i < kScalars; ++i) {
    if (!known_[i]) {
      names.push_back(HvRegisterNameOf(static_cast<Reg>(i)));
      slots.push_back(static_cast<int>(i));
    }
  }
  for (unsigned s = 0; s < 6; ++s) {
    if (!segment_known_[s]) {
      names.push_back(HvSegmentNameOf(static_cast<SegReg>(s)));
      slots.push_back(-static_cast<int>(s) - 1);
    }
  }
  if (names.empty()) return Ok();
  ++loads_;
  PETREL_ASSIGN_OR_RETURN(auto values,
                          regs_.GetRegisters(names).Wrap("reading registers for emulation"));
  for (size_t k = 0; k < slots.size() && k < values.size(); ++k) {
    if (slots[k] >= 0) {
      values_[slots[k]] = values[k].low;
      known_[slots[k]] = true;
    } else {
      const unsigned s = static_cast<unsigned>(-slots[k] - 1);
      segments_[s] = SegmentFromHv(values[k]);
      segment_known_[s] = true;
    }
  }
  return Ok();
}

Result<uint64_t> MshvRegisterFile::Read(Reg reg) {
  const unsigned i = static_cast<unsigned>(reg);
  if (i >= kScalars) return Error(ErrorCode::kInvalidArgument, "MSHV: no such register");
  if (!known_[i]) PETREL_TRY(LoadRest());
  return values_[i];
}

Result<hv::Segment> MshvRegisterFile::ReadSegment(SegReg seg) {
  const unsigned s = static_cast<unsigned>(seg);
  if (s >= 6) return Error(ErrorCode::kInvalidArgument, "MSHV: no such segment");
  if (!segment_known_[s]) PETREL_TRY(LoadRest());
  return segments_[s];
}

Result<void> MshvRegisterFile::Write(std::span<const x86emu::RegisterWrite> writes) {
  if (writes.empty()) return Ok();
  std::vector<HvRegisterAssoc> assocs;
  assocs.reserve(writes.size());
  for (const auto& w : writes) {
    const uint32_t name = HvRegisterNameOf(w.reg);
    if (name == 0) return Error(ErrorCode::kInvalidArgument, "MSHV: no such register");
    assocs.push_back(Reg64(name, w.value));
    Prefill(w.reg, w.value);
  }
  return regs_.SetRegisters(assocs).Wrap("writing back emulated registers");
}

Result<x86emu::Translation> MshvPlatform::Translate(uint64_t gva, x86emu::Access access,
                                                    const x86emu::PagingContext& paging) {
  if (hint_ && hint_->access == access && (hint_->gva & ~kPageMask) == (gva & ~kPageMask)) {
    x86emu::Translation t;
    t.gpa = (hint_->gpa & ~kPageMask) | (gva & kPageMask);
    return t;
  }
  RamView ram(memory_);
  return x86emu::WalkPageTables(ram, paging, gva, access);
}

bool MshvPlatform::IsRam(uint64_t gpa, size_t size) const {
  return memory_ != nullptr && memory_->Contains(gpa, size);
}

Result<void> MshvPlatform::ReadMemory(uint64_t gpa, std::span<uint8_t> data) {
  if (data.empty()) return Ok();
  if (IsRam(gpa, data.size())) return memory_->Read(gpa, data);
  io_.MmioRead(vcpu_, gpa, data);
  return Ok();
}

Result<void> MshvPlatform::WriteMemory(uint64_t gpa, std::span<const uint8_t> data) {
  if (data.empty()) return Ok();
  if (IsRam(gpa, data.size())) return memory_->Write(gpa, data);
  io_.MmioWrite(vcpu_, gpa, data);
  return Ok();
}

Result<void> MshvPlatform::PortIn(uint16_t port, std::span<uint8_t> data) {
  io_.PioRead(vcpu_, port, data);
  return Ok();
}

Result<void> MshvPlatform::PortOut(uint16_t port, std::span<const uint8_t> data) {
  io_.PioWrite(vcpu_, port, data);
  return Ok();
}

Result<void> InjectException(VpRegisterAccess& regs, const x86emu::Fault& fault) {
  uint32_t bits = kPendingEventPending | (uint32_t{fault.vector} << kPendingEventVectorShift);
  if (fault.error_code) bits |= kPendingEventDeliverErrorCode;
  HvRegisterAssoc event{};
  event.name = kHvRegPendingEvent0;
  event.value.low = uint64_t{bits} | (uint64_t{fault.error_code.value_or(0)} << 32);
  event.value.high = fault.vector == x86emu::kVectorPf ? fault.cr2 : 0;
  const HvRegisterAssoc one[1] = {event};
  return regs.SetRegisters(one).Wrap("injecting exception " + std::to_string(fault.vector));
}

}  // namespace petrel::mshv
