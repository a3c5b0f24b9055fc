// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for hv_sim/sim_vcpu.h: scripted steps through a real IoDispatcher.
#include "hv_sim/sim_vcpu.h"

#include <gtest/gtest.h>

#include "core/io/io_dispatcher.h"
#include "hv_sim/sim_fake_devices.h"
#include "hv_sim/sim_hypervisor.h"

namespace petrel::sim {
namespace {

using testing::IrqOnWriteDevice;
using testing::ScratchDevice;

constexpr uint16_t kScratchPort = 0x100;
constexpr uint16_t kIrqPort = 0x200;
constexpr uint32_t kIrqPin = 4;
constexpr uint64_t kScratchMmio = 0xd0000000;
constexpr uint64_t kRamSize = 1 << 20;

template <class T>
bool Is(const Result<hv::VcpuExit>& r) {
  return r.ok() && std::holds_alternative<T>(*r);
}

class SimVcpuTest : public ::testing::Test {
 protected:
  void SetUp() override { Init(SimConfig{}); }

  void Init(const SimConfig& config) {
    regs_.clear();  // before the old dispatcher's buses go away
    vcpu_.reset();
    hv_ = MakeSimHypervisor(config);
    vm_ = hv_->CreateSimVm().value();
    io_ = std::make_unique<IoDispatcher>();
    pio_scratch_ = std::make_shared<ScratchDevice>(8);
    mmio_scratch_ = std::make_shared<ScratchDevice>(16);
    line_ = vm_->LegacyInterrupt(kIrqPin).value();
    regs_.push_back(io_->pio().Insert(kScratchPort, 8, pio_scratch_).value());
    regs_.push_back(io_->mmio().Insert(kScratchMmio, 16, mmio_scratch_).value());
    regs_.push_back(
        io_->pio().Insert(kIrqPort, 1, std::make_shared<IrqOnWriteDevice>(line_)).value());
    ASSERT_TRUE(
        vm_->MapMemory(GuestMemory::Create({{0, kRamSize, HostRegion::Anonymous(kRamSize).value()}})
                           .value())
            .ok());
    vcpu_ = vm_->CreateSimVcpu(0).value();
  }

  // Runs until the script ends or halts; returns the final exit.
  hv::VcpuExit RunToEnd() {
    for (int i = 0; i < 1'000'000; ++i) {
      auto r = vcpu_->Run(*io_);
      EXPECT_TRUE(r.ok());
      if (!r.ok() || !std::holds_alternative<hv::exit::Interrupted>(*r)) return *r;
    }
    ADD_FAILURE() << "script did not end";
    return hv::exit::InternalError{"no end"};
  }

  std::vector<TraceKind> Kinds() const {
    std::vector<TraceKind> k;
    for (const auto& r : vm_->trace().records()) k.push_back(r.kind);
    return k;
  }

  std::unique_ptr<SimHypervisor> hv_;
  std::shared_ptr<SimVm> vm_;
  std::unique_ptr<IoDispatcher> io_;
  std::shared_ptr<ScratchDevice> pio_scratch_, mmio_scratch_;
  std::shared_ptr<hv::InterruptLine> line_;
  std::vector<Bus::Registration> regs_;
  std::unique_ptr<SimVcpu> vcpu_;
};

TEST_F(SimVcpuTest, StepsReachDevicesThroughIoDispatcher) {
  ASSERT_TRUE(vcpu_
                  ->SetScript(ScriptBuilder()
                                  .Out8(kScratchPort + 1, 'A')
                                  .In8(kScratchPort + 1, 'A')
                                  .Write32(kScratchMmio + 4, 0xdeadbeef)
                                  .Read32(kScratchMmio + 4, 0xdeadbeef)
                                  .Build())
                  .ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::ScriptEnd>(RunToEnd()));
  EXPECT_EQ(pio_scratch_->bytes()[1], 'A');
  EXPECT_EQ(pio_scratch_->reads(), 1u);
  EXPECT_EQ(mmio_scratch_->bytes()[4], 0xef);
  EXPECT_EQ(mmio_scratch_->bytes()[7], 0xde);
  EXPECT_FALSE(vcpu_->failed()) << vcpu_->failures()[0];

  auto recs = vm_->trace().records();
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].kind, TraceKind::kPioWrite);
  EXPECT_EQ(recs[0].addr, kScratchPort + 1u);
  EXPECT_EQ(recs[1].kind, TraceKind::kPioRead);
  EXPECT_EQ(recs[1].bytes, std::vector<uint8_t>{'A'});
  EXPECT_EQ(recs[3].kind, TraceKind::kMmioRead);
  EXPECT_EQ(recs[3].bytes, (std::vector<uint8_t>{0xef, 0xbe, 0xad, 0xde}));
  EXPECT_EQ(recs[4].kind, TraceKind::kScriptEnd);
  EXPECT_EQ(recs[0].vcpu, 0u);
}

