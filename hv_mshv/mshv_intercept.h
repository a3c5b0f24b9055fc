// Decoding of the hv_message MSHV_RUN_VP returns, and what the VMM does for
// each (the VMM, not the kernel, completes the access and moves RIP on MSHV):
//
//   X64_IO_PORT_INTERCEPT, IN/OUT (not string, not REP): OUT hands the low
//     `size` bytes of RAX to GuestIo::PioWrite; IN asks GuestIo::PioRead and
//     merges the bytes into RAX (8- and 16-bit keep RAX's upper bits, 32-bit
//     zero-extends into RAX as the CPU does). Then RIP += instruction_length
//     and RAX/RIP are written back (HVCALL_SET_VP_REGISTERS). String and REP
//     forms need the instruction emulator: InternalError for now.
//   UNMAPPED_GPA / GPA_INTERCEPT (MMIO): handed to the MmioEmulator; without
//     one, InternalError naming the GPA. The x86 instruction emulator
//     (core/x86emu, another branch) plugs in here.
//   X64_APIC_EOI: GuestIo::EndOfInterrupt(vcpu, vector), keep running.
//   X64_HALT: exit::Halted. UNRECOVERABLE_EXCEPTION (a triple fault):
//     exit::Shutdown{kTripleFault}. INVALID_VP_REGISTER_VALUE,
//     UNSUPPORTED_FEATURE and every other type: InternalError (type in hex).
//
// Every field the guest or hypervisor controls is checked first (payload
// size, VP index, access size, access type, instruction length, EOI vector);
// a bad message is an InternalError exit, never a crash. Failing to read or
// write the VP's registers is an Error (the host failed, not the guest).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

// A VP's registers, as an intercept handler reads and writes them.
class VpRegisterAccess {
 public:
  virtual ~VpRegisterAccess() = default;
  virtual Result<std::vector<HvRegisterValue>> GetRegisters(std::span<const uint32_t> names) = 0;
  virtual Result<void> SetRegisters(std::span<const HvRegisterAssoc> regs) = 0;
};

// One memory intercept (hv_x64_memory_intercept_message), decoded.
struct MmioIntercept {
  uint32_t vcpu = 0;
  uint64_t gpa = 0;
  uint64_t gva = 0;
  bool gva_valid = false;
  bool gva_gpa_valid = false;  // gpa is the translation of gva
  uint8_t access_type = 0;     // kHvInterceptAccessRead/Write/Execute
  uint64_t rip = 0;
  uint64_t rflags = 0;
  uint8_t instruction_length = 0;  // 0 if the hypervisor did not decode it
  uint16_t execution_state = 0;    // union hv_x64_vp_execution_state
  HvX64SegmentRegister cs{};
  std::span<const uint8_t> instruction_bytes;  // at most 16
};

// The seam for the x86 instruction emulator: decodes the faulting
// instruction, performs its accesses through GuestIo, and writes back the
// registers (RIP included) through VpRegisterAccess. An error is the guest's
// (an instruction it cannot emulate) and becomes an InternalError exit.
class MmioEmulator {
 public:
  virtual ~MmioEmulator() = default;
  virtual Result<void> Emulate(const MmioIntercept& mmio, VpRegisterAccess& regs,
                               hv::GuestIo& io) = 0;
};

// Handles one message (the 256 bytes MSHV_RUN_VP filled in) of vCPU
// `vcpu_id`. nullopt: handled, run again; otherwise the exit to return.
Result<std::optional<hv::VcpuExit>> HandleMessage(std::span<const uint8_t> message,
                                                  uint32_t vcpu_id, VpRegisterAccess& regs,
                                                  hv::GuestIo& io, MmioEmulator* mmio);

// The name of a message type ("X64_IO_PORT_INTERCEPT"), or null.
const char* MessageTypeName(uint32_t type);

}  // namespace petrel::mshv
