// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Every malformed ring a hostile driver can build must make Pop() return an
// Error (never crash, never touch memory outside GuestMemory) and leave the
// queue's indices where they were.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::VirtqDriver;
using Desc = VirtqDriver::RawDesc;

constexpr uint64_t kMemSize = 4 << 20;
constexpr uint16_t kSize = 16;
constexpr uint64_t kData = 0x20'0000;

class MalformedRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(kMemSize);
    auto d = VirtqDriver::Create(mem_, {.size = kSize, .indirect = true});
    ASSERT_TRUE(d.ok());
    drv_.emplace(std::move(d).value());
    queue_.emplace(mem_);
    ASSERT_TRUE(queue_->Activate(drv_->QueueConfig()).ok());
  }

  // Makes the chain starting at descriptor `head` available.
  void Offer(uint16_t head) {
    ASSERT_TRUE(drv_->SetAvailRing(0, head).ok());
    ASSERT_TRUE(drv_->SetAvailIdx(1).ok());
  }

  // Pops, expects a kMalformed error mentioning `what`, and unchanged state.
  void ExpectMalformed(const std::string& what) {
    const auto before = queue_->Save();
    auto r = queue_->Pop();
    ASSERT_FALSE(r.ok()) << "accepted; expected: " << what;
    EXPECT_EQ(r.error().code(), ErrorCode::kMalformed) << r.error().message();
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
    EXPECT_TRUE(queue_->Save() == before);
  }

  void WriteDesc(uint16_t i, Desc d) { ASSERT_TRUE(drv_->WriteDesc(i, d).ok()); }
  void WriteTable(uint64_t gpa, std::initializer_list<Desc> descs) {
    for (const Desc& d : descs) {
      ASSERT_TRUE(drv_->WriteDescAt(gpa, d).ok());
      gpa += kDescSize;
    }
  }

  std::shared_ptr<GuestMemory> mem_;
  std::optional<VirtqDriver> drv_;
  std::optional<SplitQueue> queue_;
};

TEST_F(MalformedRingTest, AvailIdxMoreThanQueueSizeAhead) {
  ASSERT_TRUE(drv_->SetAvailIdx(kSize + 1).ok());
  ExpectMalformed("entries past");
  ASSERT_TRUE(drv_->SetAvailIdx(0xffff).ok());  // "behind" is also far ahead mod 2^16
  ExpectMalformed("entries past");
}

TEST_F(MalformedRingTest, HeadIndexBeyondQueueSize) {
  Offer(kSize);
  ExpectMalformed("head index");
}

TEST_F(MalformedRingTest, NextIndexBeyondQueueSize) {
  WriteDesc(0, {kData, 8, kDescFNext, kSize});
  Offer(0);
  ExpectMalformed("next index");
}

TEST_F(MalformedRingTest, BufferOutsideGuestMemory) {
  WriteDesc(0, {kMemSize - 4, 8, 0, 0});  // straddles the end of RAM
  Offer(0);
  ExpectMalformed("not in guest RAM");
  WriteDesc(0, {1ULL << 40, 1, kDescFWrite, 0});  // wholly outside
  ExpectMalformed("not in guest RAM");
}

