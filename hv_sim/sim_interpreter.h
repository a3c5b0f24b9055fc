// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimInterpreter: runs a vCPU's real x86 code from guest memory on hv_sim
// (SimConfig::interpret, for a vCPU without a script), one instruction at a
// time through x86emu's sim profile (docs/x86emu.md).
//
// The vCPU's registers are SimVcpu's hv::Regs/hv::Sregs. Memory accesses go
// to guest RAM when it holds them, else to the GuestIo as MMIO; port I/O goes
// to the GuestIo; every device access is a record in the VM trace, as a
// scripted guest's. Each instruction costs SimConfig::ns_per_step of virtual
// time.
//
// CPUID, RDMSR/WRMSR and RDTSC use the Machine given to Run: CPUID answers
// from its table (the vCPU's SetCpuid entries; hv_sim's SimCpuidTable when
// there are none; a leaf not in the table reads as zeros); RDMSR/WRMSR use
// its MSR map (IA32_EFER is the Sregs' efer, in x86emu; an MSR never set,
// or one of hv_sim's own kSimMsr*, is the guest's #GP(0); a WRMSR adds or
// replaces an entry); RDTSC and IA32_TSC read its tsc function (SimVcpu:
// the guest clock in ns, SimVm::GetClock, i.e. virtual time: a 1 GHz TSC;
// none: 0); writing IA32_TSC is
// #GP(0) (virtual time is not the guest's to set).
//
// Interrupts come from the Machine's local APIC (sim_lapic.h): its page
// (IA32_APIC_BASE, 0xFEE00000 by default) is the APIC's, not the GuestIo's,
// and is not recorded (on KVM the APIC is in the kernel). Before each
// instruction, with RFLAGS.IF set and outside an STI shadow (the
// instruction after one that set IF), the highest deliverable vector is
// taken from the APIC and delivered through the IDT (x86emu's
// DeliverInterrupt). HLT with a deliverable interrupt goes on at once;
// without one the run stops kHalted, and SimVcpu resumes it when the APIC
// has one. An EOI of a level-triggered vector goes to GuestIo::EndOfInterrupt
// (the VMM's IOAPIC), as KVM's split irqchip reports it.
//
// A guest exception or an instruction outside the profile ends the run with
// an InternalError naming it and the RIP (exceptions are not delivered to
// the guest's IDT).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>

#include "core/hv/hypervisor.h"
#include "core/hv/x86_state.h"
#include "core/memory/guest_memory.h"
#include "core/x86emu/decoder.h"
#include "hv_sim/sim_lapic.h"
#include "hv_sim/trace.h"

namespace petrel::sim {

// SimInterpreter::Machine: the vCPU's state beyond its registers that
// CPUID, RDMSR/WRMSR and RDTSC read (see the header comment).
struct SimInterpreterMachine {
  std::span<const hv::CpuidEntry> cpuid;       // empty: SimCpuidTable()
  std::map<uint32_t, uint64_t>* msrs = nullptr;  // nullptr: every MSR but EFER is #GP(0)
  std::function<uint64_t()> tsc;                 // empty: the TSC reads 0
  SimLapic* apic = nullptr;                      // nullptr: no interrupts, HLT stops for good
  bool* sti_shadow = nullptr;  // kept across runs: the next instruction is in an STI shadow
};

// True when `apic` has an interrupt a CPU with these flags takes now
// (RFLAGS.IF set): what wakes a halted interpreted vCPU.
bool InterruptDeliverable(const SimLapic& apic, uint64_t rflags);

class SimInterpreter {
 public:
  // Called for every device access: kind, address, bytes.
  using Recorder = std::function<void(TraceKind, uint64_t, std::span<const uint8_t>)>;

  enum class Stop { kBudget, kHalted };
  struct StepBudget {
    uint32_t instructions;
    std::function<void()> after_each;  // advances virtual time
    std::function<bool()> kicked;      // true: stop early
  };

  using Machine = SimInterpreterMachine;

  // Runs up to `budget.instructions` instructions. kHalted after a HLT.
  // `decoder`: nullptr for Zydis.
  static Result<Stop> Run(hv::Regs& regs, hv::Sregs& sregs, GuestMemory& memory, uint32_t vcpu,
                          hv::GuestIo& io, const Recorder& record, const StepBudget& budget,
                          const x86emu::InstructionDecoder* decoder = nullptr,
                          const Machine& machine = {});
};

}  // namespace petrel::sim
