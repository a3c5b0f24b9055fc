// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ChainReader / ChainWriter: copies across buffer boundaries, short reads
// and writes, and the written() count for AddUsed.
#include "devices/virtio/descriptor_chain.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <numeric>
#include <vector>

namespace petrel::virtio {
namespace {

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(1 << 20);
    // Readable: 3 + 5 + 8 bytes; writable: 4 + 6 bytes.
    chain_.head = 7;
    chain_.buffers = {{0x1000, 3, false},
                      {0x2000, 5, false},
                      {0x3000, 8, false},
                      {0x4000, 4, true},
                      {0x5000, 6, true}};
    chain_.readable_len = 16;
    chain_.writable_len = 10;
    std::vector<uint8_t> bytes(16);
    std::iota(bytes.begin(), bytes.end(), 1);
    ASSERT_TRUE(mem_->Write(0x1000, std::span(bytes).subspan(0, 3)).ok());
    ASSERT_TRUE(mem_->Write(0x2000, std::span(bytes).subspan(3, 5)).ok());
    ASSERT_TRUE(mem_->Write(0x3000, std::span(bytes).subspan(8, 8)).ok());
  }
  std::shared_ptr<GuestMemory> mem_;
  DescriptorChain chain_;
};

TEST_F(ChainTest, ReaderCopiesAcrossBuffers) {
  ChainReader r(*mem_, chain_);
  EXPECT_EQ(r.remaining(), 16u);
  std::array<uint8_t, 6> a{};
  ASSERT_TRUE(r.Read(a).ok());
  EXPECT_EQ(a, (std::array<uint8_t, 6>{1, 2, 3, 4, 5, 6}));
  auto v = r.ReadObj<uint32_t>();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x0a090807u);
  EXPECT_EQ(r.remaining(), 6u);
}

TEST_F(ChainTest, ShortReadFailsWithoutConsuming) {
  ChainReader r(*mem_, chain_);
  ASSERT_TRUE(r.Skip(10).ok());
  std::array<uint8_t, 7> big{};
  EXPECT_EQ(r.Read(big).error().code(), ErrorCode::kMalformed);
  EXPECT_FALSE(r.Skip(7).ok());
  EXPECT_EQ(r.remaining(), 6u);
  auto n = r.ReadSome(big);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(big[0], 11);
  EXPECT_EQ(big[5], 16);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.ReadObj<uint8_t>().ok());
}

TEST_F(ChainTest, WriterSkipsReadablePartAndCountsBytes) {
  ChainWriter w(*mem_, chain_);
  EXPECT_EQ(w.remaining(), 10u);
  ASSERT_TRUE(w.WriteObj(uint32_t{0x44332211}).ok());
  const std::array<uint8_t, 3> more{0xaa, 0xbb, 0xcc};
  ASSERT_TRUE(w.Write(more).ok());
  EXPECT_EQ(w.written(), 7u);
  EXPECT_EQ(*mem_->ReadObj<uint32_t>(0x4000), 0x44332211u);
  EXPECT_EQ(*mem_->ReadObj<uint8_t>(0x5002), 0xcc);
  EXPECT_EQ(*mem_->ReadObj<uint8_t>(0x1000), 1) << "readable buffers untouched";
}

TEST_F(ChainTest, ShortWriteFailsWithoutWriting) {
  ChainWriter w(*mem_, chain_);
  std::vector<uint8_t> big(11, 0xee);
  EXPECT_EQ(w.Write(big).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(w.written(), 0u);
  EXPECT_EQ(*mem_->ReadObj<uint8_t>(0x4000), 0);
  auto n = w.WriteSome(big);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10u);
  EXPECT_EQ(w.written(), 10u);
  EXPECT_EQ(*mem_->ReadObj<uint8_t>(0x5005), 0xee);
  EXPECT_EQ(*mem_->ReadObj<uint8_t>(0x5006), 0) << "nothing past the last buffer";
}

TEST_F(ChainTest, InconsistentChainIsAnErrorNotACrash) {
  chain_.readable_len = 100;  // lies about its buffers
  ChainReader r(*mem_, chain_);
  std::vector<uint8_t> out(50);
  EXPECT_EQ(r.Read(out).error().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace petrel::virtio
