// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VHDX images: hand-built images (every kind of malformed metadata, log
// replay, allocation, threads) and interoperability with qemu-img/qemu-io.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "devices/block/image/open_image.h"
#include "devices/block/image/qemu_img_test_util.h"
#include "devices/block/image/vhdx_test_util.h"

namespace petrel {
namespace {

using image_test::FirstDifference;
using image_test::QemuImgTest;
using image_test::ReadThroughEngine;
using image_test::ReadThroughImage;
using image_test::ReadWholeFile;
using image_test::ShellQuote;
using image_test::TempDir;
using image_test::VhdxBuilder;
using image_test::WriteWholeFile;

class VhdxImageTest : public ::testing::Test {
 protected:
  void SetUp() override { b_.Build(); }

  Result<std::unique_ptr<DiskImage>> Open(bool readonly = false) {
    EXPECT_TRUE(WriteWholeFile(path_, b_.bytes));
    return OpenDiskImage({.path = path_, .readonly = readonly});
  }
  // The open error's message (the test fails if the open succeeds).
  std::string OpenError(bool readonly = false) {
    auto image = Open(readonly);
    EXPECT_FALSE(image.ok());
    return image.ok() ? "" : image.error().message();
  }

  TempDir dir_;
  std::string path_ = dir_.File("disk.vhdx");
  VhdxBuilder b_;
};

TEST_F(VhdxImageTest, AHandBuiltDynamicImageReadsItsBlocksAndZerosElsewhere) {
  b_.AddBlock(2, 0x5a);
  b_.AddBlock(7, 0x33, /*PARTIALLY_PRESENT=*/7);
  auto image = Open();
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kVhdx);
  EXPECT_EQ((*image)->size(), 8u << 20);
  const std::vector<uint8_t> all = ReadThroughImage(**image);
  ASSERT_EQ(all.size(), 8u << 20);
  for (uint64_t i = 0; i < all.size(); i += 4096) {
    const uint64_t block = i >> 20;
    ASSERT_EQ(all[i], block == 2 ? 0x5a : block == 7 ? 0x33 : 0) << i;
  }
  EXPECT_EQ(ReadThroughEngine(**image, IoEngineKind::kSync), all);
}

TEST_F(VhdxImageTest, ForcedTypeOpensAsVhdx) {
  EXPECT_TRUE(WriteWholeFile(path_, b_.bytes));
  auto image = OpenDiskImage({.path = path_, .type = ImageType::kVhdx});
  ASSERT_TRUE(image.ok()) << image.error().message();
  EXPECT_EQ((*image)->type(), ImageType::kVhdx);
}

TEST_F(VhdxImageTest, TheValidHeaderWithTheHigherSequenceNumberIsCurrent) {
  // Slot 0 (sequence 5) names a log past the end of the file; slot 1
  // (sequence 4) is fine. The higher one wins: the open fails on its log.
  b_.header.sequence_number = 5;
  b_.header.log_offset = 64ull << 30;
  b_.WriteHeaders();
  VhdxHeader good = b_.header;
  good.sequence_number = 4;
  good.log_offset = VhdxBuilder::kLogOffset;
  auto bytes = SerializeVhdxHeader(good);
  std::memcpy(b_.bytes.data() + (128 << 10), bytes.data(), bytes.size());
  EXPECT_NE(OpenError().find("log region"), std::string::npos);
  // With slot 1 at sequence 6 it is current, and the image opens.
  good.sequence_number = 6;
  bytes = SerializeVhdxHeader(good);
  std::memcpy(b_.bytes.data() + (128 << 10), bytes.data(), bytes.size());
  EXPECT_TRUE(Open().ok());
  // A corrupt slot 1 (bad checksum) leaves slot 0 current again.
  b_.bytes[(128 << 10) + 100] ^= 1;
  EXPECT_NE(OpenError().find("log region"), std::string::npos);
}

TEST_F(VhdxImageTest, NoValidHeaderIsAClearError) {
  b_.bytes[(64 << 10) + 200] ^= 1;
  b_.bytes[(128 << 10) + 200] ^= 1;
  EXPECT_NE(OpenError().find("no valid VHDX header"), std::string::npos);
}

TEST_F(VhdxImageTest, EqualHeaderSequenceNumbersAreRefused) {
  const auto bytes = SerializeVhdxHeader(b_.header);
  std::memcpy(b_.bytes.data() + (128 << 10), bytes.data(), bytes.size());
  EXPECT_NE(OpenError().find("same sequence number"), std::string::npos);
}

TEST_F(VhdxImageTest, AFileWithoutTheIdentifierIsRefusedWhenForced) {
  std::memcpy(b_.bytes.data(), "notvhdx!", 8);
  EXPECT_TRUE(WriteWholeFile(path_, b_.bytes));
  auto image = OpenDiskImage({.path = path_, .type = ImageType::kVhdx});
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("vhdxfile"), std::string::npos);
}

