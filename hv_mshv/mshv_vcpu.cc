// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvVcpu (see mshv_vcpu.h).
#include "hv_mshv/mshv_vcpu.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/hv/kick_signal.h"
#include "hv_mshv/mshv_hvcall.h"
#include "hv_mshv/mshv_regs.h"

namespace petrel::mshv {
namespace {

std::string MsrText(uint32_t index) {
  std::ostringstream s;
  s << "MSR 0x" << std::hex << index;
  return s.str();
}

Result<std::vector<uint32_t>> MsrNames(std::span<const uint32_t> indices) {
  std::vector<uint32_t> names;
  names.reserve(indices.size());
  for (uint32_t index : indices) {
    auto name = MsrRegisterName(index);
    if (!name) {
      return Error(ErrorCode::kUnsupported,
                   MsrText(index) + " has no MSHV register name (mshv_regs.h)");
    }
    names.push_back(*name);
  }
  return names;
}

}  // namespace

Result<std::unique_ptr<MshvVcpu>> MshvVcpu::Create(std::shared_ptr<MshvPartition> partition,
                                                   uint32_t id) {
  PETREL_TRY(hv::VcpuKickSignal());  // the handler exists before any kick
  MshvCreateVp args{id};
  PETREL_ASSIGN_OR_RETURN(int fd, MshvIoctl(partition->driver(), partition->fd(), kMshvCreateVp,
                                            "MSHV_CREATE_VP", &args));
  return std::unique_ptr<MshvVcpu>(new MshvVcpu(std::move(partition), UniqueFd(fd), id));
}

Result<hv::VcpuExit> MshvVcpu::Run(hv::GuestIo& io) {
  kick_->EnterRun();
  auto result = RunLoop(io);
  kick_->LeaveRun();
  return result;
}

// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant is moved
// out of an optional into Result<> (as hv_kvm/kvm_vcpu.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Result<hv::VcpuExit> MshvVcpu::RunLoop(hv::GuestIo& io) {
  PETREL_TRY(partition_->ThawOnce());
  const std::shared_ptr<GuestMemory> memory = partition_->memory();
  for (;;) {
    if (kick_->TakeKick()) return hv::VcpuExit(hv::exit::Interrupted{});
    MshvRunVp run;
    std::memset(&run, 0, sizeof run);
    auto r = MshvIoctl(partition_->driver(), fd_.get(), kMshvRunVp, "MSHV_RUN_VP", &run,
                       /*retry_eintr=*/false);
    if (!r.ok()) {
      // EINTR: a signal (a kick) made the kernel leave the guest.
      if (r.error().errnum() == EINTR || r.error().errnum() == EAGAIN) {
        kick_->TakeKick();
        return hv::VcpuExit(hv::exit::Interrupted{});
      }
      return std::move(r).error();
    }
    InterceptContext ctx;
    ctx.vcpu = id_;
    ctx.regs = this;
    ctx.io = &io;
    ctx.memory = memory.get();
    ctx.cpuid = cpuid_;
    PETREL_ASSIGN_OR_RETURN(std::optional<hv::VcpuExit> exit, HandleMessage(run.msg_buf, ctx));
    if (exit) return std::move(*exit);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Result<std::vector<HvRegisterValue>> MshvVcpu::GetRegisters(std::span<const uint32_t> names) {
  return GetVpRegisters(partition_->driver(), fd_.get(), id_, names);
}

Result<void> MshvVcpu::SetRegisters(std::span<const HvRegisterAssoc> regs) {
  return SetVpRegisters(partition_->driver(), fd_.get(), id_, regs);
}

Result<hv::Regs> MshvVcpu::GetRegs() {
  const auto names = RegsNames();
  PETREL_ASSIGN_OR_RETURN(auto values, GetRegisters(names));
  return RegsFromValues(std::span<const HvRegisterValue, kRegsCount>(values.data(), kRegsCount));
}

Result<void> MshvVcpu::SetRegs(const hv::Regs& regs) {
  return SetRegisters(RegsToAssocs(regs));
}

Result<hv::Sregs> MshvVcpu::GetSregs() {
  const auto names = SregsNames();
  PETREL_ASSIGN_OR_RETURN(auto values, GetRegisters(names));
  return SregsFromValues(std::span<const HvRegisterValue, kSregsCount>(values.data(), kSregsCount));
}

Result<void> MshvVcpu::SetSregs(const hv::Sregs& sregs) {
  return SetRegisters(SregsToAssocs(sregs));
}

Result<void> MshvVcpu::SetFpu(const hv::Fpu& fpu) {
  const uint32_t names[2] = {kHvX64RegFpControlStatus, kHvX64RegXmmControlStatus};
  PETREL_ASSIGN_OR_RETURN(auto values, GetRegisters(names));
  HvRegisterAssoc regs[2] = {};
  regs[0].name = names[0];
  regs[0].value = values[0];
  std::memcpy(reinterpret_cast<uint8_t*>(&regs[0].value) + kFpControlOffset, &fpu.fcw,
              sizeof fpu.fcw);
  regs[1].name = names[1];
  regs[1].value = values[1];
  std::memcpy(reinterpret_cast<uint8_t*>(&regs[1].value) + kXmmStatusControlOffset, &fpu.mxcsr,
              sizeof fpu.mxcsr);
  return SetRegisters(regs);
}

Result<void> MshvVcpu::SetCpuid(std::span<const hv::CpuidEntry> entries) {
  for (const auto& e : entries) {
    HvCpuidResultParameters p{};
    p.input_eax = e.function;
    p.input_ecx = e.index;
    p.subleaf_specific = (e.flags & hv::kCpuidFlagSignificantIndex) ? 1 : 0;
    p.always_override = 1;
    p.eax = p.eax_mask = e.eax;
    p.ebx = p.ebx_mask = e.ebx;
    p.ecx = p.ecx_mask = e.ecx;
    p.edx = p.edx_mask = e.edx;
    std::ostringstream what;
    what << "registering CPUID leaf 0x" << std::hex << e.function << " subleaf 0x" << e.index;
    PETREL_TRY(RegisterCpuidResult(partition_->driver(), fd_.get(), id_, p).Wrap(what.str()));
  }
  cpuid_.assign(entries.begin(), entries.end());
  return Ok();
}

Result<void> MshvVcpu::SetMsrs(std::span<const hv::MsrEntry> msrs) {
  std::vector<uint32_t> indices;
  for (const auto& m : msrs) indices.push_back(m.index);
  PETREL_ASSIGN_OR_RETURN(auto names, MsrNames(indices));
  std::vector<HvRegisterAssoc> regs;
  for (size_t i = 0; i < msrs.size(); ++i) regs.push_back(Reg64(names[i], msrs[i].value));
  return SetRegisters(regs);
}

Result<void> MshvVcpu::GetMsrs(std::span<hv::MsrEntry> msrs) {
  std::vector<uint32_t> indices;
  for (const auto& m : msrs) indices.push_back(m.index);
  PETREL_ASSIGN_OR_RETURN(auto names, MsrNames(indices));
  PETREL_ASSIGN_OR_RETURN(auto values, GetRegisters(names));
  for (size_t i = 0; i < msrs.size(); ++i) msrs[i].value = values[i].low;
  return Ok();
}

namespace {

// The MSRs the hypervisor names as registers (mshv_regs.h), index order,
// less APIC_BASE (0x1b) and EFER (0xc0000080), which are saved in the sregs.
constexpr uint32_t kSavedMsrs[] = {0x10,       0x174,      0x175,      0x176,      0x1a0,
                                   0x277,      0x2ff,      0xc0000081, 0xc0000082, 0xc0000083,
                                   0xc0000084, 0xc0000102, 0xc0000103};

// A 4 KiB page-aligned buffer for MSHV_GET/SET_VP_STATE.
struct PageBuffer {
  PageBuffer() : data(static_cast<uint8_t*>(std::aligned_alloc(kHvPageSize, kHvPageSize))) {
    if (data) std::memset(data, 0, kHvPageSize);
  }
  ~PageBuffer() { std::free(data); }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  uint8_t* data;
};

}  // namespace

Result<void> MshvVcpu::VpState(uint8_t type, bool set, std::span<uint8_t> bytes) {
  PageBuffer buf;
  if (!buf.data) return Error(ErrorCode::kSystem, "MSHV: no memory for a VP state buffer");
  if (set && !bytes.empty()) std::memcpy(buf.data, bytes.data(), std::min<size_t>(bytes.size(), kHvPageSize));
  MshvGetSetVpState args{};
  args.type = type;
  args.buf_sz = kHvPageSize;
  args.buf_ptr = reinterpret_cast<uintptr_t>(buf.data);
  PETREL_TRY(MshvIoctl(partition_->driver(), fd_.get(), set ? kMshvSetVpState : kMshvGetVpState,
                       set ? "MSHV_SET_VP_STATE" : "MSHV_GET_VP_STATE", &args));
  if (!set && !bytes.empty()) std::memcpy(bytes.data(), buf.data, std::min<size_t>(bytes.size(), kHvPageSize));
  return Ok();
}

Result<hv::VcpuState> MshvVcpu::SaveState() {
  hv::VcpuState st;
  PETREL_ASSIGN_OR_RETURN(st.regs, GetRegs());
  PETREL_ASSIGN_OR_RETURN(st.sregs, GetSregs());
  const uint32_t names[9] = {kHvX64RegDr0,     kHvX64RegDr0 + 1,         kHvX64RegDr0 + 2,
                             kHvX64RegDr0 + 3, kHvX64RegDr6,             kHvX64RegDr7,
                             kHvX64RegXfem,    kHvX64RegFpControlStatus, kHvX64RegXmmControlStatus};
  const uint32_t more[1] = {kHvRegInterruptState};
  PETREL_ASSIGN_OR_RETURN(auto v, GetRegisters(names));
  PETREL_ASSIGN_OR_RETURN(auto interrupt_state, GetRegisters(more));
  for (int i = 0; i < 4; ++i) st.debug.db[i] = v[i].low;
  st.debug.dr6 = v[4].low;
  st.debug.dr7 = v[5].low;
  st.xcrs.push_back(hv::XcrEntry{0, v[6].low});
  // Only the x87/SSE control words: the XSAVE area's register contents are
  // not saved (docs/mshv.md).
  st.xsave.assign(hv::kXsaveMinSize, 0);
  std::memcpy(st.xsave.data() + hv::kXsaveFcwOffset,
              reinterpret_cast<const uint8_t*>(&v[7]) + kFpControlOffset, sizeof(uint16_t));
  std::memcpy(st.xsave.data() + hv::kXsaveMxcsrOffset,
              reinterpret_cast<const uint8_t*>(&v[8]) + kXmmStatusControlOffset, sizeof(uint32_t));
  st.events.interrupt.shadow = (interrupt_state[0].low & kInterruptStateShadow) ? 1 : 0;
  st.events.nmi.masked = (interrupt_state[0].low & kInterruptStateNmiMasked) != 0;
  for (uint32_t index : kSavedMsrs) st.msrs.push_back(hv::MsrEntry{index, 0});
  PETREL_TRY(GetMsrs(st.msrs));
  PETREL_TRY(VpState(kVpStateLapic, false, st.lapic).Wrap("saving the LAPIC"));
  return st;
}

Result<void> MshvVcpu::RestoreState(const hv::VcpuState& st) {
  if (!st.xsave.empty() && st.xsave.size() < hv::kXsaveMinSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "MSHV: an XSAVE area of " + std::to_string(st.xsave.size()) + " bytes");
  }
  PETREL_TRY(SetMsrs(st.msrs));
  PETREL_TRY(SetSregs(st.sregs));
  PETREL_TRY(SetRegs(st.regs));
  std::vector<HvRegisterAssoc> regs;
  for (int i = 0; i < 4; ++i) regs.push_back(Reg64(kHvX64RegDr0 + i, st.debug.db[i]));
  regs.push_back(Reg64(kHvX64RegDr6, st.debug.dr6));
  regs.push_back(Reg64(kHvX64RegDr7, st.debug.dr7));
  for (const auto& x : st.xcrs) {
    if (x.index != 0) {
      return Error(ErrorCode::kUnsupported, "MSHV: XCR" + std::to_string(x.index));
    }
    regs.push_back(Reg64(kHvX64RegXfem, x.value));
  }
  uint64_t interrupt_state = 0;
  if (st.events.interrupt.shadow) interrupt_state |= kInterruptStateShadow;
  if (st.events.nmi.masked) interrupt_state |= kInterruptStateNmiMasked;
  regs.push_back(Reg64(kHvRegInterruptState, interrupt_state));
  PETREL_TRY(SetRegisters(regs));
  if (!st.xsave.empty()) {
    hv::Fpu fpu;
    std::memcpy(&fpu.fcw, st.xsave.data() + hv::kXsaveFcwOffset, sizeof fpu.fcw);
    std::memcpy(&fpu.mxcsr, st.xsave.data() + hv::kXsaveMxcsrOffset, sizeof fpu.mxcsr);
    PETREL_TRY(SetFpu(fpu));
  }
  hv::LapicState lapic = st.lapic;
  PETREL_TRY(VpState(kVpStateLapic, true, lapic).Wrap("restoring the LAPIC"));
  return Ok();
}

}  // namespace petrel::mshv
