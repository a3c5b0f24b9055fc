// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sim profile's system instructions (SDM 2A/2B instruction pages): IN,
// OUT, CPUID, RDMSR, WRMSR (IA32_EFER kept in the register file, others
// through the Platform), RDTSC, LGDT, LIDT, SGDT, SIDT, MOV to/from CR0,
// CR2, CR3, CR4, CR8, INT n, INT3 and IRET (delivery in interrupt.cc).
// No privilege checks: test guests run at CPL 0 (a CPL > 0 guest's
// privileged instructions are carried out as if at CPL 0).
#include "core/x86emu/execution.h"

namespace petrel::x86emu::internal {
namespace {

// IA32_EFER (SDM 4 Table 2-2, 3A 2.2.1): SCE 0, LME 8, LMA 10, NXE 11,
// SVME 12, LMSLE 13, FFXSR 14, TCE 15. Any other bit set is #GP(0).
constexpr uint32_t kMsrEfer = 0xc0000080;
constexpr uint64_t kEferLme = 1ull << 8;
constexpr uint64_t kEferKnown = (1ull << 0) | kEferLme | kEferLma | kEferNxe | (1ull << 12) |
                                (1ull << 13) | (1ull << 14) | (1ull << 15);

// CR0 (SDM 3A 2.5): ET (bit 4) reads as 1; NW 29, CD 30.
constexpr uint64_t kCr0Et = 1ull << 4;
constexpr uint64_t kCr0Nw = 1ull << 29;
constexpr uint64_t kCr0Cd = 1ull << 30;
// CR4 bits defined up to PKS (SDM 3A 2.5, Figure 2-7): VME 0 .. LA57 12,
// VMXE 13, SMXE 14, FSGSBASE 16, PCIDE 17, OSXSAVE 18, KL 19, SMEP 20,
// SMAP 21, PKE 22, CET 23, PKS 24. Others are reserved: #GP(0).
constexpr uint64_t kCr4Known = 0x1fff | (1ull << 13) | (1ull << 14) | (0x1ffull << 16);

}  // namespace

// IN AL/AX/EAX, imm8|DX and OUT imm8|DX, AL/AX/EAX (SDM 2A 3.2 IN, 2B 4.3
// OUT): the port is the immediate (zero-extended) or DX. IOPL and the TSS
// I/O bitmap are not consulted.
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

// CPUID (SDM 2A 3.2 CPUID): leaf EAX, subleaf ECX, from the platform; the
// four results are 32-bit register writes (the upper halves cleared).
Result<bool> Execution::Cpuid() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t leaf, access_.ReadGpr(GprRef{hv::kRax, 4, false}));
  PETREL_ASSIGN_OR_RETURN(const uint64_t subleaf, access_.ReadGpr(GprRef{hv::kRcx, 4, false}));
  PETREL_ASSIGN_OR_RETURN(const CpuidResult r,
                          access_.platform().Cpuid(static_cast<uint32_t>(leaf), static_cast<uint32_t>(subleaf)));
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRax, 4, false}, r.eax));
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRbx, 4, false}, r.ebx));
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRcx, 4, false}, r.ecx));
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRdx, 4, false}, r.edx));
  return true;
}

// RDMSR (SDM 2B 4.3 RDMSR): EDX:EAX = MSR[ECX]; an MSR the platform does
// not have is #GP(0). IA32_EFER comes from the register file.
Result<bool> Execution::Rdmsr() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t index, access_.ReadGpr(GprRef{hv::kRcx, 4, false}));
  uint64_t value = 0;
  if (index == kMsrEfer) {
    PETREL_ASSIGN_OR_RETURN(value, cpu_.Get(Reg::kEfer));
  } else {
    PETREL_ASSIGN_OR_RETURN(const std::optional<uint64_t> v,
                            access_.platform().ReadMsr(static_cast<uint32_t>(index)));
    if (!v) return Raise(kVectorGp);
    value = *v;
  }
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRax, 4, false}, value & 0xffffffffull));
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRdx, 4, false}, value >> 32));
  return true;
}