TEST_F(SimVcpuTest, CountIncrementsRamOncePerStepAndStopsAtAKick) {
  // Counter at 0x1000 starts at 5; 100 increments at 10 ns each, one trace
  // record at the end; then a second loop, kicked in the middle.
  ASSERT_TRUE(vm_->memory()->StoreAtomic<uint64_t>(0x1000, 5).ok());
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().Count(0x1000, 100).Build()).ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::ScriptEnd>(RunToEnd()));
  EXPECT_EQ(*vm_->memory()->LoadAtomic<uint64_t>(0x1000), 105u);
  EXPECT_EQ(vm_->clock().NowNs(), 1000u);
  EXPECT_EQ(Kinds(), (std::vector<TraceKind>{TraceKind::kRamWrite, TraceKind::kScriptEnd}));
  EXPECT_EQ(vm_->trace().records()[0].bytes, ScriptBuilder::Le(105, 8));

  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().Count(0x1000, UINT64_MAX).Build()).ok());
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));  // one quantum: 64 steps
  EXPECT_EQ(*vm_->memory()->LoadAtomic<uint64_t>(0x1000), 105u + 64);
  vcpu_->kicker()->Kick();
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(*vm_->memory()->LoadAtomic<uint64_t>(0x1000), 105u + 64);
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(*vm_->memory()->LoadAtomic<uint64_t>(0x1000), 105u + 128);
  EXPECT_EQ(vcpu_->pc(), 0u);  // still in the loop
  EXPECT_FALSE(vcpu_->failed());
}

TEST_F(SimVcpuTest, CountOutsideRamOrMisalignedFails) {
  EXPECT_FALSE(vcpu_->SetScript(ScriptBuilder().Count(0x1001, 1).Build()).ok());
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().Count(kRamSize, 3).Build()).ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::ScriptEnd>(RunToEnd()));
  ASSERT_EQ(vcpu_->failures().size(), 1u);
  EXPECT_NE(vcpu_->failures()[0].find("count"), std::string::npos) << vcpu_->failures()[0];
}

TEST_F(SimVcpuTest, UnclaimedReadReturnsAllOnes) {
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().In16(0x900).Build()).ok());
  RunToEnd();
  EXPECT_EQ(vm_->trace().records()[0].bytes, (std::vector<uint8_t>{0xff, 0xff}));
  EXPECT_EQ(io_->unclaimed_accesses(), 1u);
}

