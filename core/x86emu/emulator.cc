// Emulator::Step: fetch and decode at CS:RIP, then the semantics of each
// instruction of the `mmio` profile (SDM 2A/2B instruction pages: MOV,
// MOVZX, MOVSX/MOVSXD, MOVS, STOS, ADD, OR, AND, SUB, XOR, CMP, TEST, XCHG,
// BT, BTS, BTR, SETcc).
#include "core/x86emu/emulator.h"

#include <array>
#include <cstring>
#include <optional>

#include "core/x86emu/alu.h"
#include "core/x86emu/guest_access.h"

namespace petrel::x86emu {
namespace {

constexpr size_t kMaxInstructionLength = 15;  // SDM 2A 2.3.11

// Returns from a Result<bool> function when `expr` (a Result<bool>) failed
// or stopped (a fault was raised).
#define X86EMU_STEP(expr)                              \
  do {                                                 \
    auto x86emu_step_ = (expr);                        \
    if (!x86emu_step_.ok()) return std::move(x86emu_step_).error(); \
    if (!*x86emu_step_) return false;                  \
  } while (0)

uint64_t LoadLe(const uint8_t* p, unsigned size) {
  uint64_t v = 0;
  std::memcpy(&v, p, size);  // x86 hosts and guests are little-endian
  return v;
}

// One decoded instruction being carried out.
class Execution {
 public:
  Execution(GuestAccess& access, CpuState& cpu, const DecodedInstruction& insn, uint64_t rip,
            uint32_t max_rep)
      : access_(access), cpu_(cpu), insn_(insn), rip_(rip), max_rep_(max_rep) {}

  // False when a fault was raised; `rep_pending` when a REP stopped at the cap.
  Result<bool> Run(bool* rep_pending, bool* halted);

 private:
  uint64_t NextRip() const {
    const uint64_t next = rip_ + insn_.length;
    switch (AddressSizeOf(access_.mode())) {
      case 8: return next;
      case 4: return next & 0xffffffffull;
      default: return next & 0xffffull;
    }
  }
  Result<bool> MemLinear(const Operand& op, unsigned size, Access access, uint64_t* linear,
                         int64_t extra_offset = 0);
  Result<bool> ReadOperand(const Operand& op, unsigned size, uint64_t* value, Access access = Access::kRead);
  Result<bool> WriteOperand(const Operand& op, unsigned size, uint64_t value);
  Result<void> SetArithFlags(uint64_t flags, uint64_t mask = kArithFlags);

  Result<bool> Mov();
  Result<bool> Extend(bool sign);
  Result<bool> Arith(AluOp op, bool store);
  Result<bool> Xchg();
  enum class BitOp : uint8_t { kTest, kSet, kReset };
  Result<bool> Bt(BitOp bit_op);
  Result<bool> Setcc();
  // The sim profile.
  Result<bool> PortIo(bool in);
  Result<void> SetInterruptFlag(bool on);
  Result<bool> String(bool* rep_pending);

