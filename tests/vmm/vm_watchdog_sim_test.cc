// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --watchdog on a whole VmInstance on hv_sim (issue 15, item 3): the test
// thread drives the virtio-watchdog as a guest driver would, through the
// virtio-pci transport, with the device on its real worker thread. The
// workers' loops run on a VirtualClock the test moves (and then wakes the
// worker), so "20 s without a ping" takes no real time. A guest that stops
// pinging is reset (Run() returns kReset with the device's reason); one that
// pings stays up; paused time does not count; a snapshot keeps the armed
// flag and a restored VM is watched again.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "core/base/clock.h"
#include "core/event/thread_worker.h"
#include "devices/virtio/watchdog/watchdog_device.h"
#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::Counter;
using testing::VirtioQueueDriver;
using testing::WaitFor;

constexpr uint64_t kSecond = 1'000'000'000;

// A counting null guest with --watchdog whose device workers tell time by
// `clock`.
class WatchdogVm {
 public:
  explicit WatchdogVm(const VmSnapshotState* restore = nullptr,
                      std::shared_ptr<GuestMemory> memory = nullptr) {
    config::VmConfig config = testing::NullGuestConfig();
    config.watchdog = true;
    VmOptions options = testing::CapturingOptions();
    options.device_workers = &workers_;
    options.restore = restore;
    options.memory = std::move(memory);
    sim::SimConfig sim_config;
    sim_config.vcpu_scripts[0] = sim::ScriptBuilder().Count(Counter(0), UINT64_MAX).Build();
    auto factory = [sim_config] {
      return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
    };
    auto vm = VmInstance::Create(config, factory, std::move(options));
    EXPECT_TRUE(vm.ok()) << vm.error().message();
    if (vm.ok()) vm_ = std::move(vm).value();
  }
  ~WatchdogVm() {
    if (run_.valid()) {
      vm_->RequestStop({StopReason::Kind::kShutdown, "test over"});
      run_.wait();
    }
  }
  bool ok() const { return vm_ != nullptr; }
  VmInstance& vm() { return *vm_; }
  void Start() {
    run_ = std::async(std::launch::async, [this] { return vm_->Run(); });
    EXPECT_TRUE(WaitFor([this] { return vm_->state() != VmRunState::kCreated; }));
  }
  // The placed device and its type.
  const VirtioDevices::Placed* Placed() {
    placed_ = vm_->virtio().devices();
    for (const auto& p : placed_)
      if (p.name == config::kWatchdogDeviceId) return &p;
    return nullptr;
  }
  virtio::WatchdogDevice* Device() {
    const auto* p = Placed();
    return p ? dynamic_cast<virtio::WatchdogDevice*>(&p->device->device()) : nullptr;
  }
  // Moves the workers' clock on and lets the device's worker see it (its
  // loop waits for a timer set in virtual time; a post wakes it), waiting
  // for that unless the VM is paused (its worker then runs after resume).
  void Advance(uint64_t ns, bool paused = false) {
    clock_.Advance(ns);
    auto ran = std::make_shared<std::promise<void>>();
    auto done = ran->get_future();
    if (!Placed()->worker->loop().Post([ran] { ran->set_value(); }).ok() || paused) return;
    done.wait_for(5s);
  }
  // True once Run() returned, with its result in *reason.
  bool Stopped(StopReason* reason, std::chrono::milliseconds within = 5s) {
    if (run_.wait_for(within) != std::future_status::ready) return false;
    auto r = run_.get();
    EXPECT_TRUE(r.ok());
    if (r.ok()) *reason = *r;
    return true;
  }

