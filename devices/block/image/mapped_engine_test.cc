// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MappedEngine: requests split by the image's map reach the file (through
// the sync and io_uring engines), zeros and the format, and complete once.
#include "devices/block/image/mapped_engine.h"

#include <gtest/gtest.h>

#include <numeric>

#include "devices/block/image/image_test_util.h"

namespace petrel {
namespace {

using block_test::Iov;
using block_test::Ranged;
using block_test::Read;

using block_test::TempDisk;
using block_test::Write;
using image_test::ScriptedImage;
using Kind = ImageExtent::Kind;
constexpr uint64_t kB = ScriptedImage::kBlock;

class MappedEngineTest : public ::testing::TestWithParam<IoEngineKind> {
 protected:
  void SetUp() override {
    // File block i holds bytes of value i + 1.
    std::vector<uint8_t> bytes(kB * 8);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i / kB + 1);
    ASSERT_TRUE(file_.ok());
    int fd = open(file_.path().c_str(), O_WRONLY);
    ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    close(fd);
    image_ = ScriptedImage::Open(file_.path());
    ASSERT_NE(image_, nullptr);
    auto engine = image_->MakeEngine(GetParam(), 8);
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    engine_ = std::move(engine).value();
  }

  TempDisk file_{kB * 8};
  std::unique_ptr<ScriptedImage> image_;
  std::unique_ptr<IoEngine> engine_;
};

TEST_P(MappedEngineTest, AReadGathersFileZeroAndFormatPieces) {
  image_->blocks[0] = {Kind::kFile, 5};  // bytes 6
  image_->blocks[1] = {Kind::kZero, 0};
  image_->blocks[2] = {Kind::kFormat, 0};  // 0xf0
  image_->blocks[3] = {Kind::kFile, 2};  // bytes 3
  std::vector<uint8_t> buf(kB * 4, 0xaa);
  // Two iovecs, split off the block boundaries.
  auto results = block_test::Run(*engine_, {Read(0, {Iov(buf.data(), 100), Iov(buf.data() + 100, buf.size() - 100)}, 7)});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[7], static_cast<int64_t>(kB * 4));
  for (size_t i = 0; i < buf.size(); ++i) {
    const uint8_t want = i < kB ? 6 : i < 2 * kB ? 0 : i < 3 * kB ? 0xf0 : 3;
    ASSERT_EQ(buf[i], want) << "byte " << i;
  }
  EXPECT_EQ(image_->format_reads, 1);
}

TEST_P(MappedEngineTest, AWriteGoesToTheFileInPlaceAndToTheFormatElsewhere) {
  image_->blocks[4] = {Kind::kFile, 7};
  std::vector<uint8_t> data(kB * 2, 0x5c);
  auto results = block_test::Run(*engine_, {Write(kB * 4 + 8, {Iov(data.data(), data.size())}, 3)});
  EXPECT_EQ(results[3], static_cast<int64_t>(data.size()));
  const std::vector<uint8_t> contents = file_.Contents();
  EXPECT_EQ(contents[kB * 7 + 7], 8);  // before the write
  EXPECT_EQ(contents[kB * 7 + 8], 0x5c);
  EXPECT_EQ(contents[kB * 8 - 1], 0x5c);
  // Blocks 5 and 6 were zero: the format took their part, in one call.
  EXPECT_EQ(image_->format_writes, 1);
  EXPECT_EQ(image_->format_bytes.size(), kB + 8);  // block 5 and the head of block 6
  EXPECT_EQ(image_->format_bytes.begin()->first, kB * 5);
}

