// String port I/O (see mshv_string_io.h).
#include "hv_mshv/mshv_string_io.h"

#include <algorithm>
#include <cstring>

#include "core/x86emu/cpu_mode.h"
#include "core/x86emu/page_walk.h"
#include "hv_mshv/mshv_emulate.h"
#include "hv_mshv/mshv_hvcall.h"
#include "hv_mshv/mshv_regs.h"

namespace petrel::mshv {
namespace {

using x86emu::Access;
using x86emu::Fault;
using x86emu::Reg;
using x86emu::SegReg;

constexpr uint64_t kRflagsDf = 1ull << 10;
constexpr uint64_t kRflagsAc = 1ull << 18;

// A register after an update at `address_size` (SDM 1 3.4.1.1).
uint64_t Update(uint64_t old, uint64_t value, unsigned address_size) {
  switch (address_size) {
    case 8: return value;
    case 4: return value & 0xffffffffull;
    default: return (old & ~0xffffull) | (value & 0xffffull);
  }
}

uint64_t AddressMask(unsigned address_size) {
  return address_size == 8 ? ~0ull : address_size == 4 ? 0xffffffffull : 0xffffull;
}

struct Prefixes {
  std::optional<SegReg> segment;
  bool address_size = false;  // 0x67
};

// The legacy prefixes (SDM 2A 2.1.1) and, in 64-bit mode, REX, before the
// opcode.
Prefixes ScanPrefixes(std::span<const uint8_t> bytes, bool long64) {
  Prefixes p;
  for (uint8_t b : bytes) {
    switch (b) {
      case 0x26: p.segment = SegReg::kEs; continue;
      case 0x2e: p.segment = SegReg::kCs; continue;
      case 0x36: p.segment = SegReg::kSs; continue;
      case 0x3e: p.segment = SegReg::kDs; continue;
      case 0x64: p.segment = SegReg::kFs; continue;
      case 0x65: p.segment = SegReg::kGs; continue;
      case 0x67: p.address_size = true; continue;
      case 0x66: case 0xf0: case 0xf2: case 0xf3: continue;
      default:
        if (long64 && (b & 0xf0) == 0x40) continue;  // REX
        return p;
    }
  }
  return p;
}

class StringIo {
 public:
  StringIo(const HvX64IoPortInterceptMessage& m, const InterceptContext& ctx)
      : m_(m), ctx_(ctx), file_(*ctx.regs), platform_(ctx.vcpu, *ctx.io, ctx.memory) {}

  Result<std::optional<std::string>> Run();

 private:
  // Segment `seg` + `offset` to a linear address for `size` bytes; false
  // with fault_ set on a guest fault; a string for an unsupported case.
  Result<bool> Linear(SegReg seg, uint64_t offset, Access access, uint64_t* linear);
  // Translates [linear, linear + size) into at most two GPA pieces.
  Result<bool> Pieces(uint64_t linear, Access access);
  Result<x86emu::PagingContext> Paging();

