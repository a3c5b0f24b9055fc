// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DeliverInterrupt/DeliverException (interrupt.h) and the delivery INT n
// and INT3 share with them (DeliverEvent), and IRET (InterruptReturn), SDM
// 3A 6.12-6.14 and 2A "IRET/IRETD/IRETQ".
#include "core/x86emu/interrupt.h"

#include "core/x86emu/execution.h"

namespace petrel::x86emu {
namespace internal {
namespace {

// IDT gate types (SDM 3A 3.5, Table 3-2; 6.11, Figure 6-2; 6.14.1).
constexpr uint8_t kGateTask = 0x5;
constexpr uint8_t kGateInterrupt16 = 0x6;
constexpr uint8_t kGateTrap16 = 0x7;
constexpr uint8_t kGateInterrupt = 0xe;  // 32-bit, or 64-bit in IA-32e mode
constexpr uint8_t kGateTrap = 0xf;
// Bit 1 of an IDT error code: the index refers to the IDT (SDM 3A 6.13).
constexpr uint32_t kErrorIdt = 0x2;
// IRET at CPL 0 restores these (SDM 2A IRET "RETURN-TO-SAME-PRIVILEGE-LEVEL"
// and real-address mode; 16-bit IRET only bits 15:0).
constexpr uint64_t kIretFlags = kFlagsWritable | kFlagRf | kFlagVif | kFlagVip;

// Stops a delivery function on a guest fault (copied to *fault) or on
// unsupported (already set).
#define DELIVERY_STEP(expr)                                    \
  do {                                                         \
    auto delivery_step_ = (expr);                              \
    if (!delivery_step_.ok()) return std::move(delivery_step_).error(); \
    if (!*delivery_step_) {                                    \
      if (access.fault()) *fault = *access.fault();            \
      return false;                                            \
    }                                                          \
  } while (0)

Result<bool> Stop(std::optional<Fault>* fault, uint8_t vector, uint32_t error_code) {
  *fault = Fault{vector, error_code, 0};
  return false;
}

// Real-address mode (SDM 3A 20.1.4): IVT entry = offset:segment.
Result<bool> DeliverReal(CpuState& cpu, Platform& platform, const Event& event,
                         std::optional<Fault>* fault) {
  GuestAccess access(cpu, platform, CpuMode::kReal16);
  PETREL_ASSIGN_OR_RETURN(const hv::DescriptorTable ivt, cpu.GetTable(TableReg::kIdtr));
  const uint32_t at = uint32_t{event.vector} * 4;
  if (at + 3 > ivt.limit) return Stop(fault, kVectorGp, 0);
  uint8_t entry[4] = {};
  DELIVERY_STEP(access.Read((ivt.base + at) & 0xffffffffull, std::span<uint8_t>(entry, 4)));
  const uint16_t offset = static_cast<uint16_t>(LoadLe(entry, 2));
  const uint16_t selector = static_cast<uint16_t>(LoadLe(entry + 2, 2));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu.Get(Reg::kRflags));
  PETREL_ASSIGN_OR_RETURN(hv::Segment cs, cpu.GetSegment(SegReg::kCs));
  Stack stack(access, cpu);
  PETREL_TRY(stack.Load());
  DELIVERY_STEP(stack.Push(rflags, 2));
  DELIVERY_STEP(stack.Push(cs.selector, 2));
  DELIVERY_STEP(stack.Push(event.return_rip, 2));
  PETREL_TRY(stack.Commit());
  cs.selector = selector;
  cs.base = uint64_t{selector} << 4;
  cpu.SetSegment(SegReg::kCs, cs);
  cpu.Set(Reg::kRip, offset);
  cpu.Set(Reg::kRflags, rflags & ~(kFlagIf | kFlagTf | kFlagAc | kFlagRf));
  return true;
}

}  // namespace

Result<bool> DeliverEvent(CpuState& cpu, Platform& platform, const Event& event,
                          std::optional<Fault>* fault, std::string* unsupported) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t cr0, cpu.Get(Reg::kCr0));
  PETREL_ASSIGN_OR_RETURN(const uint64_t efer, cpu.Get(Reg::kEfer));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu.Get(Reg::kRflags));
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu.GetSegment(SegReg::kCs));
  const ModeResult mode = DetermineMode(cr0, efer, rflags, cs);
  if (!mode.ok || mode.mode == CpuMode::kVirtual8086) {
    *unsupported = mode.ok ? "virtual-8086 mode" : "CS.L and CS.D both set in IA-32e mode";
    return false;
  }
  if (mode.mode == CpuMode::kReal16) return DeliverReal(cpu, platform, event, fault);

  // IA-32e mode (64-bit or compatibility): 16-byte gates, a 64-bit frame.
  const bool ia32e = (efer & kEferLma) != 0;
  GuestAccess access(cpu, platform, ia32e ? CpuMode::kLong64 : mode.mode);
  const uint32_t ext = event.external ? 1 : 0;
  const uint32_t idt_error = uint32_t{event.vector} * 8 + kErrorIdt + ext;

  // The gate (SDM 3A 6.12.1.1 checks, 6.11 / 6.14.1 layouts).
  PETREL_ASSIGN_OR_RETURN(const hv::DescriptorTable idt, cpu.GetTable(TableReg::kIdtr));
  const uint32_t entry_size = ia32e ? 16 : 8;
  const uint64_t at = uint64_t{event.vector} * entry_size;
  if (at + entry_size - 1 > idt.limit) return Stop(fault, kVectorGp, idt_error);
  uint8_t entry[16] = {};
  uint64_t linear = idt.base + at;
  if (!ia32e) linear &= 0xffffffffull;
  DELIVERY_STEP(access.Read(linear, std::span<uint8_t>(entry, entry_size)));
  const uint64_t lo = LoadLe(entry, 8);
  const uint64_t hi = ia32e ? LoadLe(entry + 8, 8) : 0;
  const uint8_t type = static_cast<uint8_t>((lo >> 40) & 0xf);
  const unsigned gate_dpl = static_cast<unsigned>((lo >> 45) & 3);
  const bool gate_present = (lo >> 47) & 1;
  if (!ia32e && type == kGateTask) {
    *unsupported = "a task gate";
    return false;
  }
  const bool valid = ia32e ? (type == kGateInterrupt || type == kGateTrap)
                           : (type == kGateInterrupt || type == kGateTrap ||
                              type == kGateInterrupt16 || type == kGateTrap16);
  if (!valid) return Stop(fault, kVectorGp, idt_error);
  PETREL_ASSIGN_OR_RETURN(const unsigned cpl, CurrentPrivilege(cpu, mode.mode));
  // INT n, INT3: the gate's DPL must allow the CPL (SDM 3A 6.12.1.1).
  if (event.software && gate_dpl < cpl) return Stop(fault, kVectorGp, idt_error);
  if (!gate_present) return Stop(fault, kVectorNp, idt_error);
  const bool gate16 = type == kGateInterrupt16 || type == kGateTrap16;
  const uint16_t selector = static_cast<uint16_t>((lo >> 16) & 0xffff);
  uint64_t target = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16);
  if (ia32e) target |= (hi & 0xffffffffull) << 32;
  if (gate16) target &= 0xffff;
  if (ia32e && ((lo >> 32) & 7) != 0) {
    *unsupported = "an IST stack switch";
    return false;
  }
  if (cpl != 0) {
    *unsupported = "delivery from CPL " + std::to_string(cpl) + " (a stack switch)";
    return false;
  }

  // The handler's code segment (SDM 3A 6.12.1.1, 5.8.2 for conforming code).
  if ((selector & ~3u) == 0) return Stop(fault, kVectorGp, ext);
  uint64_t raw = 0;
  DELIVERY_STEP(ReadDescriptor(access, cpu, selector, ext, &raw, unsupported));
  const hv::Segment handler_cs = SegmentFromDescriptor(raw, static_cast<uint16_t>((selector & ~3u) | cpl));
  const uint32_t selector_error = (selector & kSelectorErrorMask) | ext;
  if (!handler_cs.s || !(handler_cs.type & 0x8) || handler_cs.dpl > cpl) {
    return Stop(fault, kVectorGp, selector_error);
  }
  if (!handler_cs.present) return Stop(fault, kVectorNp, selector_error);
  if (ia32e && (!handler_cs.l || handler_cs.db)) return Stop(fault, kVectorGp, selector_error);
  DELIVERY_STEP(access.CheckCodeTarget(handler_cs, target, ia32e));

  // The frame (SDM 3A 6.12.1, Figure 6-4; 6.14.2, Figure 6-9).
  Stack stack(access, cpu);
  PETREL_TRY(stack.Load());
  if (ia32e) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t rsp, cpu.Get(GprReg(hv::kRsp)));
    PETREL_ASSIGN_OR_RETURN(const hv::Segment ss, cpu.GetSegment(SegReg::kSs));
    stack.set_sp(rsp & ~0xfull);
    DELIVERY_STEP(stack.Push(ss.selector, 8));
    DELIVERY_STEP(stack.Push(rsp, 8));
    DELIVERY_STEP(stack.Push(rflags, 8));
    DELIVERY_STEP(stack.Push(cs.selector, 8));
    DELIVERY_STEP(stack.Push(event.return_rip, 8));
    if (event.error_code) DELIVERY_STEP(stack.Push(*event.error_code, 8));
  } else {
    const unsigned size = gate16 ? 2 : 4;
    DELIVERY_STEP(stack.Push(rflags, size));
    DELIVERY_STEP(stack.Push(cs.selector, size));
    DELIVERY_STEP(stack.Push(event.return_rip, size));
    if (event.error_code) DELIVERY_STEP(stack.Push(*event.error_code, size));
  }
  PETREL_TRY(stack.Commit());
  uint64_t flags = rflags & ~(kFlagTf | kFlagNt | kFlagRf | kFlagVm);
  if (type == kGateInterrupt || type == kGateInterrupt16) flags &= ~kFlagIf;
  cpu.Set(Reg::kRflags, flags);
  cpu.Set(Reg::kRip, target);
  cpu.SetSegment(SegReg::kCs, handler_cs);
  return true;
}

