// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// A bounds-checked reader for the parts of an ELF64 executable a loader
// needs: the file header, program headers and notes (System V gABI, "ELF
// Header", "Program Header", "Note Section"). Every offset and size read from
// the file is checked against the file size with overflow-safe arithmetic.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace petrel::boot::elf {

// gABI constants.
inline constexpr uint8_t kElfClass64 = 2;   // e_ident[EI_CLASS]
inline constexpr uint8_t kElfData2Lsb = 1;  // e_ident[EI_DATA]
inline constexpr uint16_t kEtExec = 2;      // e_type
inline constexpr uint16_t kEmX86_64 = 62;   // e_machine
inline constexpr uint32_t kPtLoad = 1;      // p_type
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint64_t kEhdrSize = 64;        // sizeof(Elf64_Ehdr)
inline constexpr uint64_t kPhdrSize = 56;        // sizeof(Elf64_Phdr)
inline constexpr uint64_t kNoteHeaderSize = 12;  // namesz, descsz, type
// Named cap: kernels and firmware have a handful of program headers.
inline constexpr uint16_t kMaxProgramHeaders = 128;
// Named cap on notes per PT_NOTE segment (a vmlinux has about ten).
inline constexpr size_t kMaxNotes = 1024;

struct ProgramHeader {
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t paddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0;
};

struct Note {
  uint32_t type = 0;
  std::string_view name;  // without the trailing NUL
  std::span<const uint8_t> desc;
};

struct Elf64File {
  uint64_t entry = 0;
  std::vector<ProgramHeader> phdrs;  // each one's file range is checked to be in the file
};

// True if `image` starts with the ELF magic (any class).
bool HasElfMagic(std::span<const uint8_t> image);

// Parses the header and program headers of a little-endian x86-64 ET_EXEC.
// Checks that each segment's [offset, offset + filesz) lies in the file and
// that filesz <= memsz and paddr + memsz does not wrap.
Result<Elf64File> ParseElf64(std::span<const uint8_t> image);

// The notes in one PT_NOTE segment (already bounds checked by ParseElf64).
Result<std::vector<Note>> ParseNotes(std::span<const uint8_t> image, const ProgramHeader& phdr);

}  // namespace petrel::boot::elf
