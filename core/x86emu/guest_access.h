// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestAccess: the emulator's path from an operand to guest memory and
// registers, for one instruction:
//   effective address (base + index*scale + disp, RIP-relative) at the
//   address size -> segmentation (SDM 3A 3.4, 5.3 limit and 5.4 type checks;
//   in 64-bit mode only FS/GS have a base, and addresses must be canonical,
//   SDM 3A 3.4.4 / 3.3.7.1) -> paging (Platform::Translate when CR0.PG)
//   -> Platform::Read/WriteMemory, split where an access crosses a 4 KiB
//   page (both pieces are translated before either is accessed).
// A guest fault is recorded (fault()) and the call returns false; a host
// failure is an Error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/base/result.h"
#include "core/x86emu/cpu_mode.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/decoder.h"
#include "core/x86emu/platform.h"

namespace petrel::x86emu {

class GuestAccess {
 public:
  GuestAccess(CpuState& cpu, Platform& platform, CpuMode mode)
      : cpu_(cpu), platform_(platform), mode_(mode) {}

  CpuMode mode() const { return mode_; }
  Platform& platform() { return platform_; }
  const std::optional<Fault>& fault() const { return fault_; }
  void RaiseFault(Fault fault) { fault_ = fault; }

  // GPRs by GprRef (SDM 1 3.4.1.1: a 32-bit write zero-extends to 64 bits,
  // 8- and 16-bit writes keep the rest).
  Result<uint64_t> ReadGpr(const GprRef& reg);
  Result<void> WriteGpr(const GprRef& reg, uint64_t value);

  // The effective address of `mem` (next_rip for RIP-relative), truncated
  // to `address_size` bytes.
  Result<uint64_t> EffectiveAddress(const MemRef& mem, unsigned address_size, uint64_t next_rip);

  // Segment `seg` + `offset` to a linear address for an access of `size`
  // bytes, with the segmentation checks; false on a fault.
  Result<bool> Linear(SegReg seg, uint64_t offset, unsigned size, Access access, uint64_t* linear);

  // A near branch target (a new RIP) for code segment `cs`: #GP(0) unless
  // it is canonical (64-bit mode) or within CS's limit (other modes), as
  // SDM 2A JMP/CALL/RET/IRET and 3A 6.12.1 check it; false on the fault.
  Result<bool> CheckCodeTarget(const hv::Segment& cs, uint64_t target, bool long64);

  // Linear-address memory access, page-split and translated; false on a fault.
  Result<bool> Read(uint64_t linear, std::span<uint8_t> data, Access access = Access::kRead);
  Result<bool> Write(uint64_t linear, std::span<const uint8_t> data);
  // A write in two halves, for INS: translate the destination (false on a
  // fault) before the port is read, then write what it gave.
  struct Piece {
    uint64_t gpa;
    size_t offset;
    size_t size;
  };
  struct WriteTarget {
    Piece pieces[2];
    int count = 0;
  };
  Result<bool> TranslateWrite(uint64_t linear, size_t size, WriteTarget* target);
  Result<void> WriteTranslated(const WriteTarget& target, std::span<const uint8_t> data);

  // Port I/O, passed to the platform.
  Result<void> PortIn(uint16_t port, std::span<uint8_t> data) { return platform_.PortIn(port, data); }
  Result<void> PortOut(uint16_t port, std::span<const uint8_t> data) {
    return platform_.PortOut(port, data);
  }

  // As Read, but a fault on a page after the first only shortens the
  // result (`*got`); for instruction fetch, whose length is not yet known.
  Result<void> FetchUpTo(uint64_t linear, std::span<uint8_t> data, size_t* got,
                         std::optional<Fault>* later_fault);

 private:
  Result<bool> TranslatePieces(uint64_t linear, size_t size, Access access, Piece pieces[2],
                               int* count);
  Result<bool> TranslateOne(uint64_t linear, Access access, uint64_t* gpa);
  Result<PagingContext> Paging();
  uint64_t LinearMask() const { return mode_ == CpuMode::kLong64 ? ~0ull : 0xffffffffull; }

  CpuState& cpu_;
  Platform& platform_;
  CpuMode mode_;
  std::optional<Fault> fault_;
};

}  // namespace petrel::x86emu
