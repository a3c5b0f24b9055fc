// SimInterpreter (see sim_interpreter.h).
#include "hv_sim/sim_interpreter.h"

#include <sstream>

#include "core/x86emu/emulator.h"
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
              const SimInterpreter::Recorder& record, const SimInterpreter::Machine& machine)
      : memory_(memory), vcpu_(vcpu), io_(io), record_(record), machine_(machine) {
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
    io_.MmioRead(vcpu_, gpa, data);
    record_(TraceKind::kMmioRead, gpa, data);
    return Ok();
  }
  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) override {
    if (memory_.Contains(gpa, data.size())) return memory_.Write(gpa, data);
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
  GuestMemory& memory_;
  uint32_t vcpu_;
  uint64_t Tsc() const { return machine_.tsc ? machine_.tsc() : 0; }

  hv::GuestIo& io_;
  const SimInterpreter::Recorder& record_;
  const SimInterpreter::Machine& machine_;
  std::vector<hv::CpuidEntry> default_cpuid_;
};

}  // namespace

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
  SimPlatform platform(memory, vcpu, io, record, machine);
  for (uint32_t i = 0; i < budget.instructions; ++i) {
    const uint64_t rip = regs.rip;
    x86emu::CpuState cpu(file);
    PETREL_ASSIGN_OR_RETURN(const x86emu::Outcome outcome, emulator.Step(cpu, platform));
    if (const auto* done = std::get_if<x86emu::Completed>(&outcome)) {
      if (budget.after_each) budget.after_each();
      if (done->halted) return Stop::kHalted;
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
