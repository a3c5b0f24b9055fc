// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmVcpu (see kvm_vcpu.h).
#include "hv_kvm/kvm_vcpu.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "core/hv/kick_signal.h"
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
                                                 size_t run_mmap_size,
                                                 KvmVcpuStateInfo state_info) {
  PETREL_TRY(hv::VcpuKickSignal());  // install the handler before any thread can be kicked
  PETREL_ASSIGN_OR_RETURN(int fd, Ioctl(vm_fd->get(), KVM_CREATE_VCPU, "KVM_CREATE_VCPU", id));
  UniqueFd vcpu_fd(fd);
  PETREL_ASSIGN_OR_RETURN(auto run, KvmRunState::Map(vcpu_fd.get(), run_mmap_size));
  std::unique_ptr<KvmVcpu> vcpu(
      new KvmVcpu(std::move(vm_fd), std::move(vcpu_fd), id, std::move(run), std::move(state_info)));
  // Its LAPIC written back as KVM made it (the irqchip is always in-kernel,
  // full or split): KVM_SET_LAPIC rebuilds the VM's APIC map. A vCPU
  // created while the guest runs (vCPU hot-plug) is otherwise missing from
  // the map until some other LAPIC change, and the guest's INIT/SIPI to it
  // goes nowhere: Linux logged "do_boot_cpu failed(-1) to wakeup CPU#n"
  // when exactly one vCPU was plugged (creating a second one rebuilt the
  // map for the first). QEMU sets each new vCPU's LAPIC the same way.
  PETREL_ASSIGN_OR_RETURN(hv::LapicState lapic, vcpu->GetLapic());
  PETREL_TRY(vcpu->SetLapic(lapic).Wrap("vcpu " + std::to_string(id)));
  return vcpu;
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

// --- Full state (hv::VcpuState) ---

Result<hv::DebugRegs> KvmVcpu::GetDebugRegs() {
  kvm_debugregs k{};
  // api.rst KVM_GET_DEBUGREGS
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", &k));
  return DebugRegsFromKvm(k);
}

Result<void> KvmVcpu::SetDebugRegs(const hv::DebugRegs& regs) {
  kvm_debugregs k = DebugRegsToKvm(regs);
  // api.rst KVM_SET_DEBUGREGS: EINVAL for flags != 0 or DR6/DR7 bits 63:32 set.
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", &k));
  return Ok();
}

Result<std::vector<uint8_t>> KvmVcpu::GetXsave() {
  XsaveBuffer buf(state_info_.xsave_size);
  if (buf.size() > kKvmXsaveSize) {
    // api.rst KVM_GET_XSAVE2: as many bytes as KVM_CAP_XSAVE2 said;
    // KVM_GET_XSAVE would fail (EINVAL) with dynamic features such as AMX.
    PETREL_TRY(
        Ioctl(fd_.get(), kKvmGetXsave2, "KVM_GET_XSAVE2", reinterpret_cast<uintptr_t>(buf.data())));
  } else {
    // api.rst KVM_GET_XSAVE
    PETREL_TRY(
        Ioctl(fd_.get(), kKvmGetXsave, "KVM_GET_XSAVE", reinterpret_cast<uintptr_t>(buf.data())));
  }
  return buf.Bytes();
}

Result<void> KvmVcpu::SetXsave(std::span<const uint8_t> area) {
  PETREL_ASSIGN_OR_RETURN(XsaveBuffer buf, XsaveToKvm(area, state_info_.xsave_size));
  // api.rst KVM_SET_XSAVE: reads KVM_CAP_XSAVE2's size when that is > 4096.
  PETREL_TRY(
      Ioctl(fd_.get(), kKvmSetXsave, "KVM_SET_XSAVE", reinterpret_cast<uintptr_t>(buf.data())));
  return Ok();
}

Result<std::vector<hv::XcrEntry>> KvmVcpu::GetXcrs() {
  kvm_xcrs k{};
  // api.rst KVM_GET_XCRS: nr_xcrs 0 on a host without XSAVE.
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_XCRS, "KVM_GET_XCRS", &k));
  return XcrsFromKvm(k);
}

