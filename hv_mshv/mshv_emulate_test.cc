// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Intercepts that need the guest's registers and memory: MMIO through the
// x86 emulator, string port I/O, CPUID and MSR intercepts. Each test replays
// a message through MshvVcpu::Run on the fake driver (registers in its map,
// 4 MiB of RAM at GPA 0 mapped into the VM) and checks the GuestIo
// accesses, the register hypercalls and RIP.
#include <gtest/gtest.h>

#include <cstring>

#include "core/arch/cpuid.h"
#include "core/x86emu/cpu_mode.h"
#include "hv_mshv/mshv_emulate.h"
#include "hv_mshv/mshv_hypervisor.h"
#include "hv_mshv/mshv_regs.h"
#include "hv_mshv/mshv_vcpu.h"
#include "hv_mshv/testing/fake_mshv_driver.h"
#include "hv_mshv/testing/messages.h"
#include "hv_mshv/testing/recording_guest_io.h"

namespace petrel::mshv {
namespace {

using testing::MakeMessage;
using Kind = RecordingGuestIo::Kind;

constexpr uint32_t kVp = 1;
constexpr uint64_t kRamSize = 4ull << 20;
constexpr uint64_t kMmio = 0xd0000000;
constexpr uint64_t kRip = 0x7000;

hv::Segment Flat(bool code, bool long64 = false) {
  hv::Segment s;
  s.limit = 0xffffffff;
  s.type = code ? 0xb : 0x3;
  s.present = true;
  s.s = true;
  s.db = !long64;
  s.l = code && long64;
  s.g = true;
  return s;
}

HvX64SegmentRegister HvSeg(const hv::Segment& s) {
  const HvRegisterValue v = SegmentToHv(s);
  HvX64SegmentRegister r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}

std::string InternalText(const hv::VcpuExit& e) {
  auto* ie = std::get_if<hv::exit::InternalError>(&e);
  return ie ? ie->what : "<not an InternalError: " + hv::DescribeExit(e) + ">";
}

struct Fixture {
  std::shared_ptr<FakeMshvDriver> driver = std::make_shared<FakeMshvDriver>();
  std::unique_ptr<hv::Hypervisor> hv;
  std::shared_ptr<hv::Vm> vm;
  std::unique_ptr<hv::Vcpu> vcpu;
  std::shared_ptr<GuestMemory> memory;
  RecordingGuestIo io;
  bool long64 = false;

  Fixture() {
    hv = OpenMshvWith(driver, "/dev/mshv").value();
    vm = hv->CreateVm(hv::VmConfig{2, true}).value();
    auto host = HostRegion::Anonymous(kRamSize).value();
    memory = GuestMemory::Create({GuestRegion{0, kRamSize, host}}).value();
    EXPECT_TRUE(vm->MapMemory(memory).ok());
    vcpu = vm->CreateVcpu(kVp).value();
    Protected32();
  }
  void Set(uint32_t name, uint64_t value) { driver->SetRegister(kVp, name, {value, 0}); }
  uint64_t Reg(uint32_t name) const { return driver->Register(kVp, name).low; }
  void SetSegment(uint32_t name, const hv::Segment& s) {
    driver->SetRegister(kVp, name, SegmentToHv(s));
  }
  // 32-bit protected mode, flat segments, paging off.
  void Protected32() {
    long64 = false;
    Set(kHvX64RegCr0, x86emu::kCr0Pe);
    Set(kHvX64RegEfer, 0);
    for (uint32_t s : {kHvX64RegDs, kHvX64RegEs, kHvX64RegSs, kHvX64RegFs, kHvX64RegGs}) {
      SetSegment(s, Flat(false));
    }
  }
  // 64-bit mode, 4-level paging: GVA 0..2 MiB identity-mapped in 4 KiB pages
  // (PT at 0x4000), GVA 2..4 MiB one 2 MiB page onto kMmio.
  void Long64() {
    long64 = true;
    constexpr uint64_t P = 1, W = 2, PS = 0x80;
    Set(kHvX64RegCr0, x86emu::kCr0Pe | x86emu::kCr0Pg);
    Set(kHvX64RegCr4, x86emu::kCr4Pae);
    Set(kHvX64RegEfer, x86emu::kEferLma | (1ull << 8));
    Set(kHvX64RegCr3, 0x1000);
    Poke64(0x1000, 0x2000 | P | W);
    Poke64(0x2000, 0x3000 | P | W);
    Poke64(0x3000, 0x4000 | P | W);
    Poke64(0x3008, kMmio | P | W | PS);
    for (uint64_t i = 0; i < 512; ++i) Poke64(0x4000 + 8 * i, (i << 12) | P | W);
    for (uint32_t s : {kHvX64RegDs, kHvX64RegEs, kHvX64RegSs, kHvX64RegFs, kHvX64RegGs}) {
      SetSegment(s, Flat(false, true));
    }
  }
  void Poke64(uint64_t gpa, uint64_t v) { ASSERT_TRUE(memory->WriteObj(gpa, v).ok()); }
  HvX64SegmentRegister Cs() const { return HvSeg(Flat(true, long64)); }
  uint16_t ExecState() const {
    return static_cast<uint16_t>(kExecStateCr0Pe | (long64 ? kExecStateEferLma : 0));
  }

