// INS/OUTS (string port I/O, with or without REP) from an MSHV
// X64_IO_PORT_INTERCEPT message, carried out in hv_mshv itself: the x86
// emulator's mmio profile has no INS/OUTS.
//
// From the message: port, access size (1, 2, 4), direction, REP, RCX, RSI,
// RDI, RAX, RIP, RFLAGS (DF), CS, DS, ES, the CPL and CR0.PE/EFER.LMA
// (execution_state), the instruction length and bytes. The instruction
// bytes' legacy prefixes give a segment override for OUTS's source (default
// DS; INS always writes ES:rDI) and 0x67 (address size); without bytes
// (instruction_byte_count 0) there is no override and the mode's address
// size. The mode: real (CR0.PE = 0: 16-bit addresses), 64-bit (EFER.LMA
// and CS.L), otherwise CS.D.
//
// Per element (SDM 2A INS/OUTS, 1 3.4.1.1): the offset rSI/rDI at the
// address size; segmentation outside 64-bit mode (an unusable segment, a
// segment INS cannot write or OUTS cannot read, or an offset past an
// expand-up limit: #GP(0), #SS(0) for SS; expand-down segments are
// refused as unsupported); in 64-bit mode only FS/GS bases count and a
// non-canonical address is #GP(0)/#SS(0); paging (CR0.PG) by the page walk
// over guest RAM (MshvPlatform), an element crossing a page translated as
// two pieces, both before any access; the memory by GPA (RAM, or MMIO
// through GuestIo). INS translates its destination before it reads the
// port, so a fault does not lose the port's data. rSI/rDI move by the size,
// down when RFLAGS.DF; with REP rCX counts down (REP with rCX = 0 does
// nothing but move RIP). Register updates keep the bits above a 16-bit
// address size and zero-extend a 32-bit one.
//
// At most kMaxStringIoIterations elements per intercept: then rCX/rSI/rDI
// are written back with RIP left on the instruction, and the guest
// re-executes it (and exits again), so a long REP INS does not keep the
// vCPU from interrupts. On a guest fault the completed elements' registers
// are written back, RIP stays, and the fault is injected
// (HV_REGISTER_PENDING_EVENT0). The registers the message does not carry
// (CR0, CR3, CR4, EFER, a segment override's segment) cost one
// HVCALL_GET_VP_REGISTERS; the write-back is one HVCALL_SET_VP_REGISTERS.
#pragma once

#include <optional>
#include <string>

#include "core/base/result.h"
#include "hv_mshv/mshv_intercept.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

inline constexpr uint64_t kMaxStringIoIterations = 4096;

// nullopt: done (or a fault injected), run on; a string: why the guest
// cannot go on (the caller's InternalError). A host failure is an Error.
// The caller checked the VP index, access size, access type and
// instruction length.
Result<std::optional<std::string>> EmulateStringIo(const HvX64IoPortInterceptMessage& m,
                                                   const InterceptContext& ctx);

}  // namespace petrel::mshv