Result<bool> InterruptReturn(GuestAccess& access, CpuState& cpu, unsigned size,
                             std::string* unsupported) {
  const CpuMode mode = access.mode();
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu.Get(Reg::kRflags));
  PETREL_ASSIGN_OR_RETURN(const uint64_t efer, cpu.Get(Reg::kEfer));
  PETREL_ASSIGN_OR_RETURN(const hv::Segment cs, cpu.GetSegment(SegReg::kCs));
  const bool ia32e = (efer & kEferLma) != 0;
  const bool long64 = mode == CpuMode::kLong64;
  const uint64_t mask = size == 2 ? (kIretFlags & 0xffff) : kIretFlags;
  const auto fail = [&](uint8_t vector, uint32_t error_code) -> Result<bool> {
    access.RaiseFault(Fault{vector, error_code, 0});
    return false;
  };

  if (!ia32e && (rflags & kFlagNt) && mode != CpuMode::kReal16) {
    *unsupported = "a task return (IRET with NT set)";
    return false;
  }
  if (ia32e && (rflags & kFlagNt)) return fail(kVectorGp, 0);

  Stack stack(access, cpu);
  PETREL_TRY(stack.Load());
  uint64_t ip = 0, cs_image = 0, flags = 0, new_rsp = 0, ss_image = 0;
  X86EMU_STEP(stack.Pop(size, &ip));
  X86EMU_STEP(stack.Pop(size, &cs_image));
  X86EMU_STEP(stack.Pop(size, &flags));
  // In 64-bit mode IRET always pops SS:RSP as well (SDM 2A IRET, 6.14.3).
  if (long64) {
    X86EMU_STEP(stack.Pop(size, &new_rsp));
    X86EMU_STEP(stack.Pop(size, &ss_image));
  }
  const uint16_t cs_selector = static_cast<uint16_t>(cs_image);
  const uint64_t new_flags = (rflags & ~mask) | (flags & mask) | kFlagFixed1;

  if (mode == CpuMode::kReal16) {
    // Real-address mode: CS.base = selector << 4; IP within the CS limit.
    if (ip > cs.limit) return fail(kVectorGp, 0);
    hv::Segment new_cs = cs;
    new_cs.selector = cs_selector;
    new_cs.base = uint64_t{cs_selector} << 4;
    PETREL_TRY(stack.Commit());
    cpu.SetSegment(SegReg::kCs, new_cs);
    cpu.Set(Reg::kRip, ip);
    cpu.Set(Reg::kRflags, new_flags);
    return true;
  }

  if (!ia32e && size == 4 && (flags & kFlagVm)) {
    *unsupported = "an IRET to virtual-8086 mode";
    return false;
  }
  const unsigned cpl = cs.selector & 3;
  const unsigned rpl = cs_selector & 3;
  if (rpl < cpl) return fail(kVectorGp, cs_selector & kSelectorErrorMask);
  if (rpl > cpl) {
    *unsupported = "an IRET to an outer privilege level";
    return false;
  }
  if ((cs_selector & ~3u) == 0) return fail(kVectorGp, 0);
  uint64_t raw = 0;
  X86EMU_STEP(ReadDescriptor(access, cpu, cs_selector, 0, &raw, unsupported));
  const hv::Segment new_cs = SegmentFromDescriptor(raw, cs_selector);
  const uint32_t cs_error = cs_selector & kSelectorErrorMask;
  const bool conforming = (new_cs.type & 0x4) != 0;
  if (!new_cs.s || !(new_cs.type & 0x8) || (conforming ? new_cs.dpl > rpl : new_cs.dpl != rpl)) {
    return fail(kVectorGp, cs_error);
  }
  if (!new_cs.present) return fail(kVectorNp, cs_error);
  if (ia32e && new_cs.l && new_cs.db) return fail(kVectorGp, cs_error);
  const bool to64 = ia32e && new_cs.l;
  X86EMU_STEP(access.CheckCodeTarget(new_cs, ip, to64));

  hv::Segment new_ss;
  if (long64) {
    // SS from the frame (SDM 2A IRET: a null SS is allowed returning to
    // 64-bit code at CPL < 3; otherwise a writable data segment at the RPL).
    const uint16_t ss_selector = static_cast<uint16_t>(ss_image);
    if ((ss_selector & ~3u) == 0) {
      if (!to64 || rpl == 3) return fail(kVectorGp, 0);
      new_ss.selector = ss_selector;
      new_ss.unusable = true;
      new_ss.dpl = static_cast<uint8_t>(rpl);
    } else {
      const uint32_t ss_error = ss_selector & kSelectorErrorMask;
      if ((ss_selector & 3u) != rpl) return fail(kVectorGp, ss_error);
      uint64_t ss_raw = 0;
      X86EMU_STEP(ReadDescriptor(access, cpu, ss_selector, 0, &ss_raw, unsupported));
      new_ss = SegmentFromDescriptor(ss_raw, ss_selector);
      const bool writable_data = new_ss.s && !(new_ss.type & 0x8) && (new_ss.type & 0x2);
      if (!writable_data || new_ss.dpl != rpl) return fail(kVectorGp, ss_error);
      if (!new_ss.present) return fail(kVectorSs, ss_error);
    }
    cpu.Set(GprReg(hv::kRsp), Truncate(new_rsp, size));
    cpu.SetSegment(SegReg::kSs, new_ss);
  } else {
    PETREL_TRY(stack.Commit());
  }
  cpu.SetSegment(SegReg::kCs, new_cs);
  cpu.Set(Reg::kRip, to64 ? ip : Truncate(ip, size));
  cpu.Set(Reg::kRflags, new_flags);
  return true;
}

}  // namespace internal

