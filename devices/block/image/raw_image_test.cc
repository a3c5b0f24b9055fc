// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Raw images through OpenDiskImage: detection, locking, the probed-raw guard.
#include "devices/block/image/raw_image.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstring>

#include "devices/block/image/image_test_util.h"
#include "devices/block/image/open_image.h"

namespace petrel {
namespace {

using block_test::Iov;

using block_test::TempDisk;
using block_test::Write;

TEST(RawImageTest, AFileOfNoFormatOpensAsARawDiskOfItsSize) {
  TempDisk disk(1 << 20, 0x11);
  auto image = OpenDiskImage({.path = disk.path()});
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kRaw);
  EXPECT_EQ((*image)->size(), 1u << 20);
  std::vector<uint8_t> buf(4096);
  ASSERT_EQ((*image)->Read(4096, buf), 0);
  EXPECT_EQ(buf[0], 0x11);
  EXPECT_EQ((*image)->Read((1 << 20) - 512, buf), -EINVAL);  // past the end
}

TEST(RawImageTest, GrowExtendsTheFileAndKeepsItsData) {
  TempDisk disk(1 << 20, 0x22);
  auto image = OpenDiskImage({.path = disk.path()});
  ASSERT_TRUE(image.ok()) << image.error().message();
  ASSERT_TRUE((*image)->Grow(3 << 20).ok());
  EXPECT_EQ((*image)->size(), 3u << 20);
  struct stat st {};
  ASSERT_EQ(::stat(disk.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3 << 20);
  std::vector<uint8_t> buf(512);
  ASSERT_EQ((*image)->Read((1 << 20) - 512, buf), 0);
  EXPECT_EQ(buf[0], 0x22);  // the old data stays
  ASSERT_EQ((*image)->Read((3 << 20) - 512, buf), 0);  // the new end reads
  EXPECT_EQ(buf[0], 0);
  EXPECT_TRUE((*image)->Grow(3 << 20).ok());  // the same size: nothing to do
}

TEST(RawImageTest, GrowNeverShrinksAndNeedsAWritableRawFile) {
  TempDisk disk(1 << 20);
  {
    auto image = OpenDiskImage({.path = disk.path()});
    ASSERT_TRUE(image.ok());
    auto smaller = (*image)->Grow(512 << 10);
    ASSERT_FALSE(smaller.ok());
    EXPECT_NE(smaller.error().message().find("shrinking would drop guest data"), std::string::npos);
    EXPECT_EQ((*image)->size(), 1u << 20);
  }
  auto readonly = OpenDiskImage({.path = disk.path(), .readonly = true});
  ASSERT_TRUE(readonly.ok());
  EXPECT_EQ((*readonly)->Grow(2 << 20).error().code(), ErrorCode::kFailedPrecondition);
  struct stat st {};
  ASSERT_EQ(::stat(disk.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 1 << 20);  // untouched
}

TEST(RawImageTest, ASecondWriterIsRefusedWithAClearError) {
  TempDisk disk(1 << 20);
  auto first = OpenDiskImage({.path = disk.path()});
  ASSERT_TRUE(first.ok());
  auto second = OpenDiskImage({.path = disk.path()});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("locked by another process"), std::string::npos);
  auto reader = OpenDiskImage({.path = disk.path(), .readonly = true});
  EXPECT_FALSE(reader.ok());
  first->reset();
  EXPECT_TRUE(OpenDiskImage({.path = disk.path()}).ok());
}

TEST(RawImageTest, ReadersShareAnImage) {
  TempDisk disk(1 << 20);
  auto a = OpenDiskImage({.path = disk.path(), .readonly = true});
  auto b = OpenDiskImage({.path = disk.path(), .readonly = true});
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(b.ok());
}

TEST(RawImageTest, AProbedRawDiskRefusesAWriteThatWouldMakeItLookLikeQcow2) {
  TempDisk disk(1 << 20);
  auto image = OpenDiskImage({.path = disk.path()});
  ASSERT_TRUE(image.ok());
  auto engine = (*image)->MakeEngine(IoEngineKind::kSync, 8);
  ASSERT_TRUE(engine.ok());
  std::vector<uint8_t> header(512, 0);
  std::memcpy(header.data(), "QFI\xfb", 4);
  std::vector<uint8_t> ordinary(512, 0x42);
  auto results = block_test::Run(**engine, {Write(0, {Iov(header.data(), header.size())}, 1),
                                Write(4096, {Iov(header.data(), header.size())}, 2),
                                Write(512, {Iov(ordinary.data(), ordinary.size())}, 3)});
  EXPECT_EQ(results[1], -EPERM);
  EXPECT_EQ(results[2], 512);  // elsewhere the same bytes are data
  EXPECT_EQ(results[3], 512);
  // Completing a magic one byte at a time is caught too.
  header[0] = 'Q';
  ASSERT_EQ(block_test::Run(**engine, {Write(0, {Iov(header.data(), 1)}, 4)})[4], 1);
  const char rest[] = "FI\xfb";
  EXPECT_EQ(block_test::Run(**engine, {Write(1, {Iov(const_cast<char*>(rest), 3)}, 5)})[5], -EPERM);
  EXPECT_EQ(disk.Contents()[0], 'Q');
  EXPECT_EQ(disk.Contents()[1], 0);
}

TEST(RawImageTest, ImageTypeRawOpensAQcow2LookingFileAsRawAndLetsTheGuestWriteAnything) {
  TempDisk disk(1 << 20);
  {
    int fd = open(disk.path().c_str(), O_WRONLY);
    ASSERT_EQ(pwrite(fd, "QFI\xfb", 4, 0), 4);
    close(fd);
  }
  auto detected = OpenDiskImage({.path = disk.path()});
  ASSERT_FALSE(detected.ok());  // detected as qcow2, and not a valid one
  EXPECT_NE(detected.error().message().find("image_type=raw"), std::string::npos);
  auto raw = OpenDiskImage({.path = disk.path(), .type = ImageType::kRaw});
  ASSERT_TRUE(raw.ok()) << raw.error().message();
  EXPECT_EQ((*raw)->type(), ImageType::kRaw);
  auto engine = (*raw)->MakeEngine(IoEngineKind::kSync, 8);
  ASSERT_TRUE(engine.ok());
  std::vector<uint8_t> header(512, 0);
  std::memcpy(header.data(), "vhdxfile", 8);
  EXPECT_EQ(block_test::Run(**engine, {Write(0, {Iov(header.data(), header.size())}, 1)})[1], 512);
}

}  // namespace
}  // namespace petrel
