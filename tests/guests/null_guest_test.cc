// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Host-side checks of the null guest: the ELF's PVH note and segments, that
// the embedded flat binary is the ELF's code, and (with a decoder for exactly
// the instructions the guest uses) that it performs the documented port I/O.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/guests/test_guests.h"

namespace petrel::testing {
namespace {

std::vector<uint8_t> ReadFile(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

template <class T>
T At(const std::vector<uint8_t>& b, uint64_t off) {
  T v{};
  if (off + sizeof v <= b.size()) std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

TEST(NullGuestElf, HasPvhNoteAtEntry) {
  auto elf = ReadFile(PETREL_NULL_GUEST_ELF);
  ASSERT_GE(elf.size(), sizeof(Elf64_Ehdr));
  auto eh = At<Elf64_Ehdr>(elf, 0);
  ASSERT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(eh.e_machine, EM_X86_64);
  EXPECT_EQ(eh.e_entry, kNullGuestLoadAddress);
  bool found_note = false;
  bool found_load = false;
  for (int i = 0; i < eh.e_phnum; ++i) {
    auto ph = At<Elf64_Phdr>(elf, eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize);
    if (ph.p_type == PT_LOAD) {
      found_load = true;
      EXPECT_EQ(ph.p_paddr, kNullGuestLoadAddress);
      // The flat binary is the start of the loadable segment.
      auto bin = NullGuestBin();
      ASSERT_LE(bin.size(), ph.p_filesz);
      EXPECT_EQ(std::memcmp(bin.data(), elf.data() + ph.p_offset, bin.size()), 0);
    }
    if (ph.p_type != PT_NOTE) continue;
    auto nh = At<Elf64_Nhdr>(elf, ph.p_offset);
    EXPECT_EQ(nh.n_type, 18u);  // XEN_ELFNOTE_PHYS32_ENTRY
    EXPECT_EQ(nh.n_namesz, 4u);
    EXPECT_EQ(nh.n_descsz, 4u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(elf.data() + ph.p_offset + 12)), "Xen");
    EXPECT_EQ(At<uint32_t>(elf, ph.p_offset + 16), kNullGuestLoadAddress);
    found_note = true;
  }
  EXPECT_TRUE(found_note);
  EXPECT_TRUE(found_load);
}

TEST(NullGuestBin, EmbeddedMatchesBuildFile) {
  auto file = ReadFile(PETREL_NULL_GUEST_BIN);
  auto bin = NullGuestBin();
  ASSERT_FALSE(bin.empty());
  EXPECT_EQ(std::vector<uint8_t>(bin.begin(), bin.end()), file);
}

// Decodes the handful of opcodes the guest uses and records its port writes.
TEST(NullGuestBin, PerformsDocumentedPortIo) {
  auto code = NullGuestBin();
  std::string serial;
  std::vector<uint8_t> debug;
  std::vector<uint8_t> to_64;
  uint8_t al = 0;
  uint16_t dx = 0;
  size_t ip = 0;
  bool halted = false;
  for (int steps = 0; steps < 1000 && !halted && ip < code.size(); ++steps) {
    const uint8_t op = code[ip];
    if (op == 0xfa) {  // cli
      ip += 1;
    } else if (op == 0x66 && ip + 3 < code.size() && code[ip + 1] == 0xba) {  // mov $imm16,%dx
      dx = static_cast<uint16_t>(code[ip + 2] | code[ip + 3] << 8);
      ip += 4;
    } else if (op == 0xb0 && ip + 1 < code.size()) {  // mov $imm8,%al
      al = code[ip + 1];
      ip += 2;
    } else if (op == 0xee) {  // out %al,(%dx)
      if (dx == 0x3f8) serial.push_back(static_cast<char>(al));
      ip += 1;
    } else if (op == 0xe6 && ip + 1 < code.size()) {  // out %al,$imm8
      if (code[ip + 1] == 0x80) debug.push_back(al);
      if (code[ip + 1] == kNullGuestResetPort) to_64.push_back(al);
      ip += 2;
    } else if (op == 0xf4) {  // hlt
      halted = true;
    } else {
      FAIL() << "unexpected opcode 0x" << std::hex << int{op} << " at " << ip;
    }
  }
  EXPECT_TRUE(halted);
  EXPECT_EQ(serial, kNullGuestSerialText);
  EXPECT_EQ(debug, (std::vector<uint8_t>{0x41, 0x42}));
  EXPECT_EQ(to_64, (std::vector<uint8_t>{kNullGuestResetCommand}));
}

}  // namespace
}  // namespace petrel::testing