  GuestAccess& access_;
  CpuState& cpu_;
  const DecodedInstruction& insn_;
  uint64_t rip_;
  uint32_t max_rep_;
};

Result<bool> Execution::MemLinear(const Operand& op, unsigned size, Access access,
                                  uint64_t* linear, int64_t extra_offset) {
  PETREL_ASSIGN_OR_RETURN(uint64_t ea, access_.EffectiveAddress(op.mem, insn_.address_size, NextRip()));
  ea = Truncate(ea + static_cast<uint64_t>(extra_offset), insn_.address_size);
  return access_.Linear(op.mem.segment, ea, size, access, linear);
}

Result<bool> Execution::ReadOperand(const Operand& op, unsigned size, uint64_t* value, Access access) {
  switch (op.kind) {
    case Operand::Kind::kGpr: {
      PETREL_ASSIGN_OR_RETURN(*value, access_.ReadGpr(op.gpr));
      return true;
    }
    case Operand::Kind::kImm:
      *value = Truncate(op.imm, size);
      return true;
    case Operand::Kind::kMem: {
      uint64_t linear = 0;
      X86EMU_STEP(MemLinear(op, size, access, &linear));
      std::array<uint8_t, 8> buf{};
      X86EMU_STEP(access_.Read(linear, std::span(buf.data(), size), access));
      *value = LoadLe(buf.data(), size);
      return true;
    }
    case Operand::Kind::kNone: break;
  }
  return Error(ErrorCode::kInternal, "x86emu: reading an absent operand");
}

Result<bool> Execution::WriteOperand(const Operand& op, unsigned size, uint64_t value) {
  switch (op.kind) {
    case Operand::Kind::kGpr:
      PETREL_TRY(access_.WriteGpr(op.gpr, value));
      return true;
    case Operand::Kind::kMem: {
      uint64_t linear = 0;
      X86EMU_STEP(MemLinear(op, size, Access::kWrite, &linear));
      std::array<uint8_t, 8> buf{};
      std::memcpy(buf.data(), &value, size);
      return access_.Write(linear, std::span<const uint8_t>(buf.data(), size));
    }
    default: break;
  }
  return Error(ErrorCode::kInternal, "x86emu: writing an operand that is not a register or memory");
}

Result<void> Execution::SetArithFlags(uint64_t flags, uint64_t mask) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  cpu_.Set(Reg::kRflags, (rflags & ~mask) | (flags & mask));
  return Ok();
}

// MOV (SDM 2A "MOV"): 88/89/8A/8B, C6/C7, B0-BF, A0-A3 (moffs). Flags unchanged.
Result<bool> Execution::Mov() {
  const unsigned size = insn_.operands[0].size;
  uint64_t value = 0;
  X86EMU_STEP(ReadOperand(insn_.operands[1], size, &value));
  return WriteOperand(insn_.operands[0], size, value);
}

// MOVZX, MOVSX, MOVSXD (SDM 2A): the source's size is its own.
Result<bool> Execution::Extend(bool sign) {
  const Operand& src = insn_.operands[1];
  uint64_t value = 0;
  X86EMU_STEP(ReadOperand(src, src.size, &value));
  if (sign) value = SignExtend(value, src.size);
  return WriteOperand(insn_.operands[0], insn_.operands[0].size, Truncate(value, insn_.operands[0].size));
}

// ADD, OR, AND, SUB, XOR (store) and CMP, TEST (flags only). A memory
// destination is read with write intent, as the processor checks it.
Result<bool> Execution::Arith(AluOp op, bool store) {
  const Operand& dst = insn_.operands[0];
  const unsigned size = dst.size;
  uint64_t a = 0, b = 0;
  X86EMU_STEP(ReadOperand(dst, size, &a, store ? Access::kWrite : Access::kRead));
  X86EMU_STEP(ReadOperand(insn_.operands[1], size, &b));
  const AluResult r = Alu(op, a, b, size);
  if (store) {
    X86EMU_STEP(WriteOperand(dst, size, r.value));
  }
  PETREL_TRY(SetArithFlags(r.flags));
  return true;
}

// XCHG (SDM 2B): exchanges; with memory the processor locks, here the two
// accesses are a read then a write. Flags unchanged.
Result<bool> Execution::Xchg() {
  const Operand& a = insn_.operands[0];
  const Operand& b = insn_.operands[1];
  const unsigned size = a.size;
  uint64_t va = 0, vb = 0;
  const bool a_mem = a.kind == Operand::Kind::kMem;
  X86EMU_STEP(ReadOperand(a, size, &va, a_mem ? Access::kWrite : Access::kRead));
  X86EMU_STEP(ReadOperand(b, size, &vb, b.kind == Operand::Kind::kMem ? Access::kWrite : Access::kRead));
  // Memory first, so a fault leaves the registers untouched.
  if (a_mem) {
    X86EMU_STEP(WriteOperand(a, size, vb));
    X86EMU_STEP(WriteOperand(b, size, va));
  } else {
    X86EMU_STEP(WriteOperand(b, size, va));
    X86EMU_STEP(WriteOperand(a, size, vb));
  }
  return true;
}

// BT, BTS, BTR (SDM 2A "BT", "BTS", "BTR"): CF = the selected bit; BTS
// then sets it, BTR clears it. ZF unaffected; OF, SF, AF, PF are undefined
// and left as they were. With a register offset and a memory base, the
// offset is signed and selects any bit of the bit string (SDM 2A 3.1.1.9
// "Bit(BitBase, BitOffset)"); with an immediate it is taken modulo the
// operand width.
Result<bool> Execution::Bt(BitOp bit_op) {
  const Operand& base = insn_.operands[0];
  const Operand& offset_op = insn_.operands[1];
  const unsigned size = base.size;
  const unsigned bits = size * 8;
  const bool writes = bit_op != BitOp::kTest;
  const Access access = writes ? Access::kWrite : Access::kRead;
  uint64_t offset = 0;
  X86EMU_STEP(ReadOperand(offset_op, offset_op.kind == Operand::Kind::kImm ? 1 : size, &offset));
  uint64_t word = 0;
  unsigned bit = 0;
  uint64_t linear = 0;
  const bool mem = base.kind == Operand::Kind::kMem;
  if (mem) {
    int64_t word_offset = 0;
    if (offset_op.kind == Operand::Kind::kGpr) {
      const int64_t signed_offset = static_cast<int64_t>(SignExtend(offset, size));
      const int64_t word_index = signed_offset >> (size == 8 ? 6 : size == 4 ? 5 : 4);
      word_offset = word_index * static_cast<int64_t>(size);
    }
    bit = static_cast<unsigned>(offset & (bits - 1));
    X86EMU_STEP(MemLinear(base, size, access, &linear, word_offset));
    std::array<uint8_t, 8> buf{};
    X86EMU_STEP(access_.Read(linear, std::span(buf.data(), size), access));
    word = LoadLe(buf.data(), size);
  } else {
    bit = static_cast<unsigned>(offset & (bits - 1));
    X86EMU_STEP(ReadOperand(base, size, &word));
  }
  const uint64_t mask = 1ull << bit;
  const bool was_set = (word & mask) != 0;
  if (writes) {
    const uint64_t updated = bit_op == BitOp::kSet ? (word | mask) : (word & ~mask);
    if (mem) {
      std::array<uint8_t, 8> buf{};
      std::memcpy(buf.data(), &updated, size);
      X86EMU_STEP(access_.Write(linear, std::span<const uint8_t>(buf.data(), size)));
    } else {
      X86EMU_STEP(WriteOperand(base, size, updated));
    }
  }
  PETREL_TRY(SetArithFlags(was_set ? kFlagCf : 0, kFlagCf));
  return true;
}

// SETcc (SDM 2B "SETcc"): r/m8 = condition.
Result<bool> Execution::Setcc() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  return WriteOperand(insn_.operands[0], 1, ConditionHolds(insn_.condition, rflags) ? 1 : 0);
}

