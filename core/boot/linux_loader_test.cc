// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for LoadLinux: format detection, the MP table, and (when present) a
// real Debian kernel from the guest kit.
#include "core/boot/linux_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "core/arch/x86_layout.h"
#include "core/boot/mptable.h"
#include "core/boot/test_images.h"

namespace petrel::boot {
namespace {

using ::testing::HasSubstr;

class LinuxLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { memory_ = GuestMemory::CreateX86(512ULL << 20).value(); }
  std::shared_ptr<GuestMemory> memory_;
};

TEST_F(LinuxLoaderTest, DetectsBzImage) {
  const auto image = testing::TestBzImage{}.Build();
  auto r = LoadLinux(*memory_, {image, {}, "console=ttyS0", 2});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->format, KernelFormat::kBzImage);
  EXPECT_EQ(r->entry, 0x100200u);
}

TEST_F(LinuxLoaderTest, DetectsPvhElf) {
  const auto image = testing::TestElf{}.Build();
  auto r = LoadLinux(*memory_, {image, {}, "console=ttyS0", 1});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->format, KernelFormat::kPvhElf);
  EXPECT_EQ(r->vcpu.regs.gpr[hv::kRbx], 0x6000u);
}

TEST_F(LinuxLoaderTest, WritesMptable) {
  const auto image = testing::TestBzImage{}.Build();
  ASSERT_TRUE(LoadLinux(*memory_, {image, {}, "", 4}).ok());
  EXPECT_EQ(memory_->ReadObj<uint32_t>(x86::kMptableStart).value(), 0x5f504d5fu);  // "_MP_"
}

TEST_F(LinuxLoaderTest, RejectsElfWithoutPvhNote) {
  testing::TestElf elf;
  elf.pvh_entry.reset();
  const auto image = elf.Build();
  auto r = LoadLinux(*memory_, {image, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(r.error().message(), "loading kernel: ELF kernel has no PVH entry note");
}

TEST_F(LinuxLoaderTest, RejectsGarbage) {
  const std::vector<uint8_t> image(4096, 0x5a);
  auto r = LoadLinux(*memory_, {image, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
  EXPECT_THAT(r.error().message(), HasSubstr("bad magic"));
}

TEST_F(LinuxLoaderTest, RejectsEmptyImage) {
  auto r = LoadLinux(*memory_, {{}, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("empty"));
}

TEST_F(LinuxLoaderTest, RejectsBadVcpuCountBeforeWriting) {
  const auto image = testing::TestBzImage{}.Build();
  auto r = LoadLinux(*memory_, {image, {}, "", 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(memory_->ReadObj<uint64_t>(0x100000).value(), 0u);  // nothing loaded
}

TEST_F(LinuxLoaderTest, ManyVcpusLoadWithoutAnMpTable) {
  const auto image = testing::TestBzImage{}.Build();
  auto r = LoadLinux(*memory_, {image, {}, "", kMaxMptableVcpus + 24});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_NE(memory_->ReadObj<uint32_t>(x86::kMptableStart).value(), 0x5f504d5fu);  // "_MP_"
  ASSERT_TRUE(LoadLinux(*memory_, {image, {}, "", kMaxMptableVcpus}).ok());
  EXPECT_EQ(memory_->ReadObj<uint32_t>(x86::kMptableStart).value(), 0x5f504d5fu);
}

// The guest kit (ci/guest-kit/build.sh) writes kit.env with the paths of a
// real Debian kernel (bzImage and PVH vmlinux) and an initrd.
std::map<std::string, std::string> ReadKitEnv() {
  std::map<std::string, std::string> env;
  const char* home = std::getenv("HOME");
  if (home == nullptr) return env;
  std::ifstream in(std::string(home) + "/.cache/petrel/guest-kit/kit.env");
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

TEST_F(LinuxLoaderTest, LoadsRealGuestKitBzImage) {
  auto env = ReadKitEnv();
  if (env["PETREL_KIT_BZIMAGE"].empty()) GTEST_SKIP() << "no guest kit (ci/guest-kit/build.sh)";
  const auto image = ReadFile(env["PETREL_KIT_BZIMAGE"]);
  const auto initrd = ReadFile(env["PETREL_KIT_INITRD"]);
  ASSERT_FALSE(image.empty());
  auto r = LoadLinux(*memory_, {image, initrd, "console=ttyS0 quiet", 2});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->format, KernelFormat::kBzImage);
  EXPECT_EQ(r->vcpu.regs.rip, 0x100200u);
  // The protected-mode kernel starts right after the setup sectors.
  const uint64_t setup = (image[0x1f1] == 0 ? 4 : image[0x1f1]) + 1ULL;
  std::vector<uint8_t> got(4096);
  ASSERT_TRUE(memory_->Read(0x100000, got).ok());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), image.begin() + setup * 512));
  EXPECT_EQ(memory_->ReadObj<uint32_t>(x86::kZeroPageStart + 0x21c).value(), initrd.size());
  EXPECT_GE(memory_->ReadObj<uint16_t>(x86::kZeroPageStart + 0x206).value(), 0x020c);
}

TEST_F(LinuxLoaderTest, LoadsRealGuestKitVmlinux) {
  auto env = ReadKitEnv();
  if (env["PETREL_KIT_VMLINUX"].empty()) GTEST_SKIP() << "no guest kit (ci/guest-kit/build.sh)";
  const auto image = ReadFile(env["PETREL_KIT_VMLINUX"]);
  const auto initrd = ReadFile(env["PETREL_KIT_INITRD"]);
  ASSERT_FALSE(image.empty());
  auto r = LoadLinux(*memory_, {image, initrd, "console=ttyS0 quiet", 1});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->format, KernelFormat::kPvhElf);
  // Debian's kernel is linked at CONFIG_PHYSICAL_START = 16 MiB.
  EXPECT_GE(r->entry, 0x1000000u);
  EXPECT_LT(r->entry, 0x4000000u);
  EXPECT_EQ(memory_->ReadObj<uint32_t>(x86::kPvhInfoStart + 12).value(), 1u);  // the initrd
}

}  // namespace
}  // namespace petrel::boot
