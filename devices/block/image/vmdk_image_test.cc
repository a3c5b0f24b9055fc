// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Flat VMDK: the descriptor parser's accepted and refused forms, images of
// several extents (offsets, read-only extents) written by hand, and
// interoperability with qemu-img/qemu-io (monolithicFlat, twoGbMaxExtentFlat).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "devices/block/image/open_image.h"
#include "devices/block/image/qemu_img_test_util.h"
#include "devices/block/image/vmdk_descriptor.h"

namespace petrel {
namespace {

using image_test::FirstDifference;
using image_test::QemuImgTest;
using image_test::ReadThroughEngine;
using image_test::ReadThroughImage;
using image_test::ReadWholeFile;
using image_test::ShellQuote;
using image_test::TempDir;
using image_test::WriteWholeFile;

std::string Descriptor(const std::string& create_type, const std::string& extents,
                       const std::string& extra = "") {
  return "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"" +
         create_type + "\"\n" + extra + "\n# Extent description\n" + extents +
         "\n# The Disk Data Base\n#DDB\nddb.adapterType = \"ide\"\n";
}

std::string ParseError(const std::string& text) {
  auto d = ParseVmdkDescriptor(text);
  EXPECT_FALSE(d.ok()) << text;
  return d.ok() ? "" : d.error().message();
}

TEST(VmdkDescriptorTest, ParsesFlatExtents) {
  auto d = ParseVmdkDescriptor(Descriptor(
      "twoGbMaxExtentFlat",
      "RW 4194304 FLAT \"a-f001.vmdk\" 0\r\nRDONLY 2048 FLAT \"name with spaces.vmdk\" 16\n"
      "RW 8 VMFS \"/abs/c.vmdk\""));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->create_type, "twoGbMaxExtentFlat");
  ASSERT_EQ(d->extents.size(), 3u);
  EXPECT_EQ(d->extents[0].sectors, 4194304u);
  EXPECT_FALSE(d->extents[0].readonly);
  EXPECT_EQ(d->extents[1].file, "name with spaces.vmdk");
  EXPECT_TRUE(d->extents[1].readonly);
  EXPECT_EQ(d->extents[1].offset, 16u);
  EXPECT_EQ(d->extents[2].file, "/abs/c.vmdk");
  EXPECT_EQ(d->extents[2].offset, 0u);
  EXPECT_EQ(d->size(), (4194304u + 2048 + 8) * 512);
}

TEST(VmdkDescriptorTest, RefusesWhatIsNotAFlatDisk) {
  EXPECT_NE(
      ParseError(Descriptor("monolithicSparse", "RW 8 SPARSE \"a.vmdk\"")).find("SPARSE extents"),
      std::string::npos);
  EXPECT_NE(
      ParseError(Descriptor("streamOptimized", "RW 8 FLAT \"a.vmdk\"")).find("streamOptimized"),
      std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 8 ZERO \"a.vmdk\"")).find("ZERO"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "NOACCESS 8 FLAT \"a.vmdk\"")).find("NOACCESS"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 8 FLAT \"a.vmdk\"", "parentCID=abcdef01"))
                .find("differencing"),
            std::string::npos);
  EXPECT_NE(ParseError("KDMV\x01\x00\x00\x00").find("hosted sparse"), std::string::npos);
}

TEST(VmdkDescriptorTest, RefusesMalformedDescriptors) {
  EXPECT_NE(ParseError("# Disk DescriptorFile\nRW 8 FLAT \"a\"\n").find("createType"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "")).find("without extents"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW x8 FLAT \"a\"")).find("not a number"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 8 FLAT a.vmdk")).find("quoted"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 8 FLAT \"a.vmdk")).find("unterminated"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 8 FLAT \"a\" 0 junk")).find("unexpected"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 0 FLAT \"a\"")).find("0 sectors"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 99999999999999999999 FLAT \"a\""))
                .find("not a number"),
            std::string::npos);
  EXPECT_NE(
      ParseError(Descriptor("monolithicFlat", "RW 549755813889 FLAT \"a\"")).find("too large"),
      std::string::npos);
  // Two extents of 2^39 sectors (2^48 bytes each).
  EXPECT_NE(ParseError(Descriptor("monolithicFlat",
                                  "RW 549755813888 FLAT \"a\"\n"
                                  "RW 549755813888 FLAT \"b\""))
                .find("larger than"),
            std::string::npos);
  std::string many;
  for (int i = 0; i < 1025; ++i) many += "RW 8 FLAT \"a\"\n";
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", many)).find("more than 1024"),
            std::string::npos);
  EXPECT_NE(ParseError(Descriptor("monolithicFlat", "RW 8 FLAT \"a\"") + std::string(70000, '#'))
                .find("larger than 65536"),
            std::string::npos);
}

