// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmInstance::Pause and Resume on hv_sim (issue 9, item 6): a guest that
// counts stops counting while paused and goes on after resume; every vCPU's
// state is saved as it parks; a virtio request that reaches a paused device
// waits and completes after resume; pause and resume refuse the wrong state;
// reboot and shutdown end a paused VM; the guest's clock does not see the
// paused time unless asked to. The device workers are real ThreadWorkers, so
// the ThreadSanitizer tier checks the pause handshake with device work racing it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/arch/boot_msrs.h"
#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::PausableVm;
using testing::RngDriver;
using testing::WaitFor;
using virtio::testing::VirtqDriver;

TEST(VmPauseSimTest, PauseStopsACountingGuestAndResumeContinuesIt) {
  PausableVm t(2);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.vm().state(), VmRunState::kCreated);
  t.Start();
  ASSERT_TRUE(t.AllCountPast({0, 0}));
  EXPECT_EQ(t.vm().state(), VmRunState::kRunning);

  for (int round = 0; round < 3; ++round) {
    auto paused = t.vm().Pause();
    ASSERT_TRUE(paused.ok()) << paused.error().message();
    EXPECT_EQ(t.vm().state(), VmRunState::kPaused);
    const std::vector<uint64_t> at_pause = t.Counts();
    const uint64_t virtual_at_pause = t.sim().clock().NowNs();
    std::this_thread::sleep_for(50ms);  // a running guest counts millions in this time
    EXPECT_EQ(t.Counts(), at_pause);
    EXPECT_EQ(t.sim().clock().NowNs(), virtual_at_pause);  // no vCPU step either

    auto resumed = t.vm().Resume();
    ASSERT_TRUE(resumed.ok()) << resumed.error().message();
    EXPECT_EQ(t.vm().state(), VmRunState::kRunning);
    EXPECT_TRUE(t.AllCountPast(at_pause));
  }
  // The backend heard each pause and resume (MSHV freezes its time there).
  EXPECT_EQ(t.sim().pause_calls(), 3u);
  EXPECT_EQ(t.sim().resume_calls(), 3u);
  t.vm().RequestStop({StopReason::Kind::kShutdown, "test"});
  auto stop = t.Wait();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kShutdown);
  EXPECT_EQ(t.vm().state(), VmRunState::kStopped);
  EXPECT_TRUE(t.sim().failures().empty()) << t.sim().failures().front();
}

TEST(VmPauseSimTest, EachParkedVcpuSavesItsStateThroughTheHvInterface) {
  PausableVm t(2);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t.vm().PausedVcpuStates().empty());
  t.Start();
  ASSERT_TRUE(t.AllCountPast({0, 0}));
  ASSERT_TRUE(t.vm().Pause().ok());
  const std::vector<VcpuState> states = t.vm().PausedVcpuStates();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].id, 0u);
  EXPECT_EQ(states[1].id, 1u);
  // vCPU 0 holds the PVH entry state the loader gave it: rbx = hvm_start_info
  // (0x6000), 32-bit protected mode (CR0.PE); the APs the reset state.
  EXPECT_EQ(states[0].cpu.regs.gpr[hv::kRbx], 0x6000u);
  EXPECT_EQ(states[0].cpu.sregs.cr0 & 1, 1u);
  EXPECT_EQ(states[1].cpu.regs.gpr[hv::kRbx], 0u);
  // The boot MSRs, read back (with hv_sim's own script-position MSRs).
  for (const VcpuState& s : states) {
    bool mtrr = false;
    for (const auto& m : s.cpu.msrs) {
      if (m.index == x86::kMsrIa32MtrrDefType) {
        mtrr = true;
        EXPECT_EQ(m.value, x86::kMtrrDefTypeBoot);
      }
    }
    EXPECT_TRUE(mtrr);
  }
  // Each parked vCPU told the guest's clock it was stopped (KVM:
  // KVM_KVMCLOCK_CTRL), once per pause.
  EXPECT_EQ(t.sim().PausedNotifications(), (std::vector<uint64_t>{1, 1}));
  ASSERT_TRUE(t.vm().Resume().ok());
  EXPECT_TRUE(t.vm().PausedVcpuStates().empty());  // only while paused
  // Once the guest has run again, the next pause tells the clock again. (A
  // pause right after a resume may find a vCPU that has not left its park
  // yet; it never ran, so there is nothing new to tell.)
  ASSERT_TRUE(t.AllCountPast(t.Counts()));
  ASSERT_TRUE(t.vm().Pause().ok());
  EXPECT_EQ(t.sim().PausedNotifications(), (std::vector<uint64_t>{2, 2}));
  ASSERT_TRUE(t.vm().Resume().ok());
}

