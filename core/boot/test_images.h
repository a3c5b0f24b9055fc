// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Synthetic kernel images for the boot loader tests and fuzzers: a minimal
// bzImage (setup sectors + setup header + payload) and a minimal ELF64 with
// an optional XEN_ELFNOTE_PHYS32_ENTRY note. Fields default to what a modern
// Linux kernel has; tests change one field to hit one rejection.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace petrel::boot::testing {

// Bytes 0..n-1 of a pattern that differs per seed and offset.
std::vector<uint8_t> Pattern(size_t n, uint8_t seed);

struct TestBzImage {
  uint8_t setup_sects = 4;
  uint16_t boot_flag = 0xaa55;
  uint32_t header_magic = 0x53726448;  // "HdrS"
  uint16_t version = 0x020f;
  uint8_t header_len = 0x6a;   // byte at 0x201: header ends at 0x202 + this (0x26c, protocol 2.15)
  uint8_t loadflags = 0x01;    // LOADED_HIGH
  uint16_t xloadflags = 0x03;  // XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
  uint32_t initrd_addr_max = 0x7fffffff;
  uint32_t cmdline_size = 2047;
  uint32_t init_size = 0x20000;
  uint64_t pref_address = 0x1000000;  // LOAD_PHYSICAL_ADDR, 16 MiB
  std::vector<uint8_t> payload = Pattern(0x3000, 7);
  std::vector<uint8_t> Build() const;
};

struct TestSegment {
  uint64_t paddr = 0;
  std::vector<uint8_t> data;
  uint64_t memsz = 0;  // >= data.size()
};

struct TestElf {
  std::vector<TestSegment> segments = {{0x100000, Pattern(0x1800, 3), 0x3000},
                                       {0x200000, Pattern(0x800, 5), 0x800}};
  std::optional<uint64_t> pvh_entry = 0x100040;
  uint32_t entry_desc_size = 8;  // Linux: 8 (_ASM_PTR); firmware: 4
  bool extra_note = true;        // a "GNU" note before the Xen one
  uint8_t elf_class = 2;
  uint16_t type = 2;      // ET_EXEC
  uint16_t machine = 62;  // EM_X86_64
  std::vector<uint8_t> Build() const;
};

}  // namespace petrel::boot::testing
