// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the x86 instruction emulator (core/x86emu): the input picks a CPU
// state (CR0/CR4/EFER mode bits, CS.L/CS.D, segment attributes, GPRs,
// RFLAGS, RIP), a few edits of the guest's page tables, how many of the
// instruction bytes the "intercept" hands over, the REP cap, and up to 15
// instruction bytes, the profile (mmio or sim), and an interrupt vector;
// the emulator steps over a FakePlatform with 256 KiB of RAM (identity-
// mapped 4-level page tables), an MMIO window, CPUID, a few MSRs and a TSC,
// then (sim) DeliverInterrupt runs with the vector.
// Oracles: never crashes or hangs (ASan/UBSan, the REP cap bounds a step);
// no internal error; every platform access is 1..15 bytes within one 4 KiB
// page; under mmio only GPRs, RIP and RFLAGS are written back; Unsupported
// changes no register and writes no memory; a Fault leaves RIP; under mmio
// a completed instruction moves it (a sim branch may jump to itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "core/x86emu/cpu_state.h"
#include "core/x86emu/emulator.h"
#include "core/x86emu/interrupt.h"
#include "core/x86emu/testing/fake_platform.h"
#include "core/x86emu/zydis_decoder.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using namespace petrel::x86emu;  // NOLINT(build/namespaces): a fuzz target's own file

constexpr uint64_t kMmio = testing::FakePlatform::kMmioBase;

// FakePlatform that checks the Platform contract on every access.
class CheckedPlatform final : public testing::FakePlatform {
 public:
  CheckedPlatform() : FakePlatform(256 << 10) {}
  petrel::Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> data) override {
    CheckAccess(gpa, data.size());
    return FakePlatform::ReadMemory(gpa, data);
  }
  petrel::Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) override {
    CheckAccess(gpa, data.size());
    ++data_writes;
    return FakePlatform::WriteMemory(gpa, data);
  }
  int data_writes = 0;  // the emulator's writes (the page walk writes through Write)

 private:
  static void CheckAccess(uint64_t gpa, size_t size) {
    Check(size >= 1 && size <= 16);  // 16: a 64-bit IDT gate
    Check((gpa & 0xfff) + size <= 0x1000);  // "one access within a page"
  }
};

// Only what the emulator may write under mmio: GPRs, RIP, RFLAGS (the sim
// profile also writes control registers, segments, GDTR/IDTR).
class CheckedFile final : public RegisterFile {
 public:
  CheckedFile(petrel::hv::Regs& regs, petrel::hv::Sregs& sregs, bool sim) : file_(regs, sregs), sim_(sim) {}
  petrel::Result<uint64_t> Read(Reg reg) override { return file_.Read(reg); }
  petrel::Result<petrel::hv::Segment> ReadSegment(SegReg seg) override { return file_.ReadSegment(seg); }
  petrel::Result<void> Write(std::span<const RegisterWrite> writes) override {
    for (const RegisterWrite& w : writes) {
      Check(sim_ || static_cast<unsigned>(w.reg) < 16 || w.reg == Reg::kRip || w.reg == Reg::kRflags);
    }
    ++batches;
    return file_.Write(writes);
  }
  petrel::Result<void> WriteSegment(SegReg seg, const petrel::hv::Segment& value) override {
    Check(sim_);
    ++batches;
    return file_.WriteSegment(seg, value);
  }
  petrel::Result<petrel::hv::DescriptorTable> ReadDescriptorTable(TableReg table) override {
    return file_.ReadDescriptorTable(table);
  }
  petrel::Result<void> WriteDescriptorTable(TableReg table, const petrel::hv::DescriptorTable& value) override {
    Check(sim_);
    ++batches;
    return file_.WriteDescriptorTable(table, value);
  }
  int batches = 0;

 private:
  StructRegisterFile file_;
  bool sim_;
};

uint64_t PickValue(petrel::fuzz::FuzzInput& in) {
  const uint8_t pick = in.Byte();
  switch (pick & 7) {
    case 0: return 0;
    case 1: return kMmio + (pick >> 3) * 0x11;
    case 2: return 0x8000 - (pick >> 3);           // RAM page, then the MMIO page
    case 3: return 0x9000 - (pick >> 3);           // MMIO page, then not present
    case 4: return 0x0000800000000000ull - (pick >> 3);  // non-canonical edge
    case 5: return ~0ull - (pick >> 3);
    case 6: return 0x20000 + (pick >> 3) * 0x101;
    default: {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v |= uint64_t{in.Byte()} << (8 * i);
      return v;
    }
  }
}