TEST(VmPauseSimTest, PauseAndResumeInTheWrongStateFailAndChangeNothing) {
  PausableVm t(1);
  ASSERT_TRUE(t.ok());
  auto early = t.vm().Pause();  // before Run()
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(t.vm().state(), VmRunState::kCreated);
  t.Start();
  ASSERT_TRUE(t.AllCountPast({0}));

  auto resume_running = t.vm().Resume();
  ASSERT_FALSE(resume_running.ok());
  EXPECT_EQ(resume_running.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(t.vm().state(), VmRunState::kRunning);
  const uint64_t before = t.Count(0);
  EXPECT_TRUE(t.AllCountPast({before}));  // still running

  ASSERT_TRUE(t.vm().Pause().ok());
  auto twice = t.vm().Pause();
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(t.vm().state(), VmRunState::kPaused);
  const uint64_t paused_at = t.Count(0);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(t.Count(0), paused_at);  // still paused

  ASSERT_TRUE(t.vm().Resume().ok());
  t.vm().RequestStop({StopReason::Kind::kShutdown, "test"});
  ASSERT_TRUE(t.Wait().ok());
  EXPECT_EQ(t.vm().Pause().error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(t.vm().Resume().error().code(), ErrorCode::kFailedPrecondition);
}

TEST(VmPauseSimTest, ShutdownAndRebootWhilePausedEndRun) {
  for (StopReason::Kind kind : {StopReason::Kind::kShutdown, StopReason::Kind::kReset}) {
    PausableVm t(2);
    ASSERT_TRUE(t.ok());
    t.Start();
    ASSERT_TRUE(t.AllCountPast({0, 0}));
    ASSERT_TRUE(t.vm().Pause().ok());
    t.vm().RequestStop({kind, "requested while paused"});
    auto stop = t.Wait();  // the parked vCPU threads wake and end
    ASSERT_TRUE(stop.ok()) << stop.error().message();
    EXPECT_EQ(stop->kind, kind);
    EXPECT_EQ(t.vm().state(), VmRunState::kStopped);
  }
}

// The guest's clock over a pause in which an hour of host time passes (the
// test moves hv_sim's virtual time, which nothing else moves while paused).
uint64_t GuestClockGainOverAPausedHour(bool hide_paused_time) {
  PausableVm t(1, hide_paused_time);
  EXPECT_TRUE(t.ok());
  if (!t.ok()) return 0;
  t.Start();
  EXPECT_TRUE(t.AllCountPast({0}));
  EXPECT_TRUE(t.vm().Pause().ok());
  const uint64_t before = t.vm().hv_vm().GetClock()->ns;
  t.sim().clock().Advance(3600'000'000'000);
  EXPECT_TRUE(t.vm().Resume().ok());
  EXPECT_TRUE(t.AllCountPast({t.Count(0)}));  // the guest ran again
  EXPECT_TRUE(t.vm().Pause().ok());            // and stopped: nothing moves its clock now
  return t.vm().hv_vm().GetClock()->ns - before;
}

TEST(VmPauseSimTest, TheGuestClockDoesNotSeeThePausedTimeUnlessAskedTo) {
  const uint64_t hidden = GuestClockGainOverAPausedHour(true);
  const uint64_t shown = GuestClockGainOverAPausedHour(false);
  EXPECT_GT(hidden, 0u);                    // the guest's own running time
  EXPECT_LT(hidden, 3600'000'000'000u);     // but not the hour
  EXPECT_GE(shown, 3600'000'000'000u);      // the hour, when asked for
}

TEST(VmPauseSimTest, ARequestThatReachesAPausedDeviceWaitsAndCompletesAfterResume) {
  PausableVm t(1);
  ASSERT_TRUE(t.ok());
  RngDriver rng(t.vm());
  t.Start();
  ASSERT_TRUE(rng.SetUp());
  ASSERT_TRUE(rng.Post());  // one request while running: the device works
  ASSERT_TRUE(WaitFor([&] { return rng.Poll().has_value(); }));

  ASSERT_TRUE(t.vm().Pause().ok());
  // A doorbell that lands while paused: on KVM the vCPU's ioeventfd write
  // completes in the kernel, so a kick can be in the worker's eventfd, not
  // yet handled, when pause comes. It must wait for resume.
  ASSERT_TRUE(rng.Post());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(rng.UsedIdx(), 1u);
  EXPECT_FALSE(rng.Poll().has_value());

  ASSERT_TRUE(t.vm().Resume().ok());
  std::optional<VirtqDriver::UsedElem> used;
  ASSERT_TRUE(WaitFor([&] {
    used = rng.Poll();
    return used.has_value();
  }));
  EXPECT_EQ(used->len, 16u);
  EXPECT_EQ(rng.UsedIdx(), 2u);
}

TEST(VmPauseSimTest, PauseAndResumeRacingDeviceWorkLoseNoRequest) {
  // A driver thread posts requests one after another while the test thread
  // pauses and resumes; while paused, used.idx must not move; every request
  // completes in the end. Under TSan this checks the worker stop/start and
  // vCPU park handshakes against real device work.
  PausableVm t(2);
  ASSERT_TRUE(t.ok());
  RngDriver rng(t.vm());
  t.Start();
  ASSERT_TRUE(rng.SetUp());
  constexpr int kRequests = 200;
  std::atomic<int> completed{0};
  std::atomic<bool> failed{false};
  std::thread driver([&] {
    for (int i = 0; i < kRequests && !failed; ++i) {
      if (!rng.Post() || !WaitFor([&] { return rng.Poll().has_value(); })) {
        failed = true;
        return;
      }
      ++completed;
    }
  });
  for (int round = 0; round < 20 && completed < kRequests && !failed; ++round) {
    auto paused = t.vm().Pause();
    ASSERT_TRUE(paused.ok()) << paused.error().message();
    const uint16_t idx = rng.UsedIdx();
    std::this_thread::sleep_for(2ms);
    EXPECT_EQ(rng.UsedIdx(), idx) << "the device worked while paused";
    ASSERT_TRUE(t.vm().Resume().ok());
    std::this_thread::sleep_for(1ms);
  }
  driver.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(completed.load(), kRequests);
}

}  // namespace
}  // namespace petrel::vmm
