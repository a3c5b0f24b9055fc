// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --landlock in the whole VMM on hv_sim: VmmServices::restrict_paths runs on
// the VM thread before the config's first build and only then, its failure
// fails vm.boot (HTTP 500 with its message), and, in a forked child, a VMM
// whose VM thread really confines itself (RestrictToVmPaths) still builds
// and runs a VM with a disk, a serial file and a console socket, while the
// VM thread can open nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "core/isolation/landlock.h"
#include "core/isolation/landlock_test_util.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/landlock_paths.h"
#include "vmm/vmm.h"

namespace petrel::vmm::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kCounterGpa = 0x80'0000;

VmmServices SimServices(bool capture_output) {
  VmmServices services;
  sim::SimConfig sim_config;
  sim_config.vcpu_scripts[0] = sim::ScriptBuilder().Count(kCounterGpa, UINT64_MAX).Build();
  services.open_hypervisor = [sim_config]() -> Result<std::unique_ptr<hv::Hypervisor>> {
    return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
  };
  services.vm_options = [capture_output](const config::VmConfig&) {
    if (capture_output) return CapturingOptions();
    VmOptions options;  // the config's own serial and console outputs
    options.attach_input = false;
    return options;
  };
  services.request_timeout = 20s;
  return services;
}

config::VmConfig LandlockedConfig() {
  config::VmConfig config = NullGuestConfig();
  config.landlock_enable = true;
  return config;
}

// Counts the hook's calls, where they ran and whether a VM existed then.
struct HookLog {
  std::mutex mu;
  int calls = 0;
  int builds = 0;
  int builds_before_first_call = -1;
  std::thread::id thread;
};

class VmmLandlockSimTest : public ::testing::Test {
 protected:
  void Start(std::function<Result<void>(const config::VmConfig&)> hook) {
    VmmServices services = SimServices(/*capture_output=*/true);
    services.restrict_paths = std::move(hook);
    services.on_vm_built = [this](VmInstance&) {
      std::lock_guard lock(log_.mu);
      ++log_.builds;
    };
    vmm_ = std::make_unique<Vmm>(std::move(services));
    run_ = std::async(std::launch::async, [this] {
      vm_thread_ = std::this_thread::get_id();
      return vmm_->Run();
    });
  }
  void TearDown() override {
    if (vmm_ == nullptr) return;
    vmm_->RequestExit(0);
    run_.wait();
  }
  std::function<Result<void>(const config::VmConfig&)> CountingHook(Result<void> answer = Ok()) {
    return [this, answer](const config::VmConfig& config) {
      std::lock_guard lock(log_.mu);
      EXPECT_TRUE(config.landlock_enable);
      if (log_.calls++ == 0) log_.builds_before_first_call = log_.builds;
      log_.thread = std::this_thread::get_id();
      return answer;
    };
  }

  HookLog log_;
  std::unique_ptr<Vmm> vmm_;
  std::future<int> run_;
  std::atomic<std::thread::id> vm_thread_;
};

TEST_F(VmmLandlockSimTest, TheVmThreadRestrictsItselfOncePerConfigBeforeItBuilds) {
  Start(CountingHook());
  ASSERT_TRUE(vmm_->Create(LandlockedConfig()).ok());
  ASSERT_TRUE(vmm_->BootVm().ok());
  {
    std::lock_guard lock(log_.mu);
    EXPECT_EQ(log_.calls, 1);
    EXPECT_EQ(log_.builds_before_first_call, 0);  // before the first VmInstance
    EXPECT_EQ(log_.thread, vm_thread_.load());    // on the VM thread
  }
  // A reboot rebuilds within the restriction; shutdown and boot again too.
  ASSERT_TRUE(vmm_->RebootVm().ok());
  ASSERT_TRUE(vmm_->ShutdownVm().ok());
  ASSERT_TRUE(vmm_->BootVm().ok());
  {
    std::lock_guard lock(log_.mu);
    EXPECT_EQ(log_.calls, 1);
    EXPECT_EQ(log_.builds, 3);
  }
  // A new config is restricted again (its rules add to the first's).
  ASSERT_TRUE(vmm_->DeleteVm().ok());
  ASSERT_TRUE(vmm_->Create(LandlockedConfig()).ok());
  ASSERT_TRUE(vmm_->BootVm().ok());
  std::lock_guard lock(log_.mu);
  EXPECT_EQ(log_.calls, 2);
}

