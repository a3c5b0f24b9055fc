// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimVcpu: the script executor (see sim_vcpu.h).
#include "hv_sim/sim_vcpu.h"

#include "hv_sim/sim_interpreter.h"

#include <algorithm>
#include <cstring>

#include "core/base/overloaded.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"

namespace petrel::sim {

namespace {

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}
}  // namespace

SimVcpu::SimVcpu(std::shared_ptr<SimVm> vm, uint32_t id)
    : vm_(std::move(vm)),
      id_(id),
      kicker_(std::make_shared<Kicker>()),
      ns_per_step_(std::max<uint64_t>(1, vm_->config().ns_per_step)),
      quantum_(std::max<uint32_t>(1, vm_->config().quantum_steps)),
      apic_(id) {}

SimVcpu::~SimVcpu() {
  vm_->Unregister(id_);
}

SimVcpu* AsSim(hv::Vcpu* vcpu) {
  return dynamic_cast<SimVcpu*>(vcpu);
}

Result<void> SimVcpu::SetScript(GuestScript script) {
  // Not PETREL_TRY(x.Wrap(..)): Wrap returns an rvalue reference to the temporary.
  Result<void> valid = ValidateScript(script);
  if (!valid.ok()) return std::move(valid).Wrap("vcpu " + std::to_string(id_) + " script");
  script_ = std::move(script);
  has_script_ = true;
  pc_ = 0;
  halted_ = false;
  end_recorded_ = false;
  waiting_ = false;
  counted_ = 0;
  seen_edges_ = vm_->EdgeCounts();
  mismatches_.clear();
  failures_.clear();
  return Ok();
}

Result<hv::VcpuExit> SimVcpu::Run(hv::GuestIo& io) {
  if (kicker_->Take()) return hv::VcpuExit(hv::exit::Interrupted{});
  const bool interpreting = !has_script_ && vm_->config().interpret;
  if (halted_) {
    // An interpreted HLT ends when the local APIC has an interrupt to take.
    if (!interpreting || !InterruptDeliverable(apic_, regs_.rflags)) {
      return hv::VcpuExit(hv::exit::Halted{});
    }
    halted_ = false;
  }
  if (interpreting) return Interpret(io);
  for (uint32_t budget = quantum_; budget > 0; --budget) {
    if (pc_ >= script_.steps.size()) {
      if (has_script_ && !end_recorded_) {
        end_recorded_ = true;
        step_time_ = vm_->clock().NowNs();
        Record(TraceKind::kScriptEnd, 0, {});
      }
      return hv::VcpuExit(hv::exit::ScriptEnd{});
    }
    if (Execute(io) == StepResult::kHalt) return hv::VcpuExit(hv::exit::Halted{});
    if (kicker_->Take()) break;
  }
  return hv::VcpuExit(hv::exit::Interrupted{});
}

Result<hv::VcpuExit> SimVcpu::Interpret(hv::GuestIo& io) {
  auto memory = vm_->memory();
  if (!memory) return Error(ErrorCode::kFailedPrecondition, "interpreting a vCPU with no memory");
  const SimInterpreter::Recorder record = [this](TraceKind kind, uint64_t addr,
                                                 std::span<const uint8_t> bytes) {
    Record(kind, addr, bytes);
  };
  SimInterpreter::StepBudget budget;
  budget.instructions = quantum_;
  budget.after_each = [this] {
    vm_->AdvanceTime(ns_per_step_);
    step_time_ = vm_->clock().NowNs();
  };
  budget.kicked = [this] { return kicker_->Take(); };
  step_time_ = vm_->clock().NowNs();
  SimInterpreter::Machine machine;
  machine.cpuid = cpuid_;
  machine.msrs = &msrs_;
  machine.apic = &apic_;
  machine.sti_shadow = &sti_shadow_;
  machine.tsc = [this] {  // the guest clock (virtual time + SetClock's offset): a 1 GHz TSC
    const Result<hv::VmClock> clock = vm_->GetClock();
    return clock.ok() ? clock->ns : 0;
  };
  auto stop = SimInterpreter::Run(regs_, sregs_, *memory, id_, io, record, budget,
                                  vm_->config().decoder, machine);
  if (!stop.ok()) return hv::VcpuExit(hv::exit::InternalError{stop.error().message()});
  if (*stop == SimInterpreter::Stop::kHalted) {
    halted_ = true;
    Record(TraceKind::kHalt, 0, {});
    return hv::VcpuExit(hv::exit::Halted{});
  }
  return hv::VcpuExit(hv::exit::Interrupted{});
}

