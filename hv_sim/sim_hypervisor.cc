// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimHypervisor (see sim_hypervisor.h).
#include "hv_sim/sim_hypervisor.h"

namespace petrel::sim {

SimHypervisor::SimHypervisor(const SimConfig& config) : config_(config) {
  if (config_.max_vcpus == 0) config_.max_vcpus = 1;
  if (config_.ns_per_step == 0) config_.ns_per_step = 1;
  if (config_.quantum_steps == 0) config_.quantum_steps = 1;
  caps_.max_vcpus = config_.max_vcpus;
  caps_.kernel_ioevents = false;
  caps_.kernel_irqchip = false;
  caps_.kernel_ioapic = true;  // its pin model, unless a VM asks for userspace_ioapic
  caps_.deterministic = true;
  caps_.vm_clock = true;
}

std::unique_ptr<SimHypervisor> MakeSimHypervisor(const SimConfig& config) {
  return std::make_unique<SimHypervisor>(config);
}

Result<std::vector<hv::CpuidEntry>> SimHypervisor::SupportedCpuid() const {
  return SimCpuidTable();
}

Result<std::shared_ptr<SimVm>> SimHypervisor::CreateSimVm(const hv::VmConfig& config) {
  if (config.vcpus == 0 || config.vcpus > caps_.max_vcpus) {
    return Error(ErrorCode::kInvalidArgument, "vcpus must be 1.." +
                                                  std::to_string(caps_.max_vcpus) + ", got " +
                                                  std::to_string(config.vcpus));
  }
  hv::Caps vm_caps = caps_;
  if (config.userspace_ioapic) vm_caps.kernel_ioapic = false;
  return std::make_shared<SimVm>(config_, vm_caps);
}

Result<std::shared_ptr<hv::Vm>> SimHypervisor::CreateVm(const hv::VmConfig& config) {
  PETREL_ASSIGN_OR_RETURN(auto vm, CreateSimVm(config));
  return std::shared_ptr<hv::Vm>(std::move(vm));
}

}  // namespace petrel::sim
