// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fixed VHD: hand-built footers (checksums, disk types, sizes) and
// interoperability with qemu-img/qemu-io (-f vpc -o subformat=fixed).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "devices/block/image/open_image.h"
#include "devices/block/image/qemu_img_test_util.h"

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

void PutBe(std::vector<uint8_t>& b, size_t at, uint64_t v, size_t size) {
  for (size_t i = 0; i < size; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * (size - 1 - i)));
}

// A VHD footer (VHD spec "Hard Disk Footer Format") with a valid checksum.
std::vector<uint8_t> Footer(uint64_t current_size, uint32_t disk_type) {
  std::vector<uint8_t> f(512, 0);
  std::memcpy(f.data(), "conectix", 8);
  PutBe(f, 8, 2, 4);            // features: reserved bit
  PutBe(f, 12, 0x00010000, 4);  // version 1.0
  PutBe(f, 16, ~uint64_t{0}, 8);
  PutBe(f, 40, current_size, 8);
  PutBe(f, 48, current_size, 8);
  PutBe(f, 60, disk_type, 4);
  uint32_t sum = 0;
  for (uint8_t b : f) sum += b;
  PutBe(f, 64, ~sum, 4);
  return f;
}

class VhdImageTest : public ::testing::Test {
 protected:
  // `data_size` bytes of 0x3c, then `footer`.
  Result<std::unique_ptr<DiskImage>> Open(uint64_t data_size, const std::vector<uint8_t>& footer,
                                          ImageType type = ImageType::kUnknown) {
    std::vector<uint8_t> bytes(data_size + footer.size(), 0x3c);
    if (!footer.empty()) std::memcpy(bytes.data() + data_size, footer.data(), footer.size());
    EXPECT_TRUE(WriteWholeFile(path_, bytes));
    return OpenDiskImage({.path = path_, .type = type});
  }
  std::string OpenError(uint64_t data_size, const std::vector<uint8_t>& footer) {
    auto image = Open(data_size, footer);
    EXPECT_FALSE(image.ok());
    return image.ok() ? "" : image.error().message();
  }

  TempDir dir_;
  std::string path_ = dir_.File("disk.vhd");
};

TEST_F(VhdImageTest, AFixedVhdIsItsDataBeforeTheFooter) {
  auto image = Open(1 << 20, Footer(1 << 20, 2));
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kVhd);
  EXPECT_EQ((*image)->size(), 1u << 20);
  std::vector<uint8_t> buf(512);
  ASSERT_EQ((*image)->Read((1 << 20) - 512, buf), 0);
  EXPECT_EQ(buf, std::vector<uint8_t>(512, 0x3c));
  // The footer is out of the guest's reach.
  EXPECT_EQ((*image)->Write(1 << 20, buf), -EINVAL);
  std::vector<uint8_t> data(512, 0x5e);
  ASSERT_EQ((*image)->Write((1 << 20) - 512, data), 0);
  const std::vector<uint8_t> file = ReadWholeFile(path_);
  EXPECT_EQ(file[(1 << 20) - 1], 0x5e);
  EXPECT_EQ(std::memcmp(file.data() + (1 << 20), "conectix", 8), 0);
}

TEST_F(VhdImageTest, ASmallerCurrentSizeLeavesTheRestOfTheFileOut) {
  auto image = Open(1 << 20, Footer(512 << 10, 2), ImageType::kVhd);
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->size(), 512u << 10);
}

TEST_F(VhdImageTest, ABadChecksumIsRefused) {
  std::vector<uint8_t> footer = Footer(1 << 20, 2);
  footer[50] ^= 1;
  const std::string error = OpenError(1 << 20, footer);
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find("image_type=raw"), std::string::npos) << error;  // detected, not forced
}

