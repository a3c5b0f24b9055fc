// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Differential runs on hv_sim: io_tour_guest interpreted twice makes the same
// accesses; with a deliberately wrong instruction semantic (a decoder that
// adds one to every MOV immediate) the comparison names the first access
// that differs. Each guest of the differential suite (tests/guests,
// docs/test-guests.md) runs to its power-off on the interpreter and makes
// exactly the accesses recorded on the nested tier's KVM
// (tests/guests/golden/); the same comparison runs live in the nested tier
// (petrel-replay --differential).
#include "vmm/replay/differential.h"

#include <gtest/gtest.h>

#include "core/io/io_trace.h"
#include "core/x86emu/zydis_decoder.h"
#include "hv_sim/sim_hypervisor.h"
#include "tests/vmm/sim_vm_fixture.h"

namespace petrel::vmm {
namespace {

// Zydis, but MOV's immediates are one too large.
class OffByOneMovDecoder final : public x86emu::InstructionDecoder {
 public:
  x86emu::DecodeStatus Decode(std::span<const uint8_t> bytes, x86emu::CpuMode mode,
                              x86emu::DecodedInstruction* out) const override {
    const auto status = zydis_.Decode(bytes, mode, out);
    if (status == x86emu::DecodeStatus::kOk && out->op == x86emu::Op::kMov) {
      for (auto& op : out->operands) {
        if (op.kind == x86emu::Operand::Kind::kImm) op.imm += 1;
      }
    }
    return status;
  }

 private:
  x86emu::ZydisInstructionDecoder zydis_;
};

// Zydis, but ADC ignores the carry (runs as ADD): a subtle flags bug.
class AdcWithoutCarryDecoder final : public x86emu::InstructionDecoder {
 public:
  x86emu::DecodeStatus Decode(std::span<const uint8_t> bytes, x86emu::CpuMode mode,
                              x86emu::DecodedInstruction* out) const override {
    const auto status = zydis_.Decode(bytes, mode, out);
    if (status == x86emu::DecodeStatus::kOk && out->op == x86emu::Op::kAdc) out->op = x86emu::Op::kAdd;
    return status;
  }

 private:
  x86emu::ZydisInstructionDecoder zydis_;
};

VmInstance::HypervisorFactory Interpreting(const x86emu::InstructionDecoder* decoder = nullptr) {
  return [decoder] {
    sim::SimConfig config;
    config.interpret = true;
    config.decoder = decoder;
    return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(config));
  };
}

config::VmConfig IoTourConfig() {
  config::VmConfig config = testing::NullGuestConfig();
  config.payload.kernel = PETREL_IO_TOUR_GUEST_ELF;
  return config;
}

TEST(DifferentialTest, TheSameGuestTwiceMakesTheSameAccesses) {
  auto a = RecordRun(IoTourConfig(), Interpreting());
  auto b = RecordRun(IoTourConfig(), Interpreting());
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->stop.kind, StopReason::Kind::kPowerOff) << a->stop.detail;
  EXPECT_EQ(a->accesses.size(), 30u);  // as on KVM (the nested record-replay test)
  EXPECT_EQ(FirstDifference(a->accesses, b->accesses), std::nullopt);
}

TEST(DifferentialTest, ABrokenInstructionSemanticIsCaughtAtItsFirstAccess) {
  const OffByOneMovDecoder broken;
  auto good = RecordRun(IoTourConfig(), Interpreting());
  // It never reaches its power-off (port 0x601 now): stopped by the limit.
  auto bad = RecordRun(IoTourConfig(), Interpreting(&broken), std::chrono::milliseconds(300));
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(bad.ok()) << bad.error().message();
  EXPECT_EQ(bad->stop.kind, StopReason::Kind::kError);
  const auto diff = FirstDifference(good->accesses, bad->accesses);
  ASSERT_TRUE(diff.has_value());
  // The guest's first access: `mov $0x03, %al; out %al, (%dx)` to the LCR.
  EXPECT_EQ(*diff, "access 0: expected vcpu 0 pio-write 0x3fb 03, got vcpu 0 pio-write 0x3fc 04");
}

