// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The string instructions (SDM 2A/2B): MOVS and STOS (both profiles), LODS,
// INS and OUTS (sim profile), each with REP (SDM 2B 4.3 "REP/REPE/REPZ/
// REPNE/REPNZ"), capped at max_rep iterations per Step: RIP then stays on
// the instruction with rSI/rDI/rCX holding the progress (rep_pending).
#include "core/x86emu/execution.h"

namespace petrel::x86emu::internal {

// ES:rDI is the destination (MOVS, STOS, INS; no override); DS:rSI or its
// override the source (MOVS, LODS, OUTS). rSI, rDI and rCX are used at the
// address size; DF picks the direction. INS/OUTS take the port from DX
// (SDM 2A 3.2 INS, 2B 4.3 OUTS); LODS loads AL/AX/EAX/RAX (a 32-bit load
// zero-extends RAX, SDM 1 3.4.1.1).
Result<bool> Execution::String(bool* rep_pending) {
  const Op op = insn_.op;
  const bool reads_source = op == Op::kMovs || op == Op::kLods || op == Op::kOuts;
  const bool writes_destination = op == Op::kMovs || op == Op::kStos || op == Op::kIns;
  const unsigned size = insn_.operand_size;
  const uint8_t asz = insn_.address_size;
  const GprRef rsi{hv::kRsi, asz, false};
  const GprRef rdi{hv::kRdi, asz, false};
  const GprRef rcx{hv::kRcx, asz, false};
  const GprRef rax{hv::kRax, static_cast<uint8_t>(size), false};
  // Zydis's memory operands: MOVS has the destination then the source;
  // LODS and OUTS only the source.
  SegReg source_segment = SegReg::kDs;
  if (op == Op::kMovs && insn_.operand_count >= 2) source_segment = insn_.operands[1].mem.segment;
  if ((op == Op::kLods || op == Op::kOuts) && insn_.operand_count >= 1) {
    source_segment = insn_.operands[0].mem.segment;
  }
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  const int64_t step = (rflags & kFlagDf) ? -static_cast<int64_t>(size) : static_cast<int64_t>(size);
  const bool rep = insn_.rep == RepPrefix::kRep;
  uint64_t count = 1;
  if (rep) {
    PETREL_ASSIGN_OR_RETURN(count, access_.ReadGpr(rcx));
    if (count == 0) return true;
  }
  uint16_t port = 0;
  if (op == Op::kIns || op == Op::kOuts) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t dx, access_.ReadGpr(GprRef{hv::kRdx, 2, false}));
    port = static_cast<uint16_t>(dx);
  }
  uint64_t stored = 0;
  if (op == Op::kStos) {
    PETREL_ASSIGN_OR_RETURN(stored, access_.ReadGpr(rax));
  }
  for (uint32_t done = 0;; ++done) {
    if (done == max_rep_) {
      *rep_pending = true;
      return true;
    }
    std::array<uint8_t, 8> buf{};
    std::memcpy(buf.data(), &stored, size);
    const std::span<uint8_t> data(buf.data(), size);
    uint64_t si = 0, di = 0, dst = 0;
    if (reads_source) {
      PETREL_ASSIGN_OR_RETURN(si, access_.ReadGpr(rsi));
      uint64_t src = 0;
      X86EMU_STEP(access_.Linear(source_segment, si, size, Access::kRead, &src));
      X86EMU_STEP(access_.Read(src, data));
    }
    GuestAccess::WriteTarget target;
    if (writes_destination) {
      // The destination is checked (segmentation and paging) before an INS
      // reads the port, so a fault on it does not consume the port's datum.
      PETREL_ASSIGN_OR_RETURN(di, access_.ReadGpr(rdi));
      X86EMU_STEP(access_.Linear(SegReg::kEs, di, size, Access::kWrite, &dst));
      X86EMU_STEP(access_.TranslateWrite(dst, size, &target));
    }
    if (op == Op::kIns) PETREL_TRY(access_.PortIn(port, data));
    if (op == Op::kOuts) PETREL_TRY(access_.PortOut(port, data));
    if (writes_destination) PETREL_TRY(access_.WriteTranslated(target, data));
    if (op == Op::kLods) PETREL_TRY(access_.WriteGpr(rax, LoadLe(buf.data(), size)));
    // The iteration is complete: its register updates stand even if a later one faults.
    if (writes_destination) PETREL_TRY(access_.WriteGpr(rdi, di + static_cast<uint64_t>(step)));
    if (reads_source) PETREL_TRY(access_.WriteGpr(rsi, si + static_cast<uint64_t>(step)));
    if (!rep) return true;
    --count;
    PETREL_TRY(access_.WriteGpr(rcx, count));
    if (count == 0) return true;
  }
}

}  // namespace petrel::x86emu::internal