void SimVcpu::Record(TraceKind kind, uint64_t addr, std::span<const uint8_t> bytes) {
  vm_->trace().Append(step_time_, id_, kind, addr, bytes);
}

void SimVcpu::Finish() {
  ++pc_;
  vm_->AdvanceTime(ns_per_step_);
}

void SimVcpu::Fail(const std::string& what, bool mismatch) {
  std::string text = "vcpu " + std::to_string(id_) + " step " + std::to_string(pc_) +
                     " t=" + std::to_string(step_time_) +
                     "ns: " + DescribeStep(script_.steps[pc_]) + ": " + what;
  if (mismatch) mismatches_.push_back(text);
  failures_.push_back(std::move(text));
}

void SimVcpu::CheckExpect(const std::optional<std::vector<uint8_t>>& expect,
                          std::span<const uint8_t> got, uint64_t addr) {
  if (!expect) return;
  if (expect->size() == got.size() && std::equal(got.begin(), got.end(), expect->begin())) return;
  Record(TraceKind::kMismatch, addr, *expect);
  Fail("got " + HexBytes(got), /*mismatch=*/true);
}

SimVcpu::StepResult SimVcpu::Execute(hv::GuestIo& io) {
  step_time_ = vm_->clock().NowNs();
  const Step& s = script_.steps[pc_];
  if (const auto* w = std::get_if<step::WaitIrq>(&s)) return ExecuteWait(*w);
  if (const auto* c = std::get_if<step::Count>(&s)) return ExecuteCount(*c);
  std::visit(
      Overloaded{
          [&](const step::PioOut& x) {
            io.PioWrite(id_, x.port, x.bytes);
            Record(TraceKind::kPioWrite, x.port, x.bytes);
          },
          [&](const step::PioIn& x) {
            std::array<uint8_t, kMaxIoAccessBytes> buf{};
            std::span<uint8_t> data(buf.data(), x.len);  // len validated by SetScript
            io.PioRead(id_, x.port, data);
            Record(TraceKind::kPioRead, x.port, data);
            CheckExpect(x.expect, data, x.port);
          },
          [&](const step::MmioWrite& x) {
            io.MmioWrite(id_, x.gpa, x.bytes);
            Record(TraceKind::kMmioWrite, x.gpa, x.bytes);
          },
          [&](const step::MmioRead& x) {
            std::array<uint8_t, kMaxIoAccessBytes> buf{};
            std::span<uint8_t> data(buf.data(), x.len);
            io.MmioRead(id_, x.gpa, data);
            Record(TraceKind::kMmioRead, x.gpa, data);
            CheckExpect(x.expect, data, x.gpa);
          },
          [&](const step::WriteRam& x) {
            Result<void> r = vm_->GuestWrite(x.gpa, x.bytes);  // the guest's write: sim log
            if (r.ok()) {
              Record(TraceKind::kRamWrite, x.gpa, x.bytes);
            } else {
              Record(TraceKind::kFault, x.gpa, {});
              Fail(r.error().message(), /*mismatch=*/false);
            }
          },
          [&](const step::ReadRam& x) {
            auto mem = vm_->memory();
            std::vector<uint8_t> data(x.len);
            Result<void> r = mem ? mem->Read(x.gpa, data)
                                 : Result<void>(Error(ErrorCode::kNotFound, "no guest memory"));
            if (r.ok()) {
              Record(TraceKind::kRamRead, x.gpa, data);
              CheckExpect(x.expect, data, x.gpa);
            } else {
              Record(TraceKind::kFault, x.gpa, {});
              Fail(r.error().message(), /*mismatch=*/false);
            }
          },
          [&](const step::WaitIrq&) {},  // handled above
          [&](const step::Count&) {},    // handled above
          [&](const step::Advance& x) {
            Record(TraceKind::kAdvance, x.ns, {});
            ++pc_;
            vm_->AdvanceTime(x.ns);
          },
          [&](const step::Halt&) {
            Record(TraceKind::kHalt, 0, {});
            halted_ = true;
            ++pc_;
          },
      },
      s);
  if (halted_) return StepResult::kHalt;
  if (!std::holds_alternative<step::Advance>(s)) Finish();
  return StepResult::kDone;
}

