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
// Not modelled yet: interrupts (no local APIC: HLT halts for good), the
// stack, CALL/RET, Jcc and the rest of the sim profile (issue 11's item 4
// continues); a guest exception or an instruction outside the profile ends
// the run with an InternalError naming it and the RIP.
#pragma once

#include <functional>

#include "core/hv/hypervisor.h"
#include "core/hv/x86_state.h"
#include "core/memory/guest_memory.h"
#include "core/x86emu/decoder.h"
#include "hv_sim/trace.h"

namespace petrel::sim {

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

  // Runs up to `budget.instructions` instructions. kHalted after a HLT.
  // `decoder`: nullptr for Zydis.
  static Result<Stop> Run(hv::Regs& regs, hv::Sregs& sregs, GuestMemory& memory, uint32_t vcpu,
                          hv::GuestIo& io, const Recorder& record, const StepBudget& budget,
                          const x86emu::InstructionDecoder* decoder = nullptr);
};

}  // namespace petrel::sim
