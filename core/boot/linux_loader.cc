// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LoadLinux: format detection and the MP table (see linux_loader.h).
#include "core/boot/linux_loader.h"

#include "core/boot/bzimage.h"
#include "core/boot/elf64.h"
#include "core/boot/mptable.h"
#include "core/boot/pvh.h"
#include "core/boot/reset_vector.h"

namespace petrel::boot {

Result<LoadedKernel> LoadLinux(GuestMemory& memory, const LinuxBootConfig& config) {
  // Check the vCPU count before touching guest memory.
  if (config.vcpus == 0) {
    return Error(ErrorCode::kInvalidArgument, "loading kernel: 0 vCPUs");
  }
  if (config.kernel.empty())
    return Error(ErrorCode::kMalformed, "loading kernel: the image is empty");
  Result<LoadedKernel> loaded =
      elf::HasElfMagic(config.kernel) ? LoadPvh(memory, config) : LoadBzImage(memory, config);
  if (!loaded.ok()) return std::move(loaded).Wrap("loading kernel");
  // The MP table fits below the EBDA for up to kMaxMptableVcpus; larger VMs
  // are described by ACPI only (as are all VMs to kernels without
  // CONFIG_X86_MPPARSE, e.g. Debian's).
  if (config.vcpus <= kMaxMptableVcpus) {
    PETREL_TRY(WriteMptable(memory, config.vcpus).Wrap("loading kernel"));
  }
  PETREL_TRY(WriteResetVector(memory).Wrap("loading kernel"));
  return loaded;
}

}  // namespace petrel::boot