SimVcpu::StepResult SimVcpu::ExecuteWait(const step::WaitIrq& w) {
  if (!waiting_) {
    waiting_ = true;
    wait_deadline_ = SaturatingAdd(step_time_, w.timeout_ns);
  }
  if (vm_->TakeIrq(w.pin, &seen_edges_[w.pin])) {
    waiting_ = false;
    Record(TraceKind::kIrqWake, w.pin, {});
    Finish();
    return StepResult::kDone;
  }
  if (step_time_ >= wait_deadline_) {
    waiting_ = false;
    Record(TraceKind::kIrqTimeout, w.pin, {});
    Fail("timed out", /*mismatch=*/false);
    Finish();
    return StepResult::kDone;
  }
  vm_->AdvanceTime(std::min(ns_per_step_, wait_deadline_ - step_time_));
  return StepResult::kWaiting;
}

SimVcpu::StepResult SimVcpu::ExecuteCount(const step::Count& c) {
  if (counted_ >= c.times) {
    counted_ = 0;
    ++pc_;  // a zero-times loop costs no time
    return StepResult::kDone;
  }
  auto mem = vm_->memory();
  Result<uint64_t> value = mem ? mem->LoadAtomic<uint64_t>(c.gpa)
                               : Result<uint64_t>(Error(ErrorCode::kNotFound, "no guest memory"));
  Result<void> stored = value.ok() ? vm_->GuestStore64(c.gpa, *value + 1)
                                   : Result<void>(value.error());
  if (!stored.ok()) {
    Record(TraceKind::kFault, c.gpa, {});
    Fail(stored.error().message(), /*mismatch=*/false);
    counted_ = 0;
    Finish();
    return StepResult::kDone;
  }
  if (++counted_ < c.times) {
    vm_->AdvanceTime(ns_per_step_);
    return StepResult::kWaiting;
  }
  const std::vector<uint8_t> bytes = ScriptBuilder::Le(*value + 1, 8);
  Record(TraceKind::kRamWrite, c.gpa, bytes);
  counted_ = 0;
  Finish();
  return StepResult::kDone;
}

Result<void> SimVcpu::SetRegs(const hv::Regs& regs) {
  regs_ = regs;
  return Ok();
}

Result<void> SimVcpu::SetSregs(const hv::Sregs& sregs) {
  sregs_ = sregs;
  return Ok();
}

Result<void> SimVcpu::SetFpu(const hv::Fpu& fpu) {
  fpu_ = fpu;
  return Ok();
}

