// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Intercept message handling (see mshv_intercept.h).
#include "hv_mshv/mshv_intercept.h"

#include <cstring>
#include <sstream>

#include "core/base/hex.h"
#include "core/x86emu/emulator.h"
#include "core/x86emu/zydis_decoder.h"
#include "hv_mshv/mshv_emulate.h"
#include "hv_mshv/mshv_hvcall.h"

// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant exit is
// moved into an optional inside Result<> (as hv_kvm/kvm_vcpu.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace petrel::mshv {
namespace {

using Outcome = Result<std::optional<hv::VcpuExit>>;

Outcome Continue() { return std::optional<hv::VcpuExit>(); }
Outcome Exit(hv::VcpuExit e) { return std::optional<hv::VcpuExit>(std::move(e)); }
Outcome Bad(const std::string& what) {
  return Exit(hv::exit::InternalError{"MSHV: " + what});
}

std::string TypeText(uint32_t type) {
  const char* name = MessageTypeName(type);
  return name ? std::string(name) + " (" + Hex(type) + ")" : Hex(type);
}

// The payload as T, if the message says it carries at least sizeof(T) bytes.
template <class T>
std::optional<T> Payload(const HvMessage& msg) {
  static_assert(sizeof(T) <= kHvMessagePayloadBytes);
  if (msg.header.payload_size < sizeof(T)) return std::nullopt;
  T t;
  std::memcpy(&t, msg.payload, sizeof t);
  return t;
}

std::string TooShort(uint32_t type, size_t need, uint8_t have) {
  return TypeText(type) + ": payload of " + std::to_string(have) + " bytes, need " +
         std::to_string(need);
}

std::string WrongVp(uint32_t type, uint32_t got, uint32_t vcpu) {
  return TypeText(type) + " for VP " + std::to_string(got) + " delivered to vCPU " +
         std::to_string(vcpu);
}

Outcome Emulate(const InterceptContext& ctx, MshvRegisterFile& file, std::span<const uint8_t> bytes,
                std::optional<TranslationHint> hint, const std::string& where);

Outcome HandleIoPort(const HvMessage& msg, const InterceptContext& ctx) {
  const uint32_t vcpu = ctx.vcpu;
  VpRegisterAccess& regs = *ctx.regs;
  hv::GuestIo& io = *ctx.io;
  const auto m = Payload<HvX64IoPortInterceptMessage>(msg);
  if (!m) return Bad(TooShort(msg.header.message_type, sizeof *m, msg.header.payload_size));
  if (m->header.vp_index != vcpu) return Bad(WrongVp(msg.header.message_type, m->header.vp_index, vcpu));
  const uint16_t port = m->port_number;
  const unsigned size = m->access_info & kIoAccessSizeMask;
  if (size != 1 && size != 2 && size != 4) {
    return Bad("port I/O of " + std::to_string(size) + " bytes at port " + Hex(port));
  }
  const unsigned len = m->header.instruction_length_cr8 & kInstructionLengthMask;
  if (len == 0) return Bad("port I/O at port " + Hex(port) + " without an instruction length");
  if (m->header.intercept_access_type != kHvInterceptAccessRead &&
      m->header.intercept_access_type != kHvInterceptAccessWrite) {
    return Bad("port I/O at port " + Hex(port) + " with access type " +
               std::to_string(m->header.intercept_access_type));
  }
  if (m->access_info & kIoAccessStringOp) {
    // INS/OUTS, with or without REP: the emulator, from the message's
    // bytes and registers (the rest are loaded once if needed).
    if (m->instruction_byte_count > sizeof m->instruction_bytes) {
      return Bad("string port I/O with " + std::to_string(m->instruction_byte_count) +
                 " instruction bytes");
    }
    MshvRegisterFile file(*ctx.regs);
    file.Prefill(x86emu::Reg::kRip, m->header.rip);
    file.Prefill(x86emu::Reg::kRflags, m->header.rflags);
    file.Prefill(x86emu::GprReg(hv::kRax), m->rax);
    file.Prefill(x86emu::GprReg(hv::kRcx), m->rcx);
    file.Prefill(x86emu::GprReg(hv::kRsi), m->rsi);
    file.Prefill(x86emu::GprReg(hv::kRdi), m->rdi);
    file.PrefillSegment(x86emu::SegReg::kCs, m->header.cs_segment);
    file.PrefillSegment(x86emu::SegReg::kDs, m->ds_segment);
    file.PrefillSegment(x86emu::SegReg::kEs, m->es_segment);
    const auto bytes = std::span<const uint8_t>(m->instruction_bytes, m->instruction_byte_count);
    return Emulate(ctx, file, bytes, std::nullopt,
                   "string port I/O at port " + Hex(port) + " (RIP " + Hex(m->header.rip) + ")");
  }
  if (m->access_info & kIoAccessRepPrefix) {
    // IN/OUT ignore REP (SDM 2B REP): the hypervisor should not set it
    // without string_op; refuse rather than guess.
    return Bad("REP without a string operation at port " + Hex(port));
  }
  uint64_t rax = m->rax;
  uint8_t data[4] = {};
  switch (m->header.intercept_access_type) {
    case kHvInterceptAccessWrite:  // OUT: the low `size` bytes of RAX (little-endian)
      std::memcpy(data, &rax, size);
      io.PioWrite(vcpu, port, std::span<const uint8_t>(data, size));
      break;
    case kHvInterceptAccessRead: {  // IN
      io.PioRead(vcpu, port, std::span<uint8_t>(data, size));
      uint32_t value = 0;
      std::memcpy(&value, data, size);
      if (size == 4) {
        rax = value;  // a 32-bit destination zero-extends into RAX (SDM 1 3.4.1.1)
      } else {
        const uint64_t mask = size == 1 ? 0xffu : 0xffffu;
        rax = (rax & ~mask) | value;
      }
      break;
    }
    default:
      return Bad("port I/O at port " + Hex(port) + " with access type " +
                 std::to_string(m->header.intercept_access_type));
  }
  const HvRegisterAssoc out[2] = {Reg64(kHvX64RegRip, m->header.rip + len),
                                  Reg64(kHvX64RegRax, rax)};
  // OUT leaves RAX as it was; writing it back anyway keeps one path.
  PETREL_TRY(regs.SetRegisters(out).Wrap("completing port I/O"));
  return Continue();
}

const x86emu::InstructionDecoder& Decoder() {
  static const x86emu::ZydisInstructionDecoder decoder;
  return decoder;
}

std::string BytesText(std::span<const uint8_t> bytes) {
  std::ostringstream s;
  s << std::hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    s << (i ? " " : "") << (bytes[i] < 0x10 ? "0" : "") << unsigned{bytes[i]};
  }
  return s.str();
}

