// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmemConfig's checks (see the header).
#include "devices/virtio/pmem/pmem_config.h"

namespace petrel::virtio {

Result<void> Validate(const PmemConfig& pmem) {
  if (pmem.file.empty()) return Error(ErrorCode::kInvalidArgument, "file=: a path is required");
  if (pmem.size) {
    if (*pmem.size == 0 || *pmem.size % kPmemAlignment != 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "size=" + std::to_string(*pmem.size) + ": must be a non-zero multiple of 2 MiB");
    }
  }
  if (pmem.pci_segment != 0) {
    return Error(ErrorCode::kUnsupported,
                 "pci_segment=" + std::to_string(pmem.pci_segment) + ": Petrel has PCI segment 0 only");
  }
  return Ok();
}

}  // namespace petrel::virtio
