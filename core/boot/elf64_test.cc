// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the ELF64 reader: header checks and note iteration.
#include "core/boot/elf64.h"

#include <gtest/gtest.h>

#include "core/base/bytes.h"
#include "core/boot/test_images.h"

namespace petrel::boot::elf {
namespace {

TEST(Elf64Test, ParsesProgramHeadersAndNotes) {
  const std::vector<uint8_t> image = testing::TestElf{}.Build();
  auto elf = ParseElf64(image);
  ASSERT_TRUE(elf.ok()) << elf.error().message();
  ASSERT_EQ(elf->phdrs.size(), 3u);
  EXPECT_EQ(elf->phdrs[0].type, kPtNote);
  EXPECT_EQ(elf->phdrs[1].type, kPtLoad);
  EXPECT_EQ(elf->phdrs[1].paddr, 0x100000u);
  EXPECT_EQ(elf->phdrs[1].memsz, 0x3000u);
  auto notes = ParseNotes(image, elf->phdrs[0]);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].name, "GNU");
  EXPECT_EQ((*notes)[0].type, 3u);
  EXPECT_EQ((*notes)[0].desc.size(), 20u);
  EXPECT_EQ((*notes)[1].name, "Xen");
  EXPECT_EQ((*notes)[1].type, 18u);
  EXPECT_EQ(LoadLe<uint64_t>((*notes)[1].desc, 0), 0x100040u);
}

TEST(Elf64Test, EightByteAlignedNotesPadTo8) {
  // Header 12 + name "Xen\0" 4 = 16: desc at 16 (4 bytes), padded to 8: next note at 24.
  std::vector<uint8_t> seg(48, 0);
  StoreLe<uint32_t>(seg, 0, 4);
  StoreLe<uint32_t>(seg, 4, 4);
  StoreLe<uint32_t>(seg, 8, 18);
  std::copy_n("Xen", 4, seg.begin() + 12);
  StoreLe<uint32_t>(seg, 16, 0x1234);
  StoreLe<uint32_t>(seg, 24, 0);
  StoreLe<uint32_t>(seg, 28, 0);
  StoreLe<uint32_t>(seg, 32, 7);
  ProgramHeader ph{kPtNote, 0, 0, 40, 40, 8};
  auto notes = ParseNotes(seg, ph);
  ASSERT_TRUE(notes.ok()) << notes.error().message();
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ(LoadLe<uint32_t>((*notes)[0].desc, 0), 0x1234u);
  EXPECT_EQ((*notes)[1].type, 7u);
}

TEST(Elf64Test, RejectsTooManyProgramHeaders) {
  std::vector<uint8_t> image = testing::TestElf{}.Build();
  StoreLe<uint16_t>(image, 56, kMaxProgramHeaders + 1);
  auto elf = ParseElf64(image);
  ASSERT_FALSE(elf.ok());
  EXPECT_NE(elf.error().message().find("cap"), std::string::npos);
}

TEST(Elf64Test, RejectsBadPhentsize) {
  std::vector<uint8_t> image = testing::TestElf{}.Build();
  StoreLe<uint16_t>(image, 54, 32);
  EXPECT_FALSE(ParseElf64(image).ok());
}

TEST(Elf64Test, RejectsBigEndian) {
  std::vector<uint8_t> image = testing::TestElf{}.Build();
  image[5] = 2;
  auto elf = ParseElf64(image);
  ASSERT_FALSE(elf.ok());
  EXPECT_NE(elf.error().message().find("little-endian"), std::string::npos);
}

TEST(Elf64Test, RejectsTooManyNotes) {
  std::vector<uint8_t> seg((kMaxNotes + 1) * 12, 0);  // empty notes, 12 bytes each
  ProgramHeader ph{kPtNote, 0, 0, seg.size(), seg.size(), 4};
  EXPECT_FALSE(ParseNotes(seg, ph).ok());
  ph.filesz = ph.memsz = kMaxNotes * 12;
  EXPECT_TRUE(ParseNotes(seg, ph).ok());
}

}  // namespace
}  // namespace petrel::boot::elf