TEST_F(VhdxImageTest, ATruncatedFileIsRefused) {
  b_.bytes.resize(300 << 10);
  EXPECT_NE(OpenError().find("too short"), std::string::npos);
}

TEST_F(VhdxImageTest, BadRegionTablesAreRefused) {
  b_.bytes[(192 << 10) + 40] ^= 1;  // the BAT length, in both copies: checksum mismatch
  b_.bytes[(256 << 10) + 40] ^= 1;
  EXPECT_NE(OpenError().find("region table checksum"), std::string::npos);
}

TEST_F(VhdxImageTest, ACorruptFirstRegionTableFallsBackToTheSecond) {
  b_.bytes[(192 << 10) + 40] ^= 1;
  EXPECT_TRUE(Open().ok());
}

TEST_F(VhdxImageTest, ARegionOutsideTheFileIsRefused) {
  b_.bat_region_length = 64ull << 20;
  b_.Build();
  EXPECT_NE(OpenError().find("not within the file"), std::string::npos);
}

TEST_F(VhdxImageTest, ABatTooSmallForTheDiskIsRefused) {
  b_.virtual_size = 1ull << 40;  // 1 TiB of 1 MiB blocks: 8 MiB of BAT
  b_.Build();
  EXPECT_NE(OpenError().find("too small"), std::string::npos);
}

TEST_F(VhdxImageTest, MetadataOutOfTheSpecsLimitsIsRefused) {
  b_.block_size = 3 << 20;
  b_.Build();
  EXPECT_NE(OpenError().find("block size"), std::string::npos);
  b_.block_size = 1 << 20;
  b_.logical_sector_size = 1024;
  b_.Build();
  EXPECT_NE(OpenError().find("logical sector size"), std::string::npos);
  b_.logical_sector_size = 512;
  b_.virtual_size = 1ull << 50;
  b_.Build();
  EXPECT_NE(OpenError().find("64 TiB"), std::string::npos);
  b_.virtual_size = (8 << 20) + 100;  // not a multiple of the sector size
  b_.Build();
  EXPECT_NE(OpenError().find("virtual disk size"), std::string::npos);
}

TEST_F(VhdxImageTest, AMissingMetadataItemIsRefused) {
  b_.bytes[VhdxBuilder::kMetadataOffset + 10] = 3;  // the physical sector size left out
  EXPECT_NE(OpenError().find("missing"), std::string::npos);
  b_.bytes[VhdxBuilder::kMetadataOffset + 10] = 4;  // page 83 left out: Petrel does without
  EXPECT_TRUE(Open().ok());
}

TEST_F(VhdxImageTest, AMetadataItemOutsideItsRegionIsRefused) {
  VhdxBuilder::Put32(b_.bytes, VhdxBuilder::kMetadataOffset + 32 + 16, (1 << 20) - 4);
  EXPECT_NE(OpenError().find("out of the region"), std::string::npos);
}

TEST_F(VhdxImageTest, ADifferencingImageIsRefused) {
  b_.file_parameter_flags = 2;  // HasParent
  b_.Build();
  const std::string error = OpenError();
  EXPECT_NE(error.find("differencing VHDX"), std::string::npos) << error;
}

