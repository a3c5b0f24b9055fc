// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Interrupt and exception delivery through the guest's IDT (sim profile),
// for a caller that injects events between Emulator::Steps (hv_sim's local
// APIC, or a vCPU loop turning a Step's Fault into a guest exception).
//
// Modelled (SDM 3A 6.12 "Exception and Interrupt Handling", 6.14 "in 64-bit
// mode", 20.1.4 "Interrupt and Exception Handling" in real mode):
//   - real mode: the IVT at IDTR.base (4-byte offset:segment entries);
//     pushes FLAGS, CS, IP; clears IF, TF, AC; CS.base = selector << 4.
//   - protected mode (32-bit and 16-bit interrupt and trap gates) and
//     IA-32e mode (64-bit gates), at CPL 0 to a CPL 0 handler: the gate is
//     read from IDTR.base + vector * 8 (16 in IA-32e mode), the handler's
//     code segment descriptor from the GDT (GDTR.base + selector & ~7,
//     translated like any other access); the frame is EFLAGS, CS, EIP [,
//     error code] at the gate's size in protected mode, and SS, RSP,
//     RFLAGS, CS, RIP [, error code] (8 bytes each, RSP first aligned down
//     to 16) in IA-32e mode; TF, NT, RF (and VM) are cleared, and IF for
//     an interrupt gate (not a trap gate); CS is loaded from the descriptor.
// Faults while delivering are the gate and descriptor checks' (#GP/#NP
// with the IDT or selector error code of SDM 3A 6.13, EXT set for an
// external interrupt) and the stack's (#SS(0), #PF): reported as the
// Fault outcome, without modelling a double fault (#DF) or the frame the
// processor would deliver it with; RIP, RSP, RFLAGS and CS are unchanged
// then (the stack memory may hold part of the frame).
// Unsupported (nothing changed): virtual-8086 mode, a task gate, an IST
// stack switch, delivery from CPL > 0 (a privilege change needs the TSS
// stack), a selector into the LDT.
//
// The caller decides whether the event may be delivered now (RFLAGS.IF,
// the STI/MOV SS shadow, a halted vCPU waking): these functions deliver
// unconditionally. Dirty registers are flushed before Completed or Fault.
#pragma once

#include <cstdint>

#include "core/base/result.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/emulator.h"
#include "core/x86emu/platform.h"

namespace petrel::x86emu {

// An external interrupt (the local APIC's): return address = RIP (the next
// instruction to run); EXT = 1 in a delivery fault's error code; no error
// code pushed; the gate's DPL is not checked.
Result<Outcome> DeliverInterrupt(CpuState& cpu, Platform& platform, uint8_t vector);

// A processor exception, as a Step's Fault describes it: return address =
// RIP (fault-class, the faulting instruction: Step leaves RIP on it); the
// error code is pushed when it has one; a #PF's CR2 is written first.
Result<Outcome> DeliverException(CpuState& cpu, Platform& platform, const Fault& fault);

}  // namespace petrel::x86emu
