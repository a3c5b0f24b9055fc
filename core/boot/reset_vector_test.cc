// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the reset vector stub.
#include "core/boot/reset_vector.h"

#include <gtest/gtest.h>

#include "core/boot/linux_loader.h"
#include "core/boot/test_images.h"

namespace petrel::boot {
namespace {

TEST(ResetVectorTest, StubAsksTheI8042ForAResetThenHalts) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  ASSERT_TRUE(WriteResetVector(*memory).ok());
  std::array<uint8_t, 7> code{};
  ASSERT_TRUE(memory->Read(0xffff0, code).ok());
  // mov al, 0xfe (B0 ib); out 0x64, al (E6 ib); hlt (F4); jmp -3 (EB FD) -> hlt
  EXPECT_EQ(code, (std::array<uint8_t, 7>{0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd}));
}

TEST(ResetVectorTest, LoadLinuxWritesIt) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  auto image = testing::TestElf{}.Build();
  ASSERT_TRUE(LoadLinux(*memory, {image, {}, "console=ttyS0", 1}).ok());
  EXPECT_EQ(memory->ReadObj<uint8_t>(0xffff0).value(), 0xb0);
  EXPECT_EQ(memory->ReadObj<uint8_t>(0xffff3).value(), 0x64);
}

}  // namespace
}  // namespace petrel::boot