TEST_F(VhdxImageTest, ABatEntryPastTheEndOfTheFileIsRefused) {
  VhdxBuilder::Put64(b_.bytes, VhdxBuilder::kBatOffset + 8, (64ull << 20) | 6);
  EXPECT_NE(OpenError().find("truncated"), std::string::npos);
}

TEST_F(VhdxImageTest, ABatEntryOverTheMetadataIsRefused) {
  VhdxBuilder::Put64(b_.bytes, VhdxBuilder::kBatOffset, VhdxBuilder::kMetadataOffset | 6);
  EXPECT_NE(OpenError().find("overlaps"), std::string::npos);
}

TEST_F(VhdxImageTest, AnInvalidBatStateIsRefused) {
  VhdxBuilder::Put64(b_.bytes, VhdxBuilder::kBatOffset, 4);
  EXPECT_NE(OpenError().find("invalid state"), std::string::npos);
}

TEST_F(VhdxImageTest, SectorBitmapEntriesAreSkipped) {
  // 4 KiB logical sectors and 256 MiB blocks: chunk ratio 128; a disk of
  // 130 blocks has a sector bitmap entry at index 128.
  b_.block_size = 256 << 20;
  b_.logical_sector_size = 4096;
  b_.virtual_size = 130ull * (256 << 20);
  b_.Build();
  ASSERT_EQ(b_.chunk_ratio(), 128u);
  VhdxBuilder::Put64(b_.bytes, VhdxBuilder::kBatOffset + 128 * 8, 0xdead0006);  // ignored
  auto image = Open();
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> buf(4096, 0xff);
  ASSERT_EQ((*image)->Read(128ull * (256 << 20), buf), 0);
  EXPECT_EQ(buf, std::vector<uint8_t>(4096, 0));
}

// A log entry that allocates block 1: its BAT sector now names a block
// whose bytes are already in the file.
void AddReplayableLog(VhdxBuilder& b) {
  b.header.log_guid = MakeVhdxGuid(0x12345678, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10});
  b.WriteHeaders();
  b.bytes.resize(b.bytes.size() + b.block_size, 0x77);  // block 1's data at 4 MiB
  std::vector<uint8_t> bat_sector(4096, 0);
  VhdxBuilder::Put64(bat_sector, 8, VhdxBuilder::kDataOffset | 6);
  b.AddLogEntry(0, 10, {{VhdxBuilder::kBatOffset, bat_sector}});
}

TEST_F(VhdxImageTest, TheLogIsReplayedOnOpenAndThenEmptied) {
  AddReplayableLog(b_);
  {
    auto image = Open();
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::vector<uint8_t> buf(512);
    ASSERT_EQ((*image)->Read(1 << 20, buf), 0);
    EXPECT_EQ(buf, std::vector<uint8_t>(512, 0x77));
  }
  // The headers no longer name a log: a read-only open works now.
  const std::vector<uint8_t> after = ReadWholeFile(path_);
  for (uint64_t slot : {64u << 10, 128u << 10}) {
    auto h = ParseVhdxHeader(std::span(after).subspan(slot, kVhdxHeaderSize));
    ASSERT_TRUE(h.has_value());
    EXPECT_TRUE(h->log_guid.zero());
    EXPECT_GT(h->sequence_number, 1u);
  }
  auto again = OpenDiskImage({.path = path_, .readonly = true});
  ASSERT_TRUE(again.ok()) << again.error().message();
  std::vector<uint8_t> buf(512);
  ASSERT_EQ((*again)->Read((1 << 20) + 4096, buf), 0);
  EXPECT_EQ(buf[0], 0x77);
}

TEST_F(VhdxImageTest, AReadOnlyOpenOfAnImageWhoseLogNeedsReplayIsRefused) {
  AddReplayableLog(b_);
  const std::string error = OpenError(/*readonly=*/true);
  EXPECT_NE(error.find("read-only"), std::string::npos) << error;
  EXPECT_EQ(ReadWholeFile(path_), b_.bytes);  // untouched
}

