// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for PVH ELF loading: segments, hvm_start_info, modlist, memmap, and
// every rejection reason.
#include "core/boot/pvh.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"
#include "core/boot/test_images.h"

namespace petrel::boot {
namespace {

using ::testing::HasSubstr;
using testing::Pattern;
using testing::TestElf;

class PvhTest : public ::testing::Test {
 protected:
  void SetUp() override { memory_ = GuestMemory::CreateX86(512ULL << 20).value(); }

  Result<LoadedKernel> Load(const TestElf& elf, std::string cmdline = "console=ttyS0",
                            std::span<const uint8_t> initramfs = {}) {
    image_ = elf.Build();
    return LoadPvh(*memory_, {image_, initramfs, std::move(cmdline), 1});
  }
  template <class T>
  T At(uint64_t gpa) {
    return memory_->ReadObj<T>(gpa).value();
  }
  void ExpectRejected(const TestElf& elf, const std::string& what,
                      ErrorCode code = ErrorCode::kMalformed) {
    auto r = Load(elf);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code(), code) << r.error().message();
    EXPECT_THAT(r.error().message(), HasSubstr(what));
  }

  std::shared_ptr<GuestMemory> memory_;
  std::vector<uint8_t> image_;
};

TEST_F(PvhTest, StartInfoFields) {
  ASSERT_TRUE(Load(TestElf{}).ok());
  const uint64_t si = x86::kPvhInfoStart;
  EXPECT_EQ(At<uint32_t>(si), 0x336ec578u);    // magic
  EXPECT_EQ(At<uint32_t>(si + 4), 1u);         // version
  EXPECT_EQ(At<uint32_t>(si + 8), 0u);         // flags
  EXPECT_EQ(At<uint32_t>(si + 12), 0u);        // nr_modules
  EXPECT_EQ(At<uint64_t>(si + 16), 0u);        // modlist_paddr
  EXPECT_EQ(At<uint64_t>(si + 24), 0x20000u);  // cmdline_paddr
  EXPECT_EQ(At<uint64_t>(si + 32), 0u);        // rsdp_paddr
  EXPECT_EQ(At<uint64_t>(si + 40), 0x7000u);   // memmap_paddr
  EXPECT_EQ(At<uint32_t>(si + 48), 3u);        // memmap_entries
}

TEST_F(PvhTest, RsdpAddressReachesStartInfo) {
  image_ = TestElf{}.Build();
  LinuxBootConfig config{image_, {}, "console=ttyS0", 1};
  config.rsdp_addr = 0xa0000;
  ASSERT_TRUE(LoadPvh(*memory_, config).ok());
  EXPECT_EQ(At<uint64_t>(x86::kPvhInfoStart + 32), 0xa0000u);  // rsdp_paddr
}

TEST_F(PvhTest, MemmapEntries) {
  ASSERT_TRUE(Load(TestElf{}).ok());
  EXPECT_EQ(At<uint64_t>(0x7000), 0u);
  EXPECT_EQ(At<uint64_t>(0x7008), 0xa0000u);
  EXPECT_EQ(At<uint32_t>(0x7010), 1u);
  EXPECT_EQ(At<uint64_t>(0x7018), 0x100000u);
  EXPECT_EQ(At<uint64_t>(0x7020), (512ULL << 20) - 0x100000);
  EXPECT_EQ(At<uint32_t>(0x7028), 1u);
  EXPECT_EQ(At<uint64_t>(0x7030), 0xe8000000u);
  EXPECT_EQ(At<uint32_t>(0x7040), 2u);
}

TEST_F(PvhTest, InitramfsModule) {
  const std::vector<uint8_t> initrd = Pattern(7000, 4);
  ASSERT_TRUE(Load(TestElf{}, "", initrd).ok());
  EXPECT_EQ(At<uint32_t>(x86::kPvhInfoStart + 12), 1u);
  EXPECT_EQ(At<uint64_t>(x86::kPvhInfoStart + 16), 0x6040u);
  const uint64_t addr = At<uint64_t>(0x6040);
  EXPECT_EQ(addr, ((512ULL << 20) - 7000) & ~4095ULL);
  EXPECT_EQ(At<uint64_t>(0x6048), 7000u);
  EXPECT_EQ(At<uint64_t>(0x6050), 0u);  // module cmdline
  std::vector<uint8_t> got(initrd.size());
  ASSERT_TRUE(memory_->Read(addr, got).ok());
  EXPECT_EQ(got, initrd);
}

TEST_F(PvhTest, CmdlineBytesAndNul) {
  ASSERT_TRUE(Load(TestElf{}, "root=/dev/vda").ok());
  std::string got(14, 'x');
  ASSERT_TRUE(
      memory_->Read(0x20000, std::span(reinterpret_cast<uint8_t*>(got.data()), got.size())).ok());
  EXPECT_EQ(got, std::string("root=/dev/vda") + '\0');
}

TEST_F(PvhTest, SegmentsCopiedAndBssZeroed) {
  TestElf elf;
  ASSERT_TRUE(memory_->Fill(0x100000, 0xaa, 0x200000).ok());
  ASSERT_TRUE(Load(elf).ok());
  for (const auto& seg : elf.segments) {
    std::vector<uint8_t> got(seg.data.size());
    ASSERT_TRUE(memory_->Read(seg.paddr, got).ok());
    EXPECT_EQ(got, seg.data);
  }
  const auto& first = elf.segments[0];
  std::vector<uint8_t> bss(first.memsz - first.data.size());
  ASSERT_TRUE(memory_->Read(first.paddr + first.data.size(), bss).ok());
  EXPECT_EQ(bss, std::vector<uint8_t>(bss.size(), 0));
  EXPECT_EQ(At<uint8_t>(first.paddr + first.memsz), 0xaa);  // nothing past memsz
}

TEST_F(PvhTest, BootStateIs32BitProtectedMode) {
  auto r = Load(TestElf{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->format, KernelFormat::kPvhElf);
  EXPECT_EQ(r->entry, 0x100040u);
  EXPECT_EQ(r->vcpu.regs.rip, 0x100040u);
  EXPECT_EQ(r->vcpu.regs.gpr[hv::kRbx], 0x6000u);
  EXPECT_EQ(r->vcpu.sregs.cr0 & 0x80000001, 1u);  // PE, no PG
  EXPECT_EQ(r->vcpu.sregs.efer, 0u);
  EXPECT_TRUE(r->vcpu.sregs.cs.db);
  EXPECT_FALSE(r->vcpu.sregs.cs.l);
}

TEST_F(PvhTest, FourByteEntryNote) {
  TestElf elf;
  elf.entry_desc_size = 4;
  elf.extra_note = false;
  auto r = Load(elf);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->entry, 0x100040u);
}

// --- one test per rejection reason ---

TEST_F(PvhTest, RejectsElfWithoutPvhNote) {
  TestElf elf;
  elf.pvh_entry.reset();
  ExpectRejected(elf, "ELF kernel has no PVH entry note");
  elf.extra_note = false;  // no PT_NOTE at all
  ExpectRejected(elf, "ELF kernel has no PVH entry note");
}

TEST_F(PvhTest, RejectsSegmentOutsideRam) {
  TestElf elf;
  elf.segments.push_back({0x40000000, Pattern(16, 1), 16});  // 1 GiB, RAM is 512 MiB
  ExpectRejected(elf, "outside guest RAM", ErrorCode::kOutOfRange);
}

TEST_F(PvhTest, RejectsSegmentOverlappingBootStructures) {
  TestElf elf;
  elf.segments.push_back({0x7000, Pattern(16, 1), 16});
  ExpectRejected(elf, "overlaps the boot structures", ErrorCode::kOutOfRange);
}

TEST_F(PvhTest, RejectsTruncatedHeader) {
  image_ = TestElf{}.Build();
  image_.resize(40);
  auto r = LoadPvh(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("truncated"));
}

TEST_F(PvhTest, RejectsProgramHeadersPastEnd) {
  image_ = TestElf{}.Build();
  StoreLe<uint64_t>(image_, 32, image_.size() - 10);  // e_phoff
  auto r = LoadPvh(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("program headers run past the end"));
}

TEST_F(PvhTest, RejectsHugeProgramHeaderOffsetWithoutOverflow) {
  image_ = TestElf{}.Build();
  StoreLe<uint64_t>(image_, 32, ~0ULL - 8);
  auto r = LoadPvh(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("program headers run past the end"));
}

TEST_F(PvhTest, RejectsSegmentDataPastEnd) {
  image_ = TestElf{}.Build();
  // Second phdr (first PT_LOAD): p_filesz huge.
  StoreLe<uint64_t>(image_, 64 + 56 + 32, 1ULL << 40);
  StoreLe<uint64_t>(image_, 64 + 56 + 40, 1ULL << 40);
  auto r = LoadPvh(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("segment 1 data runs past the end"));
}

TEST_F(PvhTest, RejectsFileszAboveMemsz) {
  TestElf elf;
  elf.segments[1].memsz = 0x10;
  ExpectRejected(elf, "p_filesz > p_memsz");
}

TEST_F(PvhTest, RejectsWrappingSegment) {
  TestElf elf;
  elf.segments.push_back({~0ULL - 4, {}, 16});
  ExpectRejected(elf, "wraps the address space");
}

TEST_F(PvhTest, RejectsElf32) {
  TestElf elf;
  elf.elf_class = 1;
  ExpectRejected(elf, "not ELF64");
}

TEST_F(PvhTest, RejectsOtherMachine) {
  TestElf elf;
  elf.machine = 183;  // aarch64
  ExpectRejected(elf, "not x86-64");
}

TEST_F(PvhTest, RejectsNonExecutable) {
  TestElf elf;
  elf.type = 1;  // ET_REL
  ExpectRejected(elf, "not an executable");
}

TEST_F(PvhTest, RejectsEntryOutsideSegments) {
  TestElf elf;
  elf.pvh_entry = 0x300000;
  ExpectRejected(elf, "outside every loaded segment");
}

TEST_F(PvhTest, RejectsEntryAbove4GiB) {
  TestElf elf;
  elf.pvh_entry = 0x1'0010'0000ULL;
  ExpectRejected(elf, "is not 32-bit");
}

TEST_F(PvhTest, RejectsBadEntryDescriptorSize) {
  TestElf elf;
  elf.entry_desc_size = 2;
  ExpectRejected(elf, "2-byte descriptor");
}

TEST_F(PvhTest, RejectsTruncatedNote) {
  image_ = TestElf{}.Build();
  // The PT_NOTE is the first phdr; claim a descriptor larger than the segment.
  const uint64_t note_off = LoadLe<uint64_t>(image_, 64 + 8);
  StoreLe<uint32_t>(image_, note_off + 4, 0x1000);
  auto r = LoadPvh(*memory_, {image_, {}, "", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("note descriptor runs past its segment"));
}

TEST_F(PvhTest, RejectsCmdlineOver64KiB) {
  auto r = Load(TestElf{}, std::string(0x10000, 'a'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("65535-byte limit"));
  EXPECT_TRUE(Load(TestElf{}, std::string(0xffff, 'a')).ok());
}

TEST_F(PvhTest, RejectsInitramfsTooBig) {
  // Lazily mapped zeros: the loader must reject the size before reading it.
  auto big = HostRegion::Anonymous(512ULL << 20).value();
  auto r = Load(TestElf{}, "", std::span<const uint8_t>(big->data(), big->size()));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("initramfs too big for low RAM"));
}

}  // namespace
}  // namespace petrel::boot