// MOVS and STOS (SDM 2B), with REP (SDM 2B "REP"): ES:rDI is the
// destination (no override); MOVS's source is DS:rSI or its override. rSI,
// rDI and rCX are used at the address size; DF picks the direction.
Result<bool> Execution::String(bool* rep_pending) {
  const bool movs = insn_.op == Op::kMovs;
  const unsigned size = insn_.operand_size;
  const unsigned asz = insn_.address_size;
  const GprRef rsi{hv::kRsi, static_cast<uint8_t>(asz), false};
  const GprRef rdi{hv::kRdi, static_cast<uint8_t>(asz), false};
  const GprRef rcx{hv::kRcx, static_cast<uint8_t>(asz), false};
  const SegReg source_segment = (movs && insn_.operand_count >= 2) ? insn_.operands[1].mem.segment
                                                                  : SegReg::kDs;
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  const int64_t step = (rflags & kFlagDf) ? -static_cast<int64_t>(size) : static_cast<int64_t>(size);
  const bool rep = insn_.rep == RepPrefix::kRep;
  uint64_t count = 1;
  if (rep) {
    PETREL_ASSIGN_OR_RETURN(count, access_.ReadGpr(rcx));
    if (count == 0) return true;
  }
  uint64_t stored = 0;
  if (!movs) {
    PETREL_ASSIGN_OR_RETURN(stored, access_.ReadGpr(GprRef{hv::kRax, static_cast<uint8_t>(size), false}));
  }
  for (uint32_t done = 0;; ++done) {
    if (done == max_rep_) {
      *rep_pending = true;
      return true;
    }
    std::array<uint8_t, 8> buf{};
    std::memcpy(buf.data(), &stored, size);
    PETREL_ASSIGN_OR_RETURN(const uint64_t di, access_.ReadGpr(rdi));
    uint64_t si = 0;
    if (movs) {
      PETREL_ASSIGN_OR_RETURN(si, access_.ReadGpr(rsi));
      uint64_t src = 0;
      X86EMU_STEP(access_.Linear(source_segment, si, size, Access::kRead, &src));
      X86EMU_STEP(access_.Read(src, std::span(buf.data(), size)));
    }
    uint64_t dst = 0;
    X86EMU_STEP(access_.Linear(SegReg::kEs, di, size, Access::kWrite, &dst));
    X86EMU_STEP(access_.Write(dst, std::span<const uint8_t>(buf.data(), size)));
    // The iteration is complete: its register updates stand even if a later one faults.
    PETREL_TRY(access_.WriteGpr(rdi, di + static_cast<uint64_t>(step)));
    if (movs) {
      PETREL_TRY(access_.WriteGpr(rsi, si + static_cast<uint64_t>(step)));
    }
    if (!rep) return true;
    --count;
    PETREL_TRY(access_.WriteGpr(rcx, count));
    if (count == 0) return true;
  }
}