// Carries out the intercepted instruction with the emulator's mmio profile
// (MMIO, and INS/OUTS for string port I/O), from the message's bytes. A REP
// runs in chunks of kMmioRepChunk, at most kMmioRepChunksPerExit per
// intercept; then RIP stays on it and the guest re-executes it. A guest
// fault is injected; an instruction outside the profile is an InternalError.
Outcome Emulate(const InterceptContext& ctx, MshvRegisterFile& file, std::span<const uint8_t> bytes,
                std::optional<TranslationHint> hint, const std::string& where) {
  x86emu::CpuState cpu(file);
  MshvPlatform platform(ctx.vcpu, *ctx.io, ctx.memory, hint);
  x86emu::Emulator emulator(Decoder(), {x86emu::Profile::kMmio, kMmioRepChunk});
  for (uint32_t chunk = 0; chunk < kMmioRepChunksPerExit; ++chunk) {
    // RIP stays on a REP instruction until it completes, so the message's
    // bytes stay the instruction's.
    auto step = emulator.Step(cpu, platform, bytes);
    if (!step.ok()) return Bad(where + ": " + step.error().message());
    if (const auto* done = std::get_if<x86emu::Completed>(&*step)) {
      if (!done->rep_pending) return Continue();
      continue;
    }
    if (const auto* fault = std::get_if<x86emu::Fault>(&*step)) {
      PETREL_TRY(InjectException(*ctx.regs, *fault).Wrap(where));
      return Continue();
    }
    const auto& u = std::get<x86emu::Unsupported>(*step);
    return Bad(where + ": cannot emulate " +
               (u.mnemonic.empty() ? std::string("the instruction") : u.mnemonic) + " (" +
               u.reason + "; bytes " + BytesText(bytes) + ")");
  }
  // A long REP: the guest re-executes the instruction for the rest.
  return Continue();
}

