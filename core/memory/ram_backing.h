// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RamBacking and MemoryAdvice: how a VM's RAM is backed and treated, shared
// by the memory layer (GuestMemory, HostRegion) and the VM config that
// chooses it.
#pragma once

namespace petrel {

// Private anonymous memory, or memfds shared with whoever holds their fds
// (Cloud Hypervisor's --memory shared=on).
enum class RamBacking { kPrivate, kShared };

// How the host should treat a VM's RAM once it is mapped (GuestMemory::Advise).
struct MemoryAdvice {
  bool thp = true;         // MADV_HUGEPAGE; false: MADV_NOHUGEPAGE
  bool mergeable = false;  // MADV_MERGEABLE: KSM may share identical pages
  bool prefault = false;   // populate every page now (MADV_POPULATE_WRITE)
  bool operator==(const MemoryAdvice&) const = default;
};

}  // namespace petrel
