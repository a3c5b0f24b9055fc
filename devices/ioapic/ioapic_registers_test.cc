// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ioapic register semantics: IOREGSEL/IOWIN, ID/VER/ARB, redirection
// entries (writable, read-only and reserved bits), and the accesses the model
// ignores (other offsets and widths, undefined registers).
#include <gtest/gtest.h>

#include "devices/ioapic/ioapic.h"
#include "devices/ioapic/ioapic_test_util.h"

namespace petrel {
namespace {

using namespace ioapic;          // NOLINT
using namespace ioapic_test;     // NOLINT

class IoapicRegistersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_ = MakeIoapic(&log_);
    ASSERT_NE(io_, nullptr);
  }
  RouteLog log_;
  std::shared_ptr<Ioapic> io_;
};

TEST_F(IoapicRegistersTest, ResetStateHasEveryPinMaskedAndIdZero) {
  EXPECT_EQ(ReadRegister(*io_, kRegId), 0u);
  for (uint32_t pin = 0; pin < kNumPins; ++pin) {
    EXPECT_EQ(ReadEntry(*io_, pin), kRteMasked) << "pin " << pin;
  }
  EXPECT_EQ(Read32(*io_, kIoRegSelOffset), 0x3eu) << "pin 23's low dword, read last";
}

TEST_F(IoapicRegistersTest, VersionIs0x20WithMaximumRedirectionEntry23) {
  EXPECT_EQ(ReadRegister(*io_, kRegVer), 0x0017'0020u);
  WriteRegister(*io_, kRegVer, 0x1234'5678);  // read-only
  WriteRegister(*io_, kRegVer, 0);            // what Windows writes
  EXPECT_EQ(ReadRegister(*io_, kRegVer), 0x0017'0020u);
  EXPECT_EQ(io_->counters().bad_accesses, 0u) << "VER writes are ignored, not bad accesses";
}

TEST_F(IoapicRegistersTest, IdKeepsBits27To24AndArbitrationMirrorsIt) {
  WriteRegister(*io_, kRegId, 0xffff'ffff);
  EXPECT_EQ(ReadRegister(*io_, kRegId), 0x0f00'0000u);
  EXPECT_EQ(ReadRegister(*io_, kRegArb), 0x0f00'0000u);
  WriteRegister(*io_, kRegId, 0x0300'0000);
  EXPECT_EQ(ReadRegister(*io_, kRegId), 0x0300'0000u);
  WriteRegister(*io_, kRegArb, 0x0a00'0000);  // read-only
  EXPECT_EQ(ReadRegister(*io_, kRegArb), 0x0300'0000u);
  EXPECT_EQ(io_->Save().id, 3);
}

TEST_F(IoapicRegistersTest, IoRegSelKeepsItsLowEightBits) {
  Write32(*io_, kIoRegSelOffset, 0xdead'be12);
  EXPECT_EQ(Read32(*io_, kIoRegSelOffset), 0x12u);
  EXPECT_EQ(io_->Save().ioregsel, 0x12);
}

TEST_F(IoapicRegistersTest, RedirectionEntryHalvesAreIndependent) {
  const uint8_t low = kRegRedirectionBase + 2 * 5;
  WriteRegister(*io_, low + 1, 0xab00'0000);  // destination 0xab
  EXPECT_EQ(ReadEntry(*io_, 5), 0xab00'0000'0001'0000ULL) << "mask kept";
  WriteRegister(*io_, low, 0x0000'a9b1);  // level, active low, logical, lowest priority, 0xb1
  EXPECT_EQ(ReadEntry(*io_, 5), 0xab00'0000'0000'a9b1ULL);
  EXPECT_EQ(io_->RedirectionEntry(5), 0xab00'0000'0000'a9b1ULL);
  // The neighbours did not move.
  EXPECT_EQ(ReadEntry(*io_, 4), kRteMasked);
  EXPECT_EQ(ReadEntry(*io_, 6), kRteMasked);
}

TEST_F(IoapicRegistersTest, LastPinIsRegisters0x3eAnd0x3f) {
  WriteRegister(*io_, 0x3f, 0x0700'0000);
  WriteRegister(*io_, 0x3e, 0x0001'0042);
  EXPECT_EQ(io_->RedirectionEntry(23), 0x0700'0000'0001'0042ULL);
  EXPECT_EQ(io_->counters().bad_accesses, 0u);
}

TEST_F(IoapicRegistersTest, ReadOnlyAndReservedBitsIgnoreWrites) {
  // Delivery status (12), remote IRR (14) and reserved 31:17 in the low
  // dword, reserved 55:32 in the high one.
  WriteEntry(*io_, 2, 0x00ff'ffff'ffff'ffffULL);
  EXPECT_EQ(ReadEntry(*io_, 2), 0x0000'0000'0001'afffULL);
  WriteEntry(*io_, 2, 0xffff'ffff'ffff'ffffULL);
  EXPECT_EQ(ReadEntry(*io_, 2), 0xff00'0000'0001'afffULL);
}

TEST_F(IoapicRegistersTest, UndefinedRegistersReadZeroAndAreCounted) {
  for (uint8_t reg : {0x03, 0x0f, 0x40, 0xff}) {
    WriteRegister(*io_, reg, 0xffff'ffff);
    EXPECT_EQ(ReadRegister(*io_, reg), 0u) << "register " << int{reg};
  }
  EXPECT_EQ(io_->counters().bad_accesses, 8u);
  EXPECT_EQ(io_->Save(), [] {
    Ioapic::State s;
    s.ioregsel = 0xff;
    return s;
  }()) << "nothing but IOREGSEL changed";
}

TEST_F(IoapicRegistersTest, EoiRegisterReadsZero) {
  EXPECT_EQ(Read32(*io_, kEoiOffset), 0u);
  EXPECT_EQ(io_->counters().bad_accesses, 0u);
}

TEST_F(IoapicRegistersTest, OtherOffsetsReadZeroAndIgnoreWrites) {
  const auto before = io_->Save();
  for (uint64_t off : {0x04ULL, 0x08ULL, 0x14ULL, 0x20ULL, 0x44ULL, 0xffcULL, 0x1000ULL,
                       ~0ULL - 3}) {
    Write32(*io_, off, 0xffff'ffff);
    EXPECT_EQ(Read32(*io_, off), 0u) << "offset " << off;
  }
  EXPECT_EQ(io_->Save(), before);
  EXPECT_EQ(io_->counters().bad_accesses, 16u);
}

TEST_F(IoapicRegistersTest, AccessesOfOtherWidthsReadZeroAndIgnoreWrites) {
  WriteEntry(*io_, 0, EdgeEntry(0x30));
  Write32(*io_, kIoRegSelOffset, kRegRedirectionBase);
  const auto before = io_->Save();
  for (size_t width : {1u, 2u, 3u, 8u, 16u}) {
    std::vector<uint8_t> buf(width, 0xff);
    io_->Write(kIoRegSelOffset, buf);
    io_->Write(kIoWinOffset, buf);
    io_->Write(kEoiOffset, buf);
    io_->Read(kIoWinOffset, buf);
    EXPECT_EQ(buf, std::vector<uint8_t>(width, 0)) << "width " << width;
  }
  io_->Write(kIoWinOffset, std::span<const uint8_t>());
  std::span<uint8_t> empty;
  io_->Read(kIoWinOffset, empty);
  EXPECT_EQ(io_->Save(), before);
  EXPECT_EQ(io_->counters().bad_accesses, 5u * 4 + 2);
  EXPECT_TRUE(log_.deliveries.empty());
}

}  // namespace
}  // namespace petrel
