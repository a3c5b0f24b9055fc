// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RamBacking and MemoryAdvice: how a VM's RAM is backed and treated, shared
// by the memory layer (GuestMemory, HostRegion) and the VM config that
// chooses it.
#pragma once

#include <cstdint>

namespace petrel {

// How a VM's RAM is backed: private anonymous memory; memfds shared with
// whoever holds their fds (Cloud Hypervisor's --memory shared=on); or
// memfds of hugetlbfs pages (CH's hugepages=on, hugepage_size=). Huge pages
// are always mapped MAP_SHARED and keep their fds, whatever `shared` says:
// CH does the same ("the value of shared is ignored as huge pages always
// require MAP_SHARED", its docs/memory.md), so they can migrate locally.
struct RamBacking {
  bool shared = false;
  bool hugepages = false;
  // With hugepages: the huge page size in bytes (a power of two the host
  // has: 2 MiB or 1 GiB on x86); 0: the host's default huge page size.
  uint64_t hugepage_size = 0;
  // True if the RAM is memfds another process can map (local migration
  // hands their fds over; a private file mapping cannot stand in for them).
  bool memfds() const { return shared || hugepages; }
  bool operator==(const RamBacking&) const = default;
  static const RamBacking kPrivate;  // anonymous, normal pages
  static const RamBacking kShared;   // memfds, normal pages
};
inline constexpr RamBacking RamBacking::kPrivate{};
inline constexpr RamBacking RamBacking::kShared{.shared = true};

// How the host should treat a VM's RAM once it is mapped (GuestMemory::Advise).
struct MemoryAdvice {
  bool thp = true;         // MADV_HUGEPAGE; false: MADV_NOHUGEPAGE
  bool mergeable = false;  // MADV_MERGEABLE: KSM may share identical pages
  bool prefault = false;   // populate every page now (MADV_POPULATE_WRITE)
  bool operator==(const MemoryAdvice&) const = default;
};

}  // namespace petrel
