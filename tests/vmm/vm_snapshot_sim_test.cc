// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmInstance::SaveSnapshotState and VmOptions::restore on hv_sim (issue 10,
// items 1 and 2): a paused VM's complete state -- the VM clock, every vCPU,
// the legacy, ACPI and PCI platform devices and each virtio transport with
// its queues -- rebuilds an identical VM that starts paused and, once
// resumed, continues the guest where it stopped: its counters go on from
// their saved values and a virtio request the guest queued before the
// snapshot completes on the restored device. A snapshot that does not fit
// the config is refused with a clear error.
#include <gtest/gtest.h>

#include <cstring>
#include <future>

#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::CopyOf;
using testing::PausableVm;
using testing::RngDriver;
using testing::WaitFor;

struct Snapshot {
  VmSnapshotState state;
  std::shared_ptr<GuestMemory> memory;
  std::vector<uint64_t> counts;
  uint64_t used_idx_gpa = 0;
};

// Runs a 2-vCPU counting VM with an active virtio-rng, pauses it with one
// entropy request queued but not served, and snapshots it.
Snapshot TakeSnapshot() {
  Snapshot snap;
  PausableVm src(2);
  EXPECT_TRUE(src.ok());
  if (!src.ok()) return snap;
  RngDriver rng(src.vm());
  src.Start();
  EXPECT_TRUE(src.AllCountPast({0, 0}));
  EXPECT_TRUE(rng.SetUp());
  EXPECT_TRUE(rng.Post());
  EXPECT_TRUE(WaitFor([&] { return rng.Poll().has_value(); }));
  EXPECT_TRUE(src.vm().Pause().ok());
  EXPECT_TRUE(rng.Post());  // waits: the device's worker is stopped
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rng.UsedIdx(), 1u);
  auto state = src.vm().SaveSnapshotState();
  EXPECT_TRUE(state.ok()) << state.error().message();
  if (!state.ok()) return snap;
  snap.state = std::move(state).value();
  snap.memory = CopyOf(src.vm().memory());
  snap.counts = src.Counts();
  snap.used_idx_gpa = rng.UsedIdxGpa();
  return snap;
}