TEST(DifferentialTest, ARunThatEndsEarlyIsADifference) {
  std::vector<IoTraceRecord> a = {{0, 0, IoTraceRecord::Kind::kPioWrite, 0x80, {0x41}},
                                  {0, 0, IoTraceRecord::Kind::kPioWrite, 0x80, {0x42}}};
  std::vector<IoTraceRecord> b(a.begin(), a.begin() + 1);
  EXPECT_EQ(FirstDifference(a, b),
            "access 1: expected vcpu 0 pio-write 0x80 42, got nothing (the run ended after 1 accesses)");
  EXPECT_NE(FirstDifference(b, a), std::nullopt);
  b[0].time_ns = 99;  // time is not compared
  EXPECT_EQ(FirstDifference(std::span(a).first(1), b), std::nullopt);
}

// The differential suite: each guest against its KVM recording.
class DifferentialSuiteTest : public ::testing::TestWithParam<const char*> {
 protected:
  config::VmConfig Config() const {
    config::VmConfig config = testing::NullGuestConfig();
    config.payload.kernel = std::string(PETREL_TEST_GUEST_DIR) + "/" + GetParam() + ".elf";
    config.test_device = true;
    return config;
  }
  std::string GoldenPath() const {
    return std::string(PETREL_GOLDEN_TRACE_DIR) + "/" + GetParam() + ".trace";
  }
};

TEST_P(DifferentialSuiteTest, RunsToPowerOffOnTheInterpreterAsOnKvm) {
  auto golden = ReadIoTraceFile(GoldenPath());
  ASSERT_TRUE(golden.ok()) << golden.error().message();
  ASSERT_GT(golden->size(), 10u);
  auto run = RecordRun(Config(), Interpreting());
  ASSERT_TRUE(run.ok()) << run.error().message();
  EXPECT_EQ(run->stop.kind, StopReason::Kind::kPowerOff) << run->stop.detail;
  EXPECT_EQ(FirstDifference(*golden, run->accesses), std::nullopt);
}

TEST_P(DifferentialSuiteTest, ABrokenMovIsCaughtAgainstTheKvmRecording) {
  const OffByOneMovDecoder broken;
  auto golden = ReadIoTraceFile(GoldenPath());
  ASSERT_TRUE(golden.ok()) << golden.error().message();
  auto bad = RecordRun(Config(), Interpreting(&broken), std::chrono::milliseconds(300));
  ASSERT_TRUE(bad.ok()) << bad.error().message();
  EXPECT_NE(FirstDifference(*golden, bad->accesses), std::nullopt);
}

TEST(DifferentialSuiteFlagsTest, AnAdcThatIgnoresTheCarryIsCaughtAtTheAluGuestsDump) {
  const AdcWithoutCarryDecoder broken;
  config::VmConfig config = testing::NullGuestConfig();
  config.payload.kernel = std::string(PETREL_TEST_GUEST_DIR) + "/alu_guest.elf";
  config.test_device = true;
  auto golden = ReadIoTraceFile(std::string(PETREL_GOLDEN_TRACE_DIR) + "/alu_guest.trace");
  ASSERT_TRUE(golden.ok()) << golden.error().message();
  auto bad = RecordRun(config, Interpreting(&broken));
  ASSERT_TRUE(bad.ok()) << bad.error().message();
  EXPECT_EQ(bad->stop.kind, StopReason::Kind::kPowerOff);  // it runs on, with a wrong ECX
  const auto diff = FirstDifference(*golden, bad->accesses);
  ASSERT_TRUE(diff.has_value());
  // The ADD/ADC block's dump, ECX (the third register): 0x11 on KVM, 0x10 here.
  EXPECT_EQ(*diff, "access 18: expected vcpu 0 pio-write 0xef0 11000000, got vcpu 0 pio-write 0xef0 10000000");
}

INSTANTIATE_TEST_SUITE_P(Guests, DifferentialSuiteTest,
                         ::testing::Values("io_tour_guest", "alu_guest", "mmio_guest",
                                           "string_io_guest", "irq_guest"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace petrel::vmm