TEST_F(VhdxImageTest, ALogEntryWithABadChecksumOrAnotherGuidIsNotReplayed) {
  AddReplayableLog(b_);
  b_.bytes[VhdxBuilder::kLogOffset + 4096 + 100] ^= 1;  // data sector: checksum mismatch
  auto image = Open(/*readonly=*/true);  // nothing valid to replay: read-only is fine
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> buf(512, 1);
  ASSERT_EQ((*image)->Read(1 << 20, buf), 0);
  EXPECT_EQ(buf, std::vector<uint8_t>(512, 0));
  image->reset();
  b_.bytes[VhdxBuilder::kLogOffset + 4096 + 100] ^= 1;
  b_.header.log_guid.bytes[0] ^= 1;  // entries of another log
  b_.WriteHeaders();
  EXPECT_TRUE(Open(/*readonly=*/true).ok());
}

TEST_F(VhdxImageTest, TheSequenceWithTheHighestNumberIsReplayedInOrder) {
  AddReplayableLog(b_);  // sequence 10 at sectors 0-1: block 1 -> 4 MiB (0x77)
  b_.bytes.resize(b_.bytes.size() + b_.block_size, 0x99);  // at 5 MiB
  std::vector<uint8_t> bat_sector(4096, 0);
  VhdxBuilder::Put64(bat_sector, 8, (5ull << 20) | 6);
  // An older, unrelated entry further on is not replayed.
  b_.AddLogEntry(8, 3, {{VhdxBuilder::kBatOffset, bat_sector}});
  auto image = Open();
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> buf(512);
  ASSERT_EQ((*image)->Read(1 << 20, buf), 0);
  EXPECT_EQ(buf[0], 0x77);
  image->reset();
  // Entry 11 right after entry 10 continues its sequence: replayed after it.
  AddReplayableLog(b_);
  b_.AddLogEntry(2, 11, {{VhdxBuilder::kBatOffset, bat_sector}});
  image = Open();
  ASSERT_TRUE(image.ok()) << image.error().message();
  ASSERT_EQ((*image)->Read(1 << 20, buf), 0);
  EXPECT_EQ(buf[0], 0x99);
}

TEST_F(VhdxImageTest, ALogWritingTheHeadersIsRefused) {
  b_.header.log_guid = MakeVhdxGuid(1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11});
  b_.WriteHeaders();
  b_.AddLogEntry(0, 1, {{64 << 10, std::vector<uint8_t>(4096, 0)}});
  EXPECT_NE(OpenError().find("outside the metadata"), std::string::npos);
}

TEST_F(VhdxImageTest, WritesAllocateBlocksAtTheEndOfTheFileAndUpdateTheHeaders) {
  {
    auto image = Open();
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::vector<uint8_t> data(1000, 0xab);
    // Crosses blocks 2 and 3.
    ASSERT_EQ((*image)->Write((3 << 20) - 500, data), 0);
    ASSERT_EQ((*image)->Flush(), 0);
    std::vector<uint8_t> buf(1000);
    ASSERT_EQ((*image)->Read((3 << 20) - 500, buf), 0);
    EXPECT_EQ(buf, data);
  }
  const std::vector<uint8_t> file = ReadWholeFile(path_);
  ASSERT_EQ(file.size(), VhdxBuilder::kDataOffset + 2 * b_.block_size);
  EXPECT_EQ(LoadLe<uint64_t>(file, VhdxBuilder::kBatOffset + 2 * 8),
            VhdxBuilder::kDataOffset | 6);
  EXPECT_EQ(LoadLe<uint64_t>(file, VhdxBuilder::kBatOffset + 3 * 8),
            (VhdxBuilder::kDataOffset + (1 << 20)) | 6);
  EXPECT_EQ(file[VhdxBuilder::kDataOffset + (1 << 20) - 501], 0);
  EXPECT_EQ(file[VhdxBuilder::kDataOffset + (1 << 20) - 500], 0xab);
  // New data write GUID, sequence numbers moved on in both headers.
  for (uint64_t slot : {64u << 10, 128u << 10}) {
    auto h = ParseVhdxHeader(std::span(file).subspan(slot, kVhdxHeaderSize));
    ASSERT_TRUE(h.has_value());
    EXPECT_FALSE(h->data_write_guid.zero());
    EXPECT_FALSE(h->file_write_guid.zero());
    EXPECT_GE(h->sequence_number, 2u);
  }
}

