// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Decoding of the hv_message MSHV_RUN_VP returns, and what the VMM does for
// each (the VMM, not the kernel, completes the access and moves RIP on MSHV):
//
//   X64_IO_PORT_INTERCEPT, IN/OUT (not string, not REP): OUT hands the low
//     `size` bytes of RAX to GuestIo::PioWrite; IN asks GuestIo::PioRead and
//     merges the bytes into RAX (8- and 16-bit keep RAX's upper bits, 32-bit
//     zero-extends into RAX as the CPU does). Then RIP += instruction_length
//     and RAX/RIP are written back (HVCALL_SET_VP_REGISTERS).
//   X64_IO_PORT_INTERCEPT, INS/OUTS (string, with or without REP) and
//   UNMAPPED_GPA / GPA_INTERCEPT (MMIO): the instruction is carried out by
//     the x86 emulator (core/x86emu, mmio profile) over MshvRegisterFile and
//     MshvPlatform (mshv_emulate.h), starting from the message's instruction
//     bytes and registers (string I/O: RAX, RCX, RSI, RDI, DS, ES too). A REP string instruction runs in chunks of kMmioRepChunk
//     iterations, at most kMmioRepChunksPerExit chunks per intercept; what is
//     left runs when the guest re-executes the instruction and faults again.
//     A guest fault (#GP, #PF, ...) is injected (HV_REGISTER_PENDING_EVENT0);
//     an instruction outside the profile is an InternalError naming the
//     mnemonic, the GPA and RIP.
//   X64_CPUID_INTERCEPT: the hypervisor's default result with the bits of
//     the vCPU's SetCpuid table entry OR'ed in (as the registered intercept
//     results do), into RAX/RBX/RCX/RDX; RIP += instruction_length.
//   X64_MSR_INTERCEPT: RDMSR reads 0 (RAX = RDX = 0), WRMSR is dropped, as
//     the partition's UNIMPLEMENTED_MSR_ACTION; RIP += instruction_length.
//   X64_APIC_EOI: GuestIo::EndOfInterrupt(vcpu, vector), keep running.
//   X64_HALT: exit::Halted. UNRECOVERABLE_EXCEPTION (a triple fault):
//     exit::Shutdown{kTripleFault}. INVALID_VP_REGISTER_VALUE,
//     UNSUPPORTED_FEATURE and every other type: InternalError (type in hex).
//
// Every field the guest or hypervisor controls is checked first (payload
// size, VP index, access size, access type, instruction length, EOI vector);
// a bad message is an InternalError exit, never a crash. Failing to write
// the VP's registers back after port I/O, CPUID or an MSR is an Error (the
// host failed, not the guest); a failure inside emulation is an
// InternalError exit naming it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"
#include "core/memory/guest_memory.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

// A VP's registers, as an intercept handler reads and writes them.
class VpRegisterAccess {
 public:
  virtual ~VpRegisterAccess() = default;
  virtual Result<std::vector<HvRegisterValue>> GetRegisters(std::span<const uint32_t> names) = 0;
  virtual Result<void> SetRegisters(std::span<const HvRegisterAssoc> regs) = 0;
};

// A REP MOVS/STOS to MMIO: iterations per emulator step, steps per
// intercept.
inline constexpr uint32_t kMmioRepChunk = 256;
inline constexpr uint32_t kMmioRepChunksPerExit = 16;

// What a handler needs of the vCPU.
struct InterceptContext {
  uint32_t vcpu = 0;
  VpRegisterAccess* regs = nullptr;
  hv::GuestIo* io = nullptr;
  GuestMemory* memory = nullptr;          // guest RAM; null before MapMemory
  std::span<const hv::CpuidEntry> cpuid;  // the vCPU's SetCpuid table
};

// Handles one message (the 256 bytes MSHV_RUN_VP filled in).
// nullopt: handled, run again; otherwise the exit to return.
Result<std::optional<hv::VcpuExit>> HandleMessage(std::span<const uint8_t> message,
                                                  const InterceptContext& ctx);

// The name of a message type ("X64_IO_PORT_INTERCEPT"), or null.
const char* MessageTypeName(uint32_t type);

}  // namespace petrel::mshv
