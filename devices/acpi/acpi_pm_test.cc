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
  EXPECT_EQ(acpi_pm::kPortBase, 0x600);
  EXPECT_EQ(acpi_pm::kSleepS5Byte, 0x34);  // what Linux and EDK2 CloudHv write for S5
  EXPECT_EQ(acpi_pm::kResetValue, 1);
  EXPECT_EQ(acpi_pm::kResetOffset, acpi_pm::kSleepControlOffset);
  EXPECT_NE(acpi_pm::kSleepStatusOffset, acpi_pm::kSleepControlOffset);
  EXPECT_LT(acpi_pm::kSleepStatusOffset, AcpiPmDevice::kSize);
  EXPECT_EQ(acpi_pm::kWakSts, 0x80);
  EXPECT_EQ(acpi_pm::kSlpEn, 0x20);
}

TEST_F(AcpiPmTest, S5WithSlpEnPowersOff) {
  Out(acpi_pm::kSleepControlOffset, acpi_pm::kSleepS5Byte);
  EXPECT_EQ(power_offs_, 1);
  EXPECT_EQ(resets_, 0);
  EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), 0);  // S5 does not wake
}

TEST_F(AcpiPmTest, ReservedBitsDoNotHideS5) {
  // Bits 0-1 and 6-7 are reserved (4.8.3.7); SLP_TYP/SLP_EN decide.
  Out(acpi_pm::kSleepControlOffset, acpi_pm::kSleepS5Byte | 0xc2);
  EXPECT_EQ(power_offs_, 1);
}

TEST_F(AcpiPmTest, S5WithoutSlpEnDoesNothing) {
  Out(acpi_pm::kSleepControlOffset, acpi_pm::kSlpTypS5 << acpi_pm::kSlpTypShift);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(resets_, 0);
  EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), 0);
}

TEST_F(AcpiPmTest, ResetValueRequestsReset) {
  Out(acpi_pm::kResetOffset, acpi_pm::kResetValue);
  EXPECT_EQ(resets_, 1);
  EXPECT_EQ(power_offs_, 0);
}

TEST_F(AcpiPmTest, OtherValuesWithoutSlpEnAreIgnored) {
  for (int v = 0; v < 256; ++v) {
    if (v == acpi_pm::kResetValue || (v & acpi_pm::kSlpEn)) continue;
    Out(acpi_pm::kSleepControlOffset, static_cast<uint8_t>(v));
  }
  EXPECT_EQ(resets_, 0);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), 0);
}

TEST_F(AcpiPmTest, UnsupportedSleepTypeWakesAtOnceAndWakStsIsWriteOneToClear) {
  for (uint8_t typ = 0; typ < 8; ++typ) {
    if (typ == acpi_pm::kSlpTypS5) continue;
    Out(acpi_pm::kSleepStatusOffset, acpi_pm::kWakSts);  // OSPM clears WAK_STS first
    ASSERT_EQ(In(acpi_pm::kSleepStatusOffset), 0);
    Out(acpi_pm::kSleepControlOffset, static_cast<uint8_t>((typ << 2) | acpi_pm::kSlpEn));
    EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), acpi_pm::kWakSts) << "SLP_TYP " << int{typ};
    // Writing 0 (or reserved bits) leaves WAK_STS alone.
    Out(acpi_pm::kSleepStatusOffset, 0x7f);
    EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), acpi_pm::kWakSts);
  }
  Out(acpi_pm::kSleepStatusOffset, 0xff);
  EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), 0);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(resets_, 0);
}

TEST_F(AcpiPmTest, WakStsClearWrittenToSleepControlIsHarmless) {
  // A FADT that aliases SLEEP_STATUS_REG onto 0x600 (Cloud Hypervisor's).
  Out(acpi_pm::kSleepControlOffset, acpi_pm::kWakSts);
  EXPECT_EQ(power_offs_, 0);
  EXPECT_EQ(resets_, 0);
}

TEST_F(AcpiPmTest, ControlAndReservedBytesReadZero) {
  Out(acpi_pm::kSleepControlOffset, 0x14);  // S5 type without SLP_EN: ignored
  Out(2, 0xff);
  Out(3, 0xff);
  for (uint64_t off = 0; off < AcpiPmDevice::kSize; ++off) EXPECT_EQ(In(off), 0) << off;
  EXPECT_EQ(power_offs_ + resets_, 0);
}

TEST_F(AcpiPmTest, WideAccessesSplitIntoBytes) {
  Out(acpi_pm::kSleepControlOffset, acpi_pm::kSlpEn);  // S0 type: sets WAK_STS
  uint8_t buf[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  dev_.Read(0, buf);
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ(buf[1], acpi_pm::kWakSts);
  EXPECT_EQ(buf[2], 0);
  EXPECT_EQ(buf[3], 0);
  // A 16-bit write: S5 at +0 and WAK_STS clear at +1.
  const uint8_t w[2] = {acpi_pm::kSleepS5Byte, acpi_pm::kWakSts};
  dev_.Write(0, w);
  EXPECT_EQ(power_offs_, 1);
  EXPECT_EQ(In(acpi_pm::kSleepStatusOffset), 0);
}

TEST_F(AcpiPmTest, AccessesPastTheEndAreIgnored) {
  const uint8_t w[2] = {acpi_pm::kSlpEn, acpi_pm::kSleepS5Byte};
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
  const uint8_t s5 = acpi_pm::kSleepS5Byte, reset = acpi_pm::kResetValue;
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
  const uint8_t s5 = acpi_pm::kSleepS5Byte, reset = acpi_pm::kResetValue;
  dev.Write(0, std::span<const uint8_t>(&s5, 1));
  dev.Write(0, std::span<const uint8_t>(&reset, 1));
  EXPECT_EQ(saves, 2);
}

}  // namespace
}  // namespace petrel
