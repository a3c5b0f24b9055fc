// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ImageType: names and detection by magic.
#include "devices/block/image/image_type.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace petrel {
namespace {

std::vector<uint8_t> Bytes(const std::string& s, size_t size = 512) {
  std::vector<uint8_t> out(size, 0);
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

TEST(ImageTypeTest, ParsesTheNamesCloudHypervisorAccepts) {
  EXPECT_EQ(*ParseImageType("raw"), ImageType::kRaw);
  EXPECT_EQ(*ParseImageType("qcow2"), ImageType::kQcow2);
  EXPECT_EQ(*ParseImageType("QCOW2"), ImageType::kQcow2);
  EXPECT_EQ(*ParseImageType("vhd"), ImageType::kVhd);
  EXPECT_EQ(*ParseImageType("vhdx"), ImageType::kVhdx);
  EXPECT_EQ(*ParseImageType("vmdk"), ImageType::kVmdk);
  auto bad = ParseImageType("qcow3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("raw, qcow2, vhd, vhdx, vmdk"), std::string::npos);
  for (ImageType t : {ImageType::kRaw, ImageType::kQcow2, ImageType::kVhd, ImageType::kVhdx,
                      ImageType::kVmdk})
    EXPECT_EQ(*ParseImageType(ImageTypeName(t)), t);
}

TEST(ImageTypeTest, DetectsEachFormatByItsMagic) {
  const std::vector<uint8_t> none;
  EXPECT_EQ(DetectImageType(Bytes("QFI\xfb"), none), ImageType::kQcow2);
  EXPECT_EQ(DetectImageType(Bytes("vhdxfile"), none), ImageType::kVhdx);
  EXPECT_EQ(DetectImageType(Bytes("# Disk DescriptorFile\nversion=1\n"), none), ImageType::kVmdk);
  EXPECT_EQ(DetectImageType(Bytes("KDMV"), none), ImageType::kVmdk);
  EXPECT_EQ(DetectImageType(Bytes(""), Bytes("conectix")), ImageType::kVhd);
  EXPECT_EQ(DetectImageType(Bytes("conectix"), none), ImageType::kVhd);
}

TEST(ImageTypeTest, AnythingElseIsRaw) {
  EXPECT_EQ(DetectImageType(Bytes(""), Bytes("")), ImageType::kRaw);
  EXPECT_EQ(DetectImageType(Bytes("QFI"), Bytes("")), ImageType::kRaw);
  EXPECT_EQ(DetectImageType({}, {}), ImageType::kRaw);
  // "conectix" elsewhere than the footer's start is data.
  EXPECT_EQ(DetectImageType(Bytes(" conectix"), Bytes(" conectix")), ImageType::kRaw);
}

}  // namespace
}  // namespace petrel