TEST(VmdkDescriptorTest, TheTextEndsAtItsFirstNulAsQemuPadsIt) {
  std::string text = Descriptor("monolithicFlat", "RW 8 FLAT \"a\"");
  text.append(200, '\0');
  text += "RW 8 FLAT \"b\"\n";
  auto d = ParseVmdkDescriptor(text);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->extents.size(), 1u);
}

class VmdkImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // a: 64 KiB of 0xa0..; b: 16 KiB header then 32 KiB of 0xb0..; c: 8 KiB.
    std::vector<uint8_t> a(64 << 10), b(48 << 10, 0xee), c(8 << 10);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(0xa0 + i / 4096);
    for (size_t i = 16 << 10; i < b.size(); ++i)
      b[i] = static_cast<uint8_t>(0xb0 + (i - (16 << 10)) / 4096);
    for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(0xc0 + i / 4096);
    ASSERT_TRUE(WriteWholeFile(dir_.File("a.raw"), a));
    ASSERT_TRUE(WriteWholeFile(dir_.File("b.raw"), b));
    ASSERT_TRUE(WriteWholeFile(dir_.File("c.raw"), c));
  }
  Result<std::unique_ptr<DiskImage>> Open(const std::string& extents, bool readonly = false) {
    const std::string text = Descriptor("monolithicFlat", extents);
    EXPECT_TRUE(WriteWholeFile(
        path_, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
    return OpenDiskImage({.path = path_, .readonly = readonly});
  }
  // The disk of a (64 KiB), b from 16 KiB (32 KiB), c read-only (8 KiB).
  static constexpr char kThree[] =
      "RW 128 FLAT \"a.raw\" 0\nRW 64 FLAT \"b.raw\" 32\nRDONLY 16 FLAT \"c.raw\"";

  TempDir dir_;
  std::string path_ = dir_.File("disk.vmdk");
};

TEST_F(VmdkImageTest, OneExtentAtOffsetZeroIsARawImageOfTheDescriptorsSize) {
  auto image = Open("RW 64 FLAT \"a.raw\" 0");
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kVmdk);
  EXPECT_EQ((*image)->size(), 32u << 10);  // shorter than the file
  std::vector<uint8_t> buf(4096);
  ASSERT_EQ((*image)->Read(4096, buf), 0);
  EXPECT_EQ(buf[0], 0xa1);
}

TEST_F(VmdkImageTest, SeveralExtentsReadAndWriteAcrossTheirBoundaries) {
  auto image = Open(kThree);
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kVmdk);
  ASSERT_EQ((*image)->size(), (64u + 32 + 8) << 10);
  std::vector<uint8_t> want;
  for (int i = 0; i < 16; ++i) want.insert(want.end(), 4096, static_cast<uint8_t>(0xa0 + i));
  for (int i = 0; i < 8; ++i) want.insert(want.end(), 4096, static_cast<uint8_t>(0xb0 + i));
  for (int i = 0; i < 2; ++i) want.insert(want.end(), 4096, static_cast<uint8_t>(0xc0 + i));
  EXPECT_EQ(FirstDifference(ReadThroughImage(**image), want), -1);
  EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kSync, 3000, 4), want), -1);
  EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kAuto, 5000, 4), want), -1);
  // A write across a and b lands in both files (b past its 16 KiB offset).
  std::vector<uint8_t> data(2000, 0x42);
  ASSERT_EQ((*image)->Write((64 << 10) - 1000, data), 0);
  EXPECT_EQ(ReadWholeFile(dir_.File("a.raw"))[(64 << 10) - 1], 0x42);
  const std::vector<uint8_t> b = ReadWholeFile(dir_.File("b.raw"));
  EXPECT_EQ(b[(16 << 10) - 1], 0xee);
  EXPECT_EQ(b[(16 << 10) + 999], 0x42);
  EXPECT_EQ(b[(16 << 10) + 1000], 0xb0);
  // The RDONLY extent refuses writes; the others still take them.
  EXPECT_EQ((*image)->Write((96 << 10) + 10, std::span(data).first(10)), -EROFS);
  EXPECT_EQ((*image)->Write((96 << 10) - 10, std::span(data).first(20)), -EROFS);
  EXPECT_EQ(ReadWholeFile(dir_.File("c.raw"))[10], 0xc0);
  EXPECT_EQ((*image)->Flush(), 0);
}

