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

Result<void> CpuState::Flush() {
  if (dirty_ == 0) return Ok();
  std::vector<RegisterWrite> writes;
  for (unsigned i = 0; i < static_cast<unsigned>(Reg::kCount); ++i) {
    if (dirty_ & (1u << i)) writes.push_back({static_cast<Reg>(i), values_[i]});
  }
  PETREL_TRY(file_.Write(writes));
  dirty_ = 0;
  return Ok();
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
    default: return Error(ErrorCode::kInvalidArgument, "x86emu: no such register");
  }
}

Result<hv::Segment> StructRegisterFile::ReadSegment(SegReg seg) {
  switch (seg) {
    case SegReg::kEs: return sregs_.es;
    case SegReg::kCs: return sregs_.cs;
    case SegReg::kSs: return sregs_.ss;
    case SegReg::kDs: return sregs_.ds;
    case SegReg::kFs: return sregs_.fs;
    case SegReg::kGs: return sregs_.gs;
  }
  return Error(ErrorCode::kInvalidArgument, "x86emu: no such segment");
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
    } else {
      return Error(ErrorCode::kInvalidArgument, "x86emu: the emulator writes only GPRs, RIP, RFLAGS");
    }
  }
  return Ok();
}

}  // namespace petrel::x86emu