  HvX64MemoryInterceptMessage Mmio(uint64_t gpa, bool write, std::initializer_list<uint8_t> bytes,
                                   uint8_t len) {
    auto m = testing::Memory(kVp, gpa, write, kRip);
    m.header.cs_segment = Cs();
    m.header.execution_state = ExecState();
    m.header.rflags = 0x2;
    m.header.instruction_length_cr8 = len;
    std::memset(m.instruction_bytes, 0, sizeof m.instruction_bytes);
    std::copy(bytes.begin(), bytes.end(), m.instruction_bytes);
    m.instruction_byte_count = static_cast<uint8_t>(bytes.size());
    return m;
  }
  HvX64IoPortInterceptMessage StringIo(uint8_t size, bool out, bool rep,
                                       std::initializer_list<uint8_t> bytes) {
    auto m = testing::StringIo(kVp, 0x3f8, size, out, rep, kRip, bytes);
    Set(kHvX64RegRdx, 0x3f8);  // the port: DX (the message's port_number is a copy)
    m.header.cs_segment = Cs();
    m.header.execution_state = ExecState();
    m.header.rflags = 0x2;
    m.ds_segment = m.es_segment = HvSeg(Flat(false, long64));
    return m;
  }

  // Queues `m` then a halt; Halted shows `m` was handled and the vCPU ran on.
  template <class T>
  hv::VcpuExit Run(uint32_t type, const T& m) {
    driver->QueueMessage(MakeMessage(type, m));
    driver->QueueMessage(MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{kVp}));
    auto exit = vcpu->Run(io);
    EXPECT_TRUE(exit.ok()) << exit.error().message();
    return exit.ok() ? *exit : hv::VcpuExit(hv::exit::InternalError{"run failed"});
  }
  size_t Gets() const { return driver->Hvcalls(kHvcallGetVpRegisters).size(); }
  std::vector<FakeMshvDriver::Call> Sets() const { return driver->Hvcalls(kHvcallSetVpRegisters); }
  // The register names one SET_VP_REGISTERS call wrote.
  static std::vector<uint32_t> Names(const FakeMshvDriver::Call& c) {
    std::vector<uint32_t> out;
    for (size_t at = sizeof(HvInputVpRegistersHeader); at + sizeof(HvRegisterAssoc) <= c.hvcall_input.size();
         at += sizeof(HvRegisterAssoc)) {
      HvRegisterAssoc a;
      std::memcpy(&a, c.hvcall_input.data() + at, sizeof a);
      out.push_back(a.name);
    }
    return out;
  }
};

bool Halted(const hv::VcpuExit& e) { return std::holds_alternative<hv::exit::Halted>(e); }

// --- MMIO ---------------------------------------------------------------

TEST(MshvMmio, StoreOfEaxIsOneFourByteWriteAndOnlyRipIsWrittenBack) {
  Fixture f;
  f.Set(kHvX64RegRax, 0x5566778811223344ull);
  f.Set(kHvX64RegRbx, kMmio + 0x10);
  auto exit = f.Run(kHvMsgUnmappedGpa, f.Mmio(kMmio + 0x10, true, {0x89, 0x03}, 2));  // mov %eax,(%rbx)
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 1u);
  EXPECT_EQ(f.io.accesses[0].kind, Kind::kMmioWrite);
  EXPECT_EQ(f.io.accesses[0].vcpu, kVp);
  EXPECT_EQ(f.io.accesses[0].addr, kMmio + 0x10);
  EXPECT_EQ(f.io.accesses[0].data, (std::vector<uint8_t>{0x44, 0x33, 0x22, 0x11}));
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
  // One batched read (RIP, RFLAGS and CS came with the message), one write of RIP.
  EXPECT_EQ(f.Gets(), 1u);
  ASSERT_EQ(f.Sets().size(), 1u);
  EXPECT_EQ(Fixture::Names(f.Sets()[0]), (std::vector<uint32_t>{kHvX64RegRip}));
}

