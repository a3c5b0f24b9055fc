// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Bounds-checked ELF64 header, program header and note parsing (see elf64.h).
#include "core/boot/elf64.h"

#include <cstring>
#include <string>

#include "core/base/bytes.h"

namespace petrel::boot::elf {
namespace {

Error Malformed(const std::string& what) {
  return Error(ErrorCode::kMalformed, "ELF: " + what);
}

// The descriptor and the next note start at multiples of 4 bytes, or of 8 in a
// segment aligned to 8 (gABI "Note Section"; GNU property notes; binutils
// ELF_NOTE_DESC_OFFSET / ELF_NOTE_NEXT_OFFSET).
std::optional<uint64_t> PadTo(uint64_t value, uint64_t alignment) {
  auto padded = CheckedAdd(value, alignment - 1);
  if (!padded) return std::nullopt;
  return *padded & ~(alignment - 1);
}

}  // namespace

bool HasElfMagic(std::span<const uint8_t> image) {
  return image.size() >= 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' &&
         image[3] == 'F';
}

Result<Elf64File> ParseElf64(std::span<const uint8_t> image) {
  if (!HasElfMagic(image)) return Malformed("bad magic");
  if (image.size() < kEhdrSize) {
    return Malformed("truncated: " + std::to_string(image.size()) + " bytes, ELF header needs 64");
  }
  if (image[4] != kElfClass64)
    return Malformed("not ELF64 (EI_CLASS " + std::to_string(image[4]) + ")");
  if (image[5] != kElfData2Lsb) return Malformed("not little-endian");
  if (const auto type = LoadLe<uint16_t>(image, 16); type != kEtExec) {
    return Malformed("not an executable (e_type " + std::to_string(type) + ")");
  }
  if (const auto machine = LoadLe<uint16_t>(image, 18); machine != kEmX86_64) {
    return Malformed("not x86-64 (e_machine " + std::to_string(machine) + ")");
  }
  Elf64File file;
  file.entry = LoadLe<uint64_t>(image, 24);
  const auto phoff = LoadLe<uint64_t>(image, 32);
  const auto phentsize = LoadLe<uint16_t>(image, 54);
  const auto phnum = LoadLe<uint16_t>(image, 56);
  if (phentsize != kPhdrSize)
    return Malformed("e_phentsize " + std::to_string(phentsize) + ", want 56");
  if (phnum == 0) return Malformed("no program headers");
  if (phnum > kMaxProgramHeaders) {
    return Malformed(std::to_string(phnum) + " program headers, more than the cap of " +
                     std::to_string(kMaxProgramHeaders));
  }
  if (!RangeInBounds(image.size(), phoff, uint64_t{phnum} * kPhdrSize)) {
    return Malformed("truncated: program headers run past the end of the file");
  }
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint64_t at = phoff + uint64_t{i} * kPhdrSize;
    ProgramHeader ph;
    ph.type = LoadLe<uint32_t>(image, at);
    ph.offset = LoadLe<uint64_t>(image, at + 8);
    ph.paddr = LoadLe<uint64_t>(image, at + 24);
    ph.filesz = LoadLe<uint64_t>(image, at + 32);
    ph.memsz = LoadLe<uint64_t>(image, at + 40);
    ph.align = LoadLe<uint64_t>(image, at + 48);
    if (ph.type == kPtLoad || ph.type == kPtNote) {
      const std::string which = "segment " + std::to_string(i);
      if (!RangeInBounds(image.size(), ph.offset, ph.filesz)) {
        return Malformed("truncated: " + which + " data runs past the end of the file");
      }
      if (ph.type == kPtLoad && ph.filesz > ph.memsz) {
        return Malformed(which + " has p_filesz > p_memsz");
      }
      if (!CheckedAdd(ph.paddr, ph.memsz)) return Malformed(which + " wraps the address space");
    }
    file.phdrs.push_back(ph);
  }
  return file;
}

Result<std::vector<Note>> ParseNotes(std::span<const uint8_t> image, const ProgramHeader& phdr) {
  if (!RangeInBounds(image.size(), phdr.offset, phdr.filesz)) {
    return Malformed("truncated: note segment runs past the end of the file");
  }
  const std::span<const uint8_t> data = image.subspan(phdr.offset, phdr.filesz);
  const uint64_t alignment = phdr.align == 8 ? 8 : 4;
  std::vector<Note> notes;
  uint64_t pos = 0;
  while (pos < data.size()) {
    if (!RangeInBounds(data.size(), pos, kNoteHeaderSize))
      return Malformed("truncated note header");
    if (notes.size() == kMaxNotes) {
      return Malformed("more than " + std::to_string(kMaxNotes) + " notes in one segment");
    }
    const auto namesz = LoadLe<uint32_t>(data, pos);
    const auto descsz = LoadLe<uint32_t>(data, pos + 4);
    Note note;
    note.type = LoadLe<uint32_t>(data, pos + 8);
    // Offsets are relative to the segment start, which the loop keeps aligned.
    const uint64_t name_at = pos + kNoteHeaderSize;
    if (!RangeInBounds(data.size(), name_at, namesz)) {
      return Malformed("note name runs past its segment");
    }
    const auto desc_at = PadTo(name_at + namesz, alignment);
    // The last note's descriptor padding may be missing; its bytes must not.
    if (!desc_at || !RangeInBounds(data.size(), *desc_at, descsz)) {
      return Malformed("note descriptor runs past its segment");
    }
    const char* name = reinterpret_cast<const char*>(data.data() + name_at);
    note.name =
        std::string_view(name, namesz > 0 && name[namesz - 1] == '\0' ? namesz - 1 : namesz);
    note.desc = data.subspan(*desc_at, descsz);
    notes.push_back(note);
    const auto next = PadTo(*desc_at + descsz, alignment);
    if (!next) return Malformed("note descriptor runs past its segment");
    pos = *next;
  }
  return notes;
}

}  // namespace petrel::boot::elf
