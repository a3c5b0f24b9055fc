// VmmApiControl: the VMM's side of the REST API (api::VmmControl) -- it acts
// on whichever VmInstance is running now. main.cc sets the VM before each
// boot and clears it after; between boots the VM calls answer 404 ("no VM"),
// as Cloud Hypervisor does when no VM exists.
//
//   vm.power-button -> the ACPI power-button event (the guest shuts down)
//   vm.reboot       -> the VM stops with kReset and main.cc boots it again
//   vm.shutdown     -> the VM stops; the VMM keeps serving the API
//   vmm.shutdown    -> the VM (if any) stops and the process exits 0
//
// Thread-safety: API calls arrive on the API loop's thread, SetVm/ClearVm and
// the waits on main's thread; one mutex guards the current VM.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "vmm/api/vmm_control.h"
#include "vmm/config/vm_config.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {

class VmmApiControl final : public api::VmmControl {
 public:
  explicit VmmApiControl(const config::VmConfig& config) : config_(config) {}

  void SetVm(VmInstance* vm);
  void ClearVm(const std::string& state);  // e.g. "Shutdown"
  bool vmm_shutdown_requested() const;
  // Blocks until vmm.shutdown arrives.
  void WaitForVmmShutdown();

  Result<void> PowerButton() override;
  Result<void> ShutdownVm() override;
  Result<void> RebootVm() override;
  Result<void> ShutdownVmm() override;
  Result<std::string> VmInfoJson() override;

 private:
  const config::VmConfig& config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  VmInstance* vm_ = nullptr;
  std::string state_ = "Created";
  bool vmm_shutdown_ = false;
};

}  // namespace petrel::vmm
