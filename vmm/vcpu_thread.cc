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

VcpuThread::VcpuThread(std::unique_ptr<hv::Vcpu> vcpu, hv::GuestIo& io, OnStop on_stop,
                       std::function<void()> on_first_entry)
    : vcpu_(std::move(vcpu)),
      io_(io),
      on_stop_(std::move(on_stop)),
      on_first_entry_(std::move(on_first_entry)),
      kicker_(vcpu_->kicker()) {}

VcpuThread::~VcpuThread() {
  RequestStop();
  Join();
}

void VcpuThread::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void VcpuThread::RequestStop() {
  stop_.store(true);
  if (kicker_) kicker_->Kick();
}

void VcpuThread::Join() {
  if (thread_.joinable()) thread_.join();
}

void VcpuThread::Loop() {
  // The thread's exception boundary: device accesses are guarded in the
  // IoDispatcher already; anything else that throws stops this VM with an
  // error instead of terminating the process.
  try {
    RunUntilStopped();
  } catch (const std::exception& e) {
    on_stop_({StopReason::Kind::kError,
              "vcpu " + std::to_string(vcpu_->id()) + ": internal error: " + e.what()});
  } catch (...) {
    on_stop_({StopReason::Kind::kError, "vcpu " + std::to_string(vcpu_->id()) + ": internal error"});
  }
}

void VcpuThread::RunUntilStopped() {
  if (on_first_entry_) on_first_entry_();
  while (!stop_.load(std::memory_order_acquire)) {
    auto result = vcpu_->Run(io_);
    if (!result.ok()) {
      on_stop_({StopReason::Kind::kError,
                "vcpu " + std::to_string(vcpu_->id()) + ": " + result.error().message()});
      return;
    }
    StopReason reason;
    if (ExitStopsVm(*result, &reason)) {
      PETREL_LOG(kInfo) << "vcpu " << vcpu_->id() << ": " << hv::DescribeExit(*result);
      on_stop_(reason);
      return;
    }
    if (std::holds_alternative<hv::exit::Halted>(*result)) {
      // Only reached without an in-kernel LAPIC: nothing can wake this vCPU
      // but a kick, so yield instead of spinning hot.
      sched_yield();
    }
  }
}

}  // namespace petrel::vmm
