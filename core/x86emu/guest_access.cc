// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestAccess: effective addresses, segmentation, paging and page-split
// accesses (see guest_access.h for the SDM sections).
#include "core/x86emu/guest_access.h"

#include "core/x86emu/alu.h"

namespace petrel::x86emu {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kRflagsAc = 1ull << 18;

Fault SegmentFault(SegReg seg) {
  // SDM 3A 6.15: a limit/type/canonical violation through SS is #SS(0),
  // through any other segment #GP(0).
  return Fault{seg == SegReg::kSs ? kVectorSs : kVectorGp, 0u, 0};
}

bool Canonical(uint64_t address, bool la57) {
  const unsigned bits = la57 ? 57 : 48;
  const int64_t extended = static_cast<int64_t>(address << (64 - bits)) >> (64 - bits);
  return static_cast<uint64_t>(extended) == address;
}

}  // namespace

Result<uint64_t> GuestAccess::ReadGpr(const GprRef& reg) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t full, cpu_.Get(GprReg(reg.index)));
  if (reg.high8) return (full >> 8) & 0xff;
  return Truncate(full, reg.size);
}

Result<void> GuestAccess::WriteGpr(const GprRef& reg, uint64_t value) {
  if (reg.size >= 4 && !reg.high8) {
    cpu_.Set(GprReg(reg.index), Truncate(value, reg.size));  // 32-bit writes zero-extend
    return Ok();
  }
  PETREL_ASSIGN_OR_RETURN(const uint64_t full, cpu_.Get(GprReg(reg.index)));
  if (reg.high8) {
    cpu_.Set(GprReg(reg.index), (full & ~0xff00ull) | ((value & 0xff) << 8));
  } else {
    const uint64_t mask = reg.size == 1 ? 0xffull : 0xffffull;
    cpu_.Set(GprReg(reg.index), (full & ~mask) | (value & mask));
  }
  return Ok();
}

Result<uint64_t> GuestAccess::EffectiveAddress(const MemRef& mem, unsigned address_size,
                                               uint64_t next_rip) {
  // SDM 2A 2.1.5 (ModR/M, SIB), 2.2.1.6 (RIP-relative addressing).
  uint64_t ea = static_cast<uint64_t>(mem.disp);
  if (mem.rip_relative) {
    ea += next_rip;
  } else if (mem.has_base) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t base, cpu_.Get(GprReg(mem.base)));
    ea += base;
  }
  if (mem.has_index) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t index, cpu_.Get(GprReg(mem.index)));
    ea += index * mem.scale;
  }
  return Truncate(ea, address_size);
}

Result<bool> GuestAccess::Linear(SegReg seg, uint64_t offset, unsigned size, Access access,
                                 uint64_t* linear) {
  PETREL_ASSIGN_OR_RETURN(const hv::Segment segment, cpu_.GetSegment(seg));
  if (mode_ == CpuMode::kLong64) {
    // SDM 3A 3.4.4: CS, DS, ES, SS have base 0 and no limit in 64-bit mode.
    const uint64_t base = (seg == SegReg::kFs || seg == SegReg::kGs) ? segment.base : 0;
    *linear = base + offset;
    PETREL_ASSIGN_OR_RETURN(const uint64_t cr4, cpu_.Get(Reg::kCr4));
    const bool la57 = (cr4 & kCr4La57) != 0;
    if (!Canonical(*linear, la57) || !Canonical(*linear + size - 1, la57)) {
      RaiseFault(SegmentFault(seg));
      return false;
    }
    return true;
  }
  const bool real = mode_ == CpuMode::kReal16;
  if (!real) {
    // SDM 3A 5.4.1: a null (unusable) segment, reading an execute-only code
    // segment, writing a code or read-only data segment: #GP(0) / #SS(0).
    const bool code = segment.type & 0x8;
    const bool data_writable = !code && (segment.type & 0x2);
    const bool code_readable = code && (segment.type & 0x2);
    if (segment.unusable || !segment.present) {
      RaiseFault(SegmentFault(seg));
      return false;
    }
    if ((access == Access::kWrite && !data_writable) ||
        (access == Access::kRead && code && !code_readable)) {
      RaiseFault(SegmentFault(seg));
      return false;
    }
  }
  // SDM 3A 5.3: limit checks (the limit is byte-granular here, as hv::Segment
  // holds it expanded). Expand-down data segments (type bit 2) allow
  // offsets above the limit up to 0xFFFF or 0xFFFFFFFF (by the B flag).
  const uint64_t last = offset + size - 1;
  const bool expand_down = !(segment.type & 0x8) && (segment.type & 0x4) && !real;
  bool within;
  if (expand_down) {
    const uint64_t upper = segment.db ? 0xffffffffull : 0xffffull;
    within = offset > segment.limit && last <= upper;
  } else {
    within = last <= segment.limit;
  }
  if (!within) {
    RaiseFault(SegmentFault(seg));
    return false;
  }
  *linear = (segment.base + offset) & 0xffffffffull;
  return true;
}

Result<bool> GuestAccess::CheckCodeTarget(const hv::Segment& cs, uint64_t target, bool long64) {
  bool ok = true;
  if (long64) {
    PETREL_ASSIGN_OR_RETURN(const uint64_t cr4, cpu_.Get(Reg::kCr4));
    ok = Canonical(target, (cr4 & kCr4La57) != 0);
  } else {
    ok = target <= cs.limit;
  }
  if (!ok) {
    RaiseFault(Fault{kVectorGp, 0u, 0});
    return false;
  }
  return true;
}

