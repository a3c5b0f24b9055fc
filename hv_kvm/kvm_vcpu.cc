// KvmVcpu (see kvm_vcpu.h).
#include "hv_kvm/kvm_vcpu.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <sstream>

#include "hv_kvm/kvm_exit.h"
#include "hv_kvm/kvm_state_convert.h"

namespace petrel::kvm {
namespace {

// KVM_SET_MSRS/KVM_GET_MSRS return how many entries they processed and stop
// at the first failure (api.rst); anything short of all is an error.
Result<void> CheckMsrCount(const char* op, int n, std::span<const hv::MsrEntry> msrs) {
  const size_t done = static_cast<size_t>(n);
  if (done == msrs.size()) return Ok();
  std::ostringstream s;
  s << op << ": ";
  if (done < msrs.size()) s << "MSR 0x" << std::hex << msrs[done].index << std::dec << " refused, ";
  s << n << " of " << msrs.size() << " done";
  return Error(ErrorCode::kUnsupported, s.str());
}

}  // namespace

Result<std::unique_ptr<KvmVcpu>> KvmVcpu::Create(std::shared_ptr<const UniqueFd> vm_fd, uint32_t id,
                                                 size_t run_mmap_size) {
  PETREL_TRY(KickSignal());  // install the handler before any thread can be kicked
  PETREL_ASSIGN_OR_RETURN(int fd, Ioctl(vm_fd->get(), KVM_CREATE_VCPU, "KVM_CREATE_VCPU", id));
  UniqueFd vcpu_fd(fd);
  PETREL_ASSIGN_OR_RETURN(auto run, KvmRunState::Map(vcpu_fd.get(), run_mmap_size));
  return std::unique_ptr<KvmVcpu>(
      new KvmVcpu(std::move(vm_fd), std::move(vcpu_fd), id, std::move(run)));
}

Result<hv::VcpuExit> KvmVcpu::Run(hv::GuestIo& io) {
  run_->EnterRun();
  auto result = RunLoop(io);
  run_->LeaveRun();
  return result;
}

// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant filled
// through an out-parameter is moved into Result<>; every path sets `exit`.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Result<hv::VcpuExit> KvmVcpu::RunLoop(hv::GuestIo& io) {
  for (;;) {
    run_->BeforeKvmRun();
    const int r = ::ioctl(fd_.get(), KVM_RUN, 0);
    const int err = errno;
    run_->AfterKvmRun();
    if (r < 0) {
      // EINTR: a signal (a kick) or immediate_exit; EAGAIN: the vCPU is not
      // runnable yet (e.g. an AP waiting for SIPI with a userspace LAPIC).
      if (err == EINTR || err == EAGAIN) {
        run_->TakeKick();
        return hv::VcpuExit(hv::exit::Interrupted{});
      }
      return Error::FromErrno("KVM_RUN", err);
    }
    hv::VcpuExit exit;
    if (!HandleKvmExit(*run_->run(), run_->size(), id_, io, &exit)) {
      continue;  // access dispatched; the next KVM_RUN completes it
    }
    if (std::holds_alternative<hv::exit::Interrupted>(exit)) run_->TakeKick();
    return exit;
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Result<hv::Regs> KvmVcpu::GetRegs() {
  kvm_regs k{};
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_REGS, "KVM_GET_REGS", &k));
  return RegsFromKvm(k);
}

Result<void> KvmVcpu::SetRegs(const hv::Regs& regs) {
  kvm_regs k = RegsToKvm(regs);
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_REGS, "KVM_SET_REGS", &k));
  return Ok();
}

Result<hv::Sregs> KvmVcpu::GetSregs() {
  kvm_sregs k{};
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_SREGS, "KVM_GET_SREGS", &k));
  return SregsFromKvm(k);
}

Result<void> KvmVcpu::SetSregs(const hv::Sregs& sregs) {
  kvm_sregs k{};
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_SREGS, "KVM_GET_SREGS", &k));
  SregsToKvm(sregs, &k);
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_SREGS, "KVM_SET_SREGS", &k));
  return Ok();
}

Result<void> KvmVcpu::SetFpu(const hv::Fpu& fpu) {
  kvm_fpu k{};
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_FPU, "KVM_GET_FPU", &k));
  FpuToKvm(fpu, &k);
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_FPU, "KVM_SET_FPU", &k));
  return Ok();
}

Result<void> KvmVcpu::SetCpuid(std::span<const hv::CpuidEntry> entries) {
  if (entries.size() > kMaxCpuidEntries) {
    return Error(ErrorCode::kInvalidArgument, "too many CPUID entries");
  }
  CpuidBuffer buf = MakeCpuidBuffer(entries);
  PETREL_TRY(IoctlPtr(fd_.get(), kKvmSetCpuid2, "KVM_SET_CPUID2", buf.header()));
  return Ok();
}

Result<void> KvmVcpu::SetMsrs(std::span<const hv::MsrEntry> msrs) {
  if (msrs.size() > kMaxMsrsPerCall) return Error(ErrorCode::kInvalidArgument, "too many MSRs");
  MsrBuffer buf = MakeMsrBuffer(msrs);
  // api.rst KVM_SET_MSRS: returns the number of MSRs set; it stops at the
  // first MSR KVM refuses.
  PETREL_ASSIGN_OR_RETURN(int n, IoctlPtr(fd_.get(), kKvmSetMsrs, "KVM_SET_MSRS", buf.header()));
  return CheckMsrCount("KVM_SET_MSRS", n, msrs);
}

Result<void> KvmVcpu::NotifyGuestPaused() {
  // KVM_KVMCLOCK_CTRL (Documentation/virt/kvm/api.rst 4.85): EINVAL when the
  // guest has not enabled kvmclock, which is no error for a pause.
  Result<int> r = Ioctl(fd_.get(), KVM_KVMCLOCK_CTRL, "KVM_KVMCLOCK_CTRL");
  if (!r.ok() && r.error().errnum() != EINVAL) return std::move(r).error();
  return Ok();
}

Result<void> KvmVcpu::GetMsrs(std::span<hv::MsrEntry> msrs) {
  if (msrs.size() > kMaxMsrsPerCall) return Error(ErrorCode::kInvalidArgument, "too many MSRs");
  MsrBuffer buf = MakeMsrBuffer(msrs);
  PETREL_ASSIGN_OR_RETURN(int n, IoctlPtr(fd_.get(), kKvmGetMsrs, "KVM_GET_MSRS", buf.header()));
  PETREL_TRY(CheckMsrCount("KVM_GET_MSRS", n, msrs));
  for (size_t i = 0; i < msrs.size(); ++i) msrs[i].value = buf.entries()[i].data;
  return Ok();
}

}  // namespace petrel::kvm
