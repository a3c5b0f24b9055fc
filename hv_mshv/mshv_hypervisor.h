// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The MSHV backend's entry point: OpenMshv() opens /dev/mshv (the Microsoft
// Hypervisor's root-partition driver, Linux drivers/hv/mshv_root) and returns
// a Hypervisor whose VMs are MSHV partitions (mshv_vm.h).
//
// Caps: kernel_irqchip (the LAPIC is in the hypervisor), kernel_ioevents
// (MMIO ioeventfds), never kernel_ioapic (the VMM's IOAPIC), no VM clock,
// 256 vCPUs (Cloud Hypervisor's limit for MSHV). SupportedCpuid is, as
// Cloud Hypervisor's, leaves 1 and 0xB with every register zero: the
// hypervisor computes CPUID itself and the vCPU's SetCpuid only adds bits
// (mshv_vcpu.h).
#pragma once

#include <memory>
#include <string>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"
#include "hv_mshv/mshv_driver.h"

namespace petrel::mshv {

inline constexpr uint32_t kMshvMaxVcpus = 256;

// The caps every MSHV VM has.
hv::Caps MshvCaps();

// OpenMshv through `driver` (tests pass the fake).
Result<std::unique_ptr<hv::Hypervisor>> OpenMshvWith(std::shared_ptr<MshvDriver> driver,
                                                     const std::string& device);

}  // namespace petrel::mshv

namespace petrel {

// kNotFound if `device` does not exist; kSystem if it cannot be opened.
Result<std::unique_ptr<hv::Hypervisor>> OpenMshv(const std::string& device = "/dev/mshv");

}  // namespace petrel
