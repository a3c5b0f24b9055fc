// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The emulator's view of a vCPU's registers.
//
//   RegisterFile: what a backend implements: read one register or segment,
//                 write a batch of registers (MSHV: one hypercall each way);
//                 the sim profile also writes segments and GDTR/IDTR.
//   CpuState:     the view the emulator uses: reads a register from the
//                 RegisterFile the first time it is needed, caches it, and
//                 Flush() writes back only the registers the emulator changed.
//   StructRegisterFile: a RegisterFile over hv::Regs + hv::Sregs (hv_sim,
//                 tests, backends that already hold the whole state).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/base/result.h"
#include "core/hv/x86_state.h"
#include "core/x86emu/decoder.h"

namespace petrel::x86emu {

// Scalar registers: the 16 GPRs in encoding order (hv::Gpr), then these.
enum class Reg : uint8_t {
  kGpr0 = 0,
  kRip = 16, kRflags, kCr0, kCr3, kCr4, kEfer, kCr2, kCr8,
  kCount,
};

// The descriptor-table registers (SDM 3A 2.4.1, 2.4.3).
enum class TableReg : uint8_t { kGdtr, kIdtr };
inline Reg GprReg(unsigned index) { return static_cast<Reg>(index); }

struct RegisterWrite {
  Reg reg;
  uint64_t value;
};

class RegisterFile {
 public:
  virtual ~RegisterFile() = default;
  virtual Result<uint64_t> Read(Reg reg) = 0;
  virtual Result<hv::Segment> ReadSegment(SegReg seg) = 0;
  // Only the emulator's changes: GPRs, RIP, RFLAGS under the mmio
  // profile; the sim profile also writes CR0, CR2, CR3, CR4, CR8, EFER.
  virtual Result<void> Write(std::span<const RegisterWrite> writes) = 0;

  // The sim profile's (LGDT/LIDT, far control transfers, interrupt
  // delivery, IRET). The defaults fail with kUnsupported, so a backend that
  // runs only the mmio profile need not implement them.
  virtual Result<void> WriteSegment(SegReg seg, const hv::Segment& value);
  virtual Result<hv::DescriptorTable> ReadDescriptorTable(TableReg table);
  virtual Result<void> WriteDescriptorTable(TableReg table, const hv::DescriptorTable& value);
};

class CpuState {
 public:
  explicit CpuState(RegisterFile& file) : file_(file) {}

  Result<uint64_t> Get(Reg reg);
  // Sets the whole register and marks it dirty.
  void Set(Reg reg, uint64_t value);
  Result<hv::Segment> GetSegment(SegReg seg);
  // Sets a whole segment register (its hidden part too) and marks it dirty.
  void SetSegment(SegReg seg, const hv::Segment& value);
  Result<hv::DescriptorTable> GetTable(TableReg table);
  void SetTable(TableReg table, const hv::DescriptorTable& value);

  // Writes every dirty register in one RegisterFile::Write (then each dirty
  // segment and descriptor table) and clears the dirty set. Nothing is
  // written when nothing changed.
  Result<void> Flush();

  // State changed since the last Flush (bit i: Reg i; bit 24+s: segment s;
  // bit 30+t: descriptor table t).
  uint32_t dirty_mask() const { return dirty_; }
  // State read from the file so far (the same bits).
  uint32_t loaded_mask() const { return loaded_; }

 private:
  static constexpr unsigned kSegmentBit = static_cast<unsigned>(Reg::kCount);
  static constexpr unsigned kTableBit = kSegmentBit + 6;
  static_assert(kTableBit + 2 <= 32, "the masks have one bit per register, segment and table");
  RegisterFile& file_;
  std::array<uint64_t, static_cast<size_t>(Reg::kCount)> values_{};
  std::array<hv::Segment, 6> segments_{};
  std::array<hv::DescriptorTable, 2> tables_{};
  uint32_t loaded_ = 0;
  uint32_t dirty_ = 0;
};

class StructRegisterFile final : public RegisterFile {
 public:
  StructRegisterFile(hv::Regs& regs, hv::Sregs& sregs) : regs_(regs), sregs_(sregs) {}
  Result<uint64_t> Read(Reg reg) override;
  Result<hv::Segment> ReadSegment(SegReg seg) override;
  Result<void> Write(std::span<const RegisterWrite> writes) override;
  Result<void> WriteSegment(SegReg seg, const hv::Segment& value) override;
  Result<hv::DescriptorTable> ReadDescriptorTable(TableReg table) override;
  Result<void> WriteDescriptorTable(TableReg table, const hv::DescriptorTable& value) override;

 private:
  hv::Segment* SegmentOf(SegReg seg);
  hv::Regs& regs_;
  hv::Sregs& sregs_;
};

}  // namespace petrel::x86emu
