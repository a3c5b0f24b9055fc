// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LoadLinux: puts a Linux kernel (PVH ELF vmlinux or bzImage), its initramfs,
// command line, memory map and MP table into guest memory and returns the boot
// vCPU's starting state. Pure over GuestMemory: no hypervisor needed.
//
// Format detection (as Cloud Hypervisor's linux-loader does): an ELF64
// with a XEN_ELFNOTE_PHYS32_ENTRY note boots through PVH (pvh.h); an ELF
// without it is rejected; anything else must be a bzImage with boot protocol
// >= 2.12 and a 64-bit entry (bzimage.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/base/result.h"
#include "core/hv/x86_state.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

enum class KernelFormat { kPvhElf, kBzImage };

struct LinuxBootConfig {
  std::span<const uint8_t> kernel;     // whole file
  std::span<const uint8_t> initramfs;  // empty = none
  std::string cmdline;
  uint32_t vcpus = 1;  // for the MP table
  // Guest address of the ACPI RSDP, or 0 without ACPI. Passed to the kernel in
  // boot_params.acpi_rsdp_addr (bzImage) or hvm_start_info.rsdp_paddr (PVH).
  uint64_t rsdp_addr = 0;
};

struct LoadedKernel {
  KernelFormat format;
  hv::BootVcpuState vcpu;
  uint64_t entry;
};

// Loads `config` into `memory` (laid out as GuestMemory::CreateX86 does).
// Malformed images fail with kMalformed and a message naming the problem;
// a cmdline too long or bad vCPU count with kInvalidArgument; an image or
// initramfs that does not fit guest RAM with kOutOfRange.
Result<LoadedKernel> LoadLinux(GuestMemory& memory, const LinuxBootConfig& config);

}  // namespace petrel::boot