TEST_F(VhdImageTest, DynamicAndDifferencingVhdsAreRefusedWithAConversionHint) {
  std::string error = OpenError(1 << 20, Footer(1 << 20, 3));
  EXPECT_NE(error.find("dynamic VHD"), std::string::npos) << error;
  EXPECT_NE(error.find("subformat=fixed"), std::string::npos) << error;
  error = OpenError(1 << 20, Footer(1 << 20, 4));
  EXPECT_NE(error.find("differencing VHD"), std::string::npos) << error;
  error = OpenError(1 << 20, Footer(1 << 20, 7));
  EXPECT_NE(error.find("not a known type"), std::string::npos) << error;
}

TEST_F(VhdImageTest, AFooterCopyAtOffsetZeroIsADynamicVhd) {
  std::vector<uint8_t> bytes = Footer(1 << 20, 3);
  bytes.resize(1 << 20, 0);  // no footer at the end
  ASSERT_TRUE(WriteWholeFile(path_, bytes));
  auto image = OpenDiskImage({.path = path_});
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("footer copy at offset 0"), std::string::npos)
      << image.error().message();
}

TEST_F(VhdImageTest, ACurrentSizeLargerThanTheFileIsRefused) {
  std::string error = OpenError(1 << 20, Footer((1 << 20) + 512, 2));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  error = OpenError(1 << 20, Footer(~uint64_t{0} - 511, 2));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(VhdImageTest, AForcedVhdWithoutAFooterIsRefused) {
  auto image = Open(1 << 20, {}, ImageType::kVhd);
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("no VHD footer"), std::string::npos);
  ASSERT_TRUE(WriteWholeFile(path_, std::vector<uint8_t>(100, 0)));  // shorter than a footer
  EXPECT_FALSE(OpenDiskImage({.path = path_, .type = ImageType::kVhd}).ok());
}

class VhdQemuTest : public QemuImgTest {};

TEST_F(VhdQemuTest, PetrelReadsAndWritesAFixedVhdQemuMade) {
  const std::string path = dir_.File("q.vhd");
  QemuImg("create -q -f vpc -o subformat=fixed " + ShellQuote(path) + " 40M");
  QemuIo("vpc", path, "write -P 0x11 0 4096");
  QemuIo("vpc", path, "write -P 0x22 1048064 1024");
  QemuIo("vpc", path, "write -P 0x33 20000256 70000");
  std::vector<uint8_t> expected = QemuRaw("vpc", path);
  ASSERT_FALSE(expected.empty());
  QemuIo("vpc", path, "write -P 0x44 " + std::to_string(expected.size() - 4096) + " 4096");
  expected = QemuRaw("vpc", path);
  {
    auto image = OpenDiskImage({.path = path});
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ((*image)->type(), ImageType::kVhd);
    ASSERT_EQ((*image)->size(), expected.size());
    EXPECT_EQ(FirstDifference(ReadThroughImage(**image), expected), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kSync), expected), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kAuto), expected), -1);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 30; ++i) {
      const uint64_t offset = rng() % expected.size();
      const uint64_t length = std::min<uint64_t>(1 + rng() % (300 << 10), expected.size() - offset);
      std::vector<uint8_t> data(length);
      for (auto& byte : data) byte = static_cast<uint8_t>(rng());
      std::copy(data.begin(), data.end(), expected.begin() + offset);
      ASSERT_EQ((*image)->Write(offset, data), 0);
    }
    ASSERT_EQ((*image)->Flush(), 0);
  }
  const std::string raw = dir_.File("expected.raw");
  ASSERT_TRUE(WriteWholeFile(raw, expected));
  QemuImg("compare -f vpc -F raw " + ShellQuote(path) + " " + ShellQuote(raw));
}

TEST_F(VhdQemuTest, ADynamicVhdQemuMadeIsRefusedClearly) {
  const std::string path = dir_.File("d.vhd");
  QemuImg("create -q -f vpc -o subformat=dynamic " + ShellQuote(path) + " 40M");
  auto image = OpenDiskImage({.path = path});
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("only fixed VHD"), std::string::npos)
      << image.error().message();
}

}  // namespace
}  // namespace petrel