TEST(MshvMmio, LoadIntoEcxZeroExtends) {
  for (uint32_t type : {kHvMsgUnmappedGpa, kHvMsgGpaIntercept}) {
    Fixture f;
    f.Set(kHvX64RegRcx, 0xffffffffffffffffull);
    f.Set(kHvX64RegRbx, kMmio);
    auto exit = f.Run(type, f.Mmio(kMmio, false, {0x8b, 0x0b}, 2));  // mov (%rbx),%ecx
    ASSERT_TRUE(Halted(exit)) << InternalText(exit);
    ASSERT_EQ(f.io.accesses.size(), 1u);
    EXPECT_EQ(f.io.accesses[0].kind, Kind::kMmioRead);
    EXPECT_EQ(f.io.accesses[0].data.size(), 4u);
    EXPECT_EQ(f.Reg(kHvX64RegRcx), 0xddccbbaau);  // RecordingGuestIo reads aa bb cc dd
    EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
  }
}

TEST(MshvMmio, RepMovsbFromRamToMmio) {
  Fixture f;
  const uint8_t src[5] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(f.memory->Write(0x1000, src).ok());
  f.Set(kHvX64RegRsi, 0x1000);
  f.Set(kHvX64RegRdi, kMmio);
  f.Set(kHvX64RegRcx, 5);
  auto exit = f.Run(kHvMsgUnmappedGpa, f.Mmio(kMmio, true, {0xf3, 0xa4}, 2));  // rep movsb
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 5u);
  for (unsigned i = 0; i < 5; ++i) {
    EXPECT_EQ(f.io.accesses[i].kind, Kind::kMmioWrite);
    EXPECT_EQ(f.io.accesses[i].addr, kMmio + i);
    EXPECT_EQ(f.io.accesses[i].data, std::vector<uint8_t>{src[i]});
  }
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 0u);
  EXPECT_EQ(f.Reg(kHvX64RegRsi), 0x1005u);
  EXPECT_EQ(f.Reg(kHvX64RegRdi), kMmio + 5);
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
}

TEST(MshvMmio, ALongRepStopsAfterItsChunksWithRipOnTheInstruction) {
  Fixture f;
  const uint64_t per_exit = uint64_t{kMmioRepChunk} * kMmioRepChunksPerExit;
  f.Set(kHvX64RegRdi, kMmio);
  f.Set(kHvX64RegRcx, per_exit + 10);
  f.Set(kHvX64RegRax, 0x5a);
  auto exit = f.Run(kHvMsgUnmappedGpa, f.Mmio(kMmio, true, {0xf3, 0xaa}, 2));  // rep stosb
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_EQ(f.io.accesses.size(), per_exit);
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 10u);
  EXPECT_EQ(f.Reg(kHvX64RegRdi), kMmio + per_exit);
  EXPECT_EQ(f.Reg(kHvX64RegRip), 0u);  // never written: the guest re-executes
  EXPECT_EQ(f.Gets(), 1u);             // one read for every chunk
}

TEST(MshvMmio, UnsupportedInstructionNamesMnemonicGpaAndRip) {
  Fixture f;
  f.Set(kHvX64RegRbx, kMmio);
  auto exit = f.Run(kHvMsgUnmappedGpa, f.Mmio(kMmio, true, {0xff, 0x03}, 2));  // incl (%rbx)
  const std::string what = InternalText(exit);
  EXPECT_NE(what.find("cannot emulate inc"), std::string::npos) << what;
  EXPECT_NE(what.find("GPA 0xd0000000"), std::string::npos) << what;
  EXPECT_NE(what.find("RIP 0x7000"), std::string::npos) << what;
  EXPECT_NE(what.find("ff 03"), std::string::npos) << what;
  EXPECT_TRUE(f.io.accesses.empty());
  EXPECT_TRUE(f.Sets().empty());  // nothing written back
}

