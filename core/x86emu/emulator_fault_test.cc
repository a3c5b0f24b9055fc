// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Emulator: accesses across a page boundary (two pieces; a #PF on the
// second page before either is touched), #GP(0)/#SS(0) for non-canonical
// addresses, #PF error codes and CR2, instruction-fetch faults, instruction
// bytes given by the backend; unsupported and undecodable instructions
// change no register and no memory; write-back covers only the registers
// the instruction changed.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/x86emu/testing/emu_harness.h"

namespace petrel::x86emu {
namespace {

using testing::EmuHarness;
using testing::LeBytes;

constexpr uint64_t kMmio = EmuHarness::kMmio;
constexpr uint64_t kNonCanonical = 0x0000800000000000ull;

TEST(X86EmuFault, WriteAcrossPagesIsSplit) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRax) = EmuHarness::kMmioPageGva - 2;  // RAM page, then the MMIO page
  h.gpr(hv::kRcx) = 0x11223344;
  h.ExpectCompleted(h.Run({0x89, 0x08}));
  EXPECT_EQ(h.platform.Peek(EmuHarness::kMmioPageGva - 2, 2), 0x3344u);
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio);
  EXPECT_EQ(h.platform.mmio[0].data, (std::vector<uint8_t>{0x22, 0x11}));
}

TEST(X86EmuFault, ReadAcrossPagesIsSplit) {
  EmuHarness h;
  h.Long64();
  h.platform.Poke(EmuHarness::kMmioPageGva - 1, std::vector<uint8_t>{0x99});
  h.gpr(hv::kRax) = EmuHarness::kMmioPageGva - 1;
  h.ExpectCompleted(h.Run({0x8b, 0x08}));
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.platform.mmio[0].gpa, kMmio);
  EXPECT_EQ(h.platform.mmio[0].data.size(), 3u);
  EXPECT_EQ(h.gpr(hv::kRcx), 0x99u | (testing::MmioValue(kMmio, 3) << 8));
}

TEST(X86EmuFault, PageFaultOnSecondPageTouchesNeither) {
  for (const bool write : {true, false}) {
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = EmuHarness::kNotPresentGva - 2;  // MMIO page, then not present
    const hv::Regs before = h.regs;
    const Fault f = h.ExpectFault(h.Run(write ? std::vector<uint8_t>{0x89, 0x08}
                                              : std::vector<uint8_t>{0x8b, 0x08}));
    EXPECT_EQ(f.vector, kVectorPf);
    EXPECT_EQ(f.cr2, EmuHarness::kNotPresentGva);
    EXPECT_EQ(f.error_code, write ? kPfWrite : 0u);
    EXPECT_TRUE(h.platform.mmio.empty());
    EXPECT_EQ(h.regs, before);
    EXPECT_EQ(h.file.batches, 0);
  }
}

TEST(X86EmuFault, NotPresentErrorCodes) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRax) = EmuHarness::kNotPresentGva + 0x10;
  Fault f = h.ExpectFault(h.Run({0x89, 0x08}));
  EXPECT_EQ(f, (Fault{kVectorPf, kPfWrite, EmuHarness::kNotPresentGva + 0x10}));
  f = h.ExpectFault(h.Run({0x8b, 0x08}));
  EXPECT_EQ(f, (Fault{kVectorPf, 0u, EmuHarness::kNotPresentGva + 0x10}));
  // CPL 3 (SS.DPL): the U/S bit. The page tables are supervisor-only, so a
  // present page faults with P set as well.
  // The bytes are given: the code page is supervisor-only too.
  h.sregs.ss.dpl = 3;
  h.sregs.cs.dpl = 3;
  f = h.ExpectFault(h.Step({std::vector<uint8_t>{0x89, 0x08}}));
  EXPECT_EQ(f.error_code, kPfWrite | kPfUser);
  h.gpr(hv::kRax) = kMmio;
  f = h.ExpectFault(h.Step({std::vector<uint8_t>{0x8b, 0x08}}));
  EXPECT_EQ(f.error_code, kPfPresent | kPfUser);
  EXPECT_TRUE(h.platform.mmio.empty());
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa);
}