// The current header of a VHDX file's bytes.
VhdxHeader CurrentHeader(const std::vector<uint8_t>& file) {
  auto a = ParseVhdxHeader(std::span(file).subspan(64 << 10, kVhdxHeaderSize));
  auto b = ParseVhdxHeader(std::span(file).subspan(128 << 10, kVhdxHeaderSize));
  EXPECT_TRUE(a || b);
  if (!a) return *b;
  if (!b) return *a;
  return a->sequence_number > b->sequence_number ? *a : *b;
}

TEST_F(VhdxImageTest, AllocationsGoThroughTheLogAndACrashCopyIsRepairedByTheReplay) {
  auto image = Open();
  ASSERT_TRUE(image.ok());
  std::vector<uint8_t> data(4096, 0x6d);
  ASSERT_EQ((*image)->Write(3 << 20, data), 0);
  // The file as a crash now would leave it: a log GUID and one entry.
  std::vector<uint8_t> crashed = ReadWholeFile(path_);
  EXPECT_FALSE(CurrentHeader(crashed).log_guid.zero());
  EXPECT_EQ(std::memcmp(crashed.data() + VhdxBuilder::kLogOffset, "loge", 4), 0);
  // Suppose the BAT write in place was lost: the replay redoes it.
  VhdxBuilder::Put64(crashed, VhdxBuilder::kBatOffset + 3 * 8, 0);
  ASSERT_EQ((*image)->Flush(), 0);
  EXPECT_TRUE(CurrentHeader(ReadWholeFile(path_)).log_guid.zero());  // a flush empties the log
  image->reset();

  const std::string copy = dir_.File("crashed.vhdx");
  ASSERT_TRUE(WriteWholeFile(copy, crashed));
  auto readonly = OpenDiskImage({.path = copy, .readonly = true});
  ASSERT_FALSE(readonly.ok());
  EXPECT_NE(readonly.error().message().find("replayed"), std::string::npos);
  auto replayed = OpenDiskImage({.path = copy});
  ASSERT_TRUE(replayed.ok()) << replayed.error().message();
  std::vector<uint8_t> buf(4096);
  ASSERT_EQ((*replayed)->Read(3 << 20, buf), 0);
  EXPECT_EQ(buf, data);
}

TEST_F(VhdxImageTest, TheLogWrapsAroundAndStaysReplayable) {
  b_.virtual_size = 300ull << 20;  // 300 blocks; a 1 MiB log holds 128 entries
  b_.Build();
  auto image = Open();
  ASSERT_TRUE(image.ok());
  std::vector<uint8_t> data(512);
  for (uint64_t block = 0; block < 300; ++block) {
    std::fill(data.begin(), data.end(), static_cast<uint8_t>(block));
    ASSERT_EQ((*image)->Write(block << 20, data), 0) << block;
  }
  const std::vector<uint8_t> crashed = ReadWholeFile(path_);
  image->reset();
  const std::string copy = dir_.File("crashed.vhdx");
  ASSERT_TRUE(WriteWholeFile(copy, crashed));
  auto replayed = OpenDiskImage({.path = copy});
  ASSERT_TRUE(replayed.ok()) << replayed.error().message();
  for (uint64_t block = 0; block < 300; ++block) {
    ASSERT_EQ((*replayed)->Read(block << 20, data), 0);
    ASSERT_EQ(data[511], static_cast<uint8_t>(block)) << block;
  }
}

