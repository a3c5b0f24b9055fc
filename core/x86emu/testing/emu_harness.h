// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EmuHarness: one vCPU for emulator tests. hv::Regs/hv::Sregs behind a
// RegisterFile that records what is written back, a FakePlatform (RAM and
// an MMIO window), and an Emulator over the Zydis decoder.
//
// Long64() builds 4-level page tables (SDM 3A 4.5) in RAM:
//   GVA 0..2 MiB: identity 4 KiB pages, except kMmioPageGva (-> the MMIO
//     window's first page, GPA FakePlatform::kMmioBase) and
//     kNotPresentGva (not present);
//   GVA kMmioBase..+2 MiB: one 2 MiB page onto the MMIO window.
// Protected32() and Real16() run with paging off (GVA = GPA).
// Code is placed at kCodeGpa; every GPR holds a distinct pattern.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <variant>
#include <vector>

#include "core/x86emu/alu.h"
#include "core/x86emu/cpu_state.h"
#include "core/x86emu/emulator.h"
#include "core/x86emu/testing/fake_platform.h"
#include "core/x86emu/zydis_decoder.h"

namespace petrel::x86emu::testing {

// StructRegisterFile that remembers each write-back batch.
class RecordingRegisterFile final : public RegisterFile {
 public:
  RecordingRegisterFile(hv::Regs& regs, hv::Sregs& sregs) : file_(regs, sregs) {}
  Result<uint64_t> Read(Reg reg) override { return file_.Read(reg); }
  Result<hv::Segment> ReadSegment(SegReg seg) override { return file_.ReadSegment(seg); }
  Result<void> Write(std::span<const RegisterWrite> writes) override {
    for (const RegisterWrite& w : writes) written.push_back(w.reg);
    ++batches;
    return file_.Write(writes);
  }
  Result<void> WriteSegment(SegReg seg, const hv::Segment& value) override {
    segments_written.push_back(seg);
    return file_.WriteSegment(seg, value);
  }
  Result<hv::DescriptorTable> ReadDescriptorTable(TableReg table) override {
    return file_.ReadDescriptorTable(table);
  }
  Result<void> WriteDescriptorTable(TableReg table, const hv::DescriptorTable& value) override {
    return file_.WriteDescriptorTable(table, value);
  }
  std::vector<Reg> written;
  std::vector<SegReg> segments_written;
  int batches = 0;

 private:
  StructRegisterFile file_;
};

// What the fake's MMIO window reads at `gpa` as a little-endian value.
inline uint64_t MmioValue(uint64_t gpa, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t{FakePlatform::MmioByte(gpa + i)} << (8 * i);
  return v;
}
// The low `size` bytes of `value`, little-endian.
inline std::vector<uint8_t> LeBytes(uint64_t value, unsigned size) {
  std::vector<uint8_t> v;
  for (unsigned i = 0; i < size; ++i) v.push_back(static_cast<uint8_t>(value >> (8 * i)));
  return v;
}

class EmuHarness {
 public:
  static constexpr uint64_t kCodeGpa = 0x10000;
  static constexpr uint64_t kDataGpa = 0x20000;
  static constexpr uint64_t kMmio = FakePlatform::kMmioBase;
  static constexpr uint64_t kMmioPageGva = 0x8000;     // 4 KiB page onto kMmio
  static constexpr uint64_t kNotPresentGva = 0x9000;   // right after it
  static constexpr uint64_t kRflagsFixed = 0x2;        // bit 1 is always set

  EmuHarness() : file(regs, sregs) {
    for (unsigned i = 0; i < 16; ++i) regs.gpr[i] = (0x1111111111111111ull * (i + 1)) ^ 0x8000000080008080ull;
    regs.rflags = kRflagsFixed;
    regs.rip = kCodeGpa;
  }

