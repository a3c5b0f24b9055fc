// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimInterpreter (see sim_interpreter.h).
#include "hv_sim/sim_interpreter.h"

#include <sstream>

#include "core/arch/x86_layout.h"
#include "core/x86emu/emulator.h"
#include "core/x86emu/interrupt.h"
#include "core/x86emu/page_walk.h"
#include "core/x86emu/zydis_decoder.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vcpu.h"

namespace petrel::sim {
namespace {

// IA32_TIME_STAMP_COUNTER (SDM 4 Table 2-2): reads the same counter as RDTSC.
constexpr uint32_t kMsrTsc = 0x10;

// Guest RAM where it is, else MMIO through the GuestIo; ports to the GuestIo;
// CPUID, MSRs and the TSC from the Machine.
class SimPlatform final : public x86emu::Platform, public x86emu::PhysicalMemory {
 public:
  SimPlatform(GuestMemory& memory, uint32_t vcpu, hv::GuestIo& io,
              const SimInterpreter::Recorder& record, const SimInterpreter::Machine& machine,
              uint64_t apic_base_msr)
      : memory_(memory), vcpu_(vcpu), io_(io), record_(record), machine_(machine),
        apic_base_(ApicPage(apic_base_msr)) {
    if (machine_.cpuid.empty()) default_cpuid_ = SimCpuidTable();
  }

  // SDM 2A CPUID: the entry for the leaf (and the subleaf, when the entry
  // says its index is significant); zeros when there is none.
  Result<x86emu::CpuidResult> Cpuid(uint32_t leaf, uint32_t subleaf) override {
    const std::span<const hv::CpuidEntry> table =
        machine_.cpuid.empty() ? std::span<const hv::CpuidEntry>(default_cpuid_) : machine_.cpuid;
    for (const hv::CpuidEntry& e : table) {
      if (e.function != leaf) continue;
      if ((e.flags & hv::kCpuidFlagSignificantIndex) && e.index != subleaf) continue;
      return x86emu::CpuidResult{e.eax, e.ebx, e.ecx, e.edx};
    }
    return x86emu::CpuidResult{};
  }
  Result<std::optional<uint64_t>> ReadMsr(uint32_t index) override {
    if (index == kMsrTsc) return std::optional<uint64_t>(Tsc());
    if (!machine_.msrs || IsSimMsr(index)) return std::optional<uint64_t>();
    const auto it = machine_.msrs->find(index);
    if (it == machine_.msrs->end()) return std::optional<uint64_t>();
    return std::optional<uint64_t>(it->second);
  }
  Result<bool> WriteMsr(uint32_t index, uint64_t value) override {
    if (!machine_.msrs || IsSimMsr(index) || index == kMsrTsc) return false;
    (*machine_.msrs)[index] = value;
    return true;
  }
  Result<uint64_t> ReadTsc() override { return Tsc(); }

  Result<x86emu::Translation> Translate(uint64_t gva, x86emu::Access access,
                                        const x86emu::PagingContext& paging) override {
    return x86emu::WalkPageTables(*this, paging, gva, access);
  }
  Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> data) override {
    if (memory_.Contains(gpa, data.size())) return memory_.Read(gpa, data);
    if (InApicPage(gpa)) {
      machine_.apic->Read(gpa - apic_base_, data);
      return Ok();
    }
    io_.MmioRead(vcpu_, gpa, data);
    record_(TraceKind::kMmioRead, gpa, data);
    return Ok();
  }
  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) override {
    if (memory_.Contains(gpa, data.size())) return memory_.Write(gpa, data);
    if (InApicPage(gpa)) {
      const auto eoi = machine_.apic->Write(gpa - apic_base_, data);
      if (eoi && eoi->level_triggered) io_.EndOfInterrupt(vcpu_, eoi->vector);
      return Ok();
    }
    record_(TraceKind::kMmioWrite, gpa, data);
    io_.MmioWrite(vcpu_, gpa, data);
    return Ok();
  }
  Result<void> PortIn(uint16_t port, std::span<uint8_t> data) override {
    io_.PioRead(vcpu_, port, data);
    record_(TraceKind::kPioRead, port, data);
    return Ok();
  }
  Result<void> PortOut(uint16_t port, std::span<const uint8_t> data) override {
    record_(TraceKind::kPioWrite, port, data);
    io_.PioWrite(vcpu_, port, data);
    return Ok();
  }
  // PhysicalMemory, for the page walk: page tables live in RAM.
  Result<void> Read(uint64_t gpa, std::span<uint8_t> data) override { return ReadMemory(gpa, data); }
  Result<void> Write(uint64_t gpa, std::span<const uint8_t> data) override {
    return WriteMemory(gpa, data);
  }

