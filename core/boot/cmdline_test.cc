// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for writing the kernel command line.
#include "core/boot/cmdline.h"

#include <gtest/gtest.h>

#include "core/arch/x86_layout.h"

namespace petrel::boot {
namespace {

TEST(CmdlineTest, WritesBytesAndNul) {
  auto memory = GuestMemory::CreateX86(16ULL << 20).value();
  ASSERT_TRUE(memory->Fill(x86::kCmdlineStart, 0xff, 16).ok());
  ASSERT_TRUE(WriteCmdline(*memory, "abc", 100).ok());
  EXPECT_EQ(memory->ReadObj<uint32_t>(x86::kCmdlineStart).value(), 0x00636261u);
}

TEST(CmdlineTest, EmptyIsJustNul) {
  auto memory = GuestMemory::CreateX86(16ULL << 20).value();
  ASSERT_TRUE(memory->Fill(x86::kCmdlineStart, 0xff, 16).ok());
  ASSERT_TRUE(WriteCmdline(*memory, "", 0).ok());
  EXPECT_EQ(memory->ReadObj<uint8_t>(x86::kCmdlineStart).value(), 0);
}

TEST(CmdlineTest, RejectsLongerThanMax) {
  auto memory = GuestMemory::CreateX86(16ULL << 20).value();
  auto r = WriteCmdline(*memory, "abcd", 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(CmdlineTest, RejectsEmbeddedNul) {
  auto memory = GuestMemory::CreateX86(16ULL << 20).value();
  EXPECT_FALSE(WriteCmdline(*memory, std::string_view("a\0b", 3), 100).ok());
}

}  // namespace
}  // namespace petrel::boot