TEST_F(VmdkImageTest, AReadOnlyOpenRefusesWritesToEveryExtent) {
  auto image = Open(kThree, /*readonly=*/true);
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> data(512, 1);
  EXPECT_EQ((*image)->Write(0, data), -EROFS);
  EXPECT_EQ((*image)->Write(70 << 10, data), -EROFS);
}

TEST_F(VmdkImageTest, TheExtentsAreLocked) {
  auto image = Open(kThree);
  ASSERT_TRUE(image.ok());
  auto raw = OpenDiskImage({.path = dir_.File("b.raw")});
  ASSERT_FALSE(raw.ok());
  EXPECT_NE(raw.error().message().find("locked"), std::string::npos);
}

TEST_F(VmdkImageTest, MissingOrShortExtentsAreRefused) {
  auto image = Open("RW 16 FLAT \"nope.raw\"");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("nope.raw"), std::string::npos);
  image = Open("RW 200 FLAT \"a.raw\"");  // 100 KiB from a 64 KiB file
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("less than the descriptor"), std::string::npos);
  image = Open("RW 8 FLAT \"c.raw\" 10");
  EXPECT_FALSE(image.ok());
}

TEST_F(VmdkImageTest, AHostedSparseExtentIsDetectedAndRefusedClearly) {
  std::vector<uint8_t> bytes(128 << 10, 0);
  std::memcpy(bytes.data(), "KDMV", 4);
  ASSERT_TRUE(WriteWholeFile(path_, bytes));
  auto image = OpenDiskImage({.path = path_});
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("hosted sparse"), std::string::npos)
      << image.error().message();
}

class VmdkQemuTest : public QemuImgTest {};

TEST_F(VmdkQemuTest, PetrelReadsAndWritesAMonolithicFlatImageQemuMade) {
  const std::string path = dir_.File("m.vmdk");
  QemuImg("create -q -f vmdk -o subformat=monolithicFlat " + ShellQuote(path) + " 20M");
  QemuIo("vmdk", path, "write -P 0x11 0 4096");
  QemuIo("vmdk", path, "write -P 0x22 1048064 1024");
  QemuIo("vmdk", path, "write -P 0x33 " + std::to_string((20 << 20) - 65536) + " 65536");
  std::vector<uint8_t> expected = QemuRaw("vmdk", path);
  ASSERT_EQ(expected.size(), 20u << 20);
  {
    auto image = OpenDiskImage({.path = path});
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ((*image)->type(), ImageType::kVmdk);
    EXPECT_EQ(FirstDifference(ReadThroughImage(**image), expected), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kSync), expected), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kAuto), expected), -1);
    std::mt19937_64 rng(11);
    for (int i = 0; i < 30; ++i) {
      const uint64_t offset = rng() % expected.size();
      const uint64_t length = std::min<uint64_t>(1 + rng() % (300 << 10), expected.size() - offset);
      std::vector<uint8_t> data(length);
      for (auto& byte : data) byte = static_cast<uint8_t>(rng());
      std::copy(data.begin(), data.end(), expected.begin() + offset);
      ASSERT_EQ((*image)->Write(offset, data), 0);
    }
  }
  const std::string raw = dir_.File("expected.raw");
  ASSERT_TRUE(WriteWholeFile(raw, expected));
  QemuImg("compare -f vmdk -F raw " + ShellQuote(path) + " " + ShellQuote(raw));
}