TEST(MshvMmio, GarbageBytesAreAnInternalErrorNotACrash) {
  Fixture f;
  auto exit = f.Run(kHvMsgUnmappedGpa, f.Mmio(kMmio, true, {0x0f, 0x0b}, 2));  // ud2
  EXPECT_NE(InternalText(exit).find("cannot emulate"), std::string::npos) << InternalText(exit);
}

TEST(MshvMmio, AGuestFaultIsInjectedAsPendingEvent0) {
  Fixture f;
  hv::Segment ds = Flat(false);
  ds.limit = 0xff;  // the access at offset kMmio is past DS's limit: #GP(0)
  f.SetSegment(kHvX64RegDs, ds);
  f.Set(kHvX64RegRbx, kMmio);
  auto exit = f.Run(kHvMsgUnmappedGpa, f.Mmio(kMmio, true, {0x89, 0x03}, 2));
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_TRUE(f.io.accesses.empty());
  const HvRegisterValue event = f.driver->Register(kVp, kHvRegPendingEvent0);
  EXPECT_EQ(event.low, kPendingEventPending | kPendingEventDeliverErrorCode |
                           (uint64_t{13} << kPendingEventVectorShift));
  EXPECT_EQ(f.Reg(kHvX64RegRip), 0u);  // stays on the instruction
}

TEST(MshvMmio, LongModeUsesTheHypervisorsTranslationOrThePageWalk) {
  {
    Fixture f;  // GVA 0x8000 -> kMmio by the message's hint: no walk needed
    f.Long64();
    f.Set(kHvX64RegRbx, 0x8004);
    auto m = f.Mmio(kMmio + 4, true, {0x89, 0x03}, 2);
    m.guest_virtual_address = 0x8004;
    f.Set(kHvX64RegCr3, 0xdead000);  // a walk would fail
    auto exit = f.Run(kHvMsgUnmappedGpa, m);
    ASSERT_TRUE(Halted(exit)) << InternalText(exit);
    ASSERT_EQ(f.io.accesses.size(), 1u);
    EXPECT_EQ(f.io.accesses[0].addr, kMmio + 4);
  }
  {
    Fixture f;  // no hint: the 2 MiB page at GVA 2 MiB -> kMmio
    f.Long64();
    f.Set(kHvX64RegRbx, (2ull << 20) + 0x1234);
    auto m = f.Mmio(kMmio + 0x1234, true, {0x89, 0x03}, 2);
    m.memory_access_info = 0;
    auto exit = f.Run(kHvMsgGpaIntercept, m);
    ASSERT_TRUE(Halted(exit)) << InternalText(exit);
    ASSERT_EQ(f.io.accesses.size(), 1u);
    EXPECT_EQ(f.io.accesses[0].addr, kMmio + 0x1234);
    EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
  }
}

TEST(MshvMmio, MissingInstructionBytesAreFetchedFromGuestMemory) {
  Fixture f;
  const uint8_t code[2] = {0x89, 0x03};
  ASSERT_TRUE(f.memory->Write(kRip, code).ok());
  f.Set(kHvX64RegRbx, kMmio);
  f.Set(kHvX64RegRax, 7);
  auto m = f.Mmio(kMmio, true, {}, 2);
  auto exit = f.Run(kHvMsgUnmappedGpa, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 1u);
  EXPECT_EQ(f.io.accesses[0].data, (std::vector<uint8_t>{7, 0, 0, 0}));
}

// --- String port I/O ----------------------------------------------------

// String port I/O runs through the emulator as MMIO does: the same REP cap.
constexpr uint64_t kStringIoPerExit = uint64_t{kMmioRepChunk} * kMmioRepChunksPerExit;

TEST(MshvStringIo, RepOutsbReadsRamAndWritesThePort) {
  Fixture f;
  const uint8_t src[3] = {'a', 'b', 'c'};
  ASSERT_TRUE(f.memory->Write(0x1000, src).ok());
  auto m = f.StringIo(1, /*out=*/true, /*rep=*/true, {0xf3, 0x6e});
  m.rcx = 3;
  m.rsi = 0x1000;
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 3u);
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(f.io.accesses[i].kind, Kind::kPioWrite);
    EXPECT_EQ(f.io.accesses[i].addr, 0x3f8u);
    EXPECT_EQ(f.io.accesses[i].data, std::vector<uint8_t>{src[i]});
  }
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 0u);
  EXPECT_EQ(f.Reg(kHvX64RegRsi), 0x1003u);
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
}

