// VmInstance::Pause and Resume on hv_sim (issue 9, item 6): a guest that
// counts stops counting while paused and goes on after resume; every vCPU's
// state is saved as it parks; a virtio request that reaches a paused device
// waits and completes after resume; pause and resume refuse the wrong state;
// reboot and shutdown end a paused VM; the guest's clock does not see the
// paused time unless asked to. The device workers are real ThreadWorkers, so
// the ThreadSanitizer tier checks the pause handshake with device work racing it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "core/arch/boot_msrs.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"
#include "tests/guests/test_guests.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/config/device_ids.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using virtio::testing::PciGuest;
using virtio::testing::VirtqDriver;

// Each vCPU counts at its own 8-byte counter in guest RAM, forever.
constexpr uint64_t kCounterGpa = 0x80'0000;  // 8 MiB: above the null guest and its boot data
constexpr uint64_t Counter(uint32_t vcpu) { return kCounterGpa + 64 * vcpu; }

// Polls `pred` every millisecond for up to 10 s.
template <class Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 10'000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

// A VmInstance on hv_sim whose vCPUs count, with Run() on a thread of its own
// (the VM's thread); the test thread plays the API thread.
class PausableVm {
 public:
  explicit PausableVm(uint32_t vcpus = 2, bool hide_paused_time = true) {
    config::VmConfig config = testing::NullGuestConfig();
    config.cpus.boot_vcpus = vcpus;
    config.cpus.max_vcpus = vcpus;
    VmOptions options = testing::CapturingOptions();
    options.hide_paused_time = hide_paused_time;
    auto vm = VmInstance::Create(config, testing::SimFactory(), std::move(options));
    EXPECT_TRUE(vm.ok()) << vm.error().message();
    if (!vm.ok()) return;
    vm_ = std::move(vm).value();
    sim_ = sim::AsSim(&vm_->hv_vm());
    for (uint32_t i = 0; i < vcpus; ++i) {
      EXPECT_TRUE(
          sim_->SetScript(i, sim::ScriptBuilder().Count(Counter(i), UINT64_MAX).Build()).ok());
    }
    vcpus_ = vcpus;
  }
  ~PausableVm() {
    if (run_.valid()) {
      vm_->RequestStop({StopReason::Kind::kShutdown, "test over"});
      run_.wait();
    }
  }

  bool ok() const { return vm_ != nullptr; }
  VmInstance& vm() { return *vm_; }
  sim::SimVm& sim() { return *sim_; }

  // Starts Run() on its own thread and returns once the VM is Running (under
  // a sanitizer the thread can take long enough for a Pause() to find the VM
  // still Created).
  void Start() {
    run_ = std::async(std::launch::async, [this] { return vm_->Run(); });
    EXPECT_TRUE(WaitFor([this] { return vm_->state() != VmRunState::kCreated; }));
  }
  // Run()'s result, failing the test instead of hanging if it does not come.
  Result<StopReason> Wait() {
    if (run_.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "Run() did not return";
      std::abort();  // the VM thread would outlive the VM
    }
    return run_.get();
  }

  uint64_t Count(uint32_t vcpu) const {
    return vm_->memory().LoadAtomic<uint64_t>(Counter(vcpu)).value();
  }
  // Waits until every vCPU's counter has moved past `floor[i]`.
  bool AllCountPast(const std::vector<uint64_t>& floor) const {
    return WaitFor([&] {
      for (uint32_t i = 0; i < vcpus_; ++i)
        if (Count(i) <= floor[i]) return false;
      return true;
    });
  }
  std::vector<uint64_t> Counts() const {
    std::vector<uint64_t> out;
    for (uint32_t i = 0; i < vcpus_; ++i) out.push_back(Count(i));
    return out;
  }

 private:
  std::unique_ptr<VmInstance> vm_;
  sim::SimVm* sim_ = nullptr;
  uint32_t vcpus_ = 0;
  std::future<Result<StopReason>> run_;
};

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
  EXPECT_EQ(states[0].regs.gpr[hv::kRbx], 0x6000u);
  EXPECT_EQ(states[0].sregs.cr0 & 1, 1u);
  EXPECT_EQ(states[1].regs.gpr[hv::kRbx], 0u);
  // The boot MSRs, read back.
  for (const VcpuState& s : states) {
    ASSERT_EQ(s.msrs.size(), x86::BootMsrs().size());
    bool mtrr = false;
    for (const auto& m : s.msrs) {
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

// The virtio-rng every VM has, driven from the test thread as a guest driver
// would (config space and BAR0 through the transport), with the VM's real
// worker thread behind it.
class RngDriver {
 public:
  explicit RngDriver(VmInstance& vm) {
    for (const auto& placed : vm.virtio().devices())
      if (placed.name == config::kRngDeviceId) dev_ = placed.device;
    // Non-owning: the VmInstance owns guest memory and outlives this.
    memory_ = std::shared_ptr<GuestMemory>(&vm.memory(), [](GuestMemory*) {});
  }
  // Brings the device to DRIVER_OK with queue 0 at 0x40'0000.
  bool SetUp() {
    if (!dev_) return false;
    guest_ = std::make_unique<PciGuest>(*dev_);
    guest_->FindCaps();
    guest_->SetStatus(0);
    if (!WaitFor([&] { return guest_->Status() == 0; })) return false;
    if (!guest_->Negotiate(~uint64_t{0})) return false;
    guest_->EnableMsix(2);
    auto drv = VirtqDriver::Create(memory_, {.size = 16, .ring_gpa = 0x40'0000,
                                             .data_gpa = 0x50'0000, .data_size = 0x10'0000});
    if (!drv.ok()) return false;
    drv_ = std::make_unique<VirtqDriver>(std::move(drv).value());
    guest_->SetupQueue(0, drv_->QueueConfig(), 1);
    guest_->SetStatus(virtio::kStatusAcknowledge | virtio::kStatusDriver |
                      virtio::kStatusFeaturesOk | virtio::kStatusDriverOk);
    return WaitFor([&] { return dev_->active(); });
  }
  // Posts one 16-byte entropy request and rings the doorbell.
  bool Post() {
    if (!drv_->AddRequest({}, {16}).ok() || !drv_->Kick().ok()) return false;
    guest_->Kick(0);
    return true;
  }
  std::optional<VirtqDriver::UsedElem> Poll() {
    auto used = drv_->PopUsed();
    return used.ok() ? *used : std::nullopt;
  }
  // used.idx as the device last published it (readable from any thread).
  uint16_t UsedIdx() const {
    return memory_->LoadAtomic<uint16_t>(drv_->QueueConfig().used_gpa + 2).value();
  }

 private:
  std::shared_ptr<virtio::VirtioPciDevice> dev_;
  std::shared_ptr<GuestMemory> memory_;
  std::unique_ptr<PciGuest> guest_;
  std::unique_ptr<VirtqDriver> drv_;
};

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
