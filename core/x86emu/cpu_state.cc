// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuState (lazy loads, dirty tracking, one batched write-back) and
// StructRegisterFile (hv::Regs/hv::Sregs as a RegisterFile).
#include "core/x86emu/cpu_state.h"

#include <vector>

namespace petrel::x86emu {

Result<uint64_t> CpuState::Get(Reg reg) {
  const unsigned i = static_cast<unsigned>(reg);
  if (i >= static_cast<unsigned>(Reg::kCount)) {
    return Error(ErrorCode::kInternal, "x86emu: register out of range");
  }
  if (!(loaded_ & (1u << i))) {
    PETREL_ASSIGN_OR_RETURN(values_[i], file_.Read(reg));
    loaded_ |= 1u << i;
  }
  return values_[i];
}

void CpuState::Set(Reg reg, uint64_t value) {
  const unsigned i = static_cast<unsigned>(reg);
  if (i >= static_cast<unsigned>(Reg::kCount)) return;
  values_[i] = value;
  loaded_ |= 1u << i;
  dirty_ |= 1u << i;
}

Result<hv::Segment> CpuState::GetSegment(SegReg seg) {
  const unsigned s = static_cast<unsigned>(seg);
  if (s >= segments_.size()) return Error(ErrorCode::kInternal, "x86emu: segment out of range");
  const uint32_t bit = 1u << (kSegmentBit + s);
  if (!(loaded_ & bit)) {
    PETREL_ASSIGN_OR_RETURN(segments_[s], file_.ReadSegment(seg));
    loaded_ |= bit;
  }
  return segments_[s];
}

void CpuState::SetSegment(SegReg seg, const hv::Segment& value) {
  const unsigned s = static_cast<unsigned>(seg);
  if (s >= segments_.size()) return;
  segments_[s] = value;
  loaded_ |= 1u << (kSegmentBit + s);
  dirty_ |= 1u << (kSegmentBit + s);
}

Result<hv::DescriptorTable> CpuState::GetTable(TableReg table) {
  const unsigned t = static_cast<unsigned>(table);
  if (t >= tables_.size()) return Error(ErrorCode::kInternal, "x86emu: table out of range");
  const uint32_t bit = 1u << (kTableBit + t);
  if (!(loaded_ & bit)) {
    PETREL_ASSIGN_OR_RETURN(tables_[t], file_.ReadDescriptorTable(table));
    loaded_ |= bit;
  }
  return tables_[t];
}

void CpuState::SetTable(TableReg table, const hv::DescriptorTable& value) {
  const unsigned t = static_cast<unsigned>(table);
  if (t >= tables_.size()) return;
  tables_[t] = value;
  loaded_ |= 1u << (kTableBit + t);
  dirty_ |= 1u << (kTableBit + t);
}

Result<void> CpuState::Flush() {
  if (dirty_ == 0) return Ok();
  std::vector<RegisterWrite> writes;
  for (unsigned i = 0; i < static_cast<unsigned>(Reg::kCount); ++i) {
    if (dirty_ & (1u << i)) writes.push_back({static_cast<Reg>(i), values_[i]});
  }
  if (!writes.empty()) PETREL_TRY(file_.Write(writes));
  for (unsigned s = 0; s < segments_.size(); ++s) {
    if (dirty_ & (1u << (kSegmentBit + s))) {
      PETREL_TRY(file_.WriteSegment(static_cast<SegReg>(s), segments_[s]));
    }
  }
  for (unsigned t = 0; t < tables_.size(); ++t) {
    if (dirty_ & (1u << (kTableBit + t))) {
      PETREL_TRY(file_.WriteDescriptorTable(static_cast<TableReg>(t), tables_[t]));
    }
  }
  dirty_ = 0;
  return Ok();
}

Result<void> RegisterFile::WriteSegment(SegReg, const hv::Segment&) {
  return Error(ErrorCode::kUnsupported, "x86emu: this register file cannot write segments");
}

Result<hv::DescriptorTable> RegisterFile::ReadDescriptorTable(TableReg) {
  return Error(ErrorCode::kUnsupported, "x86emu: this register file has no GDTR/IDTR");
}

Result<void> RegisterFile::WriteDescriptorTable(TableReg, const hv::DescriptorTable&) {
  return Error(ErrorCode::kUnsupported, "x86emu: this register file cannot write GDTR/IDTR");
}

Result<uint64_t> StructRegisterFile::Read(Reg reg) {
  const unsigned i = static_cast<unsigned>(reg);
  if (i < 16) return regs_.gpr[i];
  switch (reg) {
    case Reg::kRip: return regs_.rip;
    case Reg::kRflags: return regs_.rflags;
    case Reg::kCr0: return sregs_.cr0;
    case Reg::kCr3: return sregs_.cr3;
    case Reg::kCr4: return sregs_.cr4;
    case Reg::kEfer: return sregs_.efer;
    case Reg::kCr2: return sregs_.cr2;
    case Reg::kCr8: return sregs_.cr8;
    default: return Error(ErrorCode::kInvalidArgument, "x86emu: no such register");
  }
}

hv::Segment* StructRegisterFile::SegmentOf(SegReg seg) {
  switch (seg) {
    case SegReg::kEs: return &sregs_.es;
    case SegReg::kCs: return &sregs_.cs;
    case SegReg::kSs: return &sregs_.ss;
    case SegReg::kDs: return &sregs_.ds;
    case SegReg::kFs: return &sregs_.fs;
    case SegReg::kGs: return &sregs_.gs;
  }
  return nullptr;
}

Result<hv::Segment> StructRegisterFile::ReadSegment(SegReg seg) {
  if (hv::Segment* s = SegmentOf(seg)) return *s;
  return Error(ErrorCode::kInvalidArgument, "x86emu: no such segment");
}

Result<void> StructRegisterFile::WriteSegment(SegReg seg, const hv::Segment& value) {
  hv::Segment* s = SegmentOf(seg);
  if (!s) return Error(ErrorCode::kInvalidArgument, "x86emu: no such segment");
  *s = value;
  return Ok();
}

Result<hv::DescriptorTable> StructRegisterFile::ReadDescriptorTable(TableReg table) {
  return table == TableReg::kGdtr ? sregs_.gdt : sregs_.idt;
}

Result<void> StructRegisterFile::WriteDescriptorTable(TableReg table, const hv::DescriptorTable& value) {
  (table == TableReg::kGdtr ? sregs_.gdt : sregs_.idt) = value;
  return Ok();
}

Result<void> StructRegisterFile::Write(std::span<const RegisterWrite> writes) {
  for (const RegisterWrite& w : writes) {
    const unsigned i = static_cast<unsigned>(w.reg);
    if (i < 16) {
      regs_.gpr[i] = w.value;
    } else if (w.reg == Reg::kRip) {
      regs_.rip = w.value;
    } else if (w.reg == Reg::kRflags) {
      regs_.rflags = w.value;
    } else if (w.reg == Reg::kCr0) {
      sregs_.cr0 = w.value;
    } else if (w.reg == Reg::kCr2) {
      sregs_.cr2 = w.value;
    } else if (w.reg == Reg::kCr3) {
      sregs_.cr3 = w.value;
    } else if (w.reg == Reg::kCr4) {
      sregs_.cr4 = w.value;
    } else if (w.reg == Reg::kCr8) {
      sregs_.cr8 = w.value;
    } else if (w.reg == Reg::kEfer) {
      sregs_.efer = w.value;
    } else {
      return Error(ErrorCode::kInvalidArgument, "x86emu: no such register");
    }
  }
  return Ok();
}

}  // namespace petrel::x86emu
