// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VcpuThread (see vcpu_thread.h).
#include "vmm/vcpu_thread.h"

#include <sched.h>

#include "core/base/log.h"

namespace petrel::vmm {

bool ExitStopsVm(const hv::VcpuExit& exit, StopReason* reason) {
  if (std::holds_alternative<hv::exit::Reset>(exit)) {
    *reason = {StopReason::Kind::kReset, "guest requested a reset"};
    return true;
  }
  if (const auto* s = std::get_if<hv::exit::Shutdown>(&exit)) {
    if (s->why == hv::exit::Shutdown::Why::kPowerOff) {
      *reason = {StopReason::Kind::kPowerOff, "guest powered off"};
    } else {
      *reason = {StopReason::Kind::kTripleFault, "guest triple fault"};
    }
    return true;
  }
  if (std::holds_alternative<hv::exit::FailEntry>(exit) ||
      std::holds_alternative<hv::exit::InternalError>(exit) ||
      std::holds_alternative<hv::exit::ScriptEnd>(exit)) {
    *reason = {StopReason::Kind::kError, hv::DescribeExit(exit)};
    return true;
  }
  return false;
}

VcpuStep RunVcpuOnce(hv::Vcpu& vcpu, hv::GuestIo& io, StopReason* reason) {
  auto result = vcpu.Run(io);
  if (!result.ok()) {
    *reason = {StopReason::Kind::kError,
               "vcpu " + std::to_string(vcpu.id()) + ": " + result.error().message()};
    return VcpuStep::kStop;
  }
  if (ExitStopsVm(*result, reason)) {
    PETREL_LOG(kInfo) << "vcpu " << vcpu.id() << ": " << hv::DescribeExit(*result);
    return VcpuStep::kStop;
  }
  return std::holds_alternative<hv::exit::Halted>(*result) ? VcpuStep::kHalted
                                                           : VcpuStep::kRunning;
}

VcpuThread::VcpuThread(std::unique_ptr<hv::Vcpu> vcpu, hv::GuestIo& io, OnStop on_stop,
                       std::function<void()> on_first_entry, isolation::ThreadSandbox& sandbox,
                       isolation::SyscallRules syscalls)
    : vcpu_(std::move(vcpu)),
      io_(io),
      on_stop_(std::move(on_stop)),
      on_first_entry_(std::move(on_first_entry)),
      kicker_(vcpu_->kicker()),
      sandbox_(sandbox),
      syscalls_(std::move(syscalls)) {}

VcpuThread::~VcpuThread() {
  RequestStop();
  Join();
}

void VcpuThread::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void VcpuThread::StartPaused() {
  {
    std::lock_guard lock(mu_);
    pause_requested_.store(true, std::memory_order_release);
  }
  Start();
}

void VcpuThread::RequestStop() {
  {
    std::lock_guard lock(mu_);  // a parked thread waits on mu_: no lost wake-up
    stop_.store(true);
  }
  cv_.notify_all();
  if (kicker_) kicker_->Kick();
}

Result<void> VcpuThread::Pause(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  pause_requested_.store(true, std::memory_order_release);
  if (kicker_) kicker_->Kick();
  const std::string who = "vcpu " + std::to_string(vcpu_->id());
  if (!cv_.wait_for(lock, timeout, [&] { return parked_ || ended_; })) {
    return Error(ErrorCode::kBusy, who + " did not leave the guest within " +
                                       std::to_string(timeout.count()) + " ms");
  }
  if (!parked_) return Error(ErrorCode::kFailedPrecondition, who + " has stopped");
  if (park_error_) return Error(*park_error_).Wrap(who + ": saving its state");
  return Ok();
}

void VcpuThread::Resume() {
  {
    std::lock_guard lock(mu_);
    pause_requested_.store(false, std::memory_order_release);
  }
  cv_.notify_all();
}

bool VcpuThread::parked() const {
  std::lock_guard lock(mu_);
  return parked_;
}

std::optional<VcpuState> VcpuThread::paused_state() const {
  std::lock_guard lock(mu_);
  return paused_state_;
}

Result<VcpuState> VcpuThread::SaveState() {
  VcpuState state;
  state.id = vcpu_->id();
  PETREL_ASSIGN_OR_RETURN(state.cpu, vcpu_->SaveState());
  return state;
}

void VcpuThread::Park() {
  // Out of the guest, on the vCPU's own thread: the only one that may touch
  // its registers.
  Result<VcpuState> state = SaveState();
  if (state.ok()) {
    Result<void> told = vcpu_->NotifyGuestPaused();
    if (!told.ok()) state = std::move(told).error();
  }
  std::unique_lock lock(mu_);
  if (state.ok()) {
    paused_state_ = std::move(state).value();
    park_error_.reset();
  } else {
    park_error_ = state.error();
  }
  parked_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return !pause_requested_.load(std::memory_order_acquire) || stop_.load(); });
  parked_ = false;
}

void VcpuThread::Join() {
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<hv::Vcpu> VcpuThread::ReleaseVcpu() {
  Join();
  kicker_.reset();
  return std::move(vcpu_);
}

void VcpuThread::Loop() {
  // The thread's exception boundary: device accesses are guarded in the
  // IoDispatcher already; anything else that throws stops this VM with an
  // error instead of terminating the process.
  try {
    if (auto confined = sandbox_.Confine("vcpu", syscalls_); !confined.ok()) {
      on_stop_({StopReason::Kind::kError,
                "vcpu " + std::to_string(vcpu_->id()) + ": " + confined.error().message()});
    } else {
      RunUntilStopped();
    }
  } catch (const std::exception& e) {
    on_stop_({StopReason::Kind::kError,
              "vcpu " + std::to_string(vcpu_->id()) + ": internal error: " + e.what()});
  } catch (...) {
    on_stop_({StopReason::Kind::kError, "vcpu " + std::to_string(vcpu_->id()) + ": internal error"});
  }
  {
    std::lock_guard lock(mu_);
    ended_ = true;
  }
  cv_.notify_all();  // a Pause() waiting for this thread
}

void VcpuThread::RunUntilStopped() {
  if (on_first_entry_) on_first_entry_();
  while (!stop_.load(std::memory_order_acquire)) {
    if (pause_requested_.load(std::memory_order_acquire)) {
      Park();
      continue;
    }
    StopReason reason;
    const VcpuStep step = RunVcpuOnce(*vcpu_, io_, &reason);
    if (step == VcpuStep::kStop) {
      on_stop_(reason);
      return;
    }
    if (step == VcpuStep::kHalted) {
      // Only reached without an in-kernel LAPIC: nothing can wake this vCPU
      // but a kick, so yield instead of spinning hot.
      sched_yield();
    }
  }
}

}  // namespace petrel::vmm