TEST(X86EmuFault, NonCanonicalIsGpOrSs) {
  EmuHarness h;
  h.Long64();
  h.gpr(hv::kRax) = kNonCanonical;
  const hv::Regs before = h.regs;
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x08})), (Fault{kVectorGp, 0u, 0}));
  // The last byte non-canonical is enough.
  h.gpr(hv::kRax) = kNonCanonical - 2;
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x08})).vector, kVectorGp);
  // Through SS ([rbp]): #SS(0).
  h.gpr(hv::kRax) = before.gpr[hv::kRax];
  h.gpr(hv::kRbp) = kNonCanonical;
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x4d, 0x00})), (Fault{kVectorSs, 0u, 0}));
  EXPECT_TRUE(h.platform.mmio.empty());
  EXPECT_EQ(h.regs.rip, before.rip);
  EXPECT_EQ(h.file.batches, 0);
}

TEST(X86EmuFault, ProtectedModeSegmentChecks) {
  EmuHarness h;
  h.Protected32();
  h.gpr(hv::kRax) = 0x100;
  h.sregs.ds.base = EmuHarness::kMmio;
  // Read-only data segment (type 1, SDM 3A Table 3-1): reads work, writes #GP(0).
  h.sregs.ds.type = 0x1;
  h.ExpectCompleted(h.Run({0x8b, 0x08}));
  EXPECT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x08})), (Fault{kVectorGp, 0u, 0}));
  // Limit: the last byte must be within it (SDM 3A 5.3).
  h.sregs.ds.type = 0x3;
  h.sregs.ds.limit = 0x102;
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x08})).vector, kVectorGp);
  h.ExpectCompleted(h.Run({0x66, 0x89, 0x08}));  // 2 bytes end at 0x101
  // Expand-down (type 7): offsets above the limit only.
  h.sregs.ds.type = 0x7;
  h.sregs.ds.limit = 0x100;
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x08})).vector, kVectorGp);
  h.gpr(hv::kRax) = 0x104;
  h.ExpectCompleted(h.Run({0x89, 0x08}));
  // Through SS ([ebp]): #SS(0). A not-present segment faults too.
  h.sregs.ss.limit = 0xff;
  h.gpr(hv::kRbp) = 0x100;
  EXPECT_EQ(h.ExpectFault(h.Run({0x89, 0x4d, 0x00})), (Fault{kVectorSs, 0u, 0}));
  h.sregs.es.present = false;
  h.gpr(hv::kRax) = 0;
  EXPECT_EQ(h.ExpectFault(h.Run({0x26, 0x89, 0x08})).vector, kVectorGp);  // es:[eax]
  // CS override on an execute-only code segment (type 8): reads #GP(0).
  h.sregs.cs.type = 0x8;
  EXPECT_EQ(h.ExpectFault(h.Step({std::vector<uint8_t>{0x2e, 0x8b, 0x08}})).vector, kVectorGp);
  EXPECT_EQ(h.platform.mmio.size(), 3u);
}

TEST(X86EmuFault, FetchFaultAndGivenBytes) {
  EmuHarness h;
  h.Long64();
  h.regs.rip = EmuHarness::kNotPresentGva;
  // Nothing given: the fetch faults (EFER.NXE makes it an instruction-fetch #PF).
  Fault f = h.ExpectFault(h.Step());
  EXPECT_EQ(f, (Fault{kVectorPf, kPfFetch, EmuHarness::kNotPresentGva}));
  // The intercept's bytes: no fetch needed.
  h.gpr(hv::kRax) = kMmio;
  const std::vector<uint8_t> bytes = {0x89, 0x08};
  h.ExpectCompleted(h.Step(bytes));
  ASSERT_EQ(h.platform.mmio.size(), 1u);
  EXPECT_EQ(h.regs.rip, EmuHarness::kNotPresentGva + 2);
  // Part of an instruction given: the rest is fetched from CS:RIP + 1.
  h.regs.rip = EmuHarness::kCodeGpa;
  h.platform.Poke(EmuHarness::kCodeGpa, std::vector<uint8_t>{0x00, 0x08});
  const std::vector<uint8_t> first = {0x89};
  h.ExpectCompleted(h.Step(first));
  EXPECT_EQ(h.platform.mmio.size(), 2u);
  EXPECT_EQ(h.regs.rip, EmuHarness::kCodeGpa + 2);
}

