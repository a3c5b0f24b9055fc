// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Record and replay on hv_sim: a scripted guest's run recorded through
// VmOptions::io_trace (RecordingGuestIo) replays against fresh devices with
// every read matching; a changed recorded read, a device that answers
// differently and a trace through the text format are reported at the first
// differing read.
#include "vmm/replay/io_replay.h"

#include <gtest/gtest.h>

#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"
#include "tests/vmm/sim_vm_fixture.h"

namespace petrel::vmm {
namespace {

using testing::CapturingOptions;
using testing::NullGuestConfig;
using testing::SimFactory;

// The guest: COM1 (LCR, IER, LSR, scratch), the IOAPIC's version and a
// redirection entry, CMOS RAM, the PM timer after some time, the debug port,
// then power off.
sim::GuestScript DeviceTour() {
  return sim::ScriptBuilder()
      .Out8(0x3fb, 0x03)
      .In8(0x3fb)
      .Out8(0x3ff, 0x5a)
      .In8(0x3ff)
      .In8(0x3fd)
      .Write32(0xfec0'0000, 0x01)
      .Read32(0xfec0'0010)
      .Write32(0xfec0'0000, 0x18)
      .Write32(0xfec0'0010, 0x34)
      .Read32(0xfec0'0010)
      .Out8(0x70, 0x40)
      .Out8(0x71, 0x77)
      .Out8(0x70, 0x40)
      .In8(0x71)
      .Advance(1'000'000)
      .In32(0x608)
      .Out8(0x80, 0x42)
      .Out8(0x600, 0x34)
      .Advance(1'000'000'000)
      .Build();
}

// COM1's THR-empty interrupt through the VMM's IOAPIC (pin 4, vector 0x34).
sim::GuestScript SerialInterrupt() {
  return sim::ScriptBuilder()
      .Write32(0xfec0'0000, 0x18)
      .Write32(0xfec0'0010, 0x34)
      .Out8(0x3fc, 0x08)  // MCR: OUT2 gates the UART's interrupt onto its pin
      .Out8(0x3f9, 0x02)  // IER: THR empty
      .Out8(0x600, 0x34)
      .Advance(1'000'000'000)
      .Build();
}

std::vector<IoTraceRecord> Record(std::string* text = nullptr,
                                  sim::GuestScript (*script)() = DeviceTour) {
  IoTrace trace;
  VirtualClock clock(0);
  VmOptions options = CapturingOptions();
  options.io_trace = &trace;
  options.monotonic_clock = &clock;
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  EXPECT_TRUE(vm.ok()) << vm.error().message();
  if (!vm.ok()) return {};
  auto* sim = sim::AsSim(&(*vm)->hv_vm());
  EXPECT_TRUE(sim->SetScript(0, script()).ok());
  auto stop = (*vm)->Run();
  EXPECT_TRUE(stop.ok());
  if (text != nullptr) *text = trace.ToText();
  return trace.records();
}

IoReplayOptions SimReplay() {
  IoReplayOptions o;
  o.open_hypervisor = SimFactory();
  return o;
}

TEST(IoReplayTest, ARecordedRunReplaysWithEveryReadMatching) {
  std::string text;
  const auto records = Record(&text);
  ASSERT_EQ(records.size(), 17u);  // every access of the tour
  auto report = ReplayIoTrace(records, NullGuestConfig(), SimReplay());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->accesses, records.size());
  EXPECT_GE(report->reads, 7u);
  EXPECT_EQ(report->divergences, 0u) << report->Describe();
  // Through the file format too.
  auto parsed = ParseIoTrace(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(ReplayIoTrace(*parsed, NullGuestConfig(), SimReplay())->divergences, 0u);
}

TEST(IoReplayTest, TheFirstDifferingReadIsReported) {
  auto records = Record();
  // The scratch register read back (0x3ff): as if the recorded UART had
  // answered 0x5b; a later read is changed too, only the first is named.
  size_t scratch = records.size(), lsr = records.size();
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].kind == IoTraceRecord::Kind::kPioRead && records[i].addr == 0x3ff) scratch = i;
    if (records[i].kind == IoTraceRecord::Kind::kPioRead && records[i].addr == 0x3fd) lsr = i;
  }
  ASSERT_LT(scratch, lsr);
  ASSERT_LT(lsr, records.size());
  records[scratch].data = {0x5b};
  records[lsr].data = {0x00};
  auto report = ReplayIoTrace(records, NullGuestConfig(), SimReplay());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->divergences, 2u);
  ASSERT_TRUE(report->first_index.has_value());
  EXPECT_EQ(*report->first_index, scratch);
  EXPECT_EQ(report->first_replayed, (std::vector<uint8_t>{0x5a}));
  EXPECT_NE(report->Describe().find("pio-read 0x3ff): recorded 5b, replayed 5a"), std::string::npos)
      << report->Describe();
}

TEST(IoReplayTest, TheDevicesInterruptsAreRecordedAndComparedOnReplay) {
  const auto records = Record(nullptr, SerialInterrupt);
  size_t msis = 0;
  for (const auto& r : records) {
    if (r.kind != IoTraceRecord::Kind::kMsi) continue;
    ++msis;
    EXPECT_EQ(r.vcpu, IoTraceRecord::kNoVcpu);
    EXPECT_EQ(r.data[0], 0x34);
  }
  EXPECT_EQ(msis, 1u);
  auto report = ReplayIoTrace(records, NullGuestConfig(), SimReplay());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->interrupts_recorded, 1u);
  EXPECT_EQ(report->interrupts_raised, 1u);
  EXPECT_TRUE(report->matched()) << report->Describe();

  // A recorded interrupt the fresh devices do not raise is a difference.
  auto extra = records;
  extra.push_back({extra.back().time_ns, IoTraceRecord::kNoVcpu, IoTraceRecord::Kind::kMsi,
                   0xfee00000, {0x35, 0, 0, 0}});
  report = ReplayIoTrace(extra, NullGuestConfig(), SimReplay());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->divergences, 0u);
  EXPECT_FALSE(report->matched());
  ASSERT_TRUE(report->interrupt_difference.has_value());
  EXPECT_EQ(*report->interrupt_difference,
            "interrupt 1: expected vcpu - msi 0xfee00000 35000000, got nothing (the run ended "
            "after 1 accesses)");
}

TEST(IoReplayTest, AConfigThatDoesNotBuildIsAnError) {
  config::VmConfig config = NullGuestConfig();
  config.payload.kernel = "/nonexistent/kernel";
  EXPECT_FALSE(ReplayIoTrace({}, config, SimReplay()).ok());
}

}  // namespace
}  // namespace petrel::vmm