TEST(MshvStringIo, RepInswWithDirectionFlagGoesDown) {
  Fixture f;
  auto m = f.StringIo(2, /*out=*/false, /*rep=*/true, {0x66, 0xf3, 0x6d});
  m.header.rflags = 0x2 | (1u << 10);  // DF
  m.rcx = 2;
  m.rdi = 0x2004;
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 2u);
  EXPECT_EQ(f.io.accesses[0].kind, Kind::kPioRead);
  EXPECT_EQ(f.io.accesses[0].data.size(), 2u);
  EXPECT_EQ(f.memory->ReadObj<uint16_t>(0x2004).value(), 0xbbaa);
  EXPECT_EQ(f.memory->ReadObj<uint16_t>(0x2002).value(), 0xbbaa);
  EXPECT_EQ(f.memory->ReadObj<uint16_t>(0x2000).value(), 0u);
  EXPECT_EQ(f.Reg(kHvX64RegRdi), 0x2000u);
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 0u);
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 3);
}

TEST(MshvStringIo, InsdAcrossAPageBoundaryUnderPaging) {
  Fixture f;
  f.Long64();
  // GVA 0x10000 -> GPA 0x30000, GVA 0x11000 -> GPA 0x50000.
  f.Poke64(0x4000 + 8 * 0x10, 0x30000 | 3);
  f.Poke64(0x4000 + 8 * 0x11, 0x50000 | 3);
  auto m = f.StringIo(4, /*out=*/false, /*rep=*/false, {0x6d});
  m.rdi = 0x10ffe;
  m.header.instruction_length_cr8 = 1;
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 1u);
  EXPECT_EQ(f.memory->ReadObj<uint16_t>(0x30ffe).value(), 0xbbaa);
  EXPECT_EQ(f.memory->ReadObj<uint16_t>(0x50000).value(), 0xddcc);
  EXPECT_EQ(f.Reg(kHvX64RegRdi), 0x11002u);
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 1);
}

TEST(MshvStringIo, APageFaultKeepsTheDoneElementsAndIsInjected) {
  Fixture f;
  f.Long64();
  f.Poke64(0x4000 + 8 * 0x21, 0);  // GVA 0x21000 not present
  auto m = f.StringIo(1, /*out=*/false, /*rep=*/true, {0xf3, 0x6c});
  m.rcx = 10;
  m.rdi = 0x20ffe;  // two bytes, then the missing page
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_EQ(f.io.accesses.size(), 2u);  // the port is not read for the faulting element
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 8u);
  EXPECT_EQ(f.Reg(kHvX64RegRdi), 0x21000u);
  EXPECT_EQ(f.Reg(kHvX64RegRip), 0u);  // stays on the instruction
  const HvRegisterValue event = f.driver->Register(kVp, kHvRegPendingEvent0);
  EXPECT_EQ(event.low & 0xffffffffu, kPendingEventPending | kPendingEventDeliverErrorCode |
                                          (uint32_t{14} << kPendingEventVectorShift));
  EXPECT_EQ(event.low >> 32, 0x2u | 0x0u);  // write, not present
  EXPECT_EQ(event.high, 0x21000u);           // CR2
}

TEST(MshvStringIo, RepCountIsCappedPerIntercept) {
  Fixture f;
  auto m = f.StringIo(1, /*out=*/true, /*rep=*/true, {0xf3, 0x6e});
  m.rcx = kStringIoPerExit + 5;
  m.rsi = 0x1000;
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_EQ(f.io.accesses.size(), kStringIoPerExit);
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 5u);
  EXPECT_EQ(f.Reg(kHvX64RegRsi), 0x1000 + kStringIoPerExit);
  EXPECT_EQ(f.Reg(kHvX64RegRip), 0u);  // re-executed by the guest
}

TEST(MshvStringIo, RepWithZeroCountOnlyMovesRip) {
  Fixture f;
  auto m = f.StringIo(1, /*out=*/true, /*rep=*/true, {0xf3, 0x6e});
  m.rcx = 0xffffffff00000000ull;  // ECX = 0 at a 32-bit address size
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_TRUE(f.io.accesses.empty());
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
  EXPECT_EQ(f.Gets(), 1u);  // the mode's registers (CR0, EFER), once
}