TEST(VmSnapshotSimTest, ARestoredVmIsIdenticalStartsPausedAndContinuesTheGuest) {
  Snapshot snap = TakeSnapshot();
  ASSERT_EQ(snap.state.vcpus.size(), 2u);
  ASSERT_TRUE(snap.state.vm.clock.has_value());
  ASSERT_FALSE(snap.state.virtio.empty());
  EXPECT_EQ(snap.state.virtio[0].id, config::kRngDeviceId);  // --console off: rng first
  EXPECT_TRUE(snap.state.virtio[0].transport.status & virtio::kStatusDriverOk);
  EXPECT_TRUE(snap.state.legacy.serial.has_value());

  PausableVm dst(2, true, &snap.state, snap.memory);
  ASSERT_TRUE(dst.ok()) << dst.error()->message();
  dst.Start();
  EXPECT_EQ(dst.vm().state(), VmRunState::kPaused);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(dst.Counts(), snap.counts);  // nothing runs before Resume()

  // The restored VM saves exactly what it was given.
  auto again = dst.vm().SaveSnapshotState();
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(again->vm == snap.state.vm);
  EXPECT_TRUE(again->vcpus == snap.state.vcpus);
  EXPECT_TRUE(again->legacy == snap.state.legacy);
  EXPECT_TRUE(again->acpi.pm == snap.state.acpi.pm);
  EXPECT_TRUE(again->acpi.ged == snap.state.acpi.ged);
  // The PM timer counts the VMM's monotonic time, paused or not: it went on
  // from its saved count.
  EXPECT_GE(again->acpi.pm_timer.elapsed_ns, snap.state.acpi.pm_timer.elapsed_ns);
  EXPECT_LT(again->acpi.pm_timer.elapsed_ns, snap.state.acpi.pm_timer.elapsed_ns + 10'000'000'000);
  EXPECT_TRUE(again->pci == snap.state.pci);
  EXPECT_TRUE(again->virtio == snap.state.virtio);

  ASSERT_TRUE(dst.vm().Resume().ok());
  EXPECT_TRUE(dst.AllCountPast(snap.counts));
  // The request queued before the snapshot is served by the restored device.
  EXPECT_TRUE(WaitFor([&] {
    return dst.vm().memory().LoadAtomic<uint16_t>(snap.used_idx_gpa).value() == 2;
  }));
}

// The VMM reports a restored VM Paused as soon as it is built, before its
// VM thread has started the (paused) vCPU threads: a vm.resume in that
// window waits for them instead of failing with "created".
TEST(VmSnapshotSimTest, AResumeBeforeRunHasStartedWaitsForIt) {
  Snapshot snap = TakeSnapshot();
  ASSERT_FALSE(snap.state.vcpus.empty());
  PausableVm dst(2, true, &snap.state, snap.memory);
  ASSERT_TRUE(dst.ok()) << dst.error()->message();
  auto resumed = std::async(std::launch::async, [&] { return dst.vm().Resume(); });
  std::this_thread::sleep_for(50ms);
  dst.Start();
  Result<void> result = resumed.get();
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(dst.vm().state(), VmRunState::kRunning);
  EXPECT_TRUE(dst.AllCountPast(snap.counts));
}

TEST(VmSnapshotSimTest, OnlyAPausedVmCanBeSnapshotted) {
  PausableVm t(1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.vm().SaveSnapshotState().error().code(), ErrorCode::kFailedPrecondition);
  t.Start();
  ASSERT_TRUE(t.AllCountPast({0}));
  EXPECT_EQ(t.vm().SaveSnapshotState().error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(t.vm().Pause().ok());
  EXPECT_TRUE(t.vm().SaveSnapshotState().ok());
}

// Each mismatch between the snapshot and the config fails Create() with an
// error that says what differs.
TEST(VmSnapshotSimTest, ASnapshotThatDoesNotFitTheConfigIsRefused) {
  Snapshot snap = TakeSnapshot();
  ASSERT_EQ(snap.state.vcpus.size(), 2u);
  auto refused = [&](const VmSnapshotState& state, uint32_t vcpus, const std::string& needle) {
    PausableVm t(vcpus, true, &state, CopyOf(*snap.memory));
    if (t.ok()) return ::testing::AssertionFailure() << "accepted";
    const std::string msg = t.error()->message();
    if (msg.find(needle) == std::string::npos) {
      return ::testing::AssertionFailure() << "'" << msg << "' lacks '" << needle << "'";
    }
    return ::testing::AssertionSuccess();
  };
  EXPECT_TRUE(refused(snap.state, 1, "2 vCPUs, the config 1"));
  VmSnapshotState renamed = snap.state;
  renamed.virtio[0].id = "_disk7";
  EXPECT_TRUE(refused(renamed, 2, "virtio device '_disk7' is not in the config"));
  VmSnapshotState fewer = snap.state;
  fewer.virtio.pop_back();
  EXPECT_TRUE(refused(fewer, 2, "virtio devices"));
  VmSnapshotState no_serial = snap.state;
  no_serial.legacy.serial.reset();
  EXPECT_TRUE(refused(no_serial, 2, "serial"));
  VmSnapshotState chip = snap.state;
  chip.vm.irqchip.emplace();
  EXPECT_TRUE(refused(chip, 2, "irqchip"));
  VmSnapshotState other_type = snap.state;
  other_type.virtio[0].device = virtio::BlkDeviceState{};  // the rng's entry
  EXPECT_TRUE(refused(other_type, 2, "another device type's state"));
  VmSnapshotState bad_xsave = snap.state;
  bad_xsave.vcpus[1].xsave.resize(10);
  EXPECT_TRUE(refused(bad_xsave, 2, "XSAVE"));
  // The wrong memory size.
  PausableVm small(2, true, &snap.state, GuestMemory::CreateX86(32ULL << 20).value());
  EXPECT_FALSE(small.ok());
}

}  // namespace
}  // namespace petrel::vmm