namespace {

Result<Outcome> Deliver(CpuState& cpu, Platform& platform, const internal::Event& event,
                        std::optional<uint64_t> cr2) {
  std::optional<Fault> fault;
  std::string unsupported;
  PETREL_ASSIGN_OR_RETURN(const bool ok, internal::DeliverEvent(cpu, platform, event, &fault, &unsupported));
  if (!ok && !unsupported.empty()) return Outcome{Unsupported{"", unsupported}};
  if (ok && cr2) cpu.Set(Reg::kCr2, *cr2);
  PETREL_TRY(cpu.Flush());
  if (!ok) {
    if (!fault) return Error(ErrorCode::kInternal, "x86emu: delivery stopped without a fault");
    return Outcome{*fault};
  }
  return Outcome{Completed{}};
}

}  // namespace

Result<Outcome> DeliverInterrupt(CpuState& cpu, Platform& platform, uint8_t vector) {
  internal::Event event;
  event.vector = vector;
  event.external = true;
  PETREL_ASSIGN_OR_RETURN(event.return_rip, cpu.Get(Reg::kRip));
  return Deliver(cpu, platform, event, std::nullopt);
}

Result<Outcome> DeliverException(CpuState& cpu, Platform& platform, const Fault& fault) {
  internal::Event event;
  event.vector = fault.vector;
  event.error_code = fault.error_code;
  PETREL_ASSIGN_OR_RETURN(event.return_rip, cpu.Get(Reg::kRip));
  return Deliver(cpu, platform, event, fault.vector == kVectorPf ? std::optional<uint64_t>(fault.cr2)
                                                                 : std::nullopt);
}

}  // namespace petrel::x86emu
