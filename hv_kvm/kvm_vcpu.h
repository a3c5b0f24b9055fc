// KvmVcpu: one KVM vCPU (KVM_CREATE_VCPU) and its run loop.
//
// Run() loops on KVM_RUN. IO and MMIO exits are handed to GuestIo and the
// loop re-enters KVM_RUN, which completes the access (see kvm_exit.h for the
// completion rule); every other exit is returned. A kick (kvm_kicker.h) makes
// Run() return Interrupted promptly; if it lands right after an IO/MMIO exit,
// the next KVM_RUN (with immediate_exit set) completes that access first, so
// when Run() returns, no access is half done.
//
// Thread rules: only the owning thread calls Run() and the state accessors;
// kicker() may be used from any thread and may outlive the vCPU.
#pragma once

#include <cstdint>
#include <memory>

#include "core/hv/hypervisor.h"
#include "hv_kvm/kvm_kicker.h"
#include "hv_kvm/kvm_sys.h"

namespace petrel::kvm {

// Guest-visible caps on table sizes we pass to KVM.
inline constexpr size_t kMaxCpuidEntries = 4096;  // KVM's own limit is 256
inline constexpr size_t kMaxMsrsPerCall = 4096;

class KvmVcpu final : public hv::Vcpu {
 public:
  // `vm_fd` keeps the VM alive as long as the vCPU.
  static Result<std::unique_ptr<KvmVcpu>> Create(std::shared_ptr<const UniqueFd> vm_fd, uint32_t id,
                                                 size_t run_mmap_size);

  uint32_t id() const override { return id_; }
  Result<hv::VcpuExit> Run(hv::GuestIo& io) override;
  std::shared_ptr<hv::VcpuKicker> kicker() override { return kicker_; }

  Result<hv::Regs> GetRegs() override;
  Result<void> SetRegs(const hv::Regs& regs) override;
  Result<hv::Sregs> GetSregs() override;
  Result<void> SetSregs(const hv::Sregs& sregs) override;
  Result<void> SetFpu(const hv::Fpu& fpu) override;
  // KVM_SET_CPUID2. Since Linux 5.16 KVM refuses to change CPUID after the
  // first KVM_RUN (EINVAL unless identical): call it before running.
  Result<void> SetCpuid(std::span<const hv::CpuidEntry> entries) override;
  Result<void> SetMsrs(std::span<const hv::MsrEntry> msrs) override;
  Result<void> GetMsrs(std::span<hv::MsrEntry> msrs) override;
  Result<void> NotifyGuestPaused() override;
  // Not yet: the KVM state ioctls come in the next step.
  Result<hv::VcpuState> SaveState() override {
    return Error(ErrorCode::kUnsupported, "KVM vCPU state save is not implemented yet");
  }
  Result<void> RestoreState(const hv::VcpuState&) override {
    return Error(ErrorCode::kUnsupported, "KVM vCPU state restore is not implemented yet");
  }

 private:
  KvmVcpu(std::shared_ptr<const UniqueFd> vm_fd, UniqueFd fd, uint32_t id,
          std::shared_ptr<KvmRunState> run)
      : vm_fd_(std::move(vm_fd)),
        fd_(std::move(fd)),
        id_(id),
        run_(std::move(run)),
        kicker_(std::make_shared<KvmKicker>(run_)) {}
  Result<hv::VcpuExit> RunLoop(hv::GuestIo& io);

  std::shared_ptr<const UniqueFd> vm_fd_;
  UniqueFd fd_;
  uint32_t id_;
  std::shared_ptr<KvmRunState> run_;
  std::shared_ptr<KvmKicker> kicker_;
};

}  // namespace petrel::kvm