Result<hv::VcpuState> SimVcpu::SaveState() {
  hv::VcpuState st;
  st.regs = regs_;
  st.sregs = sregs_;
  st.debug = debug_;
  for (const auto& [index, value] : msrs_) {
    if (!IsSimMsr(index)) st.msrs.push_back({index, value});
  }
  const uint64_t flags = (halted_ ? kSimFlagHalted : 0) | (waiting_ ? kSimFlagWaiting : 0) |
                         (end_recorded_ ? kSimFlagEndRecorded : 0);
  st.msrs.push_back({kSimMsrScriptPc, pc_});
  st.msrs.push_back({kSimMsrScriptFlags, flags});
  st.msrs.push_back({kSimMsrWaitDeadline, wait_deadline_});
  st.msrs.push_back({kSimMsrCounted, counted_});
  st.xsave = xsave_;
  if (st.xsave.size() < hv::kXsaveMinSize) st.xsave.resize(hv::kXsaveMinSize, 0);
  std::memcpy(st.xsave.data() + hv::kXsaveFcwOffset, &fpu_.fcw, sizeof(fpu_.fcw));
  std::memcpy(st.xsave.data() + hv::kXsaveMxcsrOffset, &fpu_.mxcsr, sizeof(fpu_.mxcsr));
  st.xcrs = xcrs_;
  st.lapic = lapic_;
  st.events = events_;
  st.mp_state = mp_state_;
  return st;
}

Result<void> SimVcpu::RestoreState(const hv::VcpuState& st) {
  if (st.xsave.size() < hv::kXsaveMinSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "XSAVE area of " + std::to_string(st.xsave.size()) + " bytes; at least " +
                     std::to_string(hv::kXsaveMinSize) + " expected");
  }
  std::map<uint32_t, uint64_t> msrs;
  uint64_t pc = 0, flags = 0, deadline = 0, counted = 0;
  for (const auto& m : st.msrs) {
    switch (m.index) {
      case kSimMsrScriptPc: pc = m.value; break;
      case kSimMsrScriptFlags: flags = m.value; break;
      case kSimMsrWaitDeadline: deadline = m.value; break;
      case kSimMsrCounted: counted = m.value; break;
      default:
        if (IsSimMsr(m.index)) {
          return Error(ErrorCode::kInvalidArgument, "unknown hv_sim MSR " + std::to_string(m.index));
        }
        msrs[m.index] = m.value;
    }
  }
  if (pc > script_.steps.size()) {
    return Error(ErrorCode::kInvalidArgument, "script position " + std::to_string(pc) +
                                                  " is past the script's " +
                                                  std::to_string(script_.steps.size()) + " steps");
  }
  regs_ = st.regs;
  sregs_ = st.sregs;
  debug_ = st.debug;
  msrs_ = std::move(msrs);
  xsave_ = st.xsave;
  std::memcpy(&fpu_.fcw, xsave_.data() + hv::kXsaveFcwOffset, sizeof(fpu_.fcw));
  std::memcpy(&fpu_.mxcsr, xsave_.data() + hv::kXsaveMxcsrOffset, sizeof(fpu_.mxcsr));
  xcrs_ = st.xcrs;
  lapic_ = st.lapic;
  events_ = st.events;
  mp_state_ = st.mp_state;
  pc_ = pc;
  halted_ = (flags & kSimFlagHalted) != 0;
  waiting_ = (flags & kSimFlagWaiting) != 0;
  end_recorded_ = (flags & kSimFlagEndRecorded) != 0;
  wait_deadline_ = deadline;
  counted_ = counted;
  seen_edges_ = vm_->EdgeCounts();
  return Ok();
}

Result<void> SimVcpu::SetCpuid(std::span<const hv::CpuidEntry> entries) {
  cpuid_.assign(entries.begin(), entries.end());
  return Ok();
}

Result<void> SimVcpu::SetMsrs(std::span<const hv::MsrEntry> msrs) {
  for (const auto& m : msrs) msrs_[m.index] = m.value;
  return Ok();
}

Result<void> SimVcpu::GetMsrs(std::span<hv::MsrEntry> msrs) {
  for (auto& m : msrs) {
    auto it = msrs_.find(m.index);
    m.value = it == msrs_.end() ? 0 : it->second;
  }
  return Ok();
}

}  // namespace petrel::sim