TEST_F(SimVcpuTest, MismatchIsReportedAndScriptContinues) {
  ASSERT_TRUE(vcpu_
                  ->SetScript(ScriptBuilder()
                                  .Out8(kScratchPort, 0x11)
                                  .In8(kScratchPort, 0x55)
                                  .Out8(kScratchPort + 2, 0x22)
                                  .Build())
                  .ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::ScriptEnd>(RunToEnd()));
  ASSERT_EQ(vcpu_->mismatches().size(), 1u);
  const std::string& m = vcpu_->mismatches()[0];
  EXPECT_NE(m.find("vcpu 0 step 1"), std::string::npos) << m;
  EXPECT_NE(m.find("expect [55]"), std::string::npos) << m;
  EXPECT_NE(m.find("got [11]"), std::string::npos) << m;
  EXPECT_EQ(pio_scratch_->bytes()[2], 0x22);  // the step after the mismatch ran
  EXPECT_EQ(Kinds(),
            (std::vector<TraceKind>{TraceKind::kPioWrite, TraceKind::kPioRead, TraceKind::kMismatch,
                                    TraceKind::kPioWrite, TraceKind::kScriptEnd}));
  EXPECT_EQ(vm_->mismatches(), vcpu_->mismatches());
}

TEST_F(SimVcpuTest, RamStepsUseGuestMemoryAndReportFaults) {
  ASSERT_TRUE(vcpu_
                  ->SetScript(ScriptBuilder()
                                  .WriteRam(0x1000, {1, 2, 3})
                                  .ReadRam(0x1000, 3, std::vector<uint8_t>{1, 2, 3})
                                  .ReadRam(0x1001, 1, std::vector<uint8_t>{9})
                                  .WriteRam(kRamSize - 1, {1, 2})  // crosses the end of RAM
                                  .Build())
                  .ok());
  RunToEnd();
  EXPECT_EQ(vm_->memory()->ReadObj<uint8_t>(0x1002).value(), 3);
  EXPECT_EQ(vcpu_->mismatches().size(), 1u);
  ASSERT_EQ(vcpu_->failures().size(), 2u);
  EXPECT_NE(vcpu_->failures()[1].find("ram-write"), std::string::npos) << vcpu_->failures()[1];
  auto recs = vm_->trace().records();
  EXPECT_EQ(recs[1].kind, TraceKind::kRamRead);
  EXPECT_EQ(recs[1].bytes, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(recs[4].kind, TraceKind::kFault);
  EXPECT_EQ(recs[4].addr, kRamSize - 1);
}

TEST_F(SimVcpuTest, WaitIrqSatisfiedByDeviceRaisingTheLine) {
  ASSERT_TRUE(
      vcpu_->SetScript(ScriptBuilder().Out8(kIrqPort, 1).WaitIrq(kIrqPin, 1000).Build()).ok());
  RunToEnd();
  EXPECT_FALSE(vcpu_->failed());
  EXPECT_TRUE(vm_->PinLevel(kIrqPin));
  EXPECT_EQ(Kinds(), (std::vector<TraceKind>{TraceKind::kIrqLevel, TraceKind::kPioWrite,
                                             TraceKind::kIrqWake, TraceKind::kScriptEnd}));
  EXPECT_EQ(vm_->clock().NowNs(), 20u);  // two steps, no waiting
}

TEST_F(SimVcpuTest, EdgeSatisfiesOneWaitThenTimesOut) {
  ASSERT_TRUE(vcpu_
                  ->SetScript(ScriptBuilder()
                                  .Out8(kIrqPort, 2)  // pulse: an edge, line ends low
                                  .WaitIrq(kIrqPin, 1000)
                                  .WaitIrq(kIrqPin, 100)
                                  .Out8(kScratchPort, 7)
                                  .Build())
                  .ok());
  EXPECT_TRUE(std::holds_alternative<hv::exit::ScriptEnd>(RunToEnd()));
  EXPECT_FALSE(vm_->PinLevel(kIrqPin));
  ASSERT_EQ(vcpu_->failures().size(), 1u);
  EXPECT_NE(vcpu_->failures()[0].find("timed out"), std::string::npos);
  EXPECT_TRUE(vcpu_->mismatches().empty());
  auto recs = vm_->trace().records();
  // irq high, irq low, pio-write, wake, timeout, pio-write, end
  ASSERT_EQ(recs.size(), 7u);
  EXPECT_EQ(recs[3].kind, TraceKind::kIrqWake);
  EXPECT_EQ(recs[4].kind, TraceKind::kIrqTimeout);
  // Second wait starts at t=20 and times out exactly at its deadline.
  EXPECT_EQ(recs[4].time_ns, 120u);
  EXPECT_EQ(recs[5].time_ns, 130u);
  EXPECT_EQ(pio_scratch_->bytes()[0], 7);  // the script went on after the timeout
}

TEST_F(SimVcpuTest, EdgesBeforeSetScriptDoNotCount) {
  line_->Pulse();
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().WaitIrq(kIrqPin, 50).Build()).ok());
  RunToEnd();
  EXPECT_EQ(vcpu_->failures().size(), 1u);
}

