// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioMemConfig: what the VMM chooses about one virtio-mem device (virtio
// 1.2 §5.15), after Cloud Hypervisor's virtio-mem zones: the guest-physical
// region the device manages, its block size, the size the guest is asked to
// plug at boot, and an optional NUMA node (offered as VIRTIO_MEM_F_ACPI_PXM).
//
// Limits, checked by Validate():
//   block_size  a power of two from 2 MiB (Cloud Hypervisor's only value, so
//               the host can back blocks with transparent huge pages) to
//               1 GiB;
//   addr        a multiple of block_size;
//   size        not 0, a multiple of 128 MiB (Linux's memory block on x86,
//               what Cloud Hypervisor demands) and of block_size, at most
//               64 TiB (the block bitmap stays within 4 MiB); the region
//               ends at or below 2^52 (x86's widest physical address);
//   requested_size  a multiple of block_size, at most size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/result.h"

namespace petrel::virtio {

inline constexpr uint64_t kVirtioMemDefaultBlockSize = uint64_t{2} << 20;
inline constexpr uint64_t kVirtioMemMinBlockSize = uint64_t{2} << 20;
inline constexpr uint64_t kVirtioMemMaxBlockSize = uint64_t{1} << 30;
inline constexpr uint64_t kVirtioMemRegionAlign = uint64_t{128} << 20;
inline constexpr uint64_t kVirtioMemMaxRegionSize = uint64_t{64} << 40;
inline constexpr uint64_t kVirtioMemMaxAddressEnd = uint64_t{1} << 52;

struct VirtioMemConfig {
  uint64_t addr = 0;                                 // guest-physical start of the region
  uint64_t size = 0;                                 // bytes the device manages (region_size)
  uint64_t block_size = kVirtioMemDefaultBlockSize;  // plug/unplug granule
  uint64_t requested_size = 0;                       // bytes the guest is asked to plug at boot
  std::optional<uint16_t> numa_node;                 // offered as ACPI_PXM node_id
  std::string id;                                    // device id; empty until the VM names it
  bool operator==(const VirtioMemConfig&) const = default;
};

// One line, "<field>=<value>: <problem>" (core/base/field_error.h).
Result<void> Validate(const VirtioMemConfig& mem);

}  // namespace petrel::virtio
