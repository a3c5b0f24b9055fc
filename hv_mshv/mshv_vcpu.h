// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvVcpu: one MSHV virtual processor (MSHV_CREATE_VP) and its run loop.
//
// Run() loops on MSHV_RUN_VP; each returned hv_message is handled by
// HandleMessage (mshv_intercept.h), which completes port I/O and APIC EOIs
// inside Run() and turns the rest into control exits. Kicks: mshv_kicker.h.
// The first Run() of any vCPU unfreezes the partition's time
// (MshvPartition::ThawOnce).
//
// Registers go through HVCALL_GET/SET_VP_REGISTERS (mshv_hvcall.h) on the VP
// fd. Implemented: Get/SetRegs, Get/SetSregs, SetFpu (FCW and MXCSR through
// the FP/XMM control-status registers), Set/GetMsrs for the MSRs the
// hypervisor names as registers (mshv_regs.h). SetCpuid: one
// HVCALL_REGISTER_INTERCEPT_RESULT (CPUID) per entry, as Cloud Hypervisor
// through rust-vmm's register_intercept_result_cpuid: the entry's leaf, its
// subleaf only when the entry's index is significant, always_override, and
// each register's mask equal to its value, so the table ADDS its set bits
// to the hypervisor's own CPUID and cannot clear any; the table is kept for
// X64_CPUID_INTERCEPT messages.
//
// Save/RestoreState (partial, docs/mshv.md): GPRs, RIP, RFLAGS, sregs,
// DR0-3/6/7, XCR0, the MSRs of MsrRegisterName, the interrupt shadow and
// NMI mask (HV_REGISTER_INTERRUPT_STATE), FCW and MXCSR in a minimal XSAVE
// area, and the LAPIC page through MSHV_GET/SET_VP_STATE(LAPIC). NOT saved:
// the x87/SSE/AVX register contents (MSHV_VP_STATE_XSAVE is not used), a
// pending or injected exception/interrupt/NMI, SMM, the MP state (always
// runnable), the hypervisor's synthetic (Hyper-V) MSRs.
//
// Thread rules: only the owning thread calls Run() and the register
// accessors; kicker() may be used from any thread and may outlive the vCPU.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/hv/hypervisor.h"
#include "hv_mshv/mshv_intercept.h"
#include "hv_mshv/mshv_kicker.h"
#include "hv_mshv/mshv_partition.h"

namespace petrel::mshv {

class MshvVcpu final : public hv::Vcpu, public VpRegisterAccess {
 public:
  static Result<std::unique_ptr<MshvVcpu>> Create(std::shared_ptr<MshvPartition> partition,
                                                  uint32_t id);

  uint32_t id() const override { return id_; }
  Result<hv::VcpuExit> Run(hv::GuestIo& io) override;
  std::shared_ptr<hv::VcpuKicker> kicker() override { return kicker_; }

  Result<hv::Regs> GetRegs() override;
  Result<void> SetRegs(const hv::Regs& regs) override;
  Result<hv::Sregs> GetSregs() override;
  Result<void> SetSregs(const hv::Sregs& sregs) override;
  Result<void> SetFpu(const hv::Fpu& fpu) override;
  Result<void> SetCpuid(std::span<const hv::CpuidEntry> entries) override;
  // kUnsupported naming the first MSR MSHV has no register name for (and
  // nothing set).
  Result<void> SetMsrs(std::span<const hv::MsrEntry> msrs) override;
  Result<void> GetMsrs(std::span<hv::MsrEntry> msrs) override;
  Result<hv::VcpuState> SaveState() override;
  Result<void> RestoreState(const hv::VcpuState& state) override;

  // VpRegisterAccess: HVCALL_GET/SET_VP_REGISTERS on this VP.
  Result<std::vector<HvRegisterValue>> GetRegisters(std::span<const uint32_t> names) override;
  Result<void> SetRegisters(std::span<const HvRegisterAssoc> regs) override;

 private:
  MshvVcpu(std::shared_ptr<MshvPartition> partition, UniqueFd fd, uint32_t id)
      : partition_(std::move(partition)),
        fd_(std::move(fd)),
        id_(id),
        kick_(std::make_shared<MshvKickState>()),
        kicker_(std::make_shared<MshvKicker>(kick_)) {}
  Result<hv::VcpuExit> RunLoop(hv::GuestIo& io);
  // MSHV_GET_VP_STATE / MSHV_SET_VP_STATE of `type` through a 4 KiB page;
  // `bytes` are its first bytes.
  Result<void> VpState(uint8_t type, bool set, std::span<uint8_t> bytes);

  std::shared_ptr<MshvPartition> partition_;  // outlives fd_
  UniqueFd fd_;
  uint32_t id_;
  std::shared_ptr<MshvKickState> kick_;
  std::shared_ptr<MshvKicker> kicker_;
  std::vector<hv::CpuidEntry> cpuid_;  // the last SetCpuid table
};

}  // namespace petrel::mshv