TEST_F(SimVcpuTest, WaitIrqWokenByLineRaisedBetweenRuns) {
  SimConfig c;
  c.quantum_steps = 4;
  Init(c);
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().WaitIrq(kIrqPin, 1'000'000).Build()).ok());
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(vm_->clock().NowNs(), 40u);  // four wait ticks of 10 ns
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  line_->SetLevel(true);  // e.g. a device timer on another path
  EXPECT_TRUE(Is<hv::exit::ScriptEnd>(vcpu_->Run(*io_)));
  EXPECT_FALSE(vcpu_->failed());
  EXPECT_EQ(vm_->clock().NowNs(), 90u);
}

TEST_F(SimVcpuTest, VirtualTimeMovesByFixedStepCostAndAdvance) {
  ASSERT_TRUE(
      vcpu_
          ->SetScript(ScriptBuilder().Out8(kScratchPort, 1).Advance(1000).In8(kScratchPort).Build())
          .ok());
  RunToEnd();
  auto recs = vm_->trace().records();
  EXPECT_EQ(recs[0].time_ns, 0u);
  EXPECT_EQ(recs[1].kind, TraceKind::kAdvance);
  EXPECT_EQ(recs[1].time_ns, 10u);
  EXPECT_EQ(recs[2].time_ns, 1010u);
  EXPECT_EQ(vm_->clock().NowNs(), 1020u);
}

TEST_F(SimVcpuTest, QuantumEndsRunWithInterrupted) {
  SimConfig c;
  c.quantum_steps = 3;
  c.ns_per_step = 5;
  Init(c);
  ScriptBuilder b;
  for (int i = 0; i < 7; ++i) b.Out8(kScratchPort, static_cast<uint8_t>(i));
  ASSERT_TRUE(vcpu_->SetScript(b.Build()).ok());
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(vcpu_->pc(), 3u);
  EXPECT_EQ(vm_->clock().NowNs(), 15u);
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(vcpu_->pc(), 6u);
  EXPECT_TRUE(Is<hv::exit::ScriptEnd>(vcpu_->Run(*io_)));
  EXPECT_TRUE(Is<hv::exit::ScriptEnd>(vcpu_->Run(*io_)));  // stays ended
  EXPECT_EQ(vm_->trace().size(), 8u);                      // end recorded once
}

TEST_F(SimVcpuTest, HaltIsFinal) {
  ASSERT_TRUE(
      vcpu_->SetScript(ScriptBuilder().Out8(kScratchPort, 1).Halt().Out8(kScratchPort, 2).Build())
          .ok());
  EXPECT_TRUE(Is<hv::exit::Halted>(vcpu_->Run(*io_)));
  EXPECT_TRUE(Is<hv::exit::Halted>(vcpu_->Run(*io_)));
  EXPECT_EQ(pio_scratch_->bytes()[0], 1);
  EXPECT_TRUE(vcpu_->halted());
  EXPECT_TRUE(vcpu_->finished());
}

TEST_F(SimVcpuTest, KickMakesNextRunReturnInterruptedWithoutSteps) {
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().Out8(kScratchPort, 1).Build()).ok());
  vcpu_->kicker()->Kick();
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(vcpu_->pc(), 0u);
  EXPECT_TRUE(Is<hv::exit::ScriptEnd>(vcpu_->Run(*io_)));
}