TEST_F(VhdxImageTest, WithoutALogRegionTheBatIsWrittenInPlace) {
  b_.header.log_length = 0;
  b_.header.log_offset = 0;
  b_.WriteHeaders();
  auto image = Open();
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> data(4096, 0x12);
  ASSERT_EQ((*image)->Write(0, data), 0);
  const std::vector<uint8_t> file = ReadWholeFile(path_);
  EXPECT_TRUE(CurrentHeader(file).log_guid.zero());
  EXPECT_EQ(LoadLe<uint64_t>(file, VhdxBuilder::kBatOffset), VhdxBuilder::kDataOffset | 6);
}

TEST_F(VhdxImageTest, AReadOnlyImageRefusesWritesAndLeavesTheFileAlone) {
  auto image = Open(/*readonly=*/true);
  ASSERT_TRUE(image.ok());
  std::vector<uint8_t> data(512, 1);
  EXPECT_EQ((*image)->Write(0, data), -EROFS);
  EXPECT_EQ(ReadWholeFile(path_), b_.bytes);
}

TEST_F(VhdxImageTest, ConcurrentWritesFromSeveralThreadsAllLand) {
  auto image = Open();
  ASSERT_TRUE(image.ok());
  DiskImage& disk = **image;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&disk, t] {
      // Each thread writes its own 4 KiB pieces into every block.
      std::vector<uint8_t> data(4096, static_cast<uint8_t>(t + 1));
      for (uint64_t block = 0; block < 8; ++block)
        EXPECT_EQ(disk.Write(block * (1 << 20) + t * 4096, data), 0);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<uint8_t> all = ReadThroughImage(disk);
  for (uint64_t block = 0; block < 8; ++block)
    for (int t = 0; t < 4; ++t)
      ASSERT_EQ(all[block * (1 << 20) + t * 4096 + 17], t + 1) << block << " " << t;
  // Eight blocks, each allocated once.
  EXPECT_EQ(ReadWholeFile(path_).size(), VhdxBuilder::kDataOffset + 8 * (1 << 20));
}

// Interoperability with QEMU.

class VhdxQemuTest : public QemuImgTest {
 protected:
  // Patterns at scattered offsets, some across block boundaries.
  void FillWithQemuIo(const std::string& path, uint64_t size, uint64_t block) {
    QemuIo("vhdx", path, "write -P 0x11 0 4096");
    QemuIo("vhdx", path, "write -P 0x22 " + std::to_string(block - 512) + " 1024");
    QemuIo("vhdx", path,
           "write -P 0x33 " + std::to_string(block * 2 + 12345 / 512 * 512) + " 70000");
    QemuIo("vhdx", path, "write -P 0x44 " + std::to_string(size - 8192) + " 8192");
    QemuIo("vhdx", path, "write -P 0x55 " + std::to_string(size / 2 + 4096) + " 512");
  }