// IN AL/AX/EAX, imm8|DX and OUT imm8|DX, AL/AX/EAX (SDM 2A 3.2 IN, 2B 4.3
// OUT): the port is the immediate (zero-extended) or DX.
Result<bool> Execution::PortIo(bool in) {
  const Operand& reg = insn_.operands[in ? 0 : 1];
  const Operand& port_op = insn_.operands[in ? 1 : 0];
  uint16_t port = 0;
  if (port_op.kind == Operand::Kind::kImm) {
    port = static_cast<uint16_t>(port_op.imm & 0xff);
  } else {
    PETREL_ASSIGN_OR_RETURN(const uint64_t dx, access_.ReadGpr(port_op.gpr));
    port = static_cast<uint16_t>(dx);
  }
  const unsigned size = reg.size;
  std::array<uint8_t, 4> buf{};
  if (in) {
    PETREL_TRY(access_.PortIn(port, std::span(buf.data(), size)));
    PETREL_TRY(access_.WriteGpr(reg.gpr, LoadLe(buf.data(), size)));
  } else {
    PETREL_ASSIGN_OR_RETURN(const uint64_t value, access_.ReadGpr(reg.gpr));
    std::memcpy(buf.data(), &value, size);
    PETREL_TRY(access_.PortOut(port, std::span<const uint8_t>(buf.data(), size)));
  }
  return true;
}

// CLI/STI: RFLAGS.IF, bit 9 (SDM 1 3.4.3.3). STI's one-instruction interrupt
// shadow is not modelled (nothing interrupts an interpreted guest yet).
Result<void> Execution::SetInterruptFlag(bool on) {
  constexpr uint64_t kIf = 1ull << 9;
  PETREL_ASSIGN_OR_RETURN(const uint64_t flags, cpu_.Get(Reg::kRflags));
  cpu_.Set(Reg::kRflags, on ? (flags | kIf) : (flags & ~kIf));
  return Ok();
}

Result<bool> Execution::Run(bool* rep_pending, bool* halted) {
  switch (insn_.op) {
    case Op::kMov: X86EMU_STEP(Mov()); break;
    case Op::kMovzx: X86EMU_STEP(Extend(false)); break;
    case Op::kMovsx:
    case Op::kMovsxd: X86EMU_STEP(Extend(true)); break;
    case Op::kAdd: X86EMU_STEP(Arith(AluOp::kAdd, true)); break;
    case Op::kOr: X86EMU_STEP(Arith(AluOp::kOr, true)); break;
    case Op::kAnd: X86EMU_STEP(Arith(AluOp::kAnd, true)); break;
    case Op::kSub: X86EMU_STEP(Arith(AluOp::kSub, true)); break;
    case Op::kXor: X86EMU_STEP(Arith(AluOp::kXor, true)); break;
    case Op::kCmp: X86EMU_STEP(Arith(AluOp::kSub, false)); break;
    case Op::kTest: X86EMU_STEP(Arith(AluOp::kAnd, false)); break;
    case Op::kXchg: X86EMU_STEP(Xchg()); break;
    case Op::kBt: X86EMU_STEP(Bt(BitOp::kTest)); break;
    case Op::kBts: X86EMU_STEP(Bt(BitOp::kSet)); break;
    case Op::kBtr: X86EMU_STEP(Bt(BitOp::kReset)); break;
    case Op::kSetcc: X86EMU_STEP(Setcc()); break;
    case Op::kMovs:
    case Op::kStos: X86EMU_STEP(String(rep_pending)); break;
    case Op::kIn: X86EMU_STEP(PortIo(true)); break;
    case Op::kOut: X86EMU_STEP(PortIo(false)); break;
    case Op::kHlt: *halted = true; break;
    case Op::kCli: PETREL_TRY(SetInterruptFlag(false)); break;
    case Op::kSti: PETREL_TRY(SetInterruptFlag(true)); break;
    case Op::kNop: break;
    case Op::kJmp: {
      // The target wraps at the operand size (SDM 2A JMP: EIP/IP truncated
      // outside 64-bit mode).
      const uint64_t target = NextRip() + static_cast<uint64_t>(insn_.branch_offset);
      const uint64_t mask = insn_.operand_size >= 8   ? ~0ull
                            : insn_.operand_size == 4 ? 0xffffffffull
                                                      : 0xffffull;
      cpu_.Set(Reg::kRip, target & mask);
      return true;
    }
    case Op::kOther: return Error(ErrorCode::kInternal, "x86emu: running an unsupported instruction");
  }
  if (!*rep_pending) cpu_.Set(Reg::kRip, NextRip());
  return true;
}

