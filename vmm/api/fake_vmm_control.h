// FakeVmmControl: a VmmControl for tests and the fuzzer. Counts calls and
// fails (an Error) or throws (a std::runtime_error, as a buggy VMM might) on
// request. Calls come from the loop thread; tests read the counters
// from theirs, hence atomics.
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

#include "vmm/api/vmm_control.h"

namespace petrel::api {

class FakeVmmControl final : public VmmControl {
 public:
  Result<void> PowerButton() override { return Count(power_button); }
  Result<void> ShutdownVm() override { return Count(shutdown_vm); }
  Result<void> RebootVm() override { return Count(reboot_vm); }
  Result<void> ShutdownVmm() override { return Count(shutdown_vmm); }
  Result<std::string> VmInfoJson() override {
    ++vm_info;
    if (throw_exception.load()) throw std::runtime_error("injected exception");
    if (fail.load()) return Error(error_code, "injected failure");
    return info_json;
  }

  std::atomic<int> power_button{0}, shutdown_vm{0}, reboot_vm{0}, shutdown_vmm{0}, vm_info{0};
  std::atomic<bool> fail{false};
  std::atomic<bool> throw_exception{false};
  ErrorCode error_code = ErrorCode::kInternal;  // set before requests start
  std::string info_json = R"({"config":{"cpus":{"boot_vcpus":1,"max_vcpus":1}},"state":"Running",)"
                          R"("memory_actual_size":536870912})";

 private:
  Result<void> Count(std::atomic<int>& counter) {
    ++counter;
    if (throw_exception.load()) throw std::runtime_error("injected exception");
    if (fail.load()) return Error(error_code, "injected failure");
    return Ok();
  }
};

}  // namespace petrel::api