TEST(X86EmuFault, InstructionAcrossIntoNotPresentPage) {
  EmuHarness h;
  h.Long64();
  // mov [rax], ecx with its ModR/M byte on the not-present page.
  h.regs.rip = EmuHarness::kNotPresentGva - 1;
  // The page before kNotPresentGva is the MMIO page; give the first byte.
  const std::vector<uint8_t> first = {0x89};
  const Fault f = h.ExpectFault(h.Step(first));
  EXPECT_EQ(f, (Fault{kVectorPf, kPfFetch, EmuHarness::kNotPresentGva}));
}

// Everything the emulator could touch, to prove an outcome left it alone.
struct Snapshot {
  hv::Regs regs;
  std::vector<uint8_t> ram;
  size_t mmio;
  bool operator==(const Snapshot&) const = default;
};
Snapshot Take(EmuHarness& h) { return {h.regs, h.platform.ram, h.platform.mmio.size()}; }

TEST(X86EmuFault, UnsupportedChangesNothing) {
  struct Case {
    const char* what;
    std::vector<uint8_t> code;
  };
  for (const Case& c : {
           Case{"ret", {0xc3}},
           Case{"push es (invalid in 64-bit mode)", {0x06}},
           Case{"ud2", {0x0f, 0x0b}},
           Case{"mov rax, cr0", {0x0f, 0x20, 0xc0}},
           Case{"mov ds, eax", {0x8e, 0xd8}},
           Case{"lock mov (invalid)", {0xf0, 0x89, 0x08}},
           Case{"repne movsb", {0xf2, 0xa4}},
           Case{"movaps xmm0, [rax]", {0x0f, 0x28, 0x00}},
           Case{"in al, dx", {0xec}},
           Case{"lea rax, [rax+1]", {0x48, 0x8d, 0x40, 0x01}},
           Case{"inc dword [rax]", {0xff, 0x00}},
       }) {
    SCOPED_TRACE(c.what);
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = kMmio;
    h.gpr(hv::kRsi) = kMmio;
    h.gpr(hv::kRdi) = kMmio;
    h.platform.Poke(EmuHarness::kCodeGpa, c.code);
    const Snapshot before = Take(h);
    const Result<Outcome> r = h.Step();
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(std::holds_alternative<Unsupported>(*r)) << DescribeOutcome(*r);
    EXPECT_TRUE(Take(h) == before);
    EXPECT_EQ(h.file.batches, 0);
  }
}

TEST(X86EmuFault, UnsupportedNamesTheMnemonic) {
  EmuHarness h;
  h.Long64();
  const Result<Outcome> r = h.Run({0xc3});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(std::holds_alternative<Unsupported>(*r));
  EXPECT_EQ(std::get<Unsupported>(*r).mnemonic, "ret");
  EXPECT_NE(DescribeOutcome(*r).find("ret"), std::string::npos);
}

TEST(X86EmuWriteBack, OnlyChangedRegistersInOneBatch) {
  struct Case {
    const char* what;
    std::vector<uint8_t> code;
    std::vector<Reg> written;
  };
  for (const Case& c : {
           Case{"mov [rax], ecx", {0x89, 0x08}, {Reg::kRip}},
           Case{"mov ecx, [rax]", {0x8b, 0x08}, {GprReg(hv::kRcx), Reg::kRip}},
           Case{"cmp [rax], ecx", {0x39, 0x08}, {Reg::kRip, Reg::kRflags}},
           Case{"rep stosb", {0xf3, 0xaa}, {GprReg(hv::kRcx), GprReg(hv::kRdi), Reg::kRip}},
           Case{"movsb", {0xa4}, {GprReg(hv::kRsi), GprReg(hv::kRdi), Reg::kRip}},
       }) {
    SCOPED_TRACE(c.what);
    EmuHarness h;
    h.Long64();
    h.gpr(hv::kRax) = kMmio;
    h.gpr(hv::kRsi) = kMmio;
    h.gpr(hv::kRdi) = kMmio + 0x100;
    h.gpr(hv::kRcx) = 2;
    h.ExpectCompleted(h.Run(c.code));
    EXPECT_EQ(h.file.batches, 1);
    std::vector<Reg> got = h.file.written;
    std::vector<Reg> want = c.written;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace petrel::x86emu
