// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The KVM backend's entry point: OpenKvm() opens /dev/kvm, checks the API
// version and the extensions Petrel relies on, and returns a Hypervisor.
//
// Required (api.rst section 4 / KVM_CHECK_EXTENSION): API version 12,
// KVM_CAP_USER_MEMORY, KVM_CAP_IRQCHIP, KVM_CAP_PIT2, KVM_CAP_SET_TSS_ADDR,
// KVM_CAP_SET_IDENTITY_MAP_ADDR, KVM_CAP_IOEVENTFD, KVM_CAP_IMMEDIATE_EXIT,
// KVM_CAP_EXT_CPUID. Optional: KVM_CAP_IOEVENTFD_ANY_LENGTH,
// KVM_CAP_MAX_VCPUS / KVM_CAP_NR_VCPUS, KVM_CAP_NR_MEMSLOTS. It also reads
// KVM_GET_MSR_INDEX_LIST once: the MSRs a vCPU state carries (kvm_msr_list.h).
#pragma once

#include <memory>
#include <string>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"

namespace petrel::kvm {

inline constexpr int kKvmApiVersion = 12;  // api.rst KVM_GET_API_VERSION

}  // namespace petrel::kvm

namespace petrel {

// kNotFound if `device` does not exist, kSystem if it cannot be opened or an
// ioctl fails, kUnsupported if the API version or a required extension is
// missing.
Result<std::unique_ptr<hv::Hypervisor>> OpenKvm(const std::string& device = "/dev/kvm");

}  // namespace petrel
