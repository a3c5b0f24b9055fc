// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for hv_sim/guest_script.h.
#include "hv_sim/guest_script.h"

#include <gtest/gtest.h>

namespace petrel::sim {
namespace {

TEST(ScriptBuilder, BuildsStepsWithLittleEndianValues) {
  GuestScript s = ScriptBuilder()
                      .Out8(0x3f8, 'A')
                      .Out16(0x70, 0x1234)
                      .In8(0x3fd, 0x60)
                      .Write32(0xfee00000, 0xdeadbeef)
                      .Read64(0x1000)
                      .WaitIrq(4, 1'000'000)
                      .Advance(50)
                      .Halt()
                      .Build();
  ASSERT_EQ(s.steps.size(), 8u);
  auto& out8 = std::get<step::PioOut>(s.steps[0]);
  EXPECT_EQ(out8.port, 0x3f8);
  EXPECT_EQ(out8.bytes, std::vector<uint8_t>{'A'});
  EXPECT_EQ(std::get<step::PioOut>(s.steps[1]).bytes, (std::vector<uint8_t>{0x34, 0x12}));
  auto& in8 = std::get<step::PioIn>(s.steps[2]);
  EXPECT_EQ(in8.len, 1u);
  ASSERT_TRUE(in8.expect.has_value());
  EXPECT_EQ(*in8.expect, std::vector<uint8_t>{0x60});
  EXPECT_EQ(std::get<step::MmioWrite>(s.steps[3]).bytes,
            (std::vector<uint8_t>{0xef, 0xbe, 0xad, 0xde}));
  EXPECT_FALSE(std::get<step::MmioRead>(s.steps[4]).expect.has_value());
  EXPECT_EQ(std::get<step::WaitIrq>(s.steps[5]).pin, 4u);
  EXPECT_EQ(std::get<step::Advance>(s.steps[6]).ns, 50u);
  EXPECT_TRUE(std::holds_alternative<step::Halt>(s.steps[7]));
  EXPECT_TRUE(ValidateScript(s).ok());
}

TEST(ValidateScript, RejectsBadWidthsAndLengths) {
  EXPECT_FALSE(ValidateScript(ScriptBuilder().Out(0x80, {1, 2, 3}).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().Out(0x80, {}).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().In(0x80, 16).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().MmioRead(0x1000, 3).Build()).ok());
  EXPECT_FALSE(
      ValidateScript(ScriptBuilder().MmioWrite(0x1000, std::vector<uint8_t>(9)).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().In(0x80, 2, std::vector<uint8_t>{1}).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().ReadRam(0, kMaxRamAccessBytes + 1).Build()).ok());
  EXPECT_FALSE(
      ValidateScript(
          ScriptBuilder().WriteRam(0, std::vector<uint8_t>(kMaxRamAccessBytes + 1)).Build())
          .ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().WaitIrq(kNumIrqPins, 10).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().WaitIrq(0, kMaxStepNs + 1).Build()).ok());
  EXPECT_FALSE(ValidateScript(ScriptBuilder().Advance(kMaxStepNs + 1).Build()).ok());
  // Boundary values are fine.
  EXPECT_TRUE(ValidateScript(ScriptBuilder()
                                 .ReadRam(0, kMaxRamAccessBytes)
                                 .WaitIrq(kNumIrqPins - 1, kMaxStepNs)
                                 .Advance(kMaxStepNs)
                                 .ReadRam(0, 0)
                                 .Build())
                  .ok());
}

TEST(ValidateScript, ErrorNamesTheStep) {
  auto r = ValidateScript(ScriptBuilder().Out8(0x80, 1).In(0x81, 3).Build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("step 1 (pio-in 0x81 len 3)"), std::string::npos)
      << r.error().message();
}

TEST(DescribeStep, IsReadable) {
  EXPECT_EQ(DescribeStep(step::PioIn{0x3fd, 1, std::vector<uint8_t>{0x60}}),
            "pio-in 0x3fd len 1 expect [60]");
  EXPECT_EQ(DescribeStep(step::MmioWrite{0xd0000000, {1, 2}}), "mmio-write 0xd0000000 [01 02]");
  EXPECT_EQ(DescribeStep(step::WaitIrq{4, 100}), "wait-irq pin 4 timeout 100ns");
  EXPECT_EQ(DescribeStep(step::Halt{}), "halt");
}

TEST(ScriptBuilder, AppendConcatenates) {
  GuestScript a = ScriptBuilder().Out8(1, 1).Build();
  GuestScript b = ScriptBuilder().Out8(2, 2).Append(a).Build();
  ASSERT_EQ(b.steps.size(), 2u);
  EXPECT_EQ(std::get<step::PioOut>(b.steps[1]).port, 1);
}

}  // namespace
}  // namespace petrel::sim