TEST_F(MalformedRingTest, BufferAddressPlusLengthOverflows) {
  WriteDesc(0, {0xffff'ffff'ffff'fff0, 0x20, 0, 0});
  Offer(0);
  ExpectMalformed("not in guest RAM");
}

TEST_F(MalformedRingTest, DescriptorLoop) {
  WriteDesc(0, {kData, 8, kDescFNext, 1});
  WriteDesc(1, {kData, 8, kDescFNext, 0});
  Offer(0);
  ExpectMalformed("loops");
  WriteDesc(0, {kData, 8, kDescFNext, 0});  // self loop
  ExpectMalformed("loops");
}

TEST_F(MalformedRingTest, LoopInsideIndirectTable) {
  const uint64_t table = 0x30'0000;
  WriteTable(table, {{kData, 8, kDescFNext, 1}, {kData, 8, kDescFNext, 0}});
  WriteDesc(0, {table, 32, kDescFIndirect, 0});
  Offer(0);
  ExpectMalformed("loops");
}

TEST_F(MalformedRingTest, IndirectWithoutNegotiation) {
  SplitQueue::Config c = drv_->QueueConfig();
  c.indirect = false;
  ASSERT_TRUE(queue_->Activate(c).ok());
  WriteTable(0x30'0000, {{kData, 8, 0, 0}});
  WriteDesc(0, {0x30'0000, 16, kDescFIndirect, 0});
  Offer(0);
  ExpectMalformed("VIRTIO_F_INDIRECT_DESC");
}

TEST_F(MalformedRingTest, IndirectTableWithBadLength) {
  WriteTable(0x30'0000, {{kData, 8, 0, 0}, {kData, 8, 0, 0}});
  Offer(0);
  WriteDesc(0, {0x30'0000, 0, kDescFIndirect, 0});
  ExpectMalformed("multiple of 16");
  WriteDesc(0, {0x30'0000, 24, kDescFIndirect, 0});
  ExpectMalformed("multiple of 16");
  WriteDesc(0, {0x10'0000, (kMaxIndirectDescriptors + 1) * 16, kDescFIndirect, 0});
  ExpectMalformed("exceeds the cap");
}

TEST_F(MalformedRingTest, IndirectTableOutsideMemory) {
  WriteDesc(0, {kMemSize - 16, 32, kDescFIndirect, 0});
  Offer(0);
  ExpectMalformed("indirect table");
  WriteDesc(0, {0xffff'ffff'ffff'fff0, 32, kDescFIndirect, 0});
  ExpectMalformed("indirect table");
}

TEST_F(MalformedRingTest, NestedIndirect) {
  WriteTable(0x30'0000, {{0x31'0000, 16, kDescFIndirect, 0}});
  WriteTable(0x31'0000, {{kData, 8, 0, 0}});
  WriteDesc(0, {0x30'0000, 16, kDescFIndirect, 0});
  Offer(0);
  ExpectMalformed("nested indirect");
}

TEST_F(MalformedRingTest, IndirectWithNextFlag) {
  WriteTable(0x30'0000, {{kData, 8, 0, 0}});
  WriteDesc(0, {0x30'0000, 16, kDescFIndirect | kDescFNext, 1});
  WriteDesc(1, {kData, 8, 0, 0});
  Offer(0);
  ExpectMalformed("NEXT");
}

TEST_F(MalformedRingTest, NextBeyondIndirectTable) {
  WriteTable(0x30'0000, {{kData, 8, kDescFNext, 2}, {kData, 8, 0, 0}});
  WriteDesc(0, {0x30'0000, 32, kDescFIndirect, 0});
  Offer(0);
  ExpectMalformed("next index");
}

TEST_F(MalformedRingTest, ReadableAfterWritable) {
  WriteDesc(0, {kData, 8, kDescFWrite | kDescFNext, 1});
  WriteDesc(1, {kData + 8, 8, 0, 0});
  Offer(0);
  ExpectMalformed("readable buffer after a writable one");
  // Also within an indirect table.
  WriteTable(0x30'0000, {{kData, 8, kDescFWrite | kDescFNext, 1}, {kData, 8, 0, 0}});
  WriteDesc(0, {0x30'0000, 32, kDescFIndirect, 0});
  ExpectMalformed("readable buffer after a writable one");
}

TEST(MalformedRingBigMemory, ChainLongerThanByteCap) {
  // Two 3 GiB buffers: each fits in RAM, their sum exceeds kMaxChainBytes.
  // The mapping is MAP_NORESERVE and never touched.
  auto mem = GuestMemory::CreateX86(7ULL << 30);
  if (!mem.ok()) GTEST_SKIP() << "cannot reserve 7 GiB of address space";
  auto drv = VirtqDriver::Create(*mem, {});
  ASSERT_TRUE(drv.ok());
  SplitQueue q(*mem);
  ASSERT_TRUE(q.Activate(drv->QueueConfig()).ok());
  const uint32_t three_gib = 3U << 30;
  ASSERT_TRUE(drv->AddChain({{1ULL << 32, three_gib, false}, {1ULL << 32, three_gib, true}}).ok());
  ASSERT_TRUE(drv->Kick().ok());
  auto r = q.Pop();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("bytes"), std::string::npos) << r.error().message();
  EXPECT_EQ(q.next_avail(), 0);
}

TEST(MalformedRingRandom, GarbageRingsNeverCrash) {
  // Random bytes in every ring field; Pop until empty, error or 64 chains.
  auto mem = *GuestMemory::CreateX86(1 << 20);
  std::mt19937_64 rng(42);
  int errors = 0;
  int chains = 0;
  for (int iter = 0; iter < 300; ++iter) {
    const auto size = static_cast<uint16_t>(1 << (rng() % 6));
    SplitQueue::Config c{.size = size,
                         .desc_gpa = 0x1000,
                         .avail_gpa = 0x2000,
                         .used_gpa = 0x3000,
                         .event_idx = (rng() & 1) != 0,
                         .indirect = (rng() & 1) != 0};
    // Mostly plausible fields (small indices, addresses in or near RAM), now
    // and then a wholly random one.
    auto field = [&](uint64_t plausible_max) -> uint64_t {
      return rng() % 16 == 0 ? rng() : rng() % plausible_max;
    };
    for (uint16_t i = 0; i < size; ++i) {
      const VirtqDriver::RawDesc d{field((1 << 20) + 64), static_cast<uint32_t>(field(300)),
                                   static_cast<uint16_t>(field(8)),
                                   static_cast<uint16_t>(field(size + 1))};
      ASSERT_TRUE(mem->WriteObj(c.desc_gpa + kDescSize * i, d).ok());
      ASSERT_TRUE(
          mem->WriteObj(c.avail_gpa + 4 + 2 * i, static_cast<uint16_t>(field(size + 1))).ok());
    }
    ASSERT_TRUE(mem->WriteObj(c.avail_gpa + 2, static_cast<uint16_t>(field(size + 2))).ok());
    SplitQueue q(mem);
    ASSERT_TRUE(q.Activate(c).ok());
    for (int n = 0; n < 64; ++n) {
      auto r = q.Pop();
      if (!r.ok()) {
        ++errors;
        break;
      }
      if (!r->has_value()) break;
      ++chains;
      const auto& chain = **r;
      for (const auto& b : chain.buffers) EXPECT_TRUE(mem->Contains(b.gpa, b.len));
      ASSERT_TRUE(q.AddUsed(chain.head, chain.writable_len).ok());
    }
  }
  EXPECT_GT(errors, 0);
  EXPECT_GT(chains, 0);
}

}  // namespace
}  // namespace petrel::virtio
