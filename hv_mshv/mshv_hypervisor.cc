// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvHypervisor and OpenMshv (see mshv_hypervisor.h).
#include "hv_mshv/mshv_hypervisor.h"

#include "hv_mshv/mshv_thread_syscalls.h"
#include "hv_mshv/mshv_vm.h"

namespace petrel::mshv {
namespace {

class MshvHypervisor final : public hv::Hypervisor {
 public:
  MshvHypervisor(std::shared_ptr<MshvDriver> driver, UniqueFd fd)
      : driver_(std::move(driver)), fd_(std::move(fd)), caps_(MshvCaps()) {}

  hv::BackendKind kind() const override { return hv::BackendKind::kMshv; }
  const hv::Caps& caps() const override { return caps_; }
  isolation::SyscallRules ThreadSyscalls(hv::ThreadKind kind) const override {
    return MshvThreadSyscalls(kind);
  }
  // As Cloud Hypervisor: leaves 1 and 0xB, all zero. The hypervisor
  // computes CPUID itself; BuildGuestCpuid fills in the per-vCPU bits
  // (APIC id, topology, hypervisor present) and MshvVcpu::SetCpuid adds
  // them to the hypervisor's values (HVCALL_REGISTER_INTERCEPT_RESULT).
  Result<std::vector<hv::CpuidEntry>> SupportedCpuid() const override {
    hv::CpuidEntry leaf1;
    leaf1.function = 0x1;
    hv::CpuidEntry topology;
    topology.function = 0xb;
    return std::vector<hv::CpuidEntry>{leaf1, topology};
  }
  Result<std::shared_ptr<hv::Vm>> CreateVm(const hv::VmConfig& config) override {
    if (config.vcpus == 0 || config.vcpus > caps_.max_vcpus) {
      return Error(ErrorCode::kInvalidArgument,
                   std::to_string(config.vcpus) + " vCPUs (MSHV: 1.." +
                       std::to_string(caps_.max_vcpus) + ")");
    }
    PETREL_ASSIGN_OR_RETURN(auto vm, MshvVm::Create(driver_, fd_.get(), config, caps_));
    return std::shared_ptr<hv::Vm>(std::move(vm));
  }

 private:
  std::shared_ptr<MshvDriver> driver_;
  UniqueFd fd_;
  hv::Caps caps_;
};

}  // namespace

hv::Caps MshvCaps() {
  hv::Caps c;
  c.max_vcpus = kMshvMaxVcpus;
  c.kernel_ioevents = true;
  c.kernel_irqchip = true;
  c.kernel_ioapic = false;
  c.deterministic = false;
  c.vm_clock = false;
  return c;
}

Result<std::unique_ptr<hv::Hypervisor>> OpenMshvWith(std::shared_ptr<MshvDriver> driver,
                                                     const std::string& device) {
  PETREL_ASSIGN_OR_RETURN(UniqueFd fd, driver->Open(device));
  return std::unique_ptr<hv::Hypervisor>(new MshvHypervisor(std::move(driver), std::move(fd)));
}

}  // namespace petrel::mshv

namespace petrel {

Result<std::unique_ptr<hv::Hypervisor>> OpenMshv(const std::string& device) {
  return mshv::OpenMshvWith(mshv::SystemDriver(), device);
}

}  // namespace petrel
