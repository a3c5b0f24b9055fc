// VmmApiControl (see api_control.h).
#include "vmm/api_control.h"

#include <nlohmann/json.hpp>

#include "vmm/api/json_text.h"
#include "vmm/config/vm_config_json.h"

namespace petrel::vmm {

namespace {
Error NoVm() { return Error(ErrorCode::kNotFound, "no VM is running"); }
}  // namespace

void VmmApiControl::SetVm(VmInstance* vm) {
  std::lock_guard lock(mu_);
  vm_ = vm;
  state_ = "Running";
}

void VmmApiControl::ClearVm(const std::string& state) {
  std::lock_guard lock(mu_);
  vm_ = nullptr;
  state_ = state;
}

bool VmmApiControl::vmm_shutdown_requested() const {
  std::lock_guard lock(mu_);
  return vmm_shutdown_;
}

void VmmApiControl::WaitForVmmShutdown() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return vmm_shutdown_; });
}

Result<void> VmmApiControl::PowerButton() {
  std::lock_guard lock(mu_);
  if (vm_ == nullptr) return NoVm();
  vm_->PressPowerButton();
  return Ok();
}

Result<void> VmmApiControl::ShutdownVm() {
  std::lock_guard lock(mu_);
  if (vm_ == nullptr) return NoVm();
  vm_->RequestStop({StopReason::Kind::kShutdown, "API vm.shutdown"});
  return Ok();
}

Result<void> VmmApiControl::RebootVm() {
  std::lock_guard lock(mu_);
  if (vm_ == nullptr) return NoVm();
  vm_->RequestStop({StopReason::Kind::kReset, "API vm.reboot"});
  return Ok();
}

Result<void> VmmApiControl::ShutdownVmm() {
  std::lock_guard lock(mu_);
  vmm_shutdown_ = true;
  if (vm_ != nullptr) vm_->RequestStop({StopReason::Kind::kShutdown, "API vmm.shutdown"});
  cv_.notify_all();
  return Ok();
}

Result<std::string> VmmApiControl::VmInfoJson() {
  std::lock_guard lock(mu_);
  // Cloud Hypervisor's VmInfo: config (the same JSON vm.create reads),
  // state, memory_actual_size.
  nlohmann::json info;
  info["config"] = config::VmConfigToJson(config_);
  info["state"] = state_;
  info["memory_actual_size"] = config_.memory.size;
  // Paths and the command line may hold any bytes (the CLI takes them as
  // they are); JsonText replaces invalid UTF-8 rather than throwing.
  return api::JsonText(info);
}

}  // namespace petrel::vmm