Result<void> KvmVcpu::SetXcrs(std::span<const hv::XcrEntry> xcrs) {
  // KVM_SET_XCRS fails (EINVAL) on a host without XSAVE, where KVM_GET_XCRS
  // gave none: nothing to set then.
  if (xcrs.empty()) return Ok();
  PETREL_ASSIGN_OR_RETURN(kvm_xcrs k, XcrsToKvm(xcrs));
  // api.rst KVM_SET_XCRS: EINVAL for an XCR0 the guest's CPUID does not allow.
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_XCRS, "KVM_SET_XCRS", &k));
  return Ok();
}

Result<hv::LapicState> KvmVcpu::GetLapic() {
  kvm_lapic_state k{};
  // api.rst KVM_GET_LAPIC
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_LAPIC, "KVM_GET_LAPIC", &k));
  return LapicFromKvm(k);
}

Result<void> KvmVcpu::SetLapic(const hv::LapicState& lapic) {
  kvm_lapic_state k = LapicToKvm(lapic);
  // api.rst KVM_SET_LAPIC
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_LAPIC, "KVM_SET_LAPIC", &k));
  return Ok();
}

Result<hv::VcpuEvents> KvmVcpu::GetEvents() {
  kvm_vcpu_events k{};
  // api.rst KVM_GET_VCPU_EVENTS
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", &k));
  return EventsFromKvm(k);
}

Result<void> KvmVcpu::SetEvents(const hv::VcpuEvents& events) {
  PETREL_ASSIGN_OR_RETURN(kvm_vcpu_events k, EventsToKvm(events));
  // api.rst KVM_SET_VCPU_EVENTS
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", &k));
  return Ok();
}

Result<hv::MpState> KvmVcpu::GetMpState() {
  kvm_mp_state k{};
  // api.rst KVM_GET_MP_STATE
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_GET_MP_STATE, "KVM_GET_MP_STATE", &k));
  return MpStateFromKvm(k);
}

Result<void> KvmVcpu::SetMpState(hv::MpState state) {
  kvm_mp_state k = MpStateToKvm(state);
  // api.rst KVM_SET_MP_STATE
  PETREL_TRY(IoctlPtr(fd_.get(), KVM_SET_MP_STATE, "KVM_SET_MP_STATE", &k));
  return Ok();
}

Result<size_t> KvmVcpu::MsrIo(bool get, std::span<hv::MsrEntry> msrs) {
  if (msrs.size() > kMsrsPerIoctl) return Error(ErrorCode::kInternal, "MSR chunk too large");
  MsrBuffer buf = MakeMsrBuffer(msrs);
  // api.rst KVM_GET_MSRS / KVM_SET_MSRS: the number of MSRs processed, up
  // to the first KVM refuses.
  PETREL_ASSIGN_OR_RETURN(int n,
                          get ? IoctlPtr(fd_.get(), kKvmGetMsrs, "KVM_GET_MSRS", buf.header())
                              : IoctlPtr(fd_.get(), kKvmSetMsrs, "KVM_SET_MSRS", buf.header()));
  const size_t done = std::min(static_cast<size_t>(n), msrs.size());
  if (get) {
    for (size_t i = 0; i < done; ++i) msrs[i].value = buf.entries()[i].data;
  }
  return done;
}

Result<std::vector<hv::MsrEntry>> KvmVcpu::GetSavedMsrs() {
  if (!state_info_.msrs) return std::vector<hv::MsrEntry>{};
  PETREL_ASSIGN_OR_RETURN(
      std::vector<uint32_t> indices,
      state_info_.msrs->Get([this](std::span<const uint32_t> chunk) -> Result<size_t> {
        std::vector<hv::MsrEntry> probe(chunk.size());
        for (size_t i = 0; i < chunk.size(); ++i) probe[i].index = chunk[i];
        return MsrIo(/*get=*/true, probe);
      }));
  std::vector<hv::MsrEntry> msrs(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) msrs[i].index = indices[i];
  for (size_t i = 0; i < msrs.size(); i += kMsrsPerIoctl) {
    std::span<hv::MsrEntry> chunk(msrs.data() + i, std::min(kMsrsPerIoctl, msrs.size() - i));
    PETREL_ASSIGN_OR_RETURN(size_t n, MsrIo(/*get=*/true, chunk));
    PETREL_TRY(CheckMsrCount("KVM_GET_MSRS", static_cast<int>(n), chunk));
  }
  return msrs;
}