  void ExpectPetrelReadsWhatQemuReads(const std::string& path) {
    const std::vector<uint8_t> want = QemuRaw("vhdx", path);
    ASSERT_FALSE(want.empty());
    auto image = OpenDiskImage({.path = path, .readonly = true});
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ((*image)->type(), ImageType::kVhdx);
    ASSERT_EQ((*image)->size(), want.size());
    EXPECT_EQ(FirstDifference(ReadThroughImage(**image), want), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kSync), want), -1);
    EXPECT_EQ(FirstDifference(ReadThroughEngine(**image, IoEngineKind::kAuto), want), -1);
  }

  // Random writes (fixed seed) through Petrel, half through DiskImage::Write
  // and half through an engine; then qemu-img check and compare against a
  // raw file of the expected contents.
  void PetrelWritesAndQemuAgrees(const std::string& path, uint64_t size, uint64_t block) {
    std::vector<uint8_t> expected = QemuRaw("vhdx", path);
    ASSERT_EQ(expected.size(), size);
    {
      auto image = OpenDiskImage({.path = path});
      ASSERT_TRUE(image.ok()) << image.error().message();
      auto engine = (*image)->MakeEngine(IoEngineKind::kAuto, 4);
      ASSERT_TRUE(engine.ok());
      std::mt19937_64 rng(20261206);
      for (int i = 0; i < 40; ++i) {
        uint64_t offset, length;
        switch (i % 4) {
          case 0:  // straddling a block boundary
            offset = (rng() % (size / block)) * block;
            offset = offset >= 4096 ? offset - 512 * (1 + rng() % 8) : 0;
            length = 512 * (1 + rng() % 32);
            break;
          case 1:  // a whole block
            offset = (rng() % (size / block)) * block;
            length = block;
            break;
          default:  // anywhere, sector-aligned or not
            offset = rng() % size;
            length = 1 + rng() % (200 << 10);
            break;
        }
        length = std::min(length, size - offset);
        std::vector<uint8_t> data(length);
        for (auto& byte : data) byte = static_cast<uint8_t>(rng());
        std::copy(data.begin(), data.end(), expected.begin() + offset);
        if (i % 2 == 0) {
          ASSERT_EQ((*image)->Write(offset, data), 0) << offset << "+" << length;
        } else {
          auto r = block_test::Run(
              **engine, {block_test::Write(offset, {block_test::Iov(data.data(), length)}, 9)});
          ASSERT_EQ(r[9], static_cast<int64_t>(length)) << offset << "+" << length;
        }
      }
      ASSERT_EQ((*image)->Flush(), 0);
      EXPECT_EQ(FirstDifference(ReadThroughImage(**image), expected), -1);
    }
    const std::string raw = dir_.File("expected.raw");
    ASSERT_TRUE(WriteWholeFile(raw, expected));
    QemuImg("check -f vhdx " + ShellQuote(path));
    QemuImg("compare -f vhdx -F raw " + ShellQuote(path) + " " + ShellQuote(raw));
  }
};

class VhdxQemuBlockSizeTest : public VhdxQemuTest,
                              public ::testing::WithParamInterface<uint64_t> {};

TEST_P(VhdxQemuBlockSizeTest, PetrelReadsADynamicImageQemuWrote) {
  const uint64_t block = GetParam();
  const uint64_t size = 100ull << 20;  // not a multiple of the larger block sizes
  const std::string path = dir_.File("d.vhdx");
  QemuImg("create -q -f vhdx -o subformat=dynamic,block_size=" + std::to_string(block) + " " +
          ShellQuote(path) + " " + std::to_string(size));
  FillWithQemuIo(path, size, block);
  ExpectPetrelReadsWhatQemuReads(path);
}

TEST_P(VhdxQemuBlockSizeTest, QemuChecksAndReadsADynamicImagePetrelWrote) {
  const uint64_t block = GetParam();
  const uint64_t size = 100ull << 20;
  const std::string path = dir_.File("w.vhdx");
  QemuImg("create -q -f vhdx -o subformat=dynamic,block_size=" + std::to_string(block) + " " +
          ShellQuote(path) + " " + std::to_string(size));
  FillWithQemuIo(path, size, block);
  PetrelWritesAndQemuAgrees(path, size, block);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, VhdxQemuBlockSizeTest,
                         ::testing::Values(1ull << 20, 8ull << 20, 32ull << 20));

// qemu-img's fixed images: with block_state_zero=on (its default) the BAT
// marks every block ZERO and writes allocate as in a dynamic image; with
// block_state_zero=off every block is FULLY_PRESENT and written in place.
TEST_F(VhdxQemuTest, PetrelReadsAndWritesAFixedImage) {
  for (const char* zero : {"on", "off"}) {
    SCOPED_TRACE(std::string("block_state_zero=") + zero);
    const uint64_t size = 24ull << 20;
    const std::string path = dir_.File(std::string("f-") + zero + ".vhdx");
    QemuImg("create -q -f vhdx -o subformat=fixed,block_size=1048576,block_state_zero=" +
            std::string(zero) + " " + ShellQuote(path) + " " + std::to_string(size));
    const uint64_t file_size = ReadWholeFile(path).size();
    FillWithQemuIo(path, size, 1 << 20);
    ExpectPetrelReadsWhatQemuReads(path);
    PetrelWritesAndQemuAgrees(path, size, 1 << 20);
    if (std::string(zero) == "off") {
      EXPECT_EQ(ReadWholeFile(path).size(), file_size);  // written in place
    }
  }
}

