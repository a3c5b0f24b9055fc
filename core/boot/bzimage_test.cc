// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for bzImage loading: zero page fields, kernel copy, initramfs and
// every rejection reason.
#include "core/boot/bzimage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/arch/x86_layout.h"
#include "core/boot/test_images.h"

namespace petrel::boot {
namespace {

using ::testing::HasSubstr;
using testing::Pattern;
using testing::TestBzImage;

class BzImageTest : public ::testing::Test {
 protected:
  void SetUp() override { memory_ = GuestMemory::CreateX86(512ULL << 20).value(); }

  Result<LoadedKernel> Load(const TestBzImage& bz, std::string cmdline = "console=ttyS0",
                            std::span<const uint8_t> initramfs = {}) {
    image_ = bz.Build();
    return LoadBzImage(*memory_, {image_, initramfs, std::move(cmdline), 1});
  }
  template <class T>
  T Zp(uint64_t offset) {
    return memory_->ReadObj<T>(x86::kZeroPageStart + offset).value();
  }
  void ExpectRejected(const TestBzImage& bz, const std::string& what,
                      ErrorCode code = ErrorCode::kMalformed) {
    auto r = Load(bz);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code(), code) << r.error().message();
    EXPECT_THAT(r.error().message(), HasSubstr(what));
  }