Result<void> KvmVcpu::SetSavedMsrs(std::span<const hv::MsrEntry> msrs) {
  std::vector<hv::MsrEntry> copy(msrs.begin(), msrs.end());
  for (size_t i = 0; i < copy.size(); i += kMsrsPerIoctl) {
    std::span<hv::MsrEntry> chunk(copy.data() + i, std::min(kMsrsPerIoctl, copy.size() - i));
    PETREL_ASSIGN_OR_RETURN(size_t n, MsrIo(/*get=*/false, chunk));
    PETREL_TRY(CheckMsrCount("KVM_SET_MSRS (restore)", static_cast<int>(n), chunk));
  }
  return Ok();
}

Result<hv::VcpuState> KvmVcpu::SaveState() {
  hv::VcpuState s;
  PETREL_ASSIGN_OR_RETURN(s.regs, GetRegs());
  PETREL_ASSIGN_OR_RETURN(s.sregs, GetSregs());
  PETREL_ASSIGN_OR_RETURN(s.debug, GetDebugRegs());
  PETREL_ASSIGN_OR_RETURN(s.msrs, GetSavedMsrs());
  PETREL_ASSIGN_OR_RETURN(s.xsave, GetXsave());
  PETREL_ASSIGN_OR_RETURN(s.xcrs, GetXcrs());
  PETREL_ASSIGN_OR_RETURN(s.lapic, GetLapic());
  PETREL_ASSIGN_OR_RETURN(s.events, GetEvents());
  PETREL_ASSIGN_OR_RETURN(s.mp_state, GetMpState());
  return s;
}

// The order follows QEMU's kvm_arch_put_registers (target/i386/kvm/kvm.c,
// with the LAPIC put before it by the APIC device) and Cloud Hypervisor's
// KvmVcpu::set_state (hypervisor/src/kvm/mod.rs), for these KVM reasons:
// 1. SREGS first: CR0/CR4/EFER decide what the later parts mean, and
//    apic_base (IA32_APIC_BASE) sets the xAPIC/x2APIC mode that
//    KVM_SET_LAPIC uses to read the ID register. KVM_SET_SREGS may also
//    make the BSP runnable (at the reset vector), so MP state comes later.
// 2. REGS: KVM_SET_REGS drops a pending exception, so events come later.
// 3. XSAVE, then XCRs (both checked against CPUID, not each other).
// 4. LAPIC, after apic_base and before the MSRs: a write to
//    IA32_TSC_DEADLINE only arms the timer when the LAPIC's LVT timer is
//    already in TSC-deadline mode.
// 5. MSRs, in index order (IA32_TSC with them, after the LAPIC as said;
//    Hyper-V's guest OS ID before its hypercall page by index too). Note
//    that Linux 6.1's kvm_synchronize_tsc takes a TSC written within a
//    second of the VM's last TSC write (a new VM: its vCPUs' creation, at 0)
//    for vCPUs being synchronised and keeps its own value: a state saved
//    less than a second of guest time after its VM started restores with
//    the new VM's TSC.
// 6. Debug registers (independent of the rest; before the events, which
//    describe what is in flight and may come with a #DB).
// 7. Events: the in-flight exception/interrupt/NMI, the interrupt shadow and
//    SMM, on top of the registers set above.
// 8. MP state last: KVM_SET_MP_STATE refuses INIT_RECEIVED/SIPI_RECEIVED
//    while an INIT is latched or an SMI pending, which the events set, and
//    KVM_SET_SREGS could have changed it.
Result<void> KvmVcpu::RestoreState(const hv::VcpuState& state) {
  PETREL_TRY(SetSregs(state.sregs));
  PETREL_TRY(SetRegs(state.regs));
  PETREL_TRY(SetXsave(state.xsave));
  PETREL_TRY(SetXcrs(state.xcrs));
  PETREL_TRY(SetLapic(state.lapic));
  PETREL_TRY(SetSavedMsrs(state.msrs));
  PETREL_TRY(SetDebugRegs(state.debug));
  PETREL_TRY(SetEvents(state.events));
  PETREL_TRY(SetMpState(state.mp_state));
  return Ok();
}

}  // namespace petrel::kvm