// Operand shapes each op needs; anything else from a decoder is refused.
bool IsSimOnly(Op op) {
  switch (op) {
    case Op::kIn: case Op::kOut: case Op::kHlt: case Op::kCli: case Op::kSti: case Op::kJmp:
    case Op::kNop:
      return true;
    default:
      return false;
  }
}

const char* ShapeProblem(const DecodedInstruction& insn, Profile profile) {
  if (IsSimOnly(insn.op) && profile != Profile::kSim) return "not in the mmio profile";
  if (insn.unsupported_operand) return "an operand that is not a general-purpose register, memory or immediate";
  const auto sized = [](unsigned size) { return size == 1 || size == 2 || size == 4 || size == 8; };
  switch (insn.op) {
    case Op::kMovs:
    case Op::kStos:
      if (insn.rep == RepPrefix::kRepne) return "REPNE with MOVS/STOS is undefined";
      if (!sized(insn.operand_size) || (insn.address_size != 2 && insn.address_size != 4 &&
                                       insn.address_size != 8)) {
        return "operand or address size";
      }
      return nullptr;
    case Op::kSetcc:
      if (insn.operand_count < 1 || insn.operands[0].kind == Operand::Kind::kImm) return "operands";
      return nullptr;
    case Op::kOther:
      return profile == Profile::kSim ? "not in the sim profile" : "not in the mmio profile";
    case Op::kHlt: case Op::kCli: case Op::kSti: case Op::kNop:
      return insn.operand_count == 0 ? nullptr : "operands";
    case Op::kJmp:
      return insn.relative_branch ? nullptr : "only JMP rel (not indirect or far)";
    case Op::kIn:
    case Op::kOut: {
      if (insn.operand_count != 2) return "operands";
      const Operand& reg = insn.operands[insn.op == Op::kIn ? 0 : 1];
      const Operand& port = insn.operands[insn.op == Op::kIn ? 1 : 0];
      if (reg.kind != Operand::Kind::kGpr || reg.gpr.index != hv::kRax || reg.gpr.high8 ||
          (reg.size != 1 && reg.size != 2 && reg.size != 4)) {
        return "the data register (AL, AX or EAX)";
      }
      const bool dx = port.kind == Operand::Kind::kGpr && port.gpr.index == hv::kRdx && port.size == 2;
      if (port.kind != Operand::Kind::kImm && !dx) return "the port (imm8 or DX)";
      return nullptr;
    }
    default:
      if (insn.operand_count < 2) return "operands";
      if (insn.operands[0].kind != Operand::Kind::kGpr && insn.operands[0].kind != Operand::Kind::kMem) {
        return "destination";
      }
      if (!sized(insn.operands[0].size) || !sized(insn.operands[1].size)) return "operand size";
      if (insn.address_size != 2 && insn.address_size != 4 && insn.address_size != 8) {
        return "address size";
      }
      return nullptr;
  }
}

}  // namespace

