// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for AcpiPmDevice: S5 power off, reset, WAK_STS, reserved bytes and
// values, access widths, and the constants the ACPI tables use.
#include "devices/acpi/acpi_pm.h"

#include <gtest/gtest.h>

#include <vector>

namespace petrel {
namespace {

class AcpiPmTest : public ::testing::Test {
 protected:
  AcpiPmTest() : dev_([this] { ++power_offs_; }, [this] { ++resets_; }) {}
  void Out(uint64_t off, uint8_t v) { dev_.Write(off, std::span<const uint8_t>(&v, 1)); }
  uint8_t In(uint64_t off) {
    uint8_t v = 0xaa;
    dev_.Read(off, std::span<uint8_t>(&v, 1));
    return v;
  }

  int power_offs_ = 0;
  int resets_ = 0;
  AcpiPmDevice dev_;
};

TEST(AcpiPmConstants, MatchCloudHypervisorAndTheSpec) {
  EXPECT_EQ(AcpiPmDevice::kSize, 2u);
  EXPECT_EQ(acpi::kS5SleepControlValue, 0x34);  // what Linux and EDK2 CloudHv write for S5
  EXPECT_EQ(AcpiPmDevice::kResetValue, 1);
  EXPECT_EQ(acpi::kResetRegOffset, acpi::kSleepControlOffset);
  EXPECT_NE(acpi::kSleepStatusOffset, acpi::kSleepControlOffset);
  EXPECT_LT(acpi::kSleepStatusOffset, AcpiPmDevice::kSize);
  EXPECT_EQ(acpi::kWakeStatus, 0x80);
  EXPECT_EQ(acpi::kSleepEnable, 0x20);
}

TEST_F(AcpiPmTest, S5WithSlpEnPowersOff) {
  Out(acpi::kSleepControlOffset, acpi::kS5SleepControlValue);
  EXPECT_EQ(power_offs_, 1);
  EXPECT_EQ(resets_, 0);
  EXPECT_EQ(In(acpi::kSleepStatusOffset), 0);  // S5 does not wake
}

TEST_F(AcpiPmTest, ReservedBitsDoNotHideS5) {
  // Bits 0-1 and 6-7 are reserved (4.8.3.7); SLP_TYP/SLP_EN decide.
  Out(acpi::kSleepControlOffset, acpi::kS5SleepControlValue | 0xc2);
  EXPECT_EQ(power_offs_, 1);
}

TEST_F(AcpiPmTest, S5WithoutSlpEnDoesNothing) {
  Out(acpi::kSleepControlOffset, acpi::kSleepTypeS5 << acpi::kSleepTypeShift);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(resets_, 0);
  EXPECT_EQ(In(acpi::kSleepStatusOffset), 0);
}

TEST_F(AcpiPmTest, ResetValueRequestsReset) {
  Out(acpi::kResetRegOffset, AcpiPmDevice::kResetValue);
  EXPECT_EQ(resets_, 1);
  EXPECT_EQ(power_offs_, 0);
}

TEST_F(AcpiPmTest, OtherValuesWithoutSlpEnAreIgnored) {
  for (int v = 0; v < 256; ++v) {
    if (v == AcpiPmDevice::kResetValue || (v & acpi::kSleepEnable)) continue;
    Out(acpi::kSleepControlOffset, static_cast<uint8_t>(v));
  }
  EXPECT_EQ(resets_, 0);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(In(acpi::kSleepStatusOffset), 0);
}

TEST_F(AcpiPmTest, UnsupportedSleepTypeWakesAtOnceAndWakStsIsWriteOneToClear) {
  for (uint8_t typ = 0; typ < 8; ++typ) {
    if (typ == acpi::kSleepTypeS5) continue;
    Out(acpi::kSleepStatusOffset, acpi::kWakeStatus);  // OSPM clears WAK_STS first
    ASSERT_EQ(In(acpi::kSleepStatusOffset), 0);
    Out(acpi::kSleepControlOffset, static_cast<uint8_t>((typ << 2) | acpi::kSleepEnable));
    EXPECT_EQ(In(acpi::kSleepStatusOffset), acpi::kWakeStatus) << "SLP_TYP " << int{typ};
    // Writing 0 (or reserved bits) leaves WAK_STS alone.
    Out(acpi::kSleepStatusOffset, 0x7f);
    EXPECT_EQ(In(acpi::kSleepStatusOffset), acpi::kWakeStatus);
  }
  Out(acpi::kSleepStatusOffset, 0xff);
  EXPECT_EQ(In(acpi::kSleepStatusOffset), 0);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(resets_, 0);
}

TEST_F(AcpiPmTest, WakStsClearWrittenToSleepControlIsHarmless) {
  // A FADT that aliases SLEEP_STATUS_REG onto 0x600 (Cloud Hypervisor's).
  Out(acpi::kSleepControlOffset, acpi::kWakeStatus);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(resets_, 0);
}

TEST_F(AcpiPmTest, SleepControlReadsZero) {
  Out(acpi::kSleepControlOffset, 0x14);  // S5 type without SLP_EN: ignored
  EXPECT_EQ(In(acpi::kSleepControlOffset), 0);
  EXPECT_EQ(In(acpi::kSleepStatusOffset), 0);
  EXPECT_EQ(power_offs_ + resets_, 0);
}

TEST_F(AcpiPmTest, WideAccessesSplitIntoBytes) {
  Out(acpi::kSleepControlOffset, acpi::kSleepEnable);  // S0 type: sets WAK_STS
  uint8_t buf[2] = {0xaa, 0xaa};
  dev_.Read(0, buf);
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ(buf[1], acpi::kWakeStatus);
  // A 16-bit write: S5 at +0 and WAK_STS clear at +1.
  const uint8_t w[2] = {acpi::kS5SleepControlValue, acpi::kWakeStatus};
  dev_.Write(0, w);
  EXPECT_EQ(power_offs_, 1);
  EXPECT_EQ(In(acpi::kSleepStatusOffset), 0);
}

TEST_F(AcpiPmTest, AccessesPastTheEndAreIgnored) {
  const uint8_t w[2] = {acpi::kSleepEnable, acpi::kS5SleepControlValue};
  dev_.Write(AcpiPmDevice::kSize, w);
  dev_.Write(~0ULL, w);
  EXPECT_EQ(power_offs_ + resets_, 0);
  uint8_t buf[2] = {};
  dev_.Read(AcpiPmDevice::kSize - 1, buf);
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ(buf[1], 0xff);
}

TEST(AcpiPmCallbacks, EmptyCallbacksAreAllowed) {
  AcpiPmDevice dev(nullptr, nullptr);
  const uint8_t s5 = acpi::kS5SleepControlValue, reset = AcpiPmDevice::kResetValue;
  dev.Write(0, std::span<const uint8_t>(&s5, 1));
  dev.Write(0, std::span<const uint8_t>(&reset, 1));
  EXPECT_EQ(dev.Save(), AcpiPmDevice::State{});
}

TEST(AcpiPmCallbacks, CallbackMayReenterTheDevice) {
  // Callbacks run without the device lock: a callback that reads the device
  // (or saves it) must not deadlock.
  AcpiPmDevice* self = nullptr;
  int saves = 0;
  AcpiPmDevice dev([&] { self->Save(); ++saves; }, [&] { self->Save(); ++saves; });
  self = &dev;
  const uint8_t s5 = acpi::kS5SleepControlValue, reset = AcpiPmDevice::kResetValue;
  dev.Write(0, std::span<const uint8_t>(&s5, 1));
  dev.Write(0, std::span<const uint8_t>(&reset, 1));
  EXPECT_EQ(saves, 2);
}

}  // namespace
}  // namespace petrel