Outcome HandleMemory(const HvMessage& msg, const InterceptContext& ctx) {
  const uint32_t type = msg.header.message_type;
  // Copied out of the message so the instruction bytes stay valid.
  const auto m = Payload<HvX64MemoryInterceptMessage>(msg);
  if (!m) return Bad(TooShort(type, sizeof *m, msg.header.payload_size));
  if (m->header.vp_index != ctx.vcpu) return Bad(WrongVp(type, m->header.vp_index, ctx.vcpu));
  if (m->instruction_byte_count > sizeof m->instruction_bytes) {
    return Bad(TypeText(type) + ": " + std::to_string(m->instruction_byte_count) +
               " instruction bytes");
  }
  const std::string where = "MMIO at GPA " + Hex(m->guest_physical_address) + " (RIP " +
                            Hex(m->header.rip) + ")";
  const auto bytes = std::span<const uint8_t>(m->instruction_bytes, m->instruction_byte_count);

  MshvRegisterFile file(*ctx.regs);
  file.Prefill(x86emu::Reg::kRip, m->header.rip);
  file.Prefill(x86emu::Reg::kRflags, m->header.rflags);
  file.PrefillSegment(x86emu::SegReg::kCs, m->header.cs_segment);
  std::optional<TranslationHint> hint;
  const uint8_t access = m->header.intercept_access_type;
  if ((m->memory_access_info & kMemAccessGvaValid) &&
      (m->memory_access_info & kMemAccessGvaGpaValid) &&
      (access == kHvInterceptAccessRead || access == kHvInterceptAccessWrite)) {
    hint = TranslationHint{m->guest_virtual_address, m->guest_physical_address,
                           access == kHvInterceptAccessRead ? x86emu::Access::kRead
                                                            : x86emu::Access::kWrite};
  }
  return Emulate(ctx, file, bytes, hint, where);
}

// The CPUID entry of the vCPU's table for leaf/subleaf, if any.
const hv::CpuidEntry* FindCpuid(std::span<const hv::CpuidEntry> table, uint32_t leaf,
                                uint32_t subleaf) {
  for (const auto& e : table) {
    if (e.function != leaf) continue;
    if ((e.flags & hv::kCpuidFlagSignificantIndex) && e.index != subleaf) continue;
    return &e;
  }
  return nullptr;
}

Outcome HandleCpuid(const HvMessage& msg, const InterceptContext& ctx) {
  const uint32_t type = msg.header.message_type;
  const auto m = Payload<HvX64CpuidInterceptMessage>(msg);
  if (!m) return Bad(TooShort(type, sizeof *m, msg.header.payload_size));
  if (m->header.vp_index != ctx.vcpu) return Bad(WrongVp(type, m->header.vp_index, ctx.vcpu));
  const unsigned len = m->header.instruction_length_cr8 & kInstructionLengthMask;
  if (len == 0) return Bad("CPUID without an instruction length");
  uint32_t eax = static_cast<uint32_t>(m->default_result_rax);
  uint32_t ebx = static_cast<uint32_t>(m->default_result_rbx);
  uint32_t ecx = static_cast<uint32_t>(m->default_result_rcx);
  uint32_t edx = static_cast<uint32_t>(m->default_result_rdx);
  // As the registered results (mask = value): the table's set bits are added.
  if (const auto* e = FindCpuid(ctx.cpuid, static_cast<uint32_t>(m->rax),
                                static_cast<uint32_t>(m->rcx))) {
    eax |= e->eax;
    ebx |= e->ebx;
    ecx |= e->ecx;
    edx |= e->edx;
  }
  // CPUID writes EAX..EDX, zero-extended into the 64-bit registers.
  const HvRegisterAssoc out[5] = {Reg64(kHvX64RegRax, eax), Reg64(kHvX64RegRbx, ebx),
                                  Reg64(kHvX64RegRcx, ecx), Reg64(kHvX64RegRdx, edx),
                                  Reg64(kHvX64RegRip, m->header.rip + len)};
  PETREL_TRY(ctx.regs->SetRegisters(out).Wrap("completing CPUID"));
  return Continue();
}

Outcome HandleMsr(const HvMessage& msg, const InterceptContext& ctx) {
  const uint32_t type = msg.header.message_type;
  const auto m = Payload<HvX64MsrInterceptMessage>(msg);
  if (!m) return Bad(TooShort(type, sizeof *m, msg.header.payload_size));
  if (m->header.vp_index != ctx.vcpu) return Bad(WrongVp(type, m->header.vp_index, ctx.vcpu));
  const unsigned len = m->header.instruction_length_cr8 & kInstructionLengthMask;
  if (len == 0) return Bad("MSR " + Hex(m->msr_number) + " access without an instruction length");
  std::vector<HvRegisterAssoc> out;
  switch (m->header.intercept_access_type) {
    case kHvInterceptAccessRead:  // RDMSR of an MSR nobody implements: 0
      out.push_back(Reg64(kHvX64RegRax, 0));
      out.push_back(Reg64(kHvX64RegRdx, 0));
      break;
    case kHvInterceptAccessWrite:  // WRMSR: dropped
      break;
    default:
      return Bad("MSR " + Hex(m->msr_number) + " access type " +
                 std::to_string(m->header.intercept_access_type));
  }
  out.push_back(Reg64(kHvX64RegRip, m->header.rip + len));
  PETREL_TRY(ctx.regs->SetRegisters(out).Wrap("completing an MSR access"));
  return Continue();
}

}  // namespace