// A hand-built image whose log allocates a block: QEMU and Petrel both
// replay it, and after Petrel's replay QEMU finds the image clean.
TEST_F(VhdxQemuTest, QemuAndPetrelReplayTheSameLog) {
  VhdxBuilder b;
  b.Build();
  AddReplayableLog(b);
  const std::string for_qemu = dir_.File("q.vhdx"), for_petrel = dir_.File("p.vhdx");
  ASSERT_TRUE(WriteWholeFile(for_qemu, b.bytes));
  ASSERT_TRUE(WriteWholeFile(for_petrel, b.bytes));
  QemuImg("check -r all -f vhdx " + ShellQuote(for_qemu));  // replays the log
  const std::vector<uint8_t> want = QemuRaw("vhdx", for_qemu);
  ASSERT_EQ(want.size(), 8u << 20);
  EXPECT_EQ(want[(1 << 20) + 5], 0x77);
  {
    auto image = OpenDiskImage({.path = for_petrel});
    ASSERT_TRUE(image.ok()) << image.error().message();
    EXPECT_EQ(FirstDifference(ReadThroughImage(**image), want), -1);
  }
  QemuImg("check -f vhdx " + ShellQuote(for_petrel));
  EXPECT_EQ(FirstDifference(QemuRaw("vhdx", for_petrel), want), -1);
}

// QEMU replays the log Petrel writes: a copy taken after an allocation,
// whose BAT entry is then lost, is repaired by 'qemu-img check -r all'.
TEST_F(VhdxQemuTest, QemuReplaysTheLogPetrelWrites) {
  const std::string path = dir_.File("l.vhdx"), copy = dir_.File("crashed.vhdx");
  QemuImg("create -q -f vhdx -o subformat=dynamic,block_size=1048576 " + ShellQuote(path) + " 16M");
  std::vector<uint8_t> crashed;
  {
    auto image = OpenDiskImage({.path = path});
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::vector<uint8_t> data(8192, 0x4e);
    ASSERT_EQ((*image)->Write((5 << 20) - 4096, data), 0);  // blocks 4 and 5
    crashed = ReadWholeFile(path);
  }
  QemuImg("check -f vhdx " + ShellQuote(path));  // closed: the log is empty again
  // Lose the in-place BAT writes (entries 4 and 5 of the BAT, located
  // through the region table).
  uint64_t bat = 0;
  for (uint32_t i = 0; i < LoadLe<uint32_t>(crashed, (192 << 10) + 8); ++i) {
    const uint64_t e = (192 << 10) + 16 + 32 * i;
    if (std::memcmp(crashed.data() + e, kVhdxBatRegionGuid.bytes.data(), 16) == 0)
      bat = LoadLe<uint64_t>(crashed, e + 16);
  }
  ASSERT_NE(bat, 0u);
  ASSERT_NE(LoadLe<uint64_t>(crashed, bat + 4 * 8), 0u);
  VhdxBuilder::Put64(crashed, bat + 4 * 8, 0);
  VhdxBuilder::Put64(crashed, bat + 5 * 8, 0);
  ASSERT_TRUE(WriteWholeFile(copy, crashed));
  QemuImg("check -r all -f vhdx " + ShellQuote(copy));
  EXPECT_EQ(FirstDifference(QemuRaw("vhdx", copy), QemuRaw("vhdx", path)), -1);
}

TEST_F(VhdxQemuTest, AQemuImageWith2MiBBlocksAndA2MiBLogOpens) {
  const std::string path = dir_.File("s.vhdx");
  QemuImg("create -q -f vhdx -o subformat=dynamic,block_size=2097152,log_size=2097152 " +
          ShellQuote(path) + " 50M");
  QemuIo("vhdx", path, "write -P 0x66 3145728 65536");
  ExpectPetrelReadsWhatQemuReads(path);
}

}  // namespace
}  // namespace petrel
