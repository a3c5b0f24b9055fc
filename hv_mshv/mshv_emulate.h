// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// What the MSHV backend needs to carry out an intercepted instruction with
// the x86 emulator (core/x86emu): the VP's registers as an
// x86emu::RegisterFile and the VM as an x86emu::Platform, plus injecting a
// guest exception.
//
// MshvRegisterFile: registers the intercept message carries (RIP, RFLAGS,
//   CS; for port I/O also RAX, RCX, RSI, RDI, DS, ES) are prefilled and cost
//   no hypercall. The first register the emulator wants beyond those loads
//   every register it can ask for (the 16 GPRs, RIP, RFLAGS, CR0, CR3, CR4,
//   EFER and the six segments, less the prefilled ones) in ONE
//   HVCALL_GET_VP_REGISTERS; Write is one HVCALL_SET_VP_REGISTERS of the
//   changed registers.
// MshvPlatform: translation by the hint the hypervisor gave (the message's
//   GVA page maps to its GPA page when gva_gpa_valid, for the message's
//   access type), otherwise the 4-level page walk (x86emu::WalkPageTables)
//   over guest RAM; memory by GPA: RAM when the GuestMemory holds the
//   range, otherwise MMIO through GuestIo; port I/O through GuestIo.
//   HVCALL_TRANSLATE_VIRTUAL_ADDRESS is not used (the walk is testable
//   without a host); page tables outside RAM are a host Error.
// InjectException: HV_REGISTER_PENDING_EVENT0 (union
//   hv_x64_pending_exception_event: pending, type exception, vector, error
//   code, a #PF's address as exception_parameter), as Linux's VSM code does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/hv/hypervisor.h"
#include "core/memory/guest_memory.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/platform.h"
#include "hv_mshv/mshv_intercept.h"

namespace petrel::mshv {

class MshvRegisterFile final : public x86emu::RegisterFile {
 public:
  explicit MshvRegisterFile(VpRegisterAccess& regs) : regs_(regs) {}

  // A value known without asking the hypervisor (from the message).
  void Prefill(x86emu::Reg reg, uint64_t value);
  void PrefillSegment(x86emu::SegReg seg, const HvX64SegmentRegister& value);

  Result<uint64_t> Read(x86emu::Reg reg) override;
  Result<hv::Segment> ReadSegment(x86emu::SegReg seg) override;
  Result<void> Write(std::span<const x86emu::RegisterWrite> writes) override;

  // HVCALL_GET_VP_REGISTERS calls made so far (0 or 1).
  int loads() const { return loads_; }

 private:
  static constexpr size_t kScalars = static_cast<size_t>(x86emu::Reg::kCount);
  Result<void> LoadRest();

  VpRegisterAccess& regs_;
  uint64_t values_[kScalars] = {};
  bool known_[kScalars] = {};
  hv::Segment segments_[6] = {};
  bool segment_known_[6] = {};
  int loads_ = 0;
};

// The hypervisor's translation of one page, from an intercept message.
struct TranslationHint {
  uint64_t gva = 0;
  uint64_t gpa = 0;
  x86emu::Access access = x86emu::Access::kRead;
};

class MshvPlatform final : public x86emu::Platform {
 public:
  // `memory` may be null (no RAM mapped yet: every GPA is MMIO and a page
  // walk fails).
  MshvPlatform(uint32_t vcpu, hv::GuestIo& io, GuestMemory* memory,
               std::optional<TranslationHint> hint = std::nullopt)
      : vcpu_(vcpu), io_(io), memory_(memory), hint_(hint) {}

  Result<x86emu::Translation> Translate(uint64_t gva, x86emu::Access access,
                                        const x86emu::PagingContext& paging) override;
  Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> data) override;
  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) override;
  Result<void> PortIn(uint16_t port, std::span<uint8_t> data) override;
  Result<void> PortOut(uint16_t port, std::span<const uint8_t> data) override;

 private:
  bool IsRam(uint64_t gpa, size_t size) const;
  uint32_t vcpu_;
  hv::GuestIo& io_;
  GuestMemory* memory_;
  std::optional<TranslationHint> hint_;
};

// Makes the exception pending for the VP's next entry
// (HV_REGISTER_PENDING_EVENT0).
Result<void> InjectException(VpRegisterAccess& regs, const x86emu::Fault& fault);

// The register name of an emulator register (GPRs, RIP, RFLAGS, CR0, CR3,
// CR4, EFER) and of a segment register.
uint32_t HvRegisterNameOf(x86emu::Reg reg);
uint32_t HvSegmentNameOf(x86emu::SegReg seg);

}  // namespace petrel::mshv