TEST_P(MappedEngineTest, ARequestInOneStretchOfTheFileGoesWholeAndAnyUserDataWorks) {
  image_->blocks[2] = {Kind::kFile, 3};  // bytes 4, then 5: contiguous in the file
  image_->blocks[3] = {Kind::kFile, 4};
  std::vector<uint8_t> a(kB * 2), b(kB * 2);
  const uint64_t high = (1ull << 63) | 9;  // a tag the engine also uses internally
  auto results = block_test::Run(*engine_, {Read(kB * 2, {Iov(a.data(), a.size())}, 5),
                                            Read(kB * 2, {Iov(b.data(), b.size())}, high)});
  EXPECT_EQ(results[5], static_cast<int64_t>(kB * 2));
  EXPECT_EQ(results[high], static_cast<int64_t>(kB * 2));
  for (const auto* buf : {&a, &b}) {
    EXPECT_EQ((*buf)[0], 4);
    EXPECT_EQ((*buf)[kB], 5);
  }
  EXPECT_EQ(engine_->in_flight(), 0u);
  EXPECT_EQ(image_->format_reads, 0);
}

TEST_P(MappedEngineTest, MapErrorsCompleteTheRequestWithThem) {
  image_->map_error = -EIO;
  std::vector<uint8_t> buf(512);
  auto results = block_test::Run(*engine_, {Read(0, {Iov(buf.data(), buf.size())}, 1)});
  EXPECT_EQ(results[1], -EIO);
  // Out of range (the device checks too; the engine must not map past the end).
  image_->map_error = 0;
  results = block_test::Run(*engine_, {Read(kB * ScriptedImage::kBlocks, {Iov(buf.data(), buf.size())}, 2)});
  EXPECT_EQ(results[2], -EINVAL);
}

TEST_P(MappedEngineTest, ARequestInMorePiecesThanTheFileEngineHoldsStillCompletes) {
  // Sixteen blocks alternating between two far-apart file blocks: sixteen
  // pieces, more than the inner queue (4 * 8 = 32)? Submit eight at once.
  for (uint64_t i = 0; i < ScriptedImage::kBlocks; ++i) image_->blocks[i] = {Kind::kFile, i % 2 ? 1u : 6u};
  std::vector<std::vector<uint8_t>> bufs(8, std::vector<uint8_t>(kB * ScriptedImage::kBlocks));
  std::vector<IoRequest> requests;
  for (uint64_t r = 0; r < 8; ++r) requests.push_back(Read(0, {Iov(bufs[r].data(), bufs[r].size())}, r));
  auto results = block_test::Run(*engine_, requests);
  ASSERT_EQ(results.size(), 8u);
  for (uint64_t r = 0; r < 8; ++r) {
    EXPECT_EQ(results[r], static_cast<int64_t>(kB * ScriptedImage::kBlocks));
    EXPECT_EQ(bufs[r][0], 7);
    EXPECT_EQ(bufs[r][kB], 2);
  }
  EXPECT_EQ(engine_->in_flight(), 0u);
}

TEST_P(MappedEngineTest, MoreRequestsThanTheQueueDepthAreBusy) {
  std::vector<uint8_t> buf(512);
  std::vector<IoRequest> requests(9, Read(0, {Iov(buf.data(), buf.size())}));
  EXPECT_FALSE(engine_->Submit(requests).ok());
}

TEST_P(MappedEngineTest, FlushDiscardAndWriteZeroesReachTheImage) {
  auto results = block_test::Run(*engine_, {Ranged(IoRequest::Op::kFlush, 0, 0, 1),
                                Ranged(IoRequest::Op::kDiscard, 0, kB, 2),
                                Ranged(IoRequest::Op::kWriteZeroes, kB * 2, kB, 3)});
  EXPECT_EQ(results[1], 0);
  EXPECT_EQ(results[2], -EOPNOTSUPP);  // the scripted image has no discard
  EXPECT_EQ(results[3], 0);
  EXPECT_EQ(image_->format_bytes.at(kB * 2), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, MappedEngineTest,
                         ::testing::Values(IoEngineKind::kSync, IoEngineKind::kAuto),
                         [](const auto& info) { return std::string(IoEngineKindName(info.param)); });

}  // namespace
}  // namespace petrel