TEST(MshvStringIo, AddressSizePrefixIn64BitModeUsesEdiAndZeroExtends) {
  Fixture f;
  f.Long64();
  auto m = f.StringIo(1, /*out=*/false, /*rep=*/false, {0x67, 0x6c});  // insb (%dx),(%edi)
  m.rdi = 0xffffffff00002000ull;
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_EQ(f.memory->ReadObj<uint8_t>(0x2000).value(), 0xaa);
  EXPECT_EQ(f.Reg(kHvX64RegRdi), 0x2001u);
}

TEST(MshvStringIo, SegmentOverrideAndLimit) {
  Fixture f;
  hv::Segment fs = Flat(false);
  fs.base = 0x3000;
  fs.limit = 0x10;
  f.SetSegment(kHvX64RegFs, fs);
  const uint8_t byte[1] = {0x42};
  ASSERT_TRUE(f.memory->Write(0x3008, byte).ok());
  auto m = f.StringIo(1, /*out=*/true, /*rep=*/false, {0x64, 0x6e});  // outsb %fs:(%esi),(%dx)
  m.rsi = 0x8;
  auto exit = f.Run(kHvMsgX64IoPortIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  ASSERT_EQ(f.io.accesses.size(), 1u);
  EXPECT_EQ(f.io.accesses[0].data, std::vector<uint8_t>{0x42});

  Fixture g;  // past the limit: #GP(0), nothing written to the port
  g.SetSegment(kHvX64RegFs, fs);
  auto past = g.StringIo(1, /*out=*/true, /*rep=*/false, {0x64, 0x6e});
  past.rsi = 0x11;
  auto e2 = g.Run(kHvMsgX64IoPortIntercept, past);
  ASSERT_TRUE(Halted(e2)) << InternalText(e2);
  EXPECT_TRUE(g.io.accesses.empty());
  EXPECT_EQ(g.driver->Register(kVp, kHvRegPendingEvent0).low & 0xffffffffu,
            kPendingEventPending | kPendingEventDeliverErrorCode |
                (uint32_t{13} << kPendingEventVectorShift));
}

// --- CPUID and MSRs -----------------------------------------------------

TEST(MshvCpuid, SetCpuidRegistersOneInterceptResultPerEntry) {
  Fixture f;
  auto supported = f.hv->SupportedCpuid().value();
  auto table = x86::BuildGuestCpuid(supported, kVp, 2);
  ASSERT_TRUE(f.vcpu->SetCpuid(table).ok());
  const auto calls = f.driver->Hvcalls(kHvcallRegisterInterceptResult);
  ASSERT_EQ(calls.size(), table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    ASSERT_EQ(calls[i].hvcall_input.size(), sizeof(HvInputRegisterInterceptResult));
    EXPECT_EQ(calls[i].kind, FakeMshvDriver::FdKind::kVp);
    HvInputRegisterInterceptResult in;
    std::memcpy(&in, calls[i].hvcall_input.data(), sizeof in);
    EXPECT_EQ(in.partition_id, 0u);
    EXPECT_EQ(in.vp_index, kVp);
    EXPECT_EQ(in.intercept_type, kHvInterceptTypeX64Cpuid);
    EXPECT_EQ(in.cpuid.input_eax, table[i].function);
    EXPECT_EQ(in.cpuid.input_ecx, table[i].index);
    EXPECT_EQ(in.cpuid.subleaf_specific,
              (table[i].flags & hv::kCpuidFlagSignificantIndex) ? 1u : 0u);
    EXPECT_EQ(in.cpuid.always_override, 1u);
    EXPECT_EQ(in.cpuid.eax, table[i].eax);
    EXPECT_EQ(in.cpuid.eax_mask, table[i].eax);
    EXPECT_EQ(in.cpuid.ecx, table[i].ecx);
    EXPECT_EQ(in.cpuid.ecx_mask, table[i].ecx);
    EXPECT_EQ(in.cpuid.edx_mask, table[i].edx);
  }
  // Leaf 1 carries the APIC id and "hypervisor present"; 0xB its subleaves.
  bool leaf1 = false, topology = false;
  for (const auto& e : table) {
    leaf1 = leaf1 || (e.function == 1 && (e.ebx >> 24) == kVp && (e.ecx & (1u << 31)));
    topology = topology || (e.function == 0xb && e.edx == kVp);
  }
  EXPECT_TRUE(leaf1);
  EXPECT_TRUE(topology);
}

TEST(MshvCpuid, ARefusedRegistrationNamesTheLeaf) {
  Fixture f;
  hv::CpuidEntry e;
  e.function = 0x80000001;
  f.driver->FailNextHvcall(kHvcallRegisterInterceptResult, 0x5);
  const hv::CpuidEntry one[1] = {e};
  auto r = f.vcpu->SetCpuid(one);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("leaf 0x80000001"), std::string::npos) << r.error().message();
}

