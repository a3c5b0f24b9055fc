// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimInterpreter's Machine: CPUID from the vCPU's table (SimCpuidTable
// when it has none), RDMSR/WRMSR on the MSR map (#GP(0), which ends the
// run, for an MSR never set), RDTSC from the tsc function.
#include "hv_sim/sim_interpreter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace petrel::sim {
namespace {

class NullIo final : public hv::GuestIo {
 public:
  void MmioRead(uint32_t, uint64_t, std::span<uint8_t> data) override {
    if (!data.empty()) std::memset(data.data(), 0xff, data.size());
  }
  void MmioWrite(uint32_t, uint64_t, std::span<const uint8_t>) override {}
  void PioRead(uint32_t, uint16_t, std::span<uint8_t> data) override {
    if (!data.empty()) std::memset(data.data(), 0xff, data.size());
  }
  void PioWrite(uint32_t, uint16_t, std::span<const uint8_t>) override {}
};

class SimInterpreterTest : public ::testing::Test {
 protected:
  SimInterpreterTest() : memory_(GuestMemory::CreateX86(1 << 20).value()) {
    // Flat 32-bit protected mode, paging off (SDM 3A 3.4.5 attributes).
    hv::Segment code;
    code.limit = 0xffffffff;
    code.type = 0xb;
    code.present = true;
    code.s = true;
    code.db = true;
    hv::Segment data = code;
    data.type = 0x3;
    sregs_.cs = code;
    sregs_.ds = sregs_.es = sregs_.ss = sregs_.fs = sregs_.gs = data;
    sregs_.cr0 = 1;  // PE
    regs_.rip = 0x1000;
    regs_.gpr[hv::kRsp] = 0x8000;
  }
  Result<SimInterpreter::Stop> Run(const std::vector<uint8_t>& code, const SimInterpreter::Machine& machine) {
    EXPECT_TRUE(memory_->Write(0x1000, code).ok());
    SimInterpreter::StepBudget budget{100, nullptr, nullptr};
    return SimInterpreter::Run(regs_, sregs_, *memory_, 0, io_, [](TraceKind, uint64_t, std::span<const uint8_t>) {},
                               budget, nullptr, machine);
  }
  std::shared_ptr<GuestMemory> memory_;
  NullIo io_;
  hv::Regs regs_;
  hv::Sregs sregs_;
};

TEST_F(SimInterpreterTest, CpuidMsrsAndTscComeFromTheMachine) {
  std::map<uint32_t, uint64_t> msrs;
  SimInterpreter::Machine machine;
  machine.msrs = &msrs;
  machine.tsc = [] { return 0x0000000123456789ull; };
  auto stop = Run({0xb8, 0, 0, 0, 0,              // mov eax, 0
                   0x0f, 0xa2,                    // cpuid
                   0x89, 0xde,                    // mov esi, ebx
                   0xb9, 0x74, 0x01, 0, 0,        // mov ecx, 0x174
                   0xb8, 0xaa, 0, 0, 0,           // mov eax, 0xaa
                   0x31, 0xd2,                    // xor edx, edx
                   0x0f, 0x30,                    // wrmsr
                   0x0f, 0x31,                    // rdtsc
                   0xf4},                         // hlt
                  machine);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  EXPECT_EQ(*stop, SimInterpreter::Stop::kHalted);
  uint32_t vendor = 0;
  std::memcpy(&vendor, "Petr", 4);  // SimCpuidTable's leaf 0 EBX
  EXPECT_EQ(regs_.gpr[hv::kRsi], vendor);
  EXPECT_EQ(msrs.at(0x174), 0xaau);
  EXPECT_EQ(regs_.gpr[hv::kRax], 0x23456789u);
  EXPECT_EQ(regs_.gpr[hv::kRdx], 0x1u);
}

TEST_F(SimInterpreterTest, TheVcpusCpuidTableAndAnUnknownMsrEndsTheRun) {
  hv::CpuidEntry entry;
  entry.function = 0;
  entry.ebx = 0x1234;
  const std::vector<hv::CpuidEntry> table{entry};
  SimInterpreter::Machine machine;
  machine.cpuid = table;
  auto stop = Run({0x31, 0xc0, 0x0f, 0xa2,  // xor eax, eax; cpuid
                   0xb9, 0x74, 0x01, 0, 0,  // mov ecx, 0x174
                   0x0f, 0x32},             // rdmsr: no MSR map, #GP(0)
                  machine);
  EXPECT_EQ(regs_.gpr[hv::kRbx], 0x1234u);
  ASSERT_FALSE(stop.ok());
  EXPECT_NE(stop.error().message().find("fault vector 13"), std::string::npos) << stop.error().message();
}

}  // namespace
}  // namespace petrel::sim