// A 5 GiB twoGbMaxExtentFlat disk (three sparse extent files): patterns
// around the extent boundaries, compared range by range (the disk is too
// large to convert whole in a unit test).
TEST_F(VmdkQemuTest, PetrelReadsAndWritesATwoGbMaxExtentFlatImageQemuMade) {
  const std::string path = dir_.File("t.vmdk");
  QemuImg("create -q -f vmdk -o subformat=twoGbMaxExtentFlat " + ShellQuote(path) + " 5G");
  const uint64_t g2 = 2ull << 30, g4 = 4ull << 30, end = 5ull << 30;
  QemuIo("vmdk", path, "write -P 0x5a " + std::to_string(g2 - 4096) + " 8192");
  QemuIo("vmdk", path, "write -P 0x6b " + std::to_string(g4 - 512) + " 1024");
  QemuIo("vmdk", path, "write -P 0x7c " + std::to_string(end - 4096) + " 4096");
  auto image = OpenDiskImage({.path = path});
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kVmdk);
  ASSERT_EQ((*image)->size(), end);
  struct Want {
    uint64_t offset, length;
    uint8_t fill;
  };
  for (const Want& w :
       {Want{g2 - 8192, 4096, 0}, Want{g2 - 4096, 8192, 0x5a}, Want{g2 + 4096, 4096, 0},
        Want{g4 - 512, 1024, 0x6b}, Want{end - 4096, 4096, 0x7c}}) {
    std::vector<uint8_t> buf(w.length, 0xff);
    ASSERT_EQ((*image)->Read(w.offset, buf), 0);
    EXPECT_EQ(buf, std::vector<uint8_t>(w.length, w.fill)) << w.offset;
  }
  // Through an engine: the read straddling 2 GiB.
  std::vector<uint8_t> buf(8192);
  auto engine = (*image)->MakeEngine(IoEngineKind::kAuto, 4);
  ASSERT_TRUE(engine.ok());
  auto r = block_test::Run(**engine,
                           {block_test::Read(g2 - 4096, {block_test::Iov(buf.data(), 8192)}, 3)});
  EXPECT_EQ(r[3], 8192);
  EXPECT_EQ(buf, std::vector<uint8_t>(8192, 0x5a));
  // Petrel writes across 4 GiB; qemu-io reads the pattern back.
  std::vector<uint8_t> data(6000, 0x8d);
  ASSERT_EQ((*image)->Write(g4 - 3000, data), 0);
  image->reset();
  QemuIo("vmdk", path, "read -P 0x8d " + std::to_string(g4 - 3000) + " 6000");
  QemuIo("vmdk", path, "read -P 0x0 " + std::to_string(g4 + 3000) + " 1000");
}

// A descriptor written by hand with extent offsets: QEMU and Petrel agree
// bit for bit, in both directions.
TEST_F(VmdkQemuTest, HandWrittenExtentsWithOffsetsReadTheSameInQemuAndPetrel) {
  std::vector<uint8_t> a(1 << 20), b(3 << 20);
  std::mt19937_64 rng(3);
  for (auto& byte : a) byte = static_cast<uint8_t>(rng());
  for (auto& byte : b) byte = static_cast<uint8_t>(rng());
  ASSERT_TRUE(WriteWholeFile(dir_.File("a.raw"), a));
  ASSERT_TRUE(WriteWholeFile(dir_.File("b.raw"), b));
  const std::string path = dir_.File("h.vmdk");
  const std::string text =
      Descriptor("monolithicFlat", "RW 1024 FLAT \"a.raw\" 1024\nRW 4096 FLAT \"b.raw\" 2048");
  ASSERT_TRUE(
      WriteWholeFile(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  std::vector<uint8_t> expected = QemuRaw("vmdk", path);
  ASSERT_EQ(expected.size(), 2560u << 10);
  {
    auto image = OpenDiskImage({.path = path});
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(FirstDifference(ReadThroughImage(**image), expected), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kAuto), expected), -1);
    for (int i = 0; i < 20; ++i) {
      const uint64_t offset = rng() % expected.size();
      const uint64_t length = std::min<uint64_t>(1 + rng() % (200 << 10), expected.size() - offset);
      std::vector<uint8_t> data(length);
      for (auto& byte : data) byte = static_cast<uint8_t>(rng());
      std::copy(data.begin(), data.end(), expected.begin() + offset);
      ASSERT_EQ((*image)->Write(offset, data), 0);
    }
  }
  EXPECT_EQ(FirstDifference(QemuRaw("vmdk", path), expected), -1);
}

}  // namespace
}  // namespace petrel
