// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// hv_sim's acceptance tests: the same scripts in fresh VMs give the same trace
// hash; a different script gives a different hash; vCPUs interleave in a
// fixed order.
#include <gtest/gtest.h>

#include "core/io/io_dispatcher.h"
#include "hv_sim/sim_fake_devices.h"
#include "hv_sim/sim_hypervisor.h"

namespace petrel::sim {
namespace {

constexpr uint16_t kScratchPort = 0x100;
constexpr uint16_t kIrqPort = 0x200;
constexpr uint64_t kScratchMmio = 0xd0000000;

struct Outcome {
  uint64_t hash;
  std::string text;
  uint64_t end_ns;
  size_t failures;
};

// A whole fresh VM: hypervisor, devices, RAM, one vCPU per script; RunAll.
Outcome RunScenario(const std::vector<GuestScript>& scripts, SimConfig config = {}) {
  auto hv = MakeSimHypervisor(config);
  auto vm = hv->CreateSimVm(hv::VmConfig{static_cast<uint32_t>(scripts.size())}).value();
  IoDispatcher io;
  auto scratch = std::make_shared<testing::ScratchDevice>(8);
  auto mmio = std::make_shared<testing::ScratchDevice>(16);
  auto irq = std::make_shared<testing::IrqOnWriteDevice>(vm->LegacyInterrupt(5).value());
  auto r1 = io.pio().Insert(kScratchPort, 8, scratch).value();
  auto r2 = io.pio().Insert(kIrqPort, 1, irq).value();
  auto r3 = io.mmio().Insert(kScratchMmio, 16, mmio).value();
  EXPECT_TRUE(vm->MapMemory(GuestMemory::CreateX86(1 << 20).value()).ok());
  std::vector<std::unique_ptr<SimVcpu>> vcpus;
  for (uint32_t i = 0; i < scripts.size(); ++i) {
    vcpus.push_back(vm->CreateSimVcpu(i).value());
    EXPECT_TRUE(vcpus.back()->SetScript(scripts[i]).ok());
  }
  EXPECT_TRUE(vm->RunAll(io).ok());
  return {vm->trace().Hash(), vm->trace().ToText(), vm->clock().NowNs(), vm->failures().size()};
}

GuestScript DeviceScript(uint8_t value) {
  return ScriptBuilder()
      .Out8(kScratchPort, value)
      .In8(kScratchPort, value)
      .Write32(kScratchMmio, 0x12345678)
      .Read16(kScratchMmio + 2, 0x1234)
      .WriteRam(0x2000, {value, 2, 3})
      .ReadRam(0x2000, 3)
      .Out8(kIrqPort, 2)
      .WaitIrq(5, 10'000)
      .WaitIrq(5, 300)  // times out: the edge was consumed
      .Advance(1234)
      .In16(0x999)  // unclaimed
      .Build();
}

TEST(SimDeterminism, SameScriptInFreshVmsGivesSameTraceHash) {
  Outcome a = RunScenario({DeviceScript('x')});
  Outcome b = RunScenario({DeviceScript('x')});
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.failures, 1u);  // the deliberate timeout
  EXPECT_GT(a.text.size(), 0u);
}

TEST(SimDeterminism, DifferentScriptGivesDifferentTraceHash) {
  Outcome a = RunScenario({DeviceScript('x')});
  Outcome b = RunScenario({DeviceScript('y')});
  EXPECT_NE(a.hash, b.hash);
  // Same accesses, different timing only: still a different hash.
  GuestScript slower = DeviceScript('x');
  std::get<step::Advance>(slower.steps[9]).ns = 1235;
  EXPECT_NE(a.hash, RunScenario({slower}).hash);
}

TEST(SimDeterminism, TwoVcpusInterleaveRoundRobinByQuantum) {
  SimConfig c;
  c.quantum_steps = 2;
  ScriptBuilder b0, b1;
  for (int i = 0; i < 4; ++i) {
    b0.Out8(kScratchPort, 'a');
    b1.Out8(kScratchPort + 1, 'b');
  }
  b1.Out8(kScratchPort + 1, 'c');  // vCPU 1 runs one step longer
  Outcome a = RunScenario({b0.Build(), b1.Build()}, c);
  Outcome again = RunScenario({b0.Build(), b1.Build()}, c);
  EXPECT_EQ(a.hash, again.hash);
  EXPECT_EQ(a.text, again.text);
  EXPECT_EQ(a.text,
            "#0 t=0 vcpu0 pio-write 0x100 [61]\n"
            "#1 t=10 vcpu0 pio-write 0x100 [61]\n"
            "#2 t=20 vcpu1 pio-write 0x101 [62]\n"
            "#3 t=30 vcpu1 pio-write 0x101 [62]\n"
            "#4 t=40 vcpu0 pio-write 0x100 [61]\n"
            "#5 t=50 vcpu0 pio-write 0x100 [61]\n"
            "#6 t=60 vcpu1 pio-write 0x101 [62]\n"
            "#7 t=70 vcpu1 pio-write 0x101 [62]\n"
            "#8 t=80 vcpu0 script-end 0x0\n"
            "#9 t=80 vcpu1 pio-write 0x101 [63]\n"
            "#10 t=90 vcpu1 script-end 0x0\n");
  EXPECT_EQ(a.end_ns, 90u);
  // A different quantum is a different (but equally fixed) interleaving.
  c.quantum_steps = 3;
  EXPECT_NE(a.hash, RunScenario({b0.Build(), b1.Build()}, c).hash);
}

TEST(SimDeterminism, VcpuWaitsForIrqRaisedByAnotherVcpu) {
  SimConfig c;
  c.quantum_steps = 4;
  GuestScript waiter = ScriptBuilder().WaitIrq(5, 1'000'000).Out8(kScratchPort, 1).Build();
  GuestScript raiser = ScriptBuilder().Advance(500).Out8(kIrqPort, 1).Build();
  Outcome a = RunScenario({waiter, raiser}, c);
  EXPECT_EQ(a.failures, 0u) << a.text;
  EXPECT_NE(a.text.find("vcpu0 irq-wake 0x5"), std::string::npos) << a.text;
  EXPECT_EQ(a.hash, RunScenario({waiter, raiser}, c).hash);
}

TEST(SimDeterminism, RunAllFinishesWithHaltedAndScriptlessVcpus) {
  Outcome a = RunScenario({ScriptBuilder().Halt().Out8(kScratchPort, 1).Build(), GuestScript{}});
  EXPECT_NE(a.text.find("vcpu0 halt"), std::string::npos);
  EXPECT_EQ(a.text.find("pio-write"), std::string::npos);
}

}  // namespace
}  // namespace petrel::sim
