// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Which hypervisor the petrel binary runs on, as Cloud Hypervisor chooses:
// KVM first; if /dev/kvm does not exist but /dev/mshv does, MSHV. With
// neither, KVM's error (the common host). A device that exists but fails to
// open or lacks what Petrel needs is that backend's error; the other is not
// tried. The openers are parameters so the choice is testable without
// either device (main.cc passes OpenKvm and OpenMshv).
#pragma once

#include <functional>
#include <memory>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"

namespace petrel::vmm {

using HypervisorOpener = std::function<Result<std::unique_ptr<hv::Hypervisor>>()>;

Result<std::unique_ptr<hv::Hypervisor>> OpenFirstHypervisor(const HypervisorOpener& open_kvm,
                                                            const HypervisorOpener& open_mshv);

}  // namespace petrel::vmm