// WRMSR (SDM 2B 5.1 WRMSR): MSR[ECX] = EDX:EAX; refused by the platform:
// #GP(0). IA32_EFER (SDM 3A 2.2.1, 9.8.5): reserved bits or changing LME
// while CR0.PG = 1 are #GP(0); LMA is the processor's and keeps its value.
Result<bool> Execution::Wrmsr() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t index, access_.ReadGpr(GprRef{hv::kRcx, 4, false}));
  PETREL_ASSIGN_OR_RETURN(const uint64_t eax, access_.ReadGpr(GprRef{hv::kRax, 4, false}));
  PETREL_ASSIGN_OR_RETURN(const uint64_t edx, access_.ReadGpr(GprRef{hv::kRdx, 4, false}));
  const uint64_t value = (edx << 32) | eax;
  if (index == kMsrEfer) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t efer, cpu_.Get(Reg::kEfer));
    PETREL_ASSIGN_OR_RETURN(const uint64_t cr0, cpu_.Get(Reg::kCr0));
    if (value & ~kEferKnown) return Raise(kVectorGp);
    if ((cr0 & kCr0Pg) && ((value ^ efer) & kEferLme)) return Raise(kVectorGp);
    cpu_.Set(Reg::kEfer, (value & ~kEferLma) | (efer & kEferLma));
    return true;
  }
  PETREL_ASSIGN_OR_RETURN(const bool ok, access_.platform().WriteMsr(static_cast<uint32_t>(index), value));
  if (!ok) return Raise(kVectorGp);
  return true;
}

// RDTSC (SDM 2B 4.3 RDTSC): EDX:EAX = the platform's TSC. CR4.TSD is not
// consulted (CPL 0).
Result<bool> Execution::Rdtsc() {
  PETREL_ASSIGN_OR_RETURN(const uint64_t tsc, access_.platform().ReadTsc());
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRax, 4, false}, tsc & 0xffffffffull));
  PETREL_TRY(access_.WriteGpr(GprRef{hv::kRdx, 4, false}, tsc >> 32));
  return true;
}

// LGDT/LIDT m16&32 / m16&64 (SDM 2A 3.2 LGDT/LIDT): a 2-byte limit, then
// the base: 8 bytes in 64-bit mode, else 4 (with a 16-bit operand size only
// bits 23:0 are used).
Result<bool> Execution::LoadTable(TableReg table) {
  const bool long64 = access_.mode() == CpuMode::kLong64;
  const unsigned base_size = long64 ? 8 : 4;
  uint64_t linear = 0;
  X86EMU_STEP(MemLinear(insn_.operands[0], 2 + base_size, Access::kRead, &linear));
  std::array<uint8_t, 10> buf{};
  X86EMU_STEP(access_.Read(linear, std::span(buf.data(), 2 + base_size)));
  hv::DescriptorTable value;
  value.limit = static_cast<uint16_t>(LoadLe(buf.data(), 2));
  value.base = LoadLe(buf.data() + 2, base_size);
  if (!long64 && insn_.operand_size == 2) value.base &= 0xffffff;
  cpu_.SetTable(table, value);
  return true;
}

// SGDT/SIDT m (SDM 2B 4.3 SGDT/SIDT): the limit, then the base (8 bytes in
// 64-bit mode, else 4; all 32 bits are stored whatever the operand size,
// as on current processors).
Result<bool> Execution::StoreTable(TableReg table) {
  const unsigned base_size = access_.mode() == CpuMode::kLong64 ? 8 : 4;
  PETREL_ASSIGN_OR_RETURN(const hv::DescriptorTable value, cpu_.GetTable(table));
  std::array<uint8_t, 10> buf{};
  std::memcpy(buf.data(), &value.limit, 2);
  std::memcpy(buf.data() + 2, &value.base, base_size);
  uint64_t linear = 0;
  X86EMU_STEP(MemLinear(insn_.operands[0], 2 + base_size, Access::kWrite, &linear));
  return access_.Write(linear, std::span<const uint8_t>(buf.data(), 2 + base_size));
}

// MOV r32/r64, CRn and MOV CRn, r32/r64 (SDM 2B 4.3 "MOV-Move to/from
// Control Registers"): 64-bit operands in 64-bit mode, else 32-bit; CR0,
// CR2, CR3, CR4 and CR8 (TPR) exist, any other is #UD.
Result<bool> Execution::MovCr() {
  const bool to_cr = insn_.operands[0].kind == Operand::Kind::kCr;
  const Operand& gpr = insn_.operands[to_cr ? 1 : 0];
  const uint8_t cr = insn_.operands[to_cr ? 0 : 1].cr;
  Reg reg;
  switch (cr) {
    case 0: reg = Reg::kCr0; break;
    case 2: reg = Reg::kCr2; break;
    case 3: reg = Reg::kCr3; break;
    case 4: reg = Reg::kCr4; break;
    case 8: reg = Reg::kCr8; break;
    default: return Raise(kVectorUd, std::nullopt);
  }
  if (!to_cr) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t value, cpu_.Get(reg));
    PETREL_TRY(access_.WriteGpr(gpr.gpr, Truncate(value, gpr.size)));
    return true;
  }
  PETREL_ASSIGN_OR_RETURN(const uint64_t value, access_.ReadGpr(gpr.gpr));
  return WriteCr(cr, value);
}