TEST_F(VmmLandlockSimTest, WithoutLandlockEnableNothingIsRestricted) {
  Start(CountingHook());
  ASSERT_TRUE(vmm_->Create(NullGuestConfig()).ok());
  ASSERT_TRUE(vmm_->BootVm().ok());
  std::lock_guard lock(log_.mu);
  EXPECT_EQ(log_.calls, 0);
  EXPECT_EQ(log_.builds, 1);
}

TEST_F(VmmLandlockSimTest, ARestrictionThatFailsFailsTheBootWithItsMessage) {
  const std::string why =
      "--landlock: Landlock is not supported by this kernel (needs Linux 5.13 with Landlock "
      "enabled in the LSM list)";
  Start(CountingHook(Error(ErrorCode::kUnsupported, why)));
  const std::string body = nlohmann::json{{"payload", {{"kernel", PETREL_NULL_GUEST_ELF}}},
                                          {"memory", {{"size", 64ULL << 20}}},
                                          {"serial", {{"mode", "Null"}}},
                                          {"console", {{"mode", "Off"}}},
                                          {"landlock_enable", true}}
                               .dump();
  EXPECT_EQ(ApiStatus(*vmm_, "PUT", "vm.create", body), 204);
  const api::HttpResponse boot = ApiCall(*vmm_, "PUT", "vm.boot");
  EXPECT_EQ(boot.status, 500);
  EXPECT_NE(boot.body.find(why), std::string::npos) << boot.body;
  EXPECT_EQ(vmm_->state(), VmmState::kCreated);
  // Asked again, it is tried again (nothing was restricted).
  EXPECT_EQ(ApiStatus(*vmm_, "PUT", "vm.boot"), 500);
  std::lock_guard lock(log_.mu);
  EXPECT_EQ(log_.calls, 2);
  EXPECT_EQ(log_.builds, 0);
}

// The real thing: the VM thread confined by RestrictToVmPaths builds the VM
// (kernel read, disk opened, serial file and console socket created, the
// vCPU and device worker threads started) and can open nothing else.
TEST(VmmLandlockChildTest, AConfinedVmmBuildsAndRunsItsVm) {
  if (auto abi = LandlockAbiVersion(); !abi.ok()) GTEST_SKIP() << abi.error().message();
  landlock_test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  config::VmConfig config = LandlockedConfig();
  config.serial = {config::OutputMode::kFile, dir.path() + "/serial.log"};
  config.console = {config::OutputMode::kSocket, dir.Dir("run") + "/console.sock"};
  const std::string disk = dir.path() + "/disk.raw";
  {
    const int fd = open(disk.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
    close(fd);
  }
  config.disks.push_back({.path = disk, .id = "disk0"});
  const std::string other = dir.File("other");
  const int status = landlock_test::RunInChild([&] {
    VmmServices services = SimServices(/*capture_output=*/false);
    services.restrict_paths = [](const config::VmConfig& c) { return RestrictToVmPaths(c); };
    std::atomic<int> on_vm_thread{-1};
    services.on_vm_built = [&](VmInstance&) {
      // After the restriction, on the VM thread.
      int r = landlock_test::Denied(other, O_RDONLY, 20);
      if (r == 0) r = landlock_test::Opens(config.serial.path, O_WRONLY | O_APPEND, 21);
      on_vm_thread = r;
    };
    Vmm vmm(std::move(services));
    if (!vmm.Create(config).ok()) return 10;
    auto run = std::async(std::launch::async, [&] { return vmm.Run(); });
    const Result<void> booted = vmm.BootVm();
    int result = 0;
    if (!booted.ok()) {
      std::fprintf(stderr, "boot: %s\n", booted.error().message().c_str());
      result = 11;
    } else if (vmm.state() != VmmState::kRunning) {
      result = 12;
    } else if (on_vm_thread != 0) {
      result = on_vm_thread;  // 20: another file opened; 21: the serial file did not
    } else if (landlock_test::Opens(other, O_RDONLY, 13) != 0) {
      result = 13;  // this thread existed before: it is not confined
    } else if (access(config.console.path.c_str(), F_OK) != 0) {
      result = 14;  // the console socket was not bound
    }
    vmm.RequestExit(0);
    if (run.wait_for(20s) != std::future_status::ready) _exit(15);
    if (run.get() != 0 && result == 0) result = 16;
    // The console socket was removed at teardown, by the confined thread.
    if (result == 0 && access(config.console.path.c_str(), F_OK) == 0) result = 17;
    return result;
  });
  EXPECT_EQ(status, 0);
  struct stat st {};
  EXPECT_EQ(stat(config.serial.path.c_str(), &st), 0);  // created before the restriction
}

}  // namespace
}  // namespace petrel::vmm::testing
