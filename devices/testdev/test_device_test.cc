// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TestDevice: each register as docs/test-guests.md describes it.
#include "devices/testdev/test_device.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/base/log.h"
#include "devices/legacy/fake_interrupt_line.h"

namespace petrel {
namespace {

class RecordingMsi final : public hv::MsiInterrupt {
 public:
  Result<void> SetMessage(const hv::MsiMessage& message) override {
    if (refuse) return Error(ErrorCode::kUnsupported, "no MSI route");
    message_ = message;
    return Ok();
  }
  bool refuse = false;
  void Signal() override { sent.push_back(message_); }
  std::vector<hv::MsiMessage> sent;

 private:
  hv::MsiMessage message_;
};

class TestDeviceTest : public ::testing::Test {
 protected:
  uint32_t Read32(uint64_t offset) {
    uint8_t b[4];
    mmio->Read(offset, b);
    return b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24;
  }
  void Write32(uint64_t offset, uint32_t v) {
    const uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                          static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
    mmio->Write(offset, b);
  }
  std::shared_ptr<FakeInterruptLine> line = std::make_shared<FakeInterruptLine>();
  std::shared_ptr<RecordingMsi> msi = std::make_shared<RecordingMsi>();
  std::shared_ptr<TestDevice> device = std::make_shared<TestDevice>(line, msi);
  std::shared_ptr<BusDevice> mmio = device->mmio();
  std::shared_ptr<BusDevice> ports = device->ports();
};

TEST_F(TestDeviceTest, IdReadsAtAnyWidth) {
  EXPECT_EQ(Read32(TestDevice::kRegId), TestDevice::kId);
  uint8_t b[1];
  mmio->Read(1, b);
  EXPECT_EQ(b[0], 'T');  // "PTST"
  Write32(TestDevice::kRegId, 0);
  EXPECT_EQ(Read32(TestDevice::kRegId), TestDevice::kId);
}

TEST_F(TestDeviceTest, ScratchReadsBackAndStartsZero) {
  EXPECT_EQ(Read32(0x200), 0u);
  Write32(0x200, 0xdeadbeef);
  EXPECT_EQ(Read32(0x200), 0xdeadbeefu);
  uint8_t eight[8];
  mmio->Read(0x1fe, eight);  // straddles: 2 zero bytes then the word
  EXPECT_EQ(eight[2], 0xef);
  EXPECT_EQ(eight[5], 0xde);
  EXPECT_EQ(eight[0], 0);
  uint8_t last[2];
  mmio->Read(TestDevice::kMmioSize - 1, last);  // past the window: 0xff
  EXPECT_EQ(last[1], 0xff);
}

TEST_F(TestDeviceTest, CounterCountsReadsAndWritesSetIt) {
  EXPECT_EQ(Read32(TestDevice::kRegCounter), 0u);
  EXPECT_EQ(Read32(TestDevice::kRegCounter), 1u);
  Write32(TestDevice::kRegCounter, 100);
  EXPECT_EQ(Read32(TestDevice::kRegCounter), 100u);
  EXPECT_EQ(Read32(TestDevice::kRegCounter), 101u);
}

TEST_F(TestDeviceTest, IrqPulsesRaisesAndLowersThePin) {
  Write32(TestDevice::kRegIrq, 1);
  EXPECT_EQ(line->levels(), (std::vector<bool>{true, false}));
  Write32(TestDevice::kRegIrq, 2);
  EXPECT_TRUE(line->level());
  EXPECT_EQ(Read32(TestDevice::kRegIrq), 1u);
  Write32(TestDevice::kRegIrq, 4);
  EXPECT_FALSE(line->level());
  EXPECT_EQ(Read32(TestDevice::kRegIrq), 0u);
}

TEST_F(TestDeviceTest, MsiSendsTheVectorToApicZero) {
  Write32(TestDevice::kRegMsi, 0x1234);
  ASSERT_EQ(msi->sent.size(), 1u);
  EXPECT_EQ(msi->sent[0], (hv::MsiMessage{0xfee00000, 0x34}));
}

// A guest hammering an MSI the backend refuses: dropped, logged once per
// vector, not once per write (docs/security-audit.md).
TEST_F(TestDeviceTest, RefusedMsiIsDroppedAndLoggedOncePerVector) {
  msi->refuse = true;
  log::CaptureForTest(true);
  for (int i = 0; i < 100; ++i) Write32(TestDevice::kRegMsi, 0x77);
  const std::string logged = log::TakeCaptured();
  log::CaptureForTest(false);
  EXPECT_TRUE(msi->sent.empty());
  size_t lines = 0;
  for (size_t at = logged.find("MSI vector 119"); at != std::string::npos;
       at = logged.find("MSI vector 119", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << logged;
}

TEST_F(TestDeviceTest, DataPortReadsTheSequenceAndSeqMovesIt) {
  uint8_t b[3];
  ports->Read(TestDevice::kPortData, b);
  EXPECT_EQ(b[0], 3);
  EXPECT_EQ(b[1], 10);
  EXPECT_EQ(b[2], 17);
  uint8_t seq[4];
  ports->Read(TestDevice::kPortSeq, seq);
  EXPECT_EQ(seq[0], 3);
  const uint8_t at[4] = {100, 0, 0, 0};
  ports->Write(TestDevice::kPortSeq, at);
  uint8_t one[1];
  ports->Read(TestDevice::kPortData, one);
  EXPECT_EQ(one[0], TestDevice::DataByte(100));
  const uint8_t dump[4] = {1, 2, 3, 4};
  ports->Write(TestDevice::kPortData, dump);  // accepted, changes nothing
  ports->Read(TestDevice::kPortSeq, seq);
  EXPECT_EQ(seq[0], 101);
}

}  // namespace
}  // namespace petrel
