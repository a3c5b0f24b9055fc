// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimVcpu: an hv_sim vCPU that executes a GuestScript (see guest_script.h).
//
// Run() executes up to SimConfig::quantum_steps steps and returns
// Interrupted, or ScriptEnd when the script is done, or Halted at a Halt step
// (Halt is final: later Runs return Halted again). Each step costs
// SimConfig::ns_per_step of virtual time (Advance costs exactly its ns). Each
// access goes to the GuestIo and into the VM trace. A WaitIrq that is not yet
// satisfied moves time one step at a time towards its deadline; on timeout it
// is recorded and counted as a failure. Failed expectations are recorded and
// described in mismatches(); the script keeps going.
//
// Register state (regs, sregs, FPU, CPUID, MSRs) is stored as given, so boot
// code can be tested by reading it back. Never-set MSRs read as 0.
//
// With SimConfig::interpret, a vCPU that has no script runs the guest's own
// code instead (sim_interpreter.h), with those registers.
//
// Thread-safety: only the owning thread calls it, except kicker().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/hv/hypervisor.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_lapic.h"
#include "hv_sim/trace.h"

namespace petrel::sim {

class SimVm;

// hv_sim's synthetic MSRs (in the range hypervisors use for their own MSRs,
// as KVM's 0x4b564dxx), saved with a vCPU's state: the script position.
inline constexpr uint32_t kSimMsrScriptPc = 0x53494d00;        // next step
inline constexpr uint32_t kSimMsrScriptFlags = 0x53494d01;     // kSimFlag*
inline constexpr uint32_t kSimMsrWaitDeadline = 0x53494d02;    // a WaitIrq's deadline, ns
inline constexpr uint32_t kSimMsrCounted = 0x53494d03;         // a Count step's progress
inline constexpr uint64_t kSimFlagHalted = 1u << 0;
inline constexpr uint64_t kSimFlagWaiting = 1u << 1;
inline constexpr uint64_t kSimFlagEndRecorded = 1u << 2;
inline constexpr bool IsSimMsr(uint32_t index) { return (index & 0xffffff00u) == 0x53494d00u; }

class SimVcpu final : public hv::Vcpu {
 public:
  // Use SimVm::CreateVcpu / CreateSimVcpu.
  SimVcpu(std::shared_ptr<SimVm> vm, uint32_t id);
  ~SimVcpu() override;

  // hv::Vcpu
  uint32_t id() const override { return id_; }
  Result<hv::VcpuExit> Run(hv::GuestIo& io) override;
  std::shared_ptr<hv::VcpuKicker> kicker() override { return kicker_; }
  Result<hv::Regs> GetRegs() override { return regs_; }
  Result<void> SetRegs(const hv::Regs& regs) override;
  Result<hv::Sregs> GetSregs() override { return sregs_; }
  Result<void> SetSregs(const hv::Sregs& sregs) override;
  Result<void> SetFpu(const hv::Fpu& fpu) override;
  Result<void> SetCpuid(std::span<const hv::CpuidEntry> entries) override;
  Result<void> SetMsrs(std::span<const hv::MsrEntry> msrs) override;
  Result<void> GetMsrs(std::span<hv::MsrEntry> msrs) override;
  // Everything set through the interface, plus the script's progress as
  // hv_sim's own MSRs (kSimMsr*), so a restored vCPU given the same script
  // continues where the saved one was. Interrupt edges seen before a
  // restore do not satisfy a later WaitIrq (as after SetScript).
  Result<hv::VcpuState> SaveState() override;
  Result<void> RestoreState(const hv::VcpuState& state) override;
  Result<void> NotifyGuestPaused() override {
    ++paused_notifications_;
    return Ok();
  }

  // How often NotifyGuestPaused() was called (one per pause).
  uint64_t paused_notifications() const { return paused_notifications_; }
  // Read-back of state the interface has no getter for.
  const hv::Fpu& fpu() const { return fpu_; }
  const std::vector<hv::CpuidEntry>& cpuid() const { return cpuid_; }

  // Replaces the script (validated with ValidateScript) and starts it from
  // step 0; clears halted state, mismatches and failures. Interrupt edges
  // that happened before this call do not satisfy a later WaitIrq.
  Result<void> SetScript(GuestScript script);
  // Index of the next step to run.
  size_t pc() const { return pc_; }
  bool halted() const { return halted_; }
  bool finished() const { return halted_ || pc_ >= script_.steps.size(); }

  // Failed expectations: "vcpu 0 step 2 t=20ns: pio-in 0x3fd len 1 expect [60]: got [20]".
  const std::vector<std::string>& mismatches() const { return mismatches_; }
  // Everything that went wrong: mismatches, WaitIrq timeouts, RAM faults.
  const std::vector<std::string>& failures() const { return failures_; }
  bool failed() const { return !failures_.empty(); }
  // The local APIC an interpreted guest sees (SimVm routes MSIs to it).
  SimLapic& apic() { return apic_; }

 private:
  std::atomic<uint64_t> paused_notifications_{0};
  class Kicker final : public hv::VcpuKicker {
   public:
    void Kick() override { flag_.store(true, std::memory_order_release); }
    bool Take() { return flag_.exchange(false, std::memory_order_acq_rel); }

   private:
    std::atomic<bool> flag_{false};
  };
  enum class StepResult { kDone, kWaiting, kHalt };

  StepResult Execute(hv::GuestIo& io);
  // No script and SimConfig::interpret: the guest's own code (SimInterpreter).
  Result<hv::VcpuExit> Interpret(hv::GuestIo& io);
  StepResult ExecuteWait(const step::WaitIrq& w);
  StepResult ExecuteCount(const step::Count& c);
  void Finish();  // step done: pc++ and the step's time cost
  void Record(TraceKind kind, uint64_t addr, std::span<const uint8_t> bytes);
  void CheckExpect(const std::optional<std::vector<uint8_t>>& expect, std::span<const uint8_t> got,
                   uint64_t addr);
  void Fail(const std::string& what, bool mismatch);

  std::shared_ptr<SimVm> vm_;
  uint32_t id_;
  std::shared_ptr<Kicker> kicker_;
  uint64_t ns_per_step_;
  uint32_t quantum_;

  GuestScript script_;
  bool has_script_ = false;
  size_t pc_ = 0;
  bool halted_ = false;
  bool end_recorded_ = false;
  bool waiting_ = false;
  uint64_t wait_deadline_ = 0;
  uint64_t counted_ = 0;  // increments done by the current Count step
  std::array<uint64_t, kNumIrqPins> seen_edges_{};
  uint64_t step_time_ = 0;  // virtual time the current step started
  std::vector<std::string> mismatches_;
  std::vector<std::string> failures_;

  SimLapic apic_;  // an interpreted guest's local APIC (sim_lapic.h)
  bool sti_shadow_ = false;  // an interpreted guest's next instruction follows an STI
  hv::Regs regs_;
  hv::Sregs sregs_;
  hv::Fpu fpu_;
  std::vector<uint8_t> xsave_;  // kXsaveMinSize or what RestoreState gave; fcw/mxcsr in fpu_
  hv::DebugRegs debug_;
  std::vector<hv::XcrEntry> xcrs_{{0, 1}};  // XCR0: x87 (SDM 1 13.3 reset value)
  hv::LapicState lapic_{};
  hv::VcpuEvents events_;
  hv::MpState mp_state_ = hv::MpState::kRunnable;
  std::vector<hv::CpuidEntry> cpuid_;
  std::map<uint32_t, uint64_t> msrs_;
};

SimVcpu* AsSim(hv::Vcpu* vcpu);

}  // namespace petrel::sim
