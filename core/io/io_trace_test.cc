// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IoTrace's text format (round trip, every refusal with its line) and
// RecordingGuestIo (what it records and that it passes everything on).
#include "core/io/io_trace.h"

#include <gtest/gtest.h>

#include "core/io/recording_guest_io.h"

namespace petrel {
namespace {

using Kind = IoTraceRecord::Kind;

TEST(IoTraceTest, TextRoundTripsEveryKind) {
  IoTrace trace;
  trace.Append({0, 0, Kind::kPioWrite, 0x3f8, {'A'}});
  trace.Append({10, 1, Kind::kPioRead, 0x3fd, {0x60}});
  trace.Append({20, 0, Kind::kMmioWrite, 0xfec00000, {0x18, 0, 0, 0}});
  trace.Append({30, 0, Kind::kMmioRead, 0xfe000000'00000008ull, {1, 2, 3, 4, 5, 6, 7, 8}});
  trace.Append({40, 1, Kind::kEoi, 0x34, {}});
  trace.Append({50, IoTraceRecord::kNoVcpu, Kind::kMsi, 0xfee00000, {0x41, 0x80, 0, 0}});
  trace.Append({60, IoTraceRecord::kNoVcpu, Kind::kPin, 10, {1}});
  const std::string text = trace.ToText();
  EXPECT_NE(text.find("50 - msi 0xfee00000 41800000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("60 - pin 0xa 01\n"), std::string::npos) << text;
  EXPECT_EQ(text.substr(0, text.find('\n')), "petrel-io-trace 1");
  EXPECT_NE(text.find("10 1 pio-read 0x3fd 60\n"), std::string::npos) << text;
  EXPECT_NE(text.find("40 1 eoi 0x34 -\n"), std::string::npos) << text;
  auto back = ParseIoTrace(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, trace.records());
}

TEST(IoTraceTest, BadTracesAreRefusedWithTheirLine) {
  auto refused = [](std::string_view text, std::string_view needle) {
    auto r = ParseIoTrace(text);
    if (r.ok()) return ::testing::AssertionFailure() << "accepted: " << text;
    if (r.error().message().find(needle) == std::string::npos) {
      return ::testing::AssertionFailure() << r.error().message();
    }
    return ::testing::AssertionSuccess();
  };
  const std::string h = "petrel-io-trace 1\n";
  EXPECT_TRUE(refused("", "empty"));
  EXPECT_TRUE(refused("petrel-io-trace 2\n", "line 1"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x3fd 60", "no line end"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x3fd\n", "line 2: expected 5 fields"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x3fd 60 7\n", "more than 5"));
  EXPECT_TRUE(refused(h + "1 0 pio-read  0x3fd 60\n", "two spaces"));
  EXPECT_TRUE(refused(h + "x 0 pio-read 0x3fd 60\n", "bad time"));
  EXPECT_TRUE(refused(h + "1 -1 pio-read 0x3fd 60\n", "bad vcpu"));
  EXPECT_TRUE(refused(h + "1 0 dma 0x3fd 60\n", "unknown kind"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 3fd 60\n", "bad address"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x10000 60\n", "port above"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x3fd 6\n", "1 to 8 bytes"));
  EXPECT_TRUE(refused(h + "1 0 mmio-read 0x0 000000000000000000\n", "1 to 8 bytes"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x3fd 6G\n", "bad hex"));
  EXPECT_TRUE(refused(h + "1 0 pio-read 0x3fd -\n", "needs data"));
  EXPECT_TRUE(refused(h + "1 0 eoi 0x34 00\n", "no data"));
  EXPECT_TRUE(refused(h + "1 0 eoi 0x100 -\n", "vector"));
  EXPECT_TRUE(refused(h + "1 0 msi 0xfee00000 41000000\n", "vcpu is '-'"));
  EXPECT_TRUE(refused(h + "1 - pio-read 0x3fd 60\n", "needs a vcpu"));
  EXPECT_TRUE(refused(h + "1 - msi 0xfee00000 41\n", "4 bytes"));
  EXPECT_TRUE(refused(h + "1 - pin 0x100 01\n", "at most 0xff"));
  EXPECT_TRUE(refused(h + "1 - pin 0x4 02\n", "level"));
  EXPECT_TRUE(refused(h + "1 4294967295 pio-read 0x3fd 60\n", "bad vcpu"));
  EXPECT_TRUE(ParseIoTrace(h).ok());
}

class EchoIo final : public hv::GuestIo {
 public:
  void MmioRead(uint32_t, uint64_t, std::span<uint8_t> d) override {
    for (auto& b : d) b = 0xab;
  }
  void MmioWrite(uint32_t, uint64_t, std::span<const uint8_t>) override { ++writes; }
  void PioRead(uint32_t, uint16_t, std::span<uint8_t> d) override {
    for (auto& b : d) b = 0x60;
  }
  void PioWrite(uint32_t, uint16_t, std::span<const uint8_t>) override { ++writes; }
  void EndOfInterrupt(uint32_t, uint8_t vector) override { last_eoi = vector; }
  int writes = 0;
  int last_eoi = -1;
};

TEST(RecordingGuestIoTest, RecordsWhatTheDevicesAnsweredAndPassesEverythingOn) {
  EchoIo inner;
  IoTrace trace;
  VirtualClock clock(1000);
  RecordingGuestIo io(inner, trace, clock);
  uint8_t lsr = 0;
  clock.Advance(5);
  io.PioRead(0, 0x3fd, {&lsr, 1});
  EXPECT_EQ(lsr, 0x60);
  const uint8_t out[2] = {1, 2};
  clock.Advance(5);
  io.MmioWrite(1, 0xd000'0000, out);
  uint8_t word[4] = {};
  io.MmioRead(1, 0xd000'0004, word);
  io.EndOfInterrupt(0, 0x34);
  EXPECT_EQ(inner.writes, 1);
  EXPECT_EQ(inner.last_eoi, 0x34);
  const auto r = trace.records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (IoTraceRecord{5, 0, Kind::kPioRead, 0x3fd, {0x60}}));
  EXPECT_EQ(r[1], (IoTraceRecord{10, 1, Kind::kMmioWrite, 0xd000'0000, {1, 2}}));
  EXPECT_EQ(r[2].data, (std::vector<uint8_t>{0xab, 0xab, 0xab, 0xab}));
  EXPECT_EQ(r[3].kind, Kind::kEoi);
  EXPECT_EQ(r[3].addr, 0x34u);
}

}  // namespace
}  // namespace petrel