// A device that kicks the vCPU when written: Run stops after that step.
class KickOnWrite final : public BusDevice {
 public:
  explicit KickOnWrite(std::shared_ptr<hv::VcpuKicker> k) : k_(std::move(k)) {}
  void Read(uint64_t, std::span<uint8_t>) override {}
  void Write(uint64_t, std::span<const uint8_t>) override { k_->Kick(); }

 private:
  std::shared_ptr<hv::VcpuKicker> k_;
};

TEST_F(SimVcpuTest, KickDuringRunStopsAfterTheCurrentStep) {
  auto reg = io_->pio().Insert(0x300, 1, std::make_shared<KickOnWrite>(vcpu_->kicker())).value();
  ASSERT_TRUE(
      vcpu_
          ->SetScript(
              ScriptBuilder().Out8(0x300, 1).Out8(kScratchPort, 1).Out8(kScratchPort, 2).Build())
          .ok());
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));
  EXPECT_EQ(vcpu_->pc(), 1u);
}

TEST_F(SimVcpuTest, NoScriptEndsImmediatelyWithoutTrace) {
  EXPECT_TRUE(Is<hv::exit::ScriptEnd>(vcpu_->Run(*io_)));
  EXPECT_EQ(vm_->trace().size(), 0u);
}

TEST_F(SimVcpuTest, InvalidScriptIsRefused) {
  auto r = vcpu_->SetScript(ScriptBuilder().In(0x80, 5).Build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SimVcpuTest, TimeHookSeesEveryAdvance) {
  std::vector<uint64_t> seen;
  vm_->SetTimeHook([&](uint64_t now) { seen.push_back(now); });
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().Out8(kScratchPort, 1).Advance(100).Build()).ok());
  RunToEnd();
  EXPECT_EQ(seen, (std::vector<uint64_t>{10, 110}));
}

TEST_F(SimVcpuTest, RegistersRoundTrip) {
  hv::Regs regs;
  regs.gpr[hv::kRsi] = 0x7000;
  regs.rip = 0x1000000;
  regs.rflags = 0x202;
  ASSERT_TRUE(vcpu_->SetRegs(regs).ok());
  EXPECT_EQ(vcpu_->GetRegs().value(), regs);

  hv::Sregs sregs;
  sregs.cr0 = 0x80050033;
  sregs.efer = 0x500;
  sregs.cs.selector = 0x10;
  sregs.cs.l = true;
  sregs.gdt.base = 0x500;
  sregs.gdt.limit = 0x1f;
  ASSERT_TRUE(vcpu_->SetSregs(sregs).ok());
  EXPECT_EQ(vcpu_->GetSregs().value(), sregs);

  hv::Fpu fpu;
  fpu.fcw = 0x27f;
  ASSERT_TRUE(vcpu_->SetFpu(fpu).ok());
  EXPECT_EQ(vcpu_->fpu(), fpu);

  auto cpuid = hv_->SupportedCpuid().value();
  ASSERT_TRUE(vcpu_->SetCpuid(cpuid).ok());
  EXPECT_EQ(vcpu_->cpuid(), cpuid);

  std::vector<hv::MsrEntry> set = {{0xc0000080, 0x500}, {0x277, 0x0007040600070406}};
  ASSERT_TRUE(vcpu_->SetMsrs(set).ok());
  std::vector<hv::MsrEntry> get = {{0x277, 0}, {0x10, 99}, {0xc0000080, 0}};
  ASSERT_TRUE(vcpu_->GetMsrs(get).ok());
  EXPECT_EQ(get[0].value, 0x0007040600070406u);
  EXPECT_EQ(get[1].value, 0u);  // never set
  EXPECT_EQ(get[2].value, 0x500u);
}

