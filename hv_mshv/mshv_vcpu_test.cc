// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for MshvVcpu's state accessors and run-loop mechanics (kicks, the
// time thaw) on the fake driver. Message handling: mshv_intercept_test.cc.
#include "hv_mshv/mshv_vcpu.h"

#include <gtest/gtest.h>

#include <cstring>

#include "hv_mshv/mshv_hypervisor.h"
#include "hv_mshv/testing/fake_mshv_driver.h"
#include "hv_mshv/testing/messages.h"
#include "hv_mshv/testing/recording_guest_io.h"

namespace petrel::mshv {
namespace {

struct Fixture {
  std::shared_ptr<FakeMshvDriver> driver = std::make_shared<FakeMshvDriver>();
  std::unique_ptr<hv::Hypervisor> hv;
  std::shared_ptr<hv::Vm> vm;
  std::unique_ptr<hv::Vcpu> vcpu;
  explicit Fixture(uint32_t id = 1) {
    hv = OpenMshvWith(driver, "/dev/mshv").value();
    vm = hv->CreateVm(hv::VmConfig{4, true}).value();
    vcpu = vm->CreateVcpu(id).value();
  }
};

TEST(MshvVcpu, RegsRoundTripThroughTheHypercalls) {
  Fixture f;
  hv::Regs regs;
  for (size_t i = 0; i < 16; ++i) regs.gpr[i] = 0x1000 + i;
  regs.rip = 0xfff0;
  regs.rflags = 0x202;
  ASSERT_TRUE(f.vcpu->SetRegs(regs).ok());
  EXPECT_EQ(f.driver->Register(1, kHvX64RegRbx).low, 0x1003u);  // hv::kRbx = 3
  EXPECT_EQ(f.driver->Register(1, kHvX64RegRip).low, 0xfff0u);
  auto back = f.vcpu->GetRegs();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, regs);
  // One hypercall each way, on the VP's fd.
  ASSERT_EQ(f.driver->Hvcalls(kHvcallSetVpRegisters).size(), 1u);
  EXPECT_EQ(f.driver->Hvcalls(kHvcallSetVpRegisters)[0].kind, FakeMshvDriver::FdKind::kVp);
  EXPECT_EQ(f.driver->Hvcalls(kHvcallGetVpRegisters)[0].As<MshvRootHvcall>().reps, 18);
}

TEST(MshvVcpu, SregsRoundTrip) {
  Fixture f;
  hv::Sregs s;
  s.cs.base = 0;
  s.cs.limit = 0xffffffff;
  s.cs.selector = 0x10;
  s.cs.type = 0xb;
  s.cs.present = true;
  s.cs.s = true;
  s.cs.l = true;
  s.cs.g = true;
  s.ds = s.es = s.fs = s.gs = s.ss = s.cs;
  s.ds.type = 3;
  s.ds.l = false;
  s.ds.db = true;
  s.tr.type = 0xb;
  s.tr.present = true;
  s.ldt.present = false;
  s.ldt.unusable = true;
  s.gdt = {0x500, 0x1f};
  s.idt = {0x520, 0xfff};
  s.cr0 = 0x80050033;
  s.cr3 = 0x9000;
  s.cr4 = 0x20;
  s.efer = 0x500;
  s.apic_base = 0xfee00900;
  ASSERT_TRUE(f.vcpu->SetSregs(s).ok());
  EXPECT_EQ(f.driver->Register(1, kHvX64RegEfer).low, 0x500u);
  EXPECT_EQ(f.driver->Register(1, kHvX64RegCr0).low, 0x80050033u);
  auto back = f.vcpu->GetSregs();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
}

TEST(MshvVcpu, SetFpuChangesOnlyFcwAndMxcsr) {
  Fixture f;
  HvRegisterValue fp{0x1111'2222'3333'0000ull, 0x4444};
  f.driver->SetRegister(1, kHvX64RegFpControlStatus, fp);
  HvRegisterValue xmm{0x5555, 0x6666'7777'0000'0000ull};
  f.driver->SetRegister(1, kHvX64RegXmmControlStatus, xmm);
  ASSERT_TRUE(f.vcpu->SetFpu(hv::Fpu{0x37f, 0x1f80}).ok());
  EXPECT_EQ(f.driver->Register(1, kHvX64RegFpControlStatus),
            (HvRegisterValue{0x1111'2222'3333'037full, 0x4444}));
  EXPECT_EQ(f.driver->Register(1, kHvX64RegXmmControlStatus),
            (HvRegisterValue{0x5555, 0x6666'7777'0000'1f80ull}));
}

TEST(MshvVcpu, MsrsAsRegisters) {
  Fixture f;
  const hv::MsrEntry set[2] = {{0x2ff, 0x806}, {0xc0000082, 0xffffffff81000000ull}};
  ASSERT_TRUE(f.vcpu->SetMsrs(set).ok());
  EXPECT_EQ(f.driver->Register(1, kHvX64RegMtrrDefType).low, 0x806u);
  EXPECT_EQ(f.driver->Register(1, kHvX64RegLstar).low, 0xffffffff81000000ull);
  hv::MsrEntry get[2] = {{0xc0000082, 0}, {0x2ff, 0}};
  ASSERT_TRUE(f.vcpu->GetMsrs(get).ok());
  EXPECT_EQ(get[0].value, 0xffffffff81000000ull);
  EXPECT_EQ(get[1].value, 0x806u);
  // An MSR without a register name: nothing set, the MSR named.
  const size_t before = f.driver->Hvcalls(kHvcallSetVpRegisters).size();
  const hv::MsrEntry bad[2] = {{0x2ff, 1}, {0x3a, 1}};
  auto r = f.vcpu->SetMsrs(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(r.error().message().find("0x3a"), std::string::npos);
  EXPECT_EQ(f.driver->Hvcalls(kHvcallSetVpRegisters).size(), before);
}

TEST(MshvVcpu, SaveRestoreRoundTripsWhatTheRegistersHold) {
  Fixture f;
  hv::VcpuState st = f.vcpu->SaveState().value();  // all zero from the fake
  st.regs.gpr[hv::kRbx] = 0x1234;
  st.regs.rip = 0xfff0;
  st.regs.rflags = 0x202;
  st.sregs.cr0 = 0x80050033;
  st.sregs.cr3 = 0x1000;
  st.sregs.efer = 0xd01;
  st.debug.db[2] = 0xdead;
  st.debug.dr7 = 0x401;
  st.xcrs = {{0, 0x7}};
  st.events.interrupt.shadow = 1;
  st.events.nmi.masked = true;
  ASSERT_EQ(st.msrs.size(), 13u);
  for (auto& m : st.msrs) m.value = m.index * 3;
  const uint16_t fcw = 0x27f;
  const uint32_t mxcsr = 0x1fa0;
  std::memcpy(st.xsave.data() + hv::kXsaveFcwOffset, &fcw, sizeof fcw);
  std::memcpy(st.xsave.data() + hv::kXsaveMxcsrOffset, &mxcsr, sizeof mxcsr);
  st.lapic[0x20] = 0x3;  // APIC id
  st.lapic[0xf0] = 0xff;  // SVR
  ASSERT_TRUE(f.vcpu->RestoreState(st).ok());
  EXPECT_EQ(f.driver->CallsOf(kMshvSetVpState).size(), 1u);
  EXPECT_EQ(f.driver->Register(1, kHvRegInterruptState).low, 3u);
  auto back = f.vcpu->SaveState();
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->regs, st.regs);
  EXPECT_EQ(back->sregs, st.sregs);
  EXPECT_EQ(back->debug, st.debug);
  EXPECT_EQ(back->msrs, st.msrs);
  EXPECT_EQ(back->xsave, st.xsave);
  EXPECT_EQ(back->xcrs, st.xcrs);
  EXPECT_EQ(back->lapic, st.lapic);
  EXPECT_EQ(back->events, st.events);
  EXPECT_EQ(*back, st);
  EXPECT_EQ(f.driver->CallsOf(kMshvGetVpState).back().As<MshvGetSetVpState>().type, kVpStateLapic);
}

TEST(MshvVcpu, RestoreRefusesWhatItCannotHold) {
  Fixture f;
  hv::VcpuState st = f.vcpu->SaveState().value();
  st.xsave.resize(100);
  EXPECT_EQ(f.vcpu->RestoreState(st).error().code(), ErrorCode::kInvalidArgument);
  st = f.vcpu->SaveState().value();
  st.xcrs.push_back({1, 1});
  EXPECT_EQ(f.vcpu->RestoreState(st).error().code(), ErrorCode::kUnsupported);
  st = f.vcpu->SaveState().value();
  st.msrs.push_back({0x3a, 1});  // no MSHV register name
  EXPECT_EQ(f.vcpu->RestoreState(st).error().code(), ErrorCode::kUnsupported);
}

TEST(MshvVcpu, FirstRunUnfreezesTimeOnce) {
  Fixture f;
  RecordingGuestIo io;
  f.driver->QueueMessage(testing::MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{1}));
  f.driver->QueueMessage(testing::MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{1}));
  EXPECT_EQ(f.driver->PropertyHistory(kPropTimeFreeze), std::vector<uint64_t>{1});
  ASSERT_TRUE(f.vcpu->Run(io).ok());
  EXPECT_EQ(f.driver->PropertyHistory(kPropTimeFreeze), (std::vector<uint64_t>{1, 0}));
  auto second_vcpu = f.vm->CreateVcpu(2).value();
  ASSERT_TRUE(second_vcpu->Run(io).ok());
  EXPECT_EQ(f.driver->PropertyHistory(kPropTimeFreeze), (std::vector<uint64_t>{1, 0}));
}

TEST(MshvVcpu, PauseFreezesTimeAndResumeThawsIt) {
  Fixture f;
  RecordingGuestIo io;
  f.driver->QueueMessage(testing::MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{1}));
  ASSERT_TRUE(f.vcpu->Run(io).ok());
  ASSERT_TRUE(f.vm->Pause().ok());
  ASSERT_TRUE(f.vm->Resume().ok());
  f.driver->QueueMessage(testing::MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{1}));
  ASSERT_TRUE(f.vcpu->Run(io).ok());
  // Created frozen, thawed by the first run, frozen and thawed by the pause.
  EXPECT_EQ(f.driver->PropertyHistory(kPropTimeFreeze), (std::vector<uint64_t>{1, 0, 1, 0}));
}

TEST(MshvVcpu, KickBeforeRunReturnsInterruptedWithoutEntering) {
  Fixture f;
  RecordingGuestIo io;
  f.vcpu->kicker()->Kick();
  auto exit = f.vcpu->Run(io);
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(*exit));
  EXPECT_TRUE(f.driver->CallsOf(kMshvRunVp).empty());
  // The kick was consumed: the next Run enters.
  f.driver->QueueMessage(testing::MakeMessage(kHvMsgX64Halt, HvX64HaltMessage{1}));
  exit = f.vcpu->Run(io);
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::Halted>(*exit));
}

TEST(MshvVcpu, EintrFromRunVpIsInterrupted) {
  Fixture f;
  RecordingGuestIo io;
  f.driver->QueueRunError(EINTR);
  auto exit = f.vcpu->Run(io);
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::Interrupted>(*exit));
  EXPECT_EQ(f.driver->CallsOf(kMshvRunVp).size(), 1u);  // not retried
}

TEST(MshvVcpu, RunVpFailureIsAnError) {
  Fixture f;
  RecordingGuestIo io;
  f.driver->QueueRunError(EFAULT);
  auto exit = f.vcpu->Run(io);
  ASSERT_FALSE(exit.ok());
  EXPECT_NE(exit.error().message().find("MSHV_RUN_VP"), std::string::npos);
}

}  // namespace
}  // namespace petrel::mshv