  std::shared_ptr<GuestMemory> memory_;
  std::vector<uint8_t> image_;
};

TEST_F(BzImageTest, ZeroPageHasSetupHeaderAndLoaderFields) {
  ASSERT_TRUE(Load(TestBzImage{}).ok());
  EXPECT_EQ(Zp<uint16_t>(0x1fe), 0xaa55);
  EXPECT_EQ(Zp<uint32_t>(0x202), 0x53726448u);
  EXPECT_EQ(Zp<uint16_t>(0x206), 0x020f);
  EXPECT_EQ(Zp<uint8_t>(0x210), 0xff);       // type_of_loader
  EXPECT_EQ(Zp<uint8_t>(0x211) & 1, 1);      // LOADED_HIGH kept
  EXPECT_EQ(Zp<uint32_t>(0x228), 0x20000u);  // cmd_line_ptr
  EXPECT_EQ(Zp<uint32_t>(0x238), 2047u);     // cmdline_size copied
  EXPECT_EQ(Zp<uint32_t>(0x260), 0x20000u);  // init_size copied
  EXPECT_EQ(Zp<uint32_t>(0x218), 0u);        // no ramdisk
  EXPECT_EQ(Zp<uint32_t>(0x21c), 0u);
  EXPECT_EQ(Zp<uint8_t>(0x1f0), 0);  // outside the header: zero
  EXPECT_EQ(Zp<uint8_t>(0x1ef), 0);  // sentinel clear
}

TEST_F(BzImageTest, RsdpAddressReachesZeroPage) {
  image_ = TestBzImage{}.Build();
  LinuxBootConfig config{image_, {}, "console=ttyS0", 1};
  config.rsdp_addr = 0xa0000;
  ASSERT_TRUE(LoadBzImage(*memory_, config).ok());
  // boot_params.acpi_rsdp_addr, arch/x86/include/uapi/asm/bootparam.h
  EXPECT_EQ(memory_->ReadObj<uint64_t>(x86::kZeroPageStart + 0x070).value(), 0xa0000u);
}

TEST_F(BzImageTest, ZeroPageE820MatchesMemory) {
  ASSERT_TRUE(Load(TestBzImage{}).ok());
  ASSERT_EQ(Zp<uint8_t>(0x1e8), 3);
  EXPECT_EQ(Zp<uint64_t>(0x2d0), 0u);
  EXPECT_EQ(Zp<uint64_t>(0x2d0 + 8), 0xa0000u);
  EXPECT_EQ(Zp<uint32_t>(0x2d0 + 16), 1u);
  EXPECT_EQ(Zp<uint64_t>(0x2e4), 0x100000u);
  EXPECT_EQ(Zp<uint64_t>(0x2e4 + 8), (512ULL << 20) - 0x100000);
  EXPECT_EQ(Zp<uint32_t>(0x2e4 + 16), 1u);
  EXPECT_EQ(Zp<uint64_t>(0x2f8), 0xe8000000u);
  EXPECT_EQ(Zp<uint32_t>(0x2f8 + 16), 2u);
}

TEST_F(BzImageTest, CopiesProtectedModeKernelTo1MiB) {
  TestBzImage bz;
  ASSERT_TRUE(Load(bz).ok());
  std::vector<uint8_t> got(bz.payload.size());
  ASSERT_TRUE(memory_->Read(0x100000, got).ok());
  EXPECT_EQ(got, bz.payload);
}

TEST_F(BzImageTest, ZeroSetupSectsMeansFour) {
  TestBzImage bz;
  bz.setup_sects = 0;
  ASSERT_TRUE(Load(bz).ok());
  std::vector<uint8_t> got(bz.payload.size());
  ASSERT_TRUE(memory_->Read(0x100000, got).ok());
  EXPECT_EQ(got, bz.payload);
}

TEST_F(BzImageTest, CmdlineBytesAndNul) {
  ASSERT_TRUE(Load(TestBzImage{}, "console=ttyS0 quiet").ok());
  std::string got(20, 'x');
  ASSERT_TRUE(
      memory_->Read(0x20000, std::span(reinterpret_cast<uint8_t*>(got.data()), got.size())).ok());
  EXPECT_EQ(got, std::string("console=ttyS0 quiet") + '\0');
}

TEST_F(BzImageTest, InitramfsAtTopOfLowRam) {
  const std::vector<uint8_t> initrd = Pattern(10000, 11);
  ASSERT_TRUE(Load(TestBzImage{}, "", initrd).ok());
  const uint32_t addr = Zp<uint32_t>(0x218);
  EXPECT_EQ(Zp<uint32_t>(0x21c), 10000u);
  EXPECT_EQ(addr % 4096, 0u);
  EXPECT_EQ(addr, ((512u << 20) - 10000) & ~4095u);
  std::vector<uint8_t> got(initrd.size());
  ASSERT_TRUE(memory_->Read(addr, got).ok());
  EXPECT_EQ(got, initrd);
}

TEST_F(BzImageTest, InitramfsBelowInitrdAddrMax) {
  TestBzImage bz;
  bz.initrd_addr_max = 0x0fffffff;
  const std::vector<uint8_t> initrd = Pattern(5000, 1);
  ASSERT_TRUE(Load(bz, "", initrd).ok());
  EXPECT_EQ(Zp<uint32_t>(0x218), 0x10000000u - 8192);
}

TEST_F(BzImageTest, BootStateIsLongModeAtEntry64) {
  auto r = Load(TestBzImage{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->format, KernelFormat::kBzImage);
  EXPECT_EQ(r->entry, 0x100200u);
  EXPECT_EQ(r->vcpu.regs.rip, 0x100200u);
  EXPECT_EQ(r->vcpu.regs.gpr[hv::kRsi], 0x7000u);
  EXPECT_EQ(r->vcpu.regs.gpr[hv::kRsp], 0x8ff0u);
  EXPECT_TRUE(r->vcpu.sregs.cs.l);
  EXPECT_EQ(r->vcpu.sregs.efer & 0x500, 0x500u);
  // The page tables were written.
  EXPECT_EQ(memory_->ReadObj<uint64_t>(0x9000).value(), 0xa003u);
}

TEST_F(BzImageTest, InitramfsAvoidsKernelRunAddress) {
  // The kernel runs at pref_address (16 MiB) and needs init_size (40 MiB)
  // there: [16, 56) MiB. In 64 MiB of RAM an 8 MiB initramfs still fits.
  memory_ = GuestMemory::CreateX86(64ULL << 20).value();
  TestBzImage bz;
  bz.init_size = 40u << 20;
  std::vector<uint8_t> initrd(8u << 20, 1);
  ASSERT_TRUE(Load(bz, "", initrd).ok());
  EXPECT_EQ(Zp<uint32_t>(0x218), 56u << 20);
  initrd.resize((8u << 20) + 1);
  auto r = Load(bz, "", initrd);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("initramfs too big for low RAM"));
}

// --- one test per rejection reason ---

TEST_F(BzImageTest, RejectsTruncatedFile) {
  image_.assign(0x100, 0);
  auto r = LoadBzImage(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
  EXPECT_THAT(r.error().message(), HasSubstr("truncated"));
}

TEST_F(BzImageTest, RejectsBadBootFlag) {
  TestBzImage bz;
  bz.boot_flag = 0x1234;
  ExpectRejected(bz, "bad magic: boot_flag");
}

TEST_F(BzImageTest, RejectsMissingHdrS) {
  TestBzImage bz;
  bz.header_magic = 0;
  ExpectRejected(bz, "HdrS");
}

TEST_F(BzImageTest, RejectsOldProtocol) {
  TestBzImage bz;
  bz.version = 0x020b;
  ExpectRejected(bz, "boot protocol 2.11 too old");
}

TEST_F(BzImageTest, RejectsShortSetupHeader) {
  TestBzImage bz;
  bz.header_len = 0x40;
  ExpectRejected(bz, "setup header ends at");
}

TEST_F(BzImageTest, RejectsHeaderPastEndOfFile) {
  TestBzImage bz;
  bz.setup_sects = 0;  // 5 sectors = 0xa00 bytes hold the header; cut the file below its end
  image_ = bz.Build();
  image_.resize(0x240);
  auto r = LoadBzImage(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("truncated: setup header ends at"));
}

TEST_F(BzImageTest, RejectsNo64BitEntry) {
  TestBzImage bz;
  bz.xloadflags = 0x2;
  ExpectRejected(bz, "no 64-bit entry");
}

TEST_F(BzImageTest, RejectsNotLoadedHigh) {
  TestBzImage bz;
  bz.loadflags = 0;
  ExpectRejected(bz, "LOADED_HIGH");
}

TEST_F(BzImageTest, RejectsSetupSectorsPastEnd) {
  TestBzImage bz;
  bz.payload.clear();
  ExpectRejected(bz, "leave no protected-mode kernel");
}

TEST_F(BzImageTest, RejectsKernelEndingBeforeItsEntry) {
  // Found by boot_bzimage_fuzz's entry oracle: the 64-bit entry (1 MiB +
  // 0x200) must be a loaded byte of the kernel.
  TestBzImage bz;
  bz.payload.resize(0x200);
  ExpectRejected(bz, "ends before its 64-bit entry");
  bz.payload.resize(0x201);
  EXPECT_TRUE(Load(bz, "", {}).ok());
}

TEST_F(BzImageTest, RejectsKernelLargerThanRam) {
  TestBzImage bz;
  bz.init_size = 600u << 20;
  ExpectRejected(bz, "guest RAM is too small", ErrorCode::kOutOfRange);
}

TEST_F(BzImageTest, RejectsKernelBeyondIdentityMap) {
  TestBzImage bz;
  bz.init_size = 0xf0000000;
  ExpectRejected(bz, "beyond the 1 GiB identity map", ErrorCode::kOutOfRange);
}

TEST_F(BzImageTest, RejectsPrefAddressWrap) {
  TestBzImage bz;
  bz.pref_address = ~0ULL - 0x1000;
  ExpectRejected(bz, "pref_address + init_size wraps");
}

TEST_F(BzImageTest, RejectsCmdlineLongerThanCmdlineSize) {
  TestBzImage bz;
  bz.cmdline_size = 8;
  auto r = Load(bz, "console=ttyS0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("longer than the kernel's cmdline_size 8"));
  EXPECT_TRUE(Load(bz, "12345678").ok());  // exactly cmdline_size fits
}

TEST_F(BzImageTest, RejectsInitramfsTooBigForLowRam) {
  // Lazily mapped zeros: the loader must reject the size before reading it.
  auto big = HostRegion::Anonymous(512ULL << 20).value();
  auto r = Load(TestBzImage{}, "", std::span<const uint8_t>(big->data(), big->size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kOutOfRange);
  EXPECT_THAT(r.error().message(), HasSubstr("initramfs too big for low RAM"));
}

TEST_F(BzImageTest, InitramfsDoesNotOverlapKernelInitSize) {
  TestBzImage bz;
  bz.pref_address = 0x100000;
  bz.init_size = (512u << 20) - 0x100000 - 0x2000;  // leaves 8 KiB at the top
  std::vector<uint8_t> initrd(0x2000, 1);
  ASSERT_TRUE(Load(bz, "", initrd).ok());
  EXPECT_EQ(Zp<uint32_t>(0x218), (512u << 20) - 0x2000);
  initrd.push_back(1);  // one byte more no longer fits above the kernel
  EXPECT_FALSE(Load(bz, "", initrd).ok());
}

}  // namespace
}  // namespace petrel::boot