TEST(MshvCpuid, InterceptAnswersFromTheTableOverTheDefault) {
  Fixture f;
  hv::CpuidEntry leaf7;
  leaf7.function = 7;
  leaf7.index = 0;
  leaf7.flags = hv::kCpuidFlagSignificantIndex;
  leaf7.ebx = 1u << 9;
  const hv::CpuidEntry table[1] = {leaf7};
  ASSERT_TRUE(f.vcpu->SetCpuid(table).ok());
  auto m = testing::Cpuid(kVp, 7, 0, kRip);
  m.rax = 0xffffffff00000007ull;
  m.default_result_rax = 0x2;
  m.default_result_rbx = 0x1;
  m.default_result_rcx = 0x4;
  m.default_result_rdx = 0x8;
  f.Set(kHvX64RegRdx, 0xffffffffffffffffull);
  auto exit = f.Run(kHvMsgX64CpuidIntercept, m);
  ASSERT_TRUE(Halted(exit)) << InternalText(exit);
  EXPECT_EQ(f.Reg(kHvX64RegRax), 0x2u);
  EXPECT_EQ(f.Reg(kHvX64RegRbx), 0x201u);
  EXPECT_EQ(f.Reg(kHvX64RegRcx), 0x4u);
  EXPECT_EQ(f.Reg(kHvX64RegRdx), 0x8u);  // zero-extended
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);

  // Subleaf 1 of a significant-index leaf is not the table's: the default.
  auto other = testing::Cpuid(kVp, 7, 1, kRip);
  other.default_result_rbx = 0x1;
  ASSERT_TRUE(Halted(f.Run(kHvMsgX64CpuidIntercept, other)));
  EXPECT_EQ(f.Reg(kHvX64RegRbx), 0x1u);
}

TEST(MshvMsr, RdmsrReadsZeroWrmsrIsDroppedBothMoveRip) {
  Fixture f;
  f.Set(kHvX64RegRax, 0x1234);
  f.Set(kHvX64RegRdx, 0x5678);
  ASSERT_TRUE(Halted(f.Run(kHvMsgX64MsrIntercept, testing::Msr(kVp, 0x3a, false, kRip))));
  EXPECT_EQ(f.Reg(kHvX64RegRax), 0u);
  EXPECT_EQ(f.Reg(kHvX64RegRdx), 0u);
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 2);
  f.Set(kHvX64RegRax, 0x1234);
  ASSERT_TRUE(Halted(f.Run(kHvMsgX64MsrIntercept, testing::Msr(kVp, 0x3a, true, kRip + 2))));
  EXPECT_EQ(f.Reg(kHvX64RegRax), 0x1234u);
  EXPECT_EQ(f.Reg(kHvX64RegRip), kRip + 4);
  EXPECT_TRUE(f.io.accesses.empty());
}

TEST(MshvMsr, BadMessagesAreInternalErrors) {
  Fixture f;
  auto m = testing::Msr(kVp, 0x3a, false, kRip);
  m.header.instruction_length_cr8 = 0;
  f.driver->QueueMessage(MakeMessage(kHvMsgX64MsrIntercept, m));
  EXPECT_NE(InternalText(*f.vcpu->Run(f.io)).find("without an instruction length"),
            std::string::npos);
  auto c = testing::Cpuid(kVp + 1, 0, 0, kRip);
  f.driver->QueueMessage(MakeMessage(kHvMsgX64CpuidIntercept, c));
  EXPECT_NE(InternalText(*f.vcpu->Run(f.io)).find("delivered to vCPU"), std::string::npos);
}

}  // namespace
}  // namespace petrel::mshv
