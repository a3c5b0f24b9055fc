// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the engines' shared helpers: request checks, iovec arithmetic,
// bounce planning and aligned buffers.
#include "devices/block/io_request_util.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <limits>

#include "devices/block/block_test_util.h"
#include "devices/block/disk_file.h"

namespace petrel {
namespace {

using block_test::Iov;
using block_test::TempDisk;

TEST(IoRequestUtilTest, AdvanceDropsWholeAndSplitsPartialEntries) {
  uint8_t a[10], b[20], c[30];
  std::vector<iovec> iov = {Iov(a, 10), Iov(b, 20), Iov(c, 30)};
  AdvanceIovecs(iov, 15);
  ASSERT_EQ(iov.size(), 2u);
  EXPECT_EQ(iov[0].iov_base, b + 5);
  EXPECT_EQ(iov[0].iov_len, 15u);
  AdvanceIovecs(iov, 15);
  ASSERT_EQ(iov.size(), 1u);
  EXPECT_EQ(iov[0].iov_base, c);
  AdvanceIovecs(iov, 30);
  EXPECT_TRUE(iov.empty());
}

TEST(IoRequestUtilTest, TotalLengthDetectsOverflow) {
  uint8_t a[1];
  EXPECT_EQ(TotalIovLength(std::vector<iovec>{Iov(a, 1), Iov(a, 2)}), 3);
  size_t huge = std::numeric_limits<size_t>::max() / 2 + 1;
  EXPECT_EQ(TotalIovLength(std::vector<iovec>{Iov(a, huge), Iov(a, huge)}), -1);
}

TEST(IoRequestUtilTest, CheckRequestRefusesOverflowAndTooManyIovecs) {
  TempDisk temp(4096);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  uint8_t buf[16];
  auto read = block_test::Read(0, {Iov(buf, 16)});
  EXPECT_EQ(CheckRequest(**disk, read), 0);
  read.offset = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - 8;
  EXPECT_EQ(CheckRequest(**disk, read), -EINVAL);
  read.offset = ~0ull;
  EXPECT_EQ(CheckRequest(**disk, read), -EINVAL);
  auto discard = block_test::Ranged(IoRequest::Op::kDiscard, 4096, ~0ull - 100);
  EXPECT_EQ(CheckRequest(**disk, discard), -EINVAL);
  auto many = block_test::Read(0, std::vector<iovec>(kMaxIovecsPerRequest + 1, Iov(buf, 1)));
  EXPECT_EQ(CheckRequest(**disk, many), -EINVAL);
  many.iov.resize(kMaxIovecsPerRequest);
  EXPECT_EQ(CheckRequest(**disk, many), 0);
}

TEST(IoRequestUtilTest, CheckRequestRefusesModificationOfReadOnlyDisk) {
  TempDisk temp(4096);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), true, false});
  ASSERT_TRUE(disk.ok());
  uint8_t buf[16];
  EXPECT_EQ(CheckRequest(**disk, block_test::Write(0, {Iov(buf, 16)})), -EROFS);
  EXPECT_EQ(CheckRequest(**disk, block_test::Ranged(IoRequest::Op::kDiscard, 0, 512)), -EROFS);
  EXPECT_EQ(CheckRequest(**disk, block_test::Ranged(IoRequest::Op::kWriteZeroes, 0, 512)), -EROFS);
  EXPECT_EQ(CheckRequest(**disk, block_test::Read(0, {Iov(buf, 16)})), 0);
  EXPECT_EQ(CheckRequest(**disk, block_test::Ranged(IoRequest::Op::kFlush, 0, 0)), 0);
}

TEST(IoRequestUtilTest, NeedsBounceChecksOffsetAddressesAndLengths) {
  AlignedBuffer buf(8192, 4096);
  ASSERT_NE(buf.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf.data()) % 4096, 0u);
  std::vector<iovec> aligned = {Iov(buf.data(), 512), Iov(buf.data() + 1024, 1024)};
  EXPECT_FALSE(NeedsBounce(512, aligned, 512));
  EXPECT_TRUE(NeedsBounce(100, aligned, 512));
  EXPECT_TRUE(NeedsBounce(0, std::vector<iovec>{Iov(buf.data() + 1, 512)}, 512));
  EXPECT_TRUE(NeedsBounce(0, std::vector<iovec>{Iov(buf.data(), 100)}, 512));
  EXPECT_FALSE(NeedsBounce(3, std::vector<iovec>{Iov(buf.data() + 1, 7)}, 1));
}

TEST(IoRequestUtilTest, BouncePlanEnclosesTheRequest) {
  BouncePlan p = MakeBouncePlan(IoRequest::Op::kWrite, 1000, 100, 512);
  EXPECT_EQ(p.aligned_offset, 512u);
  EXPECT_EQ(p.aligned_length, 1024u);
  EXPECT_EQ(p.head, 488u);
  EXPECT_TRUE(p.read_modify_write);
  p = MakeBouncePlan(IoRequest::Op::kWrite, 1024, 512, 512);
  EXPECT_EQ(p.aligned_offset, 1024u);
  EXPECT_EQ(p.aligned_length, 512u);
  EXPECT_FALSE(p.read_modify_write);
  p = MakeBouncePlan(IoRequest::Op::kRead, 1000, 100, 512);
  EXPECT_FALSE(p.read_modify_write);
}

TEST(IoRequestUtilTest, CopiesScatterAndGather) {
  uint8_t a[3], b[5];
  std::vector<iovec> iov = {Iov(a, 3), Iov(b, 5)};
  const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(CopyToIovecs(iov, src, 6), 6u);
  EXPECT_EQ(a[2], 3);
  EXPECT_EQ(b[2], 6);
  uint8_t dst[8] = {};
  EXPECT_EQ(CopyFromIovecs(iov, dst, 8), 8u);
  EXPECT_EQ(dst[5], 6);
}

}  // namespace
}  // namespace petrel
