// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmemConfig: what a user chooses about one virtio-pmem device (--pmem, the
// REST API's "pmem" list and vm.add-pmem): Cloud Hypervisor's PmemConfig.
//
// `file` is mapped into the guest's physical address space past RAM, where
// the guest's virtio_pmem driver makes /dev/pmemN of it. Its size is `size`
// or else the file's; it must be whole 2 MiB (CH's rule, so the guest can
// map it with huge pages). A directory as `file` means an unnamed temporary
// file there (O_TMPFILE) of `size` bytes. discard_writes=on maps the file
// privately (opened read-only): the guest's writes never reach it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/result.h"

namespace petrel::virtio {

// CH's alignment of the size and of the guest address.
inline constexpr uint64_t kPmemAlignment = 2 << 20;

struct PmemConfig {
  std::string file;
  std::optional<uint64_t> size;  // bytes; default: the file's size
  bool iommu = false;            // behind the VM's virtio-iommu (its flush queue's DMA)
  bool discard_writes = false;
  std::string id;  // device id; empty until the VM names it ("_pmem<N>")
  uint16_t pci_segment = 0;
  bool operator==(const PmemConfig&) const = default;
};

// One line, "<field>=<value>: <problem>": file required, size whole 2 MiB
// and not 0, pci_segment 0.
Result<void> Validate(const PmemConfig& pmem);

}  // namespace petrel::virtio