const char* MessageTypeName(uint32_t type) {
  switch (type) {
    case kHvMsgNone: return "NONE";
    case kHvMsgUnmappedGpa: return "UNMAPPED_GPA";
    case kHvMsgGpaIntercept: return "GPA_INTERCEPT";
    case kHvMsgUnacceptedGpa: return "UNACCEPTED_GPA";
    case kHvMsgGpaAttributeIntercept: return "GPA_ATTRIBUTE_INTERCEPT";
    case kHvMsgTimerExpired: return "TIMER_EXPIRED";
    case kHvMsgInvalidVpRegisterValue: return "INVALID_VP_REGISTER_VALUE";
    case kHvMsgUnrecoverableException: return "UNRECOVERABLE_EXCEPTION";
    case kHvMsgUnsupportedFeature: return "UNSUPPORTED_FEATURE";
    case kHvMsgOpaqueIntercept: return "OPAQUE_INTERCEPT";
    case kHvMsgHypercallIntercept: return "HYPERCALL_INTERCEPT";
    case kHvMsgSynicSintDeliverable: return "SYNIC_SINT_DELIVERABLE";
    case kHvMsgX64IoPortIntercept: return "X64_IO_PORT_INTERCEPT";
    case kHvMsgX64MsrIntercept: return "X64_MSR_INTERCEPT";
    case kHvMsgX64CpuidIntercept: return "X64_CPUID_INTERCEPT";
    case kHvMsgX64ExceptionIntercept: return "X64_EXCEPTION_INTERCEPT";
    case kHvMsgX64ApicEoi: return "X64_APIC_EOI";
    case kHvMsgX64LegacyFpError: return "X64_LEGACY_FP_ERROR";
    case kHvMsgX64Halt: return "X64_HALT";
    case kHvMsgX64InterruptionDeliverable: return "X64_INTERRUPTION_DELIVERABLE";
    case kHvMsgX64SipiIntercept: return "X64_SIPI_INTERCEPT";
    default: return nullptr;
  }
}

Result<std::optional<hv::VcpuExit>> HandleMessage(std::span<const uint8_t> message,
                                                  const InterceptContext& ctx) {
  const uint32_t vcpu_id = ctx.vcpu;
  hv::GuestIo& io = *ctx.io;
  if (message.size() != sizeof(HvMessage)) {
    return Bad("message of " + std::to_string(message.size()) + " bytes");
  }
  HvMessage msg;
  std::memcpy(&msg, message.data(), sizeof msg);
  const uint32_t type = msg.header.message_type;
  if (msg.header.payload_size > kHvMessagePayloadBytes) {
    return Bad(TypeText(type) + ": payload size " + std::to_string(msg.header.payload_size));
  }
  switch (type) {
    case kHvMsgX64IoPortIntercept:
      return HandleIoPort(msg, ctx);
    case kHvMsgUnmappedGpa:
    case kHvMsgGpaIntercept:
      return HandleMemory(msg, ctx);
    case kHvMsgX64CpuidIntercept:
      return HandleCpuid(msg, ctx);
    case kHvMsgX64MsrIntercept:
      return HandleMsr(msg, ctx);
    case kHvMsgX64ApicEoi: {
      const auto m = Payload<HvX64ApicEoiMessage>(msg);
      if (!m) return Bad(TooShort(type, sizeof *m, msg.header.payload_size));
      if (m->vp_index != vcpu_id) return Bad(WrongVp(type, m->vp_index, vcpu_id));
      if (m->interrupt_vector > 0xff) {
        return Bad("APIC EOI for vector " + Hex(m->interrupt_vector));
      }
      io.EndOfInterrupt(vcpu_id, static_cast<uint8_t>(m->interrupt_vector));
      return Continue();
    }
    case kHvMsgX64Halt:
      return Exit(hv::exit::Halted{});
    case kHvMsgUnrecoverableException:
      // A triple fault; Cloud Hypervisor resets the VM on it.
      return Exit(hv::exit::Shutdown{hv::exit::Shutdown::Why::kTripleFault});
    case kHvMsgInvalidVpRegisterValue:
      return Bad("the hypervisor refused a VP register value (INVALID_VP_REGISTER_VALUE)");
    case kHvMsgUnsupportedFeature: {
      const auto m = Payload<HvX64UnsupportedFeatureMessage>(msg);
      if (!m) return Bad(TooShort(type, sizeof *m, msg.header.payload_size));
      return Bad("UNSUPPORTED_FEATURE code " + Hex(m->feature_code) + " parameter " +
                 Hex(m->feature_parameter));
    }
    default:
      return Bad("unhandled message type " + TypeText(type));
  }
}

}  // namespace petrel::mshv