  static hv::Segment DataSegment(uint64_t base = 0, uint32_t limit = 0xffffffff, bool db = true) {
    hv::Segment s;
    s.base = base;
    s.limit = limit;
    s.type = 0x3;  // read/write, accessed (SDM 3A Table 3-1)
    s.present = true;
    s.s = true;
    s.db = db;
    return s;
  }

  void Long64() {
    // Accessed (A) is preset so that walks for reads and fetches leave RAM as it was.
    constexpr uint64_t P = 1 | 0x20, W = 2, PS = 0x80;
    sregs.cr0 = kCr0Pe | kCr0Pg | kCr0Wp;
    sregs.cr4 = kCr4Pae;
    sregs.efer = kEferLma | (1ull << 8) /* LME */ | kEferNxe;
    sregs.cr3 = 0x1000;
    platform.Poke64(0x1000, 0x2000 | P | W);             // PML4[0]
    platform.Poke64(0x2000, 0x3000 | P | W);             // PDPT[0]: 0..1 GiB
    platform.Poke64(0x2000 + 8 * 3, 0x5000 | P | W);     // PDPT[3]: 3..4 GiB
    platform.Poke64(0x3000, 0x4000 | P | W);             // PD[0]: the PT for 0..2 MiB
    for (uint64_t i = 0; i < 512; ++i) platform.Poke64(0x4000 + 8 * i, (i << 12) | P | W);
    platform.Poke64(0x4000 + 8 * (kMmioPageGva >> 12), kMmio | P | W);
    platform.Poke64(0x4000 + 8 * (kNotPresentGva >> 12), 0);
    platform.Poke64(0x5000 + 8 * ((kMmio >> 21) & 0x1ff), kMmio | P | W | PS);
    sregs.cs = DataSegment();
    sregs.cs.type = 0xb;  // execute/read code
    sregs.cs.l = true;
    sregs.cs.db = false;
    sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = DataSegment();
  }

  void Protected32() {
    sregs.cr0 = kCr0Pe;
    sregs.cs = DataSegment();
    sregs.cs.type = 0xb;
    sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = DataSegment();
  }

  // Real mode, every segment at base 0 (selector 0) with a 64 KiB limit.
  void Real16() {
    sregs.cr0 = 0;
    sregs.cs = DataSegment(0, 0xffff, false);
    sregs.cs.type = 0xb;
    sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = DataSegment(0, 0xffff, false);
    regs.rip = kCodeGpa & 0xffff;
    sregs.cs.base = kCodeGpa & ~0xffffull;
  }

  // Places `code` at RIP (CS base + RIP, paging off or identity) and steps.
  Result<Outcome> Run(const std::vector<uint8_t>& code) {
    platform.Poke(sregs.cs.base + regs.rip, code);
    return Step();
  }
  Result<Outcome> Step(std::span<const uint8_t> given = {}) {
    CpuState cpu(file);
    Emulator emulator(decoder, options);
    return emulator.Step(cpu, platform, given);
  }

  // Asserts a plain completion.
  void ExpectCompleted(const Result<Outcome>& r, bool rep_pending = false) {
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(std::holds_alternative<Completed>(*r)) << DescribeOutcome(*r);
    EXPECT_EQ(std::get<Completed>(*r).rep_pending, rep_pending);
  }
  Fault ExpectFault(const Result<Outcome>& r) {
    EXPECT_TRUE(r.ok());
    if (!r.ok() || !std::holds_alternative<Fault>(*r)) {
      ADD_FAILURE() << "expected a fault, got " << (r.ok() ? DescribeOutcome(*r) : r.error().message());
      return Fault{};
    }
    return std::get<Fault>(*r);
  }

  uint64_t& gpr(unsigned i) { return regs.gpr[i]; }

  hv::Regs regs;
  hv::Sregs sregs;
  RecordingRegisterFile file;
  FakePlatform platform{1 << 20};
  ZydisInstructionDecoder decoder;
  EmulatorOptions options;
};

}  // namespace petrel::x86emu::testing
