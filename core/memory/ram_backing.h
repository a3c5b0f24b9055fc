// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RamBacking: how a VM's RAM is backed, shared by the memory layer
// (GuestMemory, HostRegion) and the VM config that chooses it.
#pragma once

namespace petrel {

// Private anonymous memory, or memfds shared with whoever holds their fds
// (Cloud Hypervisor's --memory shared=on).
enum class RamBacking { kPrivate, kShared };

}  // namespace petrel
