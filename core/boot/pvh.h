// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PVH boot of an ELF64 kernel or firmware (xen/include/public/elfnote.h
// XEN_ELFNOTE_PHYS32_ENTRY; xen/include/public/arch-x86/hvm/start_info.h,
// hvm_start_info version 1 with the memory map).
//
// PT_LOAD segments go to their physical addresses (p_paddr, at or above
// 1 MiB); hvm_start_info to x86::kPvhInfoStart, the initramfs module entry to
// x86::kPvhModlistStart, the memory map to x86::kPvhMemmapStart, the cmdline
// to x86::kCmdlineStart. The vCPU starts in 32-bit protected mode at the
// note's entry with ebx = start_info.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/base/result.h"
#include "core/boot/elf64.h"
#include "core/boot/linux_loader.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

namespace pvh {
inline constexpr uint32_t kElfNotePhys32Entry = 18;  // xen/include/public/elfnote.h
inline constexpr std::string_view kNoteName = "Xen";
// start_info.h: struct hvm_start_info (56 bytes in version 1).
inline constexpr uint32_t kStartInfoMagic = 0x336ec578;  // XEN_HVM_START_MAGIC_VALUE
inline constexpr uint32_t kStartInfoVersion = 1;         // with memmap_paddr/entries
inline constexpr uint64_t kStartInfoSize = 56;
inline constexpr uint64_t kModlistEntrySize = 32;  // struct hvm_modlist_entry
inline constexpr uint64_t kMemmapEntrySize = 24;   // struct hvm_memmap_table_entry
}  // namespace pvh

// The PVH entry from the image's XEN_ELFNOTE_PHYS32_ENTRY note, nullopt if the
// image has none. Errors for malformed notes or a note with a bad descriptor.
Result<std::optional<uint32_t>> FindPvhEntry(std::span<const uint8_t> image,
                                             const elf::Elf64File& elf);

// Loads a PVH ELF with its initramfs, cmdline and memory map.
Result<LoadedKernel> LoadPvh(GuestMemory& memory, const LinuxBootConfig& config);

}  // namespace petrel::boot
