// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for I8042: status, command byte, self-tests, output port and the
// reset line.
#include "devices/legacy/i8042.h"

#include <gtest/gtest.h>

#include <array>

namespace petrel {
namespace {

constexpr uint64_t kData = 0, kCommand = 4;

class I8042Test : public ::testing::Test {
 protected:
  I8042Test() : dev_([this] { ++resets_; }) {}
  uint8_t In(uint64_t off) {
    uint8_t v = 0;
    dev_.Read(off, std::span<uint8_t>(&v, 1));
    return v;
  }
  void Out(uint64_t off, uint8_t v) { dev_.Write(off, std::span<const uint8_t>(&v, 1)); }

  int resets_ = 0;
  I8042 dev_;
};

TEST_F(I8042Test, StatusShowsAnEmptyController) {
  const uint8_t status = In(kCommand);
  EXPECT_EQ(status & 0x01, 0);     // OBF
  EXPECT_EQ(status & 0x02, 0);     // IBF: Linux's kb_wait() before 0xFE spins on this
  EXPECT_EQ(status & 0x04, 0x04);  // system flag
}

TEST_F(I8042Test, PulseResetLineCallsResetRequest) {
  Out(kCommand, 0xfe);
  EXPECT_EQ(resets_, 1);
  Out(kCommand, 0xff);  // pulses no line
  EXPECT_EQ(resets_, 1);
  Out(kCommand, 0xf0);  // bit 0 clear: pulses reset too
  EXPECT_EQ(resets_, 2);
}

TEST_F(I8042Test, WriteOutputPortWithResetLowCallsResetRequest) {
  Out(kCommand, 0xd1);
  Out(kData, 0x03);  // reset high, A20 on: no reset
  EXPECT_EQ(resets_, 0);
  Out(kCommand, 0xd0);
  EXPECT_EQ(In(kData), 0x03);
  Out(kCommand, 0xd1);
  Out(kData, 0x02);
  EXPECT_EQ(resets_, 1);
}

TEST_F(I8042Test, CommandByteReadAndWrite) {
  Out(kCommand, 0x20);
  EXPECT_EQ(In(kCommand) & 0x01, 0x01);  // OBF
  EXPECT_EQ(In(kData), 0x34);            // SYS | both interfaces disabled
  EXPECT_EQ(In(kCommand) & 0x01, 0);
  Out(kCommand, 0x60);
  EXPECT_EQ(In(kCommand) & 0x08, 0x08);  // A2: last write was a command
  Out(kData, 0xc3);                      // bit 7 is reserved
  EXPECT_EQ(In(kCommand) & 0x08, 0);
  Out(kCommand, 0x20);
  EXPECT_EQ(In(kData), 0x43);
  EXPECT_EQ(In(kCommand) & 0x04, 0);  // SYS follows the command byte
}

TEST_F(I8042Test, EnableDisableInterfacesEditCommandByte) {
  Out(kCommand, 0xae);
  Out(kCommand, 0xa8);
  Out(kCommand, 0x20);
  EXPECT_EQ(In(kData), 0x04);
  Out(kCommand, 0xad);
  Out(kCommand, 0xa7);
  Out(kCommand, 0x20);
  EXPECT_EQ(In(kData), 0x34);
}

TEST_F(I8042Test, SelfTestsReportSuccess) {
  Out(kCommand, 0xaa);
  EXPECT_EQ(In(kData), 0x55);
  Out(kCommand, 0xab);
  EXPECT_EQ(In(kData), 0x00);
  Out(kCommand, 0xa9);
  EXPECT_EQ(In(kData), 0x00);
}

TEST_F(I8042Test, WriteAuxOutputBufferSetsAuxStatus) {
  Out(kCommand, 0xd3);
  Out(kData, 0x42);
  EXPECT_EQ(In(kCommand) & 0x21, 0x21);
  EXPECT_EQ(In(kData), 0x42);
  EXPECT_EQ(In(kCommand) & 0x21, 0);
  EXPECT_EQ(In(kData), 0x42);  // an empty buffer repeats its last byte
}

TEST_F(I8042Test, KeyboardBytesAndUnknownCommandsAreIgnored) {
  Out(kData, 0xff);  // keyboard reset to an absent keyboard
  Out(kCommand, 0xc0);
  EXPECT_EQ(In(kCommand) & 0x01, 0);
  EXPECT_EQ(resets_, 0);
}

TEST_F(I8042Test, OffsetsOneToThreeReadFfAndIgnoreWrites) {
  for (uint64_t off = 1; off <= 3; ++off) {
    Out(off, 0xfe);
    EXPECT_EQ(In(off), 0xff);
  }
  EXPECT_EQ(resets_, 0);
  std::array<uint8_t, 4> buf{};
  dev_.Read(3, buf);  // runs past the end
  EXPECT_EQ(buf[0], 0xff);
  EXPECT_EQ(buf[1] & 0x04, 0x04);  // status at offset 4
  EXPECT_EQ(buf[2], 0xff);
  EXPECT_EQ(buf[3], 0xff);
  const std::array<uint8_t, 2> w{0x00, 0xfe};
  dev_.Write(3, w);  // byte 1 lands on the command port
  EXPECT_EQ(resets_, 1);
  dev_.Write(~0ULL, w);
  EXPECT_EQ(resets_, 1);
}

}  // namespace
}  // namespace petrel
