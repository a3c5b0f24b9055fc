// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OpenFirstHypervisor (see hypervisor_choice.h).
#include "vmm/hypervisor_choice.h"

namespace petrel::vmm {

Result<std::unique_ptr<hv::Hypervisor>> OpenFirstHypervisor(const HypervisorOpener& open_kvm,
                                                            const HypervisorOpener& open_mshv) {
  auto kvm = open_kvm();
  if (kvm.ok() || kvm.error().code() != ErrorCode::kNotFound) return kvm;
  auto mshv = open_mshv();
  if (mshv.ok() || mshv.error().code() != ErrorCode::kNotFound) return mshv;
  return kvm;
}

}  // namespace petrel::vmm
