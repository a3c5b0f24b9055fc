// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ioapic save/restore: the shared device state suite (save -> restore ->
// save is the identity, the restored IOAPIC behaves the same, invalid states
// are refused and change nothing), plus the version check and what a
// restored IOAPIC delivers.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/ioapic/ioapic.h"
#include "devices/ioapic/ioapic_test_util.h"
#include "devices/testing/device_state_suite.h"

namespace petrel {
namespace {

using namespace ioapic;       // NOLINT
using namespace ioapic_test;  // NOLINT

struct IoapicTraits {
  using Device = Ioapic;
  // Each IOAPIC made here logs into its own RouteLog.
  struct Made {
    const Ioapic* io;
    std::unique_ptr<RouteLog> log;
  };
  std::vector<Made> made;

  std::shared_ptr<Ioapic> Make() {
    auto log = std::make_unique<RouteLog>();
    auto io = MakeIoapic(log.get());
    made.push_back({io.get(), std::move(log)});
    return io;
  }
  void Drive(Ioapic& io) {
    WriteRegister(io, kRegId, 0x0500'0000);
    WriteEntry(io, 0, EdgeEntry(0x30, 1));
    WriteEntry(io, 4, LevelEntry(0x34, 2) | kRtePolarityLow);  // will hold remote IRR
    WriteEntry(io, 9, LevelEntry(0x39) | kRteMasked);          // asserted while masked
    WriteEntry(io, 17, EdgeEntry(0x41, 3) | kRteDestModeLogical);
    io.SetLevel(0, true);
    io.SetLevel(4, true);
    io.SetLevel(9, true);
    Write32(io, kIoRegSelOffset, 0x22);
  }
  // What the guest reads, then what an EOI, an unmask and edges deliver.
  std::vector<uint64_t> Observe(Ioapic& io) {
    std::vector<uint64_t> v{Read32(io, kIoRegSelOffset), ReadRegister(io, kRegId),
                            ReadRegister(io, kRegArb)};
    for (uint32_t pin = 0; pin < kNumPins; ++pin) v.push_back(ReadEntry(io, pin));
    RouteLog& log = LogOf(io);
    log.deliveries.clear();
    Write32(io, kEoiOffset, 0x34);        // pin 4 again
    WriteEntry(io, 9, LevelEntry(0x39));  // pin 9 on unmask
    io.SetLevel(0, false);
    io.SetLevel(0, true);  // pin 0 edge
    io.SetLevel(17, true);
    v.push_back(log.deliveries.size());
    for (const auto& d : log.deliveries) {
      v.push_back(d.pin);
      v.push_back(d.message.address);
      v.push_back(d.message.data);
    }
    return v;
  }
  std::vector<Ioapic::State> Invalid(const Ioapic::State& good) {
    std::vector<Ioapic::State> bad(8, good);
    bad[0].version = Ioapic::kStateVersion + 1;
    bad[1].version = 0;
    bad[2].id = 16;
    bad[3].line_levels = 1u << 24;
    bad[4].redirection[3] |= kRteDeliveryStatus;
    bad[5].redirection[23] |= 1ULL << 40;    // reserved
    bad[6].redirection[0] |= kRteRemoteIrr;  // an edge entry
    bad[7].redirection[12] = kRteRemoteIrr;  // edge (trigger bit clear), unmasked
    return bad;
  }

 private:
  RouteLog& LogOf(const Ioapic& io) {
    // Newest first: a freed IOAPIC's address may be reused by a later one.
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      if (it->io == &io) return *it->log;
    }
    ADD_FAILURE() << "an IOAPIC Make() did not make";
    return *made.back().log;
  }
};

TEST(IoapicStateTest, DefaultStateIsTheResetState) {
  RouteLog log;
  auto io = MakeIoapic(&log);
  const Ioapic::State s = io->Save();
  EXPECT_EQ(s.version, Ioapic::kStateVersion);
  EXPECT_EQ(s, Ioapic::State{});
  for (uint64_t e : s.redirection) EXPECT_EQ(e, kRteMasked);
  EXPECT_TRUE(Ioapic::Validate(s).ok());
}

TEST(IoapicStateTest, OtherVersionIsRefusedWithAClearError) {
  RouteLog log;
  auto io = MakeIoapic(&log);
  Ioapic::State s;
  s.version = 2;
  auto r = io->Restore(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "ioapic state: version 2, this Petrel reads version 1");
}

TEST(IoapicStateTest, RestoreDeliversNothingAndKeepsRemoteIrr) {
  RouteLog src_log;
  auto src = MakeIoapic(&src_log);
  WriteEntry(*src, 4, LevelEntry(0x34));
  src->SetLevel(4, true);
  ASSERT_EQ(src_log.deliveries.size(), 1u);

  RouteLog dst_log;
  auto dst = MakeIoapic(&dst_log);
  ASSERT_TRUE(dst->Restore(src->Save()).ok());
  EXPECT_TRUE(dst_log.deliveries.empty());
  dst->SetLevel(4, true);  // same level: nothing new
  EXPECT_TRUE(dst_log.deliveries.empty());
  dst->EndOfInterrupt(0x34);  // the guest's EOI for the saved interrupt
  ASSERT_EQ(dst_log.deliveries.size(), 1u);
  EXPECT_EQ(dst_log.deliveries[0], (Delivery{4, {.address = 0xfee0'0000, .data = 0xc034}}));
}

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Ioapic, DeviceStateTest, ::testing::Types<IoapicTraits>);
}  // namespace testing
}  // namespace petrel
