// The emulator's view of a vCPU's registers.
//
//   RegisterFile: what a backend implements: read one register or segment,
//                 write a batch of registers (MSHV: one hypercall each way).
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
  kRip = 16, kRflags, kCr0, kCr3, kCr4, kEfer,
  kCount,
};
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
  // Only the emulator's changes: GPRs, RIP, RFLAGS.
  virtual Result<void> Write(std::span<const RegisterWrite> writes) = 0;
};

class CpuState {
 public:
  explicit CpuState(RegisterFile& file) : file_(file) {}

  Result<uint64_t> Get(Reg reg);
  // Sets the whole register and marks it dirty.
  void Set(Reg reg, uint64_t value);
  Result<hv::Segment> GetSegment(SegReg seg);

  // Writes every dirty register in one RegisterFile::Write and clears the
  // dirty set. Nothing is written when nothing changed.
  Result<void> Flush();

  // Registers changed since the last Flush (bit i: Reg i).
  uint32_t dirty_mask() const { return dirty_; }
  // Registers read from the file so far (bit i: Reg i; bit 22+s: segment s).
  uint32_t loaded_mask() const { return loaded_; }

 private:
  static constexpr unsigned kSegmentBit = static_cast<unsigned>(Reg::kCount);
  RegisterFile& file_;
  std::array<uint64_t, static_cast<size_t>(Reg::kCount)> values_{};
  std::array<hv::Segment, 6> segments_{};
  uint32_t loaded_ = 0;
  uint32_t dirty_ = 0;
};

class StructRegisterFile final : public RegisterFile {
 public:
  StructRegisterFile(hv::Regs& regs, hv::Sregs& sregs) : regs_(regs), sregs_(sregs) {}
  Result<uint64_t> Read(Reg reg) override;
  Result<hv::Segment> ReadSegment(SegReg seg) override;
  Result<void> Write(std::span<const RegisterWrite> writes) override;

 private:
  hv::Regs& regs_;
  hv::Sregs& sregs_;
};

}  // namespace petrel::x86emu
