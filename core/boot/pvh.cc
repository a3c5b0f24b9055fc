// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PVH ELF loading (see pvh.h).
#include "core/boot/pvh.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/base/hex.h"
#include "core/boot/boot_state.h"
#include "core/base/bytes.h"
#include "core/boot/cmdline.h"
#include "core/boot/e820.h"
#include "core/boot/initramfs.h"

namespace petrel::boot {
namespace {

// Checks every PT_LOAD lands in guest RAM at or above 1 MiB (below it are the
// boot structures: GDT, start_info, memmap, page tables, cmdline, MP table).
Result<void> CheckSegments(const GuestMemory& memory, const elf::Elf64File& elf) {
  for (size_t i = 0; i < elf.phdrs.size(); ++i) {
    const elf::ProgramHeader& ph = elf.phdrs[i];
    if (ph.type != elf::kPtLoad || ph.memsz == 0) continue;
    const std::string range = "ELF segment " + std::to_string(i) + " [" + Hex(ph.paddr) + ", " +
                              Hex(ph.paddr + ph.memsz) + ")";
    if (ph.paddr < x86::kHighRamStart) {
      return Error(ErrorCode::kOutOfRange, range + " overlaps the boot structures below 1 MiB");
    }
    if (!memory.Contains(ph.paddr, ph.memsz)) {
      return Error(ErrorCode::kOutOfRange, range + " is outside guest RAM");
    }
  }
  return Ok();
}

}  // namespace

Result<std::optional<uint32_t>> FindPvhEntry(std::span<const uint8_t> image,
                                             const elf::Elf64File& elf) {
  for (const elf::ProgramHeader& ph : elf.phdrs) {
    if (ph.type != elf::kPtNote) continue;
    PETREL_ASSIGN_OR_RETURN(const std::vector<elf::Note> notes, elf::ParseNotes(image, ph));
    for (const elf::Note& note : notes) {
      if (note.type != pvh::kElfNotePhys32Entry || note.name != pvh::kNoteName) continue;
      // Linux emits the entry with _ASM_PTR (8 bytes on x86-64); firmware uses 4.
      uint64_t entry;
      if (note.desc.size() == 4) {
        entry = LoadLe<uint32_t>(note.desc, 0);
      } else if (note.desc.size() == 8) {
        entry = LoadLe<uint64_t>(note.desc, 0);
      } else {
        return Error(ErrorCode::kMalformed, "ELF: PVH entry note has a " +
                                                std::to_string(note.desc.size()) +
                                                "-byte descriptor, want 4 or 8");
      }
      if (entry > UINT32_MAX) {
        return Error(ErrorCode::kMalformed, "ELF: PVH entry " + Hex(entry) + " is not 32-bit");
      }
      return std::optional<uint32_t>(static_cast<uint32_t>(entry));
    }
  }
  return std::optional<uint32_t>();
}

Result<LoadedKernel> LoadPvh(GuestMemory& memory, const LinuxBootConfig& config) {
  PETREL_ASSIGN_OR_RETURN(const elf::Elf64File elf, elf::ParseElf64(config.kernel));
  PETREL_ASSIGN_OR_RETURN(const std::optional<uint32_t> entry, FindPvhEntry(config.kernel, elf));
  if (!entry) return Error(ErrorCode::kMalformed, "ELF kernel has no PVH entry note");
  PETREL_TRY(CheckSegments(memory, elf));

  uint64_t kernel_end = x86::kHighRamStart;
  bool entry_loaded = false;
  for (const elf::ProgramHeader& ph : elf.phdrs) {
    if (ph.type != elf::kPtLoad || ph.memsz == 0) continue;
    PETREL_TRY(memory.Write(ph.paddr, config.kernel.subspan(ph.offset, ph.filesz))
                   .Wrap("writing ELF segment"));
    PETREL_TRY(memory.Fill(ph.paddr + ph.filesz, 0, ph.memsz - ph.filesz).Wrap("zeroing ELF bss"));
    kernel_end = std::max(kernel_end, ph.paddr + ph.memsz);
    entry_loaded |= *entry >= ph.paddr && *entry - ph.paddr < ph.memsz;
  }
  if (!entry_loaded) {
    return Error(ErrorCode::kMalformed,
                 "ELF: PVH entry " + Hex(*entry) + " is outside every loaded segment");
  }

  PETREL_TRY(WriteCmdline(memory, config.cmdline, x86::kCmdlineMaxSize - 1).Wrap("PVH"));
  PETREL_ASSIGN_OR_RETURN(
      const InitramfsPlacement initrd,
      PlaceInitramfs(memory, config.initramfs, kernel_end, x86::kRam64BitStart));
  PETREL_ASSIGN_OR_RETURN(const std::vector<E820Entry> memmap, BuildE820(memory));

  // struct hvm_memmap_table_entry[]: addr, size, type, reserved.
  static_assert(x86::kPvhMemmapStart + kMaxE820Entries * pvh::kMemmapEntrySize <= x86::kPml4Start);
  std::vector<uint8_t> table(memmap.size() * pvh::kMemmapEntrySize, 0);
  for (size_t i = 0; i < memmap.size(); ++i) {
    StoreLe<uint64_t>(table, i * pvh::kMemmapEntrySize, memmap[i].addr);
    StoreLe<uint64_t>(table, i * pvh::kMemmapEntrySize + 8, memmap[i].size);
    StoreLe<uint32_t>(table, i * pvh::kMemmapEntrySize + 16, memmap[i].type);
  }
  PETREL_TRY(memory.Write(x86::kPvhMemmapStart, table).Wrap("writing PVH memmap"));

  // struct hvm_modlist_entry: paddr, size, cmdline_paddr, reserved.
  static_assert(x86::kPvhInfoStart + pvh::kStartInfoSize <= x86::kPvhModlistStart);
  const uint32_t nr_modules = initrd.size != 0 ? 1 : 0;
  if (nr_modules != 0) {
    std::vector<uint8_t> mod(pvh::kModlistEntrySize, 0);
    StoreLe<uint64_t>(mod, 0, initrd.addr);
    StoreLe<uint64_t>(mod, 8, initrd.size);
    PETREL_TRY(memory.Write(x86::kPvhModlistStart, mod).Wrap("writing PVH modlist"));
  }

  // struct hvm_start_info (version 1).
  std::vector<uint8_t> info(pvh::kStartInfoSize, 0);
  StoreLe<uint32_t>(info, 0, pvh::kStartInfoMagic);
  StoreLe<uint32_t>(info, 4, pvh::kStartInfoVersion);
  StoreLe<uint32_t>(info, 12, nr_modules);
  StoreLe<uint64_t>(info, 16, nr_modules != 0 ? x86::kPvhModlistStart : 0);
  StoreLe<uint64_t>(info, 24, x86::kCmdlineStart);
  StoreLe<uint64_t>(info, 32, config.rsdp_addr);  // rsdp_paddr
  StoreLe<uint64_t>(info, 40, x86::kPvhMemmapStart);
  StoreLe<uint32_t>(info, 48, static_cast<uint32_t>(memmap.size()));
  PETREL_TRY(memory.Write(x86::kPvhInfoStart, info).Wrap("writing PVH start_info"));
  PETREL_TRY(WriteProtectedModeTables(memory));

  return LoadedKernel{KernelFormat::kPvhElf, PvhBootState(*entry, x86::kPvhInfoStart), *entry};
}

}  // namespace petrel::boot