 private:
  // IA32_APIC_BASE (SDM 3A 11.4.4): the page address in bits 12 and up; a
  // vCPU whose MSR was never set has the power-on default.
  static uint64_t ApicPage(uint64_t msr) {
    const uint64_t page = msr & ~0xfffull & ((1ull << 52) - 1);
    return page != 0 ? page : x86::kLapicStart;
  }
  bool InApicPage(uint64_t gpa) const {
    return machine_.apic != nullptr && gpa >= apic_base_ && gpa - apic_base_ < SimLapic::kPageSize;
  }

  GuestMemory& memory_;
  uint32_t vcpu_;
  uint64_t Tsc() const { return machine_.tsc ? machine_.tsc() : 0; }

  hv::GuestIo& io_;
  const SimInterpreter::Recorder& record_;
  const SimInterpreter::Machine& machine_;
  std::vector<hv::CpuidEntry> default_cpuid_;
  const uint64_t apic_base_;
};

constexpr uint64_t kFlagIf = 1ull << 9;  // RFLAGS.IF (SDM 1 3.4.3.3)

}  // namespace

bool InterruptDeliverable(const SimLapic& apic, uint64_t rflags) {
  return (rflags & kFlagIf) != 0 && apic.Deliverable().has_value();
}

Result<SimInterpreter::Stop> SimInterpreter::Run(hv::Regs& regs, hv::Sregs& sregs,
                                                 GuestMemory& memory, uint32_t vcpu,
                                                 hv::GuestIo& io, const Recorder& record,
                                                 const StepBudget& budget,
                                                 const x86emu::InstructionDecoder* decoder,
                                                 const Machine& machine) {
  static const x86emu::ZydisInstructionDecoder zydis;
  x86emu::EmulatorOptions options;
  options.profile = x86emu::Profile::kSim;
  x86emu::Emulator emulator(decoder != nullptr ? *decoder : zydis, options);
  x86emu::StructRegisterFile file(regs, sregs);
  SimPlatform platform(memory, vcpu, io, record, machine, sregs.apic_base);
  bool local_shadow = false;
  bool& shadow = machine.sti_shadow != nullptr ? *machine.sti_shadow : local_shadow;
  for (uint32_t i = 0; i < budget.instructions; ++i) {
    // An external interrupt at the instruction boundary (SDM 3A 6.8.1: IF
    // gates it; STI's shadow holds it off for one instruction).
    if (machine.apic != nullptr && !shadow && InterruptDeliverable(*machine.apic, regs.rflags)) {
      const uint8_t vector = *machine.apic->Deliverable();
      machine.apic->Acknowledge(vector);
      x86emu::CpuState cpu(file);
      PETREL_ASSIGN_OR_RETURN(const x86emu::Outcome delivered,
                              x86emu::DeliverInterrupt(cpu, platform, vector));
      if (!std::holds_alternative<x86emu::Completed>(delivered)) {
        std::ostringstream what;
        what << "vcpu " << vcpu << " at rip 0x" << std::hex << regs.rip << ": delivering vector 0x"
             << unsigned{vector} << ": " << x86emu::DescribeOutcome(delivered);
        return Error(ErrorCode::kUnsupported, what.str());
      }
    }
    shadow = false;
    const uint64_t rip = regs.rip;
    x86emu::CpuState cpu(file);
    PETREL_ASSIGN_OR_RETURN(const x86emu::Outcome outcome, emulator.Step(cpu, platform));
    if (const auto* done = std::get_if<x86emu::Completed>(&outcome)) {
      if (budget.after_each) budget.after_each();
      shadow = done->interrupt_shadow;
      if (done->halted) {
        // HLT with an interrupt waiting goes on to take it (its shadow, if
        // an STI came just before, ends with the HLT).
        shadow = false;
        if (machine.apic == nullptr || !InterruptDeliverable(*machine.apic, regs.rflags)) {
          return Stop::kHalted;
        }
      }
      if (budget.kicked && budget.kicked()) break;
      continue;
    }
    std::ostringstream what;
    what << "vcpu " << vcpu << " at rip 0x" << std::hex << rip << ": "
         << x86emu::DescribeOutcome(outcome)
         << (std::holds_alternative<x86emu::Fault>(outcome) ? " (no IDT is modelled)" : "");
    return Error(ErrorCode::kUnsupported, what.str());
  }
  return Stop::kBudget;
}

}  // namespace petrel::sim