 private:
  VirtualClock clock_{1'000 * kSecond};
  ThreadWorkers workers_{clock_};
  std::unique_ptr<VmInstance> vm_;
  std::vector<VirtioDevices::Placed> placed_;
  std::future<Result<StopReason>> run_;
};

TEST(VmWatchdogSimTest, TheDeviceIsPlacedLastAsCloudHypervisorsWatchdog) {
  WatchdogVm t;
  ASSERT_TRUE(t.ok());
  const auto devices = t.vm().virtio().devices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(devices.back().name, "__watchdog");
  EXPECT_EQ(devices.back().device->device().device_type(), 35);
}

TEST(VmWatchdogSimTest, AGuestThatStopsPingingIsResetAndOneThatPingsIsNot) {
  WatchdogVm t;
  ASSERT_TRUE(t.ok());
  t.Start();
  VirtioQueueDriver guest(t.vm(), config::kWatchdogDeviceId);
  ASSERT_TRUE(guest.SetUp());
  ASSERT_FALSE(t.Device()->armed());
  // Two minutes of pings every 10 s: the VM runs on.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(guest.Post(1));
    ASSERT_TRUE(WaitFor([&] { return guest.Poll().has_value(); }));
    t.Advance(10 * kSecond);
  }
  EXPECT_TRUE(t.Device()->armed());
  StopReason reason;
  EXPECT_FALSE(t.Stopped(&reason, 100ms));
  EXPECT_EQ(t.vm().state(), VmRunState::kRunning);
  // The pings stop: the device resets the VM at its second look.
  for (int i = 0; i < 3; ++i) t.Advance(15 * kSecond);
  ASSERT_TRUE(t.Stopped(&reason));
  EXPECT_EQ(reason.kind, StopReason::Kind::kReset);
  EXPECT_NE(reason.detail.find("virtio-watchdog: "), std::string::npos) << reason.detail;
  EXPECT_NE(reason.detail.find("since the last ping"), std::string::npos) << reason.detail;
}

TEST(VmWatchdogSimTest, AnUnarmedWatchdogNeverResets) {
  WatchdogVm t;
  ASSERT_TRUE(t.ok());
  t.Start();
  for (int i = 0; i < 10; ++i) t.Advance(60 * kSecond);
  StopReason reason;
  EXPECT_FALSE(t.Stopped(&reason, 100ms));
}

TEST(VmWatchdogSimTest, PausedTimeDoesNotCountAndASnapshotKeepsTheArmedFlag) {
  VmSnapshotState state;
  std::shared_ptr<GuestMemory> memory;
  {
    WatchdogVm t;
    ASSERT_TRUE(t.ok());
    t.Start();
    VirtioQueueDriver guest(t.vm(), config::kWatchdogDeviceId);
    ASSERT_TRUE(guest.SetUp());
    ASSERT_TRUE(guest.Post(1));
    ASSERT_TRUE(WaitFor([&] { return guest.Poll().has_value(); }));
    ASSERT_TRUE(t.vm().Pause().ok());
    for (int i = 0; i < 10; ++i) t.Advance(60 * kSecond, /*paused=*/true);  // ten minutes
    auto saved = t.vm().SaveSnapshotState();
    ASSERT_TRUE(saved.ok()) << saved.error().message();
    state = std::move(saved).value();
    memory = testing::CopyOf(t.vm().memory());
    ASSERT_TRUE(t.vm().Resume().ok());
    t.Advance(0);  // the worker has run what Resume() posted
    // Resumed: the last ping counts as now; 15 s on it still runs.
    t.Advance(15 * kSecond);
    StopReason reason;
    EXPECT_FALSE(t.Stopped(&reason, 100ms));
    t.Advance(15 * kSecond);
    ASSERT_TRUE(t.Stopped(&reason));
    EXPECT_EQ(reason.kind, StopReason::Kind::kReset);
  }
  const VirtioDeviceSnapshot* saved_dog = nullptr;
  for (const auto& d : state.virtio)
    if (d.id == config::kWatchdogDeviceId) saved_dog = &d;
  ASSERT_NE(saved_dog, nullptr);
  const auto* type = std::get_if<virtio::WatchdogDeviceState>(&saved_dog->device);
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->armed);

  // The restored VM is watched from its resume on, with no new ping.
  WatchdogVm restored(&state, memory);
  ASSERT_TRUE(restored.ok());
  restored.Start();
  ASSERT_TRUE(WaitFor([&] { return restored.vm().state() == VmRunState::kPaused; }));
  ASSERT_TRUE(restored.vm().Resume().ok());
  ASSERT_TRUE(restored.Device()->armed());
  restored.Advance(0);
  for (int i = 0; i < 3; ++i) restored.Advance(15 * kSecond);
  StopReason reason;
  ASSERT_TRUE(restored.Stopped(&reason));
  EXPECT_EQ(reason.kind, StopReason::Kind::kReset);
}

}  // namespace
}  // namespace petrel::vmm