Result<Outcome> Emulator::Step(CpuState& cpu, Platform& platform, std::span<const uint8_t> bytes) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t cr0, cpu.Get(Reg::kCr0));
  PETREL_ASSIGN_OR_RETURN(const uint64_t efer, cpu.Get(Reg::kEfer));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu.Get(Reg::kRflags));
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu.GetSegment(SegReg::kCs));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rip, cpu.Get(Reg::kRip));
  const ModeResult mode = DetermineMode(cr0, efer, rflags, cs);
  if (!mode.ok) return Outcome{Unsupported{"", "CS.L and CS.D both set in IA-32e mode"}};
  if (mode.mode == CpuMode::kVirtual8086) return Outcome{Unsupported{"", "virtual-8086 mode"}};
  GuestAccess access(cpu, platform, mode.mode);

  // The instruction bytes: those given, then CS:RIP's as far as needed.
  std::array<uint8_t, kMaxInstructionLength> buf{};
  size_t have = bytes.size() < buf.size() ? bytes.size() : buf.size();
  if (have) std::memcpy(buf.data(), bytes.data(), have);  // an empty span's data() may be null
  DecodedInstruction insn;
  DecodeStatus status = have ? decoder_.Decode(std::span(buf.data(), have), mode.mode, &insn)
                             : DecodeStatus::kNeedMoreBytes;
  if (status == DecodeStatus::kNeedMoreBytes) {
    // SDM 3A 5.3: a fetch beyond the CS limit is #GP(0) (not in 64-bit mode).
    size_t want = buf.size() - have;
    uint64_t linear = rip + have;
    std::optional<Fault> limit_fault;
    if (mode.mode != CpuMode::kLong64) {
      const uint64_t first = Truncate(rip + have, AddressSizeOf(mode.mode) == 2 ? 2 : 4);
      const uint64_t room = first > cs.limit ? 0 : cs.limit - first + 1;
      if (room < want) {
        want = static_cast<size_t>(room);
        limit_fault = Fault{kVectorGp, 0u, 0};
      }
      linear = (cs.base + first) & 0xffffffffull;
    }
    size_t got = 0;
    std::optional<Fault> fetch_fault;
    PETREL_TRY(access.FetchUpTo(linear, std::span(buf.data() + have, want), &got, &fetch_fault));
    have += got;
    if (!fetch_fault) fetch_fault = limit_fault;
    status = decoder_.Decode(std::span(buf.data(), have), mode.mode, &insn);
    if (status == DecodeStatus::kNeedMoreBytes) {
      if (!fetch_fault) return Error(ErrorCode::kInternal, "x86emu: decoder wants more than 15 bytes");
      return Outcome{*fetch_fault};
    }
  }
  // Bytes no processor decodes: hardware would raise #UD, but an intercept's
  // bytes can be stale (the guest rewrote its code) and an MMIO exit cannot
  // come from an invalid instruction, so the caller decides.
  if (status == DecodeStatus::kInvalid) return Outcome{Unsupported{"", "invalid instruction bytes"}};

  if (const char* problem = ShapeProblem(insn, options_.profile)) {
    return Outcome{Unsupported{insn.name, problem}};
  }

  Execution execution(access, cpu, insn, rip, options_.max_rep_iterations ? options_.max_rep_iterations : 1);
  bool rep_pending = false, halted = false;
  PETREL_ASSIGN_OR_RETURN(const bool ok, execution.Run(&rep_pending, &halted));
  PETREL_TRY(cpu.Flush());
  if (!ok) {
    if (!access.fault()) return Error(ErrorCode::kInternal, "x86emu: stopped without a fault");
    return Outcome{*access.fault()};
  }
  return Outcome{Completed{rep_pending, halted}};
}

std::string DescribeOutcome(const Outcome& outcome) {
  if (const auto* c = std::get_if<Completed>(&outcome)) {
    return c->rep_pending ? "completed (rep pending)" : c->halted ? "completed (halted)" : "completed";
  }
  if (const auto* f = std::get_if<Fault>(&outcome)) {
    std::string s = "fault vector " + std::to_string(f->vector);
    if (f->error_code) s += " error " + std::to_string(*f->error_code);
    return s;
  }
  const auto& u = std::get<Unsupported>(outcome);
  return "unsupported " + (u.mnemonic.empty() ? std::string("instruction") : u.mnemonic) + ": " + u.reason;
}

}  // namespace petrel::x86emu