Result<PagingContext> GuestAccess::Paging() {
  PagingContext p;
  PETREL_ASSIGN_OR_RETURN(p.cr0, cpu_.Get(Reg::kCr0));
  PETREL_ASSIGN_OR_RETURN(p.cr3, cpu_.Get(Reg::kCr3));
  PETREL_ASSIGN_OR_RETURN(p.cr4, cpu_.Get(Reg::kCr4));
  PETREL_ASSIGN_OR_RETURN(p.efer, cpu_.Get(Reg::kEfer));
  PETREL_ASSIGN_OR_RETURN(const uint64_t rflags, cpu_.Get(Reg::kRflags));
  p.ac = (rflags & kRflagsAc) != 0;
  if (mode_ != CpuMode::kReal16) {
    // SDM 3A 5.5: the CPL is the DPL of SS (CS.RPL equals it outside conforming code).
    PETREL_ASSIGN_OR_RETURN(const hv::Segment ss, cpu_.GetSegment(SegReg::kSs));
    p.user = ss.dpl == 3;
  }
  return p;
}

Result<bool> GuestAccess::TranslateOne(uint64_t linear, Access access, uint64_t* gpa) {
  PETREL_ASSIGN_OR_RETURN(const uint64_t cr0, cpu_.Get(Reg::kCr0));
  if (!(cr0 & kCr0Pg)) {
    *gpa = linear;
    return true;
  }
  PETREL_ASSIGN_OR_RETURN(const PagingContext paging, Paging());
  PETREL_ASSIGN_OR_RETURN(const Translation t, platform_.Translate(linear, access, paging));
  if (!t.gpa) {
    RaiseFault(t.fault);
    return false;
  }
  *gpa = *t.gpa;
  return true;
}

Result<bool> GuestAccess::TranslatePieces(uint64_t linear, size_t size, Access access,
                                          Piece pieces[2], int* count) {
  *count = 0;
  size_t done = 0;
  while (done < size) {
    if (*count == 2) return Error(ErrorCode::kInternal, "x86emu: access spans more than two pages");
    const uint64_t address = (linear + done) & LinearMask();
    const size_t in_page = static_cast<size_t>(kPageSize - (address % kPageSize));
    const size_t piece = in_page < size - done ? in_page : size - done;
    uint64_t gpa = 0;
    PETREL_ASSIGN_OR_RETURN(const bool ok, TranslateOne(address, access, &gpa));
    if (!ok) return false;
    pieces[(*count)++] = Piece{gpa, done, piece};
    done += piece;
  }
  return true;
}

Result<bool> GuestAccess::Read(uint64_t linear, std::span<uint8_t> data, Access access) {
  Piece pieces[2];
  int count = 0;
  PETREL_ASSIGN_OR_RETURN(const bool ok, TranslatePieces(linear, data.size(), access, pieces, &count));
  if (!ok) return false;
  for (int i = 0; i < count; ++i) {
    PETREL_TRY(platform_.ReadMemory(pieces[i].gpa, data.subspan(pieces[i].offset, pieces[i].size)));
  }
  return true;
}

Result<bool> GuestAccess::Write(uint64_t linear, std::span<const uint8_t> data) {
  Piece pieces[2];
  int count = 0;
  PETREL_ASSIGN_OR_RETURN(const bool ok,
                          TranslatePieces(linear, data.size(), Access::kWrite, pieces, &count));
  if (!ok) return false;
  for (int i = 0; i < count; ++i) {
    PETREL_TRY(platform_.WriteMemory(pieces[i].gpa, data.subspan(pieces[i].offset, pieces[i].size)));
  }
  return true;
}

Result<bool> GuestAccess::TranslateWrite(uint64_t linear, size_t size, WriteTarget* target) {
  return TranslatePieces(linear, size, Access::kWrite, target->pieces, &target->count);
}

Result<void> GuestAccess::WriteTranslated(const WriteTarget& target, std::span<const uint8_t> data) {
  for (int i = 0; i < target.count; ++i) {
    const Piece& piece = target.pieces[i];
    PETREL_TRY(platform_.WriteMemory(piece.gpa, data.subspan(piece.offset, piece.size)));
  }
  return Ok();
}

Result<void> GuestAccess::FetchUpTo(uint64_t linear, std::span<uint8_t> data, size_t* got,
                                    std::optional<Fault>* later_fault) {
  *got = 0;
  while (*got < data.size()) {
    const uint64_t address = (linear + *got) & LinearMask();
    const size_t in_page = static_cast<size_t>(kPageSize - (address % kPageSize));
    const size_t piece = in_page < data.size() - *got ? in_page : data.size() - *got;
    uint64_t gpa = 0;
    PETREL_ASSIGN_OR_RETURN(const bool ok, TranslateOne(address, Access::kFetch, &gpa));
    if (!ok) {
      *later_fault = fault_;
      fault_.reset();
      return Ok();
    }
    PETREL_TRY(platform_.ReadMemory(gpa, data.subspan(*got, piece)));
    *got += piece;
  }
  return Ok();
}

}  // namespace petrel::x86emu
