// SimInterpreter (see sim_interpreter.h).
#include "hv_sim/sim_interpreter.h"

#include <sstream>

#include "core/x86emu/emulator.h"
#include "core/x86emu/page_walk.h"
#include "core/x86emu/zydis_decoder.h"

namespace petrel::sim {
namespace {

// Guest RAM where it is, else MMIO through the GuestIo; ports to the GuestIo.
class SimPlatform final : public x86emu::Platform, public x86emu::PhysicalMemory {
 public:
  SimPlatform(GuestMemory& memory, uint32_t vcpu, hv::GuestIo& io,
              const SimInterpreter::Recorder& record)
      : memory_(memory), vcpu_(vcpu), io_(io), record_(record) {}

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
  hv::GuestIo& io_;
  const SimInterpreter::Recorder& record_;
};

}  // namespace

Result<SimInterpreter::Stop> SimInterpreter::Run(hv::Regs& regs, hv::Sregs& sregs,
                                                 GuestMemory& memory, uint32_t vcpu,
                                                 hv::GuestIo& io, const Recorder& record,
                                                 const StepBudget& budget,
                                                 const x86emu::InstructionDecoder* decoder) {
  static const x86emu::ZydisInstructionDecoder zydis;
  x86emu::EmulatorOptions options;
  options.profile = x86emu::Profile::kSim;
  x86emu::Emulator emulator(decoder != nullptr ? *decoder : zydis, options);
  x86emu::StructRegisterFile file(regs, sregs);
  SimPlatform platform(memory, vcpu, io, record);
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