  const HvX64IoPortInterceptMessage& m_;
  const InterceptContext& ctx_;
  MshvRegisterFile file_;
  MshvPlatform platform_;
  bool long64_ = false;
  bool protected_ = false;
  unsigned size_ = 1;
  std::optional<Fault> fault_;
  std::optional<std::string> unsupported_;
  std::optional<x86emu::PagingContext> paging_;
  uint64_t piece_gpa_[2] = {};
  size_t piece_size_[2] = {};
  int pieces_ = 0;
};

Result<x86emu::PagingContext> StringIo::Paging() {
  if (paging_) return *paging_;
  x86emu::PagingContext p;
  PETREL_ASSIGN_OR_RETURN(p.cr0, file_.Read(Reg::kCr0));
  PETREL_ASSIGN_OR_RETURN(p.cr3, file_.Read(Reg::kCr3));
  PETREL_ASSIGN_OR_RETURN(p.cr4, file_.Read(Reg::kCr4));
  PETREL_ASSIGN_OR_RETURN(p.efer, file_.Read(Reg::kEfer));
  p.user = (m_.header.execution_state & kExecStateCplMask) == 3;
  p.ac = (m_.header.rflags & kRflagsAc) != 0;
  paging_ = p;
  return p;
}

Result<bool> StringIo::Linear(SegReg seg, uint64_t offset, Access access, uint64_t* linear) {
  const uint8_t fault_vector = seg == SegReg::kSs ? x86emu::kVectorSs : x86emu::kVectorGp;
  PETREL_ASSIGN_OR_RETURN(const hv::Segment s, file_.ReadSegment(seg));
  if (long64_) {
    const uint64_t base = (seg == SegReg::kFs || seg == SegReg::kGs) ? s.base : 0;
    const uint64_t first = base + offset;
    const uint64_t last = first + size_ - 1;
    auto canonical = [](uint64_t a) {
      return static_cast<uint64_t>(static_cast<int64_t>(a << 16) >> 16) == a;
    };
    if (!canonical(first) || !canonical(last)) {
      fault_ = Fault{fault_vector, 0u, 0};
      return false;
    }
    *linear = first;
    return true;
  }
  if (protected_) {
    const bool code = (s.type & 0x8) != 0;
    const bool writable_or_readable = (s.type & 0x2) != 0;  // data: W; code: R
    if (s.unusable || !s.present || (access == Access::kWrite && (code || !writable_or_readable)) ||
        (access == Access::kRead && code && !writable_or_readable)) {
      fault_ = Fault{fault_vector, 0u, 0};
      return false;
    }
    if (!code && (s.type & 0x4)) {
      unsupported_ = "string port I/O through an expand-down segment";
      return false;
    }
  }
  if (offset + size_ - 1 > s.limit) {
    fault_ = Fault{fault_vector, 0u, 0};
    return false;
  }
  *linear = (s.base + offset) & 0xffffffffull;
  return true;
}

Result<bool> StringIo::Pieces(uint64_t linear, Access access) {
  const uint64_t wrap = long64_ ? ~0ull : 0xffffffffull;
  const size_t first = static_cast<size_t>(
      std::min<uint64_t>(size_, kHvPageSize - (linear & (kHvPageSize - 1))));
  const uint64_t starts[2] = {linear, (linear + first) & wrap};
  piece_size_[0] = first;
  piece_size_[1] = size_ - first;
  pieces_ = first == size_ ? 1 : 2;
  PETREL_ASSIGN_OR_RETURN(const auto paging, Paging());
  for (int i = 0; i < pieces_; ++i) {
    if (!(paging.cr0 & x86emu::kCr0Pg)) {
      piece_gpa_[i] = starts[i];
      continue;
    }
    PETREL_ASSIGN_OR_RETURN(const auto t, platform_.Translate(starts[i], access, paging));
    if (!t.gpa) {
      fault_ = t.fault;
      return false;
    }
    piece_gpa_[i] = *t.gpa;
  }
  return true;
}

Result<std::optional<std::string>> StringIo::Run() {
  const auto& h = m_.header;
  size_ = m_.access_info & kIoAccessSizeMask;
  const bool in = h.intercept_access_type == kHvInterceptAccessRead;
  const bool rep = (m_.access_info & kIoAccessRepPrefix) != 0;
  HvRegisterValue csv{};
  std::memcpy(&csv, &h.cs_segment, sizeof h.cs_segment);
  const hv::Segment cs = SegmentFromHv(csv);
  protected_ = (h.execution_state & kExecStateCr0Pe) != 0;
  long64_ = protected_ && (h.execution_state & kExecStateEferLma) && cs.l;
  if (protected_ && (h.rflags & x86emu::kRflagsVm)) {
    return std::optional<std::string>("string port I/O in virtual-8086 mode");
  }
  const size_t nbytes = m_.instruction_byte_count <= sizeof m_.instruction_bytes
                            ? m_.instruction_byte_count
                            : sizeof m_.instruction_bytes;
  const Prefixes prefixes =
      ScanPrefixes(std::span<const uint8_t>(m_.instruction_bytes, nbytes), long64_);
  unsigned address_size = long64_ ? 8 : (protected_ && cs.db) ? 4 : 2;
  if (prefixes.address_size) address_size = address_size == 8 ? 4 : address_size == 4 ? 2 : 4;
  const uint64_t mask = AddressMask(address_size);
  const SegReg seg = in ? SegReg::kEs : prefixes.segment.value_or(SegReg::kDs);

  file_.Prefill(Reg::kRip, h.rip);
  file_.Prefill(Reg::kRflags, h.rflags);
  file_.Prefill(x86emu::GprReg(hv::kRax), m_.rax);
  file_.Prefill(x86emu::GprReg(hv::kRcx), m_.rcx);
  file_.Prefill(x86emu::GprReg(hv::kRsi), m_.rsi);
  file_.Prefill(x86emu::GprReg(hv::kRdi), m_.rdi);
  file_.PrefillSegment(SegReg::kCs, h.cs_segment);
  file_.PrefillSegment(SegReg::kDs, m_.ds_segment);
  file_.PrefillSegment(SegReg::kEs, m_.es_segment);

  uint64_t rcx = m_.rcx, rsi = m_.rsi, rdi = m_.rdi;
  const uint64_t count = rep ? (rcx & mask) : 1;
  const bool down = (h.rflags & kRflagsDf) != 0;
  uint64_t done = 0;
  while (done < count && done < kMaxStringIoIterations) {
    uint64_t& index = in ? rdi : rsi;
    const Access access = in ? Access::kWrite : Access::kRead;
    uint64_t linear = 0;
    PETREL_ASSIGN_OR_RETURN(bool ok, Linear(seg, index & mask, access, &linear));
    if (ok) {
      PETREL_ASSIGN_OR_RETURN(ok, Pieces(linear, access));
    }
    if (unsupported_) return unsupported_;
    if (!ok) break;
    uint8_t data[4] = {};
    if (in) {
      ctx_.io->PioRead(ctx_.vcpu, m_.port_number, std::span<uint8_t>(data, size_));
      for (int i = 0, at = 0; i < pieces_; at += static_cast<int>(piece_size_[i]), ++i) {
        PETREL_TRY(platform_.WriteMemory(
            piece_gpa_[i], std::span<const uint8_t>(data + at, piece_size_[i])));
      }
    } else {
      for (int i = 0, at = 0; i < pieces_; at += static_cast<int>(piece_size_[i]), ++i) {
        PETREL_TRY(platform_.ReadMemory(piece_gpa_[i], std::span<uint8_t>(data + at, piece_size_[i])));
      }
      ctx_.io->PioWrite(ctx_.vcpu, m_.port_number, std::span<const uint8_t>(data, size_));
    }
    index = Update(index, down ? index - size_ : index + size_, address_size);
    if (rep) rcx = Update(rcx, rcx - 1, address_size);
    ++done;
  }

  const bool finished = done == count && !fault_;
  std::vector<HvRegisterAssoc> out;
  if (done > 0) {
    if (rep) out.push_back(Reg64(kHvX64RegRcx, rcx));
    out.push_back(in ? Reg64(kHvX64RegRdi, rdi) : Reg64(kHvX64RegRsi, rsi));
  }
  if (finished) {
    const unsigned len = h.instruction_length_cr8 & kInstructionLengthMask;
    out.push_back(Reg64(kHvX64RegRip, h.rip + len));
  }
  if (!out.empty()) PETREL_TRY(ctx_.regs->SetRegisters(out).Wrap("completing string port I/O"));
  if (fault_) PETREL_TRY(InjectException(*ctx_.regs, *fault_));
  return std::optional<std::string>();
}

}  // namespace

Result<std::optional<std::string>> EmulateStringIo(const HvX64IoPortInterceptMessage& m,
                                                   const InterceptContext& ctx) {
  StringIo io(m, ctx);
  return io.Run();
}

}  // namespace petrel::mshv
