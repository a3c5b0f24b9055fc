// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimVmm: a whole Vmm on hv_sim, driven through the API router as a client
// drives it, whose vCPU 0 counts at kCounterGpa forever (the script comes
// with the hypervisor, so a VM restored or migrated into it counts on).
// Shared by the snapshot and the migration tests of the whole VMM.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/vmm.h"

namespace petrel::vmm::testing {

inline constexpr uint64_t kSimVmmCounterGpa = 0x80'0000;

// vm.create's body for the counting null guest (64 MiB, no console);
// `shared_memory`: guest RAM in memfds (--memory shared=on).
inline std::string CreateBody(bool shared_memory = false) {
  return nlohmann::json{{"payload", {{"kernel", PETREL_NULL_GUEST_ELF}}},
                        {"memory", {{"size", 64ULL << 20}, {"shared", shared_memory}}},
                        {"serial", {{"mode", "Null"}}},
                        {"console", {{"mode", "Off"}}}}
      .dump();
}

struct SimVmmOptions {
  // Called on the VM thread with each VM just built, before it runs.
  std::function<void(VmInstance&)> on_vm_built;
  // The hypervisor cannot be opened (a destination that fails to build).
  bool broken_hypervisor = false;
};

class SimVmm {
 public:
  using Options = SimVmmOptions;

  explicit SimVmm(Options options = {}) : options_(std::move(options)) {
    using namespace std::chrono_literals;
    VmmServices services;
    sim::SimConfig sim_config;
    sim_config.vcpu_scripts[0] =
        sim::ScriptBuilder().Count(kSimVmmCounterGpa, UINT64_MAX).Build();
    // Application processors (booted or hot-plugged) idle.
    for (uint32_t i = 1; i < 8; ++i) sim_config.vcpu_scripts[i] = sim::ScriptBuilder().Halt().Build();
    const bool broken = options_.broken_hypervisor;
    services.open_hypervisor = [sim_config, broken]() -> Result<std::unique_ptr<hv::Hypervisor>> {
      if (broken) return Error(ErrorCode::kUnsupported, "no hypervisor (test)");
      return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
    };
    services.vm_options = [](const config::VmConfig&) { return CapturingOptions(); };
    services.events = &events_;
    services.on_vm_built = [this](VmInstance& vm) {
      vm_ = &vm;
      if (options_.on_vm_built) options_.on_vm_built(vm);
    };
    services.request_timeout = 20s;
    vmm_ = std::make_unique<Vmm>(std::move(services));
    exit_ = std::async(std::launch::async, [this] { return vmm_->Run(); });
  }
  ~SimVmm() {
    vmm_->RequestExit(0);
    if (exit_.valid()) exit_.wait();
  }
  SimVmm(const SimVmm&) = delete;
  SimVmm& operator=(const SimVmm&) = delete;

  // What the router answers, as a client would see it.
  int Status(const char* method, const char* endpoint, std::string body = {}) {
    return ApiStatus(*vmm_, method, endpoint, std::move(body));
  }
  // The body of the router's answer (a JSON document or an error message).
  std::string Body(const char* method, const char* endpoint, std::string body = {}) {
    return ApiCall(*vmm_, method, endpoint, std::move(body)).body;
  }
  std::string State() {
    return nlohmann::json::parse(vmm_->VmInfoJson().value())["state"];
  }
  // The last VM built; only while it exists.
  VmInstance& vm() const { return *vm_; }
  uint64_t Count() const { return vm_->memory().LoadAtomic<uint64_t>(kSimVmmCounterGpa).value(); }
  bool CountsPast(uint64_t floor) const {
    using namespace std::chrono_literals;
    for (int i = 0; i < 10'000; ++i) {
      if (Count() > floor) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }
  std::vector<std::string> Events() const { return events_.events(); }
  bool HasEvent(const std::string& event) const {
    const auto events = Events();
    return std::find(events.begin(), events.end(), event) != events.end();
  }
  Vmm& vmm() { return *vmm_; }
  // Run()'s exit status once the VMM exited on its own within `timeout`.
  std::optional<int> ExitStatus(std::chrono::milliseconds timeout) {
    if (!exited_) {
      if (exit_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
      exited_ = exit_.get();
    }
    return exited_;
  }

 private:
  Options options_;
  RecordingEvents events_;
  VmInstance* vm_ = nullptr;
  std::unique_ptr<Vmm> vmm_;
  std::future<int> exit_;
  std::optional<int> exited_;
};

}  // namespace petrel::vmm::testing