petrel::hv::Segment PickSegment(petrel::fuzz::FuzzInput& in) {
  const uint8_t a = in.Byte();
  const uint8_t b = in.Byte();
  petrel::hv::Segment s;
  static constexpr uint64_t kBases[] = {0, 0x10000, kMmio, 0xfffffff0};
  static constexpr uint32_t kLimits[] = {0xffffffff, 0xffff, 0xfff, 0};
  s.base = kBases[a & 3];
  s.limit = kLimits[(a >> 2) & 3];
  s.type = b & 0xf;
  s.present = !(b & 0x10);
  s.unusable = (b & 0x20) != 0;
  s.db = (b & 0x40) != 0;
  s.dpl = (a >> 4) & 3;
  s.s = true;
  return s;
}

// 4-level tables (SDM 3A 4.5): identity 4 KiB pages for 0..2 MiB (page 8
// onto the MMIO window, page 9 not present) and a 2 MiB page onto it.
void BuildPageTables(testing::FakePlatform& p) {
  constexpr uint64_t P = 1, W = 2, U = 4, A = 0x20, PS = 0x80;
  p.Poke64(0x1000, 0x2000 | P | W | U | A);
  p.Poke64(0x2000, 0x3000 | P | W | U | A);
  p.Poke64(0x2000 + 8 * 3, 0x5000 | P | W | U | A);
  p.Poke64(0x3000, 0x4000 | P | W | U | A);
  for (uint64_t i = 0; i < 512; ++i) p.Poke64(0x4000 + 8 * i, (i << 12) | P | W | U | A);
  p.Poke64(0x4000 + 8 * 8, kMmio | P | W | U | A);
  p.Poke64(0x4000 + 8 * 9, 0);
  p.Poke64(0x5000 + 8 * ((kMmio >> 21) & 0x1ff), kMmio | P | W | U | A | PS);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  petrel::fuzz::FuzzInput in(data, size);
  // One platform for the process, reset to the pristine tables each input:
  // a fresh 256 KiB vector per input costs more than the emulation.
  static CheckedPlatform& platform = *new CheckedPlatform;
  static const std::vector<uint8_t>& pristine = *[] {
    BuildPageTables(platform);
    return new std::vector<uint8_t>(platform.ram);
  }();
  platform.ram = pristine;
  platform.mmio.clear();
  platform.data_writes = 0;
  petrel::hv::Regs regs;
  petrel::hv::Sregs sregs;

  // Mode bits (SDM 3A 2.2, 9.8.5): mostly consistent combinations, sometimes not.
  const uint8_t mode = in.Byte();
  const uint8_t extra = in.Byte();
  switch (mode & 3) {
    case 0:  // long mode with paging
      sregs.cr0 = kCr0Pe | kCr0Pg;
      sregs.cr4 = kCr4Pae;
      sregs.efer = kEferLma | (1ull << 8);
      break;
    case 1: sregs.cr0 = kCr0Pe; break;  // protected, paging off
    case 2: sregs.cr0 = 0; break;       // real
    default:                            // anything
      sregs.cr0 = (extra & 1 ? kCr0Pe : 0) | (extra & 2 ? kCr0Pg : 0);
      sregs.cr4 = (extra & 4 ? kCr4Pae : 0) | (extra & 8 ? kCr4La57 : 0);
      sregs.efer = extra & 16 ? kEferLma : 0;
      break;
  }
  if (extra & 0x20) sregs.cr0 |= kCr0Wp;
  if (extra & 0x40) sregs.cr4 |= kCr4Smap | kCr4Smep;
  if (extra & 0x80) sregs.efer |= kEferNxe;
  sregs.cr3 = 0x1000;
  sregs.cs = PickSegment(in);
  sregs.cs.l = (mode & 4) != 0;
  sregs.cs.db = (mode & 8) != 0;
  sregs.ds = PickSegment(in);
  sregs.es = PickSegment(in);
  sregs.ss = PickSegment(in);
  sregs.fs = PickSegment(in);
  sregs.gs = PickSegment(in);
  for (auto& gpr : regs.gpr) gpr = PickValue(in);
  regs.rflags = 0x2 | (uint64_t{in.U16()} & 0x0fd5) | ((mode & 0x10) ? kRflagsVm : 0);
  regs.rip = (mode & 0x20) ? PickValue(in) : 0x10000;

  // A few page-table edits: (entry index in the tables' 5 pages, value pick).
  const uint8_t edits = in.Byte() & 3;
  for (uint8_t i = 0; i < edits; ++i) {
    const uint16_t slot = in.U16() % (5 * 512);
    platform.Poke64(0x1000 + 8 * uint64_t{slot}, PickValue(in));
  }

  EmulatorOptions options;
  const uint8_t rep_and_profile = in.Byte();
  options.max_rep_iterations = (rep_and_profile & 0x7f) % 17;  // 0 is taken as 1
  const bool sim = (rep_and_profile & 0x80) != 0;
  options.profile = sim ? Profile::kSim : Profile::kMmio;
  sregs.gdt = {0x6000, static_cast<uint16_t>(in.U16())};  // RAM, whatever the fuzzer put there
  sregs.idt = {0x7000, static_cast<uint16_t>(in.U16())};
  platform.msrs = {{0x174, 1}, {0x1b, 0xfee00900}};
  const uint8_t given_count = in.Byte() % 16;
  const std::vector<uint8_t> insn = in.Bytes(15);
  const size_t given = given_count < insn.size() ? given_count : insn.size();
  // The bytes not handed over are in memory at CS:RIP (when that is RAM;
  // CS's base counts outside 64-bit mode only, SDM 3A 3.4.4).
  const bool long64 = (sregs.efer & kEferLma) && sregs.cs.l;
  const uint64_t code_at = ((long64 ? 0 : sregs.cs.base) + regs.rip + given) & 0xffffffffull;
  if (code_at < platform.ram.size() - 16) {
    platform.Poke(code_at, std::span(insn).subspan(given));
  }

  ZydisInstructionDecoder decoder;
  Emulator emulator(decoder, options);
  CheckedFile file(regs, sregs, sim);
  for (int step = 0; step < 4; ++step) {
    const petrel::hv::Regs before = regs;
    const int writes_before = platform.data_writes;
    const int batches_before = file.batches;
    CpuState cpu(file);
    const auto outcome = emulator.Step(cpu, platform, std::span(insn).first(given));
    if (!outcome.ok()) {
      // A host failure; only the page walk's "paging mode not covered" may
      // happen here: anything else is an emulator bug.
      Check(outcome.error().code() == petrel::ErrorCode::kUnsupported);
      break;
    }
    if (std::holds_alternative<Unsupported>(*outcome)) {
      Check(regs == before);
      Check(file.batches == batches_before);
      // No data write at all (RAM or MMIO); the fetch's page walk may only
      // have set accessed bits (PhysicalMemory::Write, not WriteMemory).
      Check(platform.data_writes == writes_before);
      break;
    }
    if (std::holds_alternative<Fault>(*outcome)) {
      Check(regs.rip == before.rip);
      break;
    }
    const Completed c = std::get<Completed>(*outcome);
    if (!c.rep_pending) {
      Check(sim || regs.rip != before.rip);
      break;
    }
    Check(regs.rip == before.rip);
  }
  if (sim) {
    // An external interrupt: no internal error; Unsupported changes nothing.
    const petrel::hv::Regs before = regs;
    const int writes_before = platform.data_writes;
    CpuState cpu(file);
    const auto delivered = DeliverInterrupt(cpu, platform, in.Byte());
    if (!delivered.ok()) {
      Check(delivered.error().code() == petrel::ErrorCode::kUnsupported);
    } else if (std::holds_alternative<Unsupported>(*delivered)) {
      Check(regs == before);
      Check(platform.data_writes == writes_before);
    } else if (std::holds_alternative<Fault>(*delivered)) {
      Check(regs.rip == before.rip);
    }
  }
  return 0;
}