TEST_F(SimVcpuTest, SavedStateRestoresIntoAFreshVcpuAndTheScriptContinues) {
  // A counter loop saved mid-way continues on another vCPU given the same
  // script: the counter reaches the same final value as an unbroken run.
  const GuestScript script = ScriptBuilder().Count(0x1000, 200).Out8(kScratchPort, 7).Build();
  ASSERT_TRUE(vcpu_->SetScript(script).ok());
  hv::Regs regs;
  regs.rip = 0x1234;
  ASSERT_TRUE(vcpu_->SetRegs(regs).ok());
  ASSERT_TRUE(vcpu_->SetMsrs(std::vector<hv::MsrEntry>{{0xc0000080, 0x500}}).ok());
  hv::Fpu fpu;
  fpu.mxcsr = 0x1f00;
  ASSERT_TRUE(vcpu_->SetFpu(fpu).ok());
  EXPECT_TRUE(Is<hv::exit::Interrupted>(vcpu_->Run(*io_)));  // 64 of 200 increments
  const hv::VcpuState saved = vcpu_->SaveState().value();
  EXPECT_EQ(saved.regs, regs);
  EXPECT_GE(saved.xsave.size(), hv::kXsaveMinSize);

  auto other = vm_->CreateSimVcpu(1).value();
  ASSERT_TRUE(other->SetScript(script).ok());
  hv::VcpuState changed = saved;
  changed.events.nmi.masked = true;
  changed.lapic[0x80] = 0x10;  // TPR
  changed.debug.dr7 = 0x401;
  ASSERT_TRUE(other->RestoreState(changed).ok());
  EXPECT_EQ(other->SaveState().value(), changed);
  EXPECT_EQ(other->fpu(), fpu);
  EXPECT_EQ(other->pc(), vcpu_->pc());
  for (int i = 0; i < 100 && !other->finished(); ++i) ASSERT_TRUE(other->Run(*io_).ok());
  EXPECT_EQ(*vm_->memory()->LoadAtomic<uint64_t>(0x1000), 200u);
  EXPECT_EQ(pio_scratch_->bytes()[0], 7);
  EXPECT_FALSE(other->failed());
}

TEST_F(SimVcpuTest, RestoreRefusesAStateItCannotTakeAndKeepsTheOldOne) {
  ASSERT_TRUE(vcpu_->SetScript(ScriptBuilder().Count(0x1000, 3).Build()).ok());
  const hv::VcpuState before = vcpu_->SaveState().value();
  hv::VcpuState small = before;
  small.xsave.resize(100);
  EXPECT_FALSE(vcpu_->RestoreState(small).ok());
  hv::VcpuState past_end = before;
  for (auto& m : past_end.msrs) {
    if (m.index == kSimMsrScriptPc) m.value = 99;
  }
  EXPECT_FALSE(vcpu_->RestoreState(past_end).ok());
  hv::VcpuState unknown = before;
  unknown.msrs.push_back({0x53494dff, 1});
  EXPECT_FALSE(vcpu_->RestoreState(unknown).ok());
  EXPECT_EQ(vcpu_->SaveState().value(), before);
}

TEST_F(SimVcpuTest, VmStateCarriesTheGuestClockAndRefusesAnIrqchip) {
  ASSERT_TRUE(vm_->SetClock({5000}).ok());
  const hv::VmState saved = vm_->SaveState().value();
  ASSERT_TRUE(saved.clock.has_value());
  EXPECT_EQ(saved.clock->ns, 5000u);
  EXPECT_FALSE(saved.irqchip.has_value());
  ASSERT_TRUE(vm_->SetClock({1}).ok());
  ASSERT_TRUE(vm_->RestoreState(saved).ok());
  EXPECT_EQ(vm_->GetClock().value().ns, 5000u);
  hv::VmState with_chip = saved;
  with_chip.irqchip.emplace();
  EXPECT_FALSE(vm_->RestoreState(with_chip).ok());
}

}  // namespace
}  // namespace petrel::sim