// The checks of a write to CRn (SDM 2B MOV CRn "Protected Mode
// Exceptions", 3A 2.5, 9.8.5 "Initializing IA-32e Mode"), each #GP(0):
//   CR0: bits 63:32 set; PG without PE; NW without CD; setting PG with
//        EFER.LME but not CR4.PAE, or while CS.L = 1; clearing PG in 64-bit
//        mode. Setting PG with LME sets EFER.LMA, clearing it clears LMA.
//   CR4: a reserved bit; clearing PAE or changing LA57 while EFER.LMA.
//   CR8: bits 63:4 set.
// CR2 and CR3 take any value (CR3's reserved bits are not checked). The
// mode a write changes takes effect at the next Step.
Result<bool> Execution::WriteCr(uint8_t cr, uint64_t value) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t efer, cpu_.Get(Reg::kEfer));
  switch (cr) {
    case 0: {
      PETREL_ASSIGN_OR_RETURN(const uint64_t cr4, cpu_.Get(Reg::kCr4));
      PETREL_ASSIGN_OR_RETURN(const uint64_t old, cpu_.Get(Reg::kCr0));
      PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu_.GetSegment(SegReg::kCs));
      value |= kCr0Et;
      if (value >> 32) return Raise(kVectorGp);
      if ((value & kCr0Pg) && !(value & kCr0Pe)) return Raise(kVectorGp);
      if ((value & kCr0Nw) && !(value & kCr0Cd)) return Raise(kVectorGp);
      const bool enabling = (value & kCr0Pg) && !(old & kCr0Pg);
      const bool disabling = !(value & kCr0Pg) && (old & kCr0Pg);
      uint64_t new_efer = efer;
      if (enabling && (efer & kEferLme)) {
        if (!(cr4 & kCr4Pae) || cs.l) return Raise(kVectorGp);
        new_efer |= kEferLma;
      }
      if (disabling && (efer & kEferLma)) {
        if (access_.mode() == CpuMode::kLong64) return Raise(kVectorGp);
        new_efer &= ~kEferLma;
      }
      cpu_.Set(Reg::kCr0, value);
      if (new_efer != efer) cpu_.Set(Reg::kEfer, new_efer);
      return true;
    }
    case 2:
      cpu_.Set(Reg::kCr2, value);
      return true;
    case 3:
      cpu_.Set(Reg::kCr3, value);
      return true;
    case 4: {
      PETREL_ASSIGN_OR_RETURN(const uint64_t old, cpu_.Get(Reg::kCr4));
      if (value & ~kCr4Known) return Raise(kVectorGp);
      if ((efer & kEferLma) && (!(value & kCr4Pae) || ((value ^ old) & kCr4La57))) {
        return Raise(kVectorGp);
      }
      cpu_.Set(Reg::kCr4, value);
      return true;
    }
    case 8:
      if (value & ~0xfull) return Raise(kVectorGp);
      cpu_.Set(Reg::kCr8, value);
      return true;
    default:
      return Raise(kVectorUd, std::nullopt);
  }
}

// INT n and INT3 (SDM 2A 3.2 "INT n/INTO/INT3/INT1"): a software interrupt
// through the IDT with the next instruction as the return address; the
// gate's DPL is checked against the CPL (interrupt.cc). INTO and INT1 are
// not in the profile.
Result<bool> Execution::SoftwareInterrupt(uint8_t vector) {
  Event event;
  event.vector = vector;
  event.software = true;
  event.return_rip = NextRip();
  std::optional<x86emu::Fault> fault;
  PETREL_ASSIGN_OR_RETURN(const bool ok, DeliverEvent(cpu_, access_.platform(), event, &fault, &unsupported_));
  if (!ok) {
    if (fault) access_.RaiseFault(*fault);
    return false;
  }
  rip_set_ = true;
  return true;
}

Result<bool> Execution::Iret() {
  X86EMU_STEP(InterruptReturn(access_, cpu_, insn_.operand_size, &unsupported_));
  rip_set_ = true;
  return true;
}

}  // namespace petrel::x86emu::internal
