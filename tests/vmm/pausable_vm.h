// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PausableVm and VirtioQueueDriver: a whole VmInstance on hv_sim whose vCPUs
// count forever in guest RAM, run on a thread of its own as the VMM's VM
// thread runs it, and a test-side driver for queue 0 of one of its virtio
// devices (RngDriver: the virtio-rng's). Shared by the pause, snapshot,
// migration and watchdog tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string_view>
#include <algorithm>
#include <thread>
#include <vector>

#include "devices/virtio/pci/virtio_pci_test_util.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/config/device_ids.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm::testing {

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

// A copy of `from` in new memory of the same layout (what the snapshot's
// memory file gives a restore).
std::shared_ptr<GuestMemory> CopyOf(const GuestMemory& from) {
  auto to = GuestMemory::CreateX86(from.total_size()).value();
  for (const auto& r : from.regions()) {
    std::memcpy(to->HostPointer(r.gpa, r.size), r.host->data(), r.size);
  }
  return to;
}

// A VmInstance on hv_sim whose vCPUs count, with Run() on a thread of its own
// (the VM's thread); the test thread plays the API thread.
class PausableVm {
 public:
  // `restore` and `memory`: build the VM from a snapshot (VmOptions).
  // `disks`: virtio-blk disks to give it. `max_vcpus` (0: `vcpus`): the
  // possible vCPUs, each with a counting script for when it is plugged.
  // `customize`: any other change to the config (pmem devices, ...).
  explicit PausableVm(uint32_t vcpus = 2, bool hide_paused_time = true,
                      const VmSnapshotState* restore = nullptr,
                      std::shared_ptr<GuestMemory> memory = nullptr,
                      std::vector<virtio::DiskConfig> disks = {}, uint32_t max_vcpus = 0,
                      const std::function<void(config::VmConfig&)>& customize = nullptr) {
    config::VmConfig config = NullGuestConfig();
    config.disks = std::move(disks);
    if (customize) customize(config);
    config.cpus.boot_vcpus = vcpus;
    config.cpus.max_vcpus = max_vcpus != 0 ? max_vcpus : vcpus;
    VmOptions options = CapturingOptions();
    options.hide_paused_time = hide_paused_time;
    options.restore = restore;
    options.memory = std::move(memory);
    sim::SimConfig sim_config;
    for (uint32_t i = 0; i < config.cpus.max_vcpus; ++i) {
      sim_config.vcpu_scripts[i] = sim::ScriptBuilder().Count(Counter(i), UINT64_MAX).Build();
    }
    auto factory = [sim_config] {
      return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
    };
    auto vm = VmInstance::Create(config, factory, std::move(options));
    if (!vm.ok()) {
      error_ = vm.error();
      return;
    }
    vm_ = std::move(vm).value();
    sim_ = sim::AsSim(&vm_->hv_vm());
    vcpus_ = vcpus;
  }
  ~PausableVm() {
    if (run_.valid()) {
      vm_->RequestStop({StopReason::Kind::kShutdown, "test over"});
      run_.wait();
    }
  }

  bool ok() const { return vm_ != nullptr; }
  // Why Create() failed (when !ok()).
  const std::optional<Error>& error() const { return error_; }
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
  std::optional<Error> error_;
  std::unique_ptr<VmInstance> vm_;
  sim::SimVm* sim_ = nullptr;
  uint32_t vcpus_ = 0;
  std::future<Result<StopReason>> run_;
};

// Queue 0 of the virtio device `id`, driven from the test thread as a guest
// driver would (config space and BAR0 through the transport), with the VM's
// real worker thread behind it.
class VirtioQueueDriver {
 public:
  VirtioQueueDriver(VmInstance& vm, std::string_view id) {
    for (const auto& placed : vm.virtio().devices())
      if (placed.name == id) dev_ = placed.device;
    // Non-owning: the VmInstance owns guest memory and outlives this.
    memory_ = std::shared_ptr<GuestMemory>(&vm.memory(), [](GuestMemory*) {});
  }
  // Brings the device to DRIVER_OK with queue 0 (of at most 16 entries) at
  // 0x40'0000.
  bool SetUp() {
    if (!dev_) return false;
    guest_ = std::make_unique<PciGuest>(*dev_);
    guest_->FindCaps();
    guest_->SetStatus(0);
    if (!WaitFor([&] { return guest_->Status() == 0; })) return false;
    if (!guest_->Negotiate(~uint64_t{0})) return false;
    guest_->EnableMsix(2);
    const auto size = std::min<uint16_t>(16, dev_->device().max_queue_size());
    auto drv = VirtqDriver::Create(memory_, {.size = size, .ring_gpa = 0x40'0000,
                                             .data_gpa = 0x50'0000, .data_size = 0x10'0000});
    if (!drv.ok()) return false;
    drv_ = std::make_unique<VirtqDriver>(std::move(drv).value());
    guest_->SetupQueue(0, drv_->QueueConfig(), 1);
    guest_->SetStatus(virtio::kStatusAcknowledge | virtio::kStatusDriver |
                      virtio::kStatusFeaturesOk | virtio::kStatusDriverOk);
    return WaitFor([&] { return dev_->active(); });
  }
  // Posts one request of `writable` device-writable bytes (an entropy
  // request, a watchdog ping) and rings the doorbell.
  bool Post(uint32_t writable = 16) { return Post({}, writable); }
  // With device-readable parts first (a request header); the writable part
  // is at WritableGpa() of the last request.
  bool Post(const std::vector<std::vector<uint8_t>>& readable, uint32_t writable) {
    auto request = drv_->AddRequest(readable, {writable});
    if (!request.ok() || !drv_->Kick().ok()) return false;
    last_writable_gpa_ = request->segments.back().gpa;
    guest_->Kick(0);
    return true;
  }
  std::optional<VirtqDriver::UsedElem> Poll() {
    auto used = drv_->PopUsed();
    return used.ok() ? *used : std::nullopt;
  }
  uint64_t WritableGpa() const { return last_writable_gpa_; }
  // used.idx as the device last published it (readable from any thread).
  uint16_t UsedIdx() const { return memory_->LoadAtomic<uint16_t>(UsedIdxGpa()).value(); }
  // Where used.idx lives (virtio 1.2 §2.7.8), to read it in a restored copy.
  uint64_t UsedIdxGpa() const { return drv_->QueueConfig().used_gpa + 2; }

 private:
  std::shared_ptr<virtio::VirtioPciDevice> dev_;
  std::shared_ptr<GuestMemory> memory_;
  std::unique_ptr<PciGuest> guest_;
  std::unique_ptr<VirtqDriver> drv_;
  uint64_t last_writable_gpa_ = 0;
};

// The virtio-rng every VM has.
class RngDriver : public VirtioQueueDriver {
 public:
  explicit RngDriver(VmInstance& vm) : VirtioQueueDriver(vm, config::kRngDeviceId) {}
};

}  // namespace petrel::vmm::testing
