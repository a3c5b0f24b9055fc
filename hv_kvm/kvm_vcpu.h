// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmVcpu: one KVM vCPU (KVM_CREATE_VCPU) and its run loop.
//
// Run() loops on KVM_RUN. IO and MMIO exits are handed to GuestIo and the
// loop re-enters KVM_RUN, which completes the access (see kvm_exit.h for the
// completion rule); every other exit is returned. A kick (kvm_kicker.h) makes
// Run() return Interrupted promptly; if it lands right after an IO/MMIO exit,
// the next KVM_RUN (with immediate_exit set) completes that access first, so
// when Run() returns, no access is half done.
//
// SaveState/RestoreState move the whole vCPU state (hv::VcpuState) with the
// KVM_GET/SET_* state ioctls; RestoreState's order is explained in
// kvm_vcpu.cc.
//
// Thread rules: only the owning thread calls Run() and the state accessors;
// kicker() may be used from any thread and may outlive the vCPU.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/hv/hypervisor.h"
#include "hv_kvm/kvm_kicker.h"
#include "hv_kvm/kvm_msr_list.h"
#include "hv_kvm/kvm_sys.h"

namespace petrel::kvm {

// Guest-visible caps on table sizes we pass to KVM.
inline constexpr size_t kMaxCpuidEntries = 4096;  // KVM's own limit is 256
inline constexpr size_t kMaxMsrsPerCall = 4096;

// What every vCPU of a VM shares for its state save/restore.
struct KvmVcpuStateInfo {
  // Bytes KVM_GET_XSAVE2/KVM_SET_XSAVE move: KVM_CHECK_EXTENSION(
  // KVM_CAP_XSAVE2) on the VM fd, or kKvmXsaveSize without that cap.
  size_t xsave_size = 4096;
  std::shared_ptr<SavedMsrList> msrs;  // the MSRs SaveState reads
};

class KvmVcpu final : public hv::Vcpu {
 public:
  // `vm_fd` keeps the VM alive as long as the vCPU.
  static Result<std::unique_ptr<KvmVcpu>> Create(std::shared_ptr<const UniqueFd> vm_fd, uint32_t id,
                                                 size_t run_mmap_size, KvmVcpuStateInfo state_info);

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
  // The MSRs are those of KvmVcpuStateInfo::msrs (probed on the first save
  // of the VM). XSAVE: KVM_GET_XSAVE2 when the VM's size is above 4096,
  // else KVM_GET_XSAVE. XCRs are empty on a host without XSAVE.
  Result<hv::VcpuState> SaveState() override;
  // Call SetCpuid first (CPUID is not part of the state, and KVM checks
  // XCR0, XSAVE components and some MSRs against it). An MSR KVM refuses is
  // a kUnsupported error naming it.
  Result<void> RestoreState(const hv::VcpuState& state) override;

 private:
  KvmVcpu(std::shared_ptr<const UniqueFd> vm_fd, UniqueFd fd, uint32_t id,
          std::shared_ptr<KvmRunState> run, KvmVcpuStateInfo state_info)
      : vm_fd_(std::move(vm_fd)),
        fd_(std::move(fd)),
        id_(id),
        run_(std::move(run)),
        kicker_(std::make_shared<KvmKicker>(run_)),
        state_info_(std::move(state_info)) {}
  Result<hv::VcpuExit> RunLoop(hv::GuestIo& io);

  // One state part each, KVM_GET_* / KVM_SET_*.
  Result<hv::DebugRegs> GetDebugRegs();
  Result<void> SetDebugRegs(const hv::DebugRegs& regs);
  Result<std::vector<uint8_t>> GetXsave();
  Result<void> SetXsave(std::span<const uint8_t> area);
  Result<std::vector<hv::XcrEntry>> GetXcrs();
  Result<void> SetXcrs(std::span<const hv::XcrEntry> xcrs);
  Result<hv::LapicState> GetLapic();
  Result<void> SetLapic(const hv::LapicState& lapic);
  Result<hv::VcpuEvents> GetEvents();
  Result<void> SetEvents(const hv::VcpuEvents& events);
  Result<hv::MpState> GetMpState();
  Result<void> SetMpState(hv::MpState state);
  Result<std::vector<hv::MsrEntry>> GetSavedMsrs();
  Result<void> SetSavedMsrs(std::span<const hv::MsrEntry> msrs);
  // One KVM_GET_MSRS (`get`) or KVM_SET_MSRS of at most kMsrsPerIoctl
  // entries; returns how many KVM processed.
  Result<size_t> MsrIo(bool get, std::span<hv::MsrEntry> msrs);

  std::shared_ptr<const UniqueFd> vm_fd_;
  UniqueFd fd_;
  uint32_t id_;
  std::shared_ptr<KvmRunState> run_;
  std::shared_ptr<KvmKicker> kicker_;
  KvmVcpuStateInfo state_info_;
};

}  // namespace petrel::kvm
