// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests of SplitQueue behind an IOMMU (a DmaTranslator): rings, tables and
// buffers at bus addresses mapped page by page anywhere in guest memory,
// buffers split or merged by their guest-physical pieces, and faults.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_dma_translator.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeDmaTranslator;
using testing::VirtqDriver;

constexpr uint64_t kPage = 0x1000;
// The driver lays a 256-entry queue out from 0x10000: the descriptor table
// fills that page, the available and used rings share the next one.
constexpr uint64_t kRingGpa = 0x1'0000;
constexpr uint64_t kDescIova = 0x4000'0000;
constexpr uint64_t kRingsIova = 0x7000'0000;

class SplitQueueDmaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = GuestMemory::CreateX86(4 << 20);
    ASSERT_TRUE(m.ok());
    mem_ = *m;
    auto d = VirtqDriver::Create(mem_, {.size = 256, .ring_gpa = kRingGpa, .indirect = true});
    ASSERT_TRUE(d.ok()) << d.error().message();
    driver_ = std::make_unique<VirtqDriver>(std::move(d).value());
    const SplitQueue::Config gpa = driver_->QueueConfig();
    ASSERT_EQ(gpa.desc_gpa, kRingGpa);
    ASSERT_EQ(gpa.avail_gpa & ~(kPage - 1), kRingGpa + kPage);
    ASSERT_EQ(gpa.used_gpa & ~(kPage - 1), kRingGpa + kPage);
    dma_->Map(kDescIova, kPage, kRingGpa, /*read=*/true, /*write=*/false);
    dma_->Map(kRingsIova, kPage, kRingGpa + kPage);
    config_ = gpa;
    config_.desc_gpa = kDescIova;
    config_.avail_gpa = kRingsIova + (gpa.avail_gpa - kRingGpa - kPage);
    config_.used_gpa = kRingsIova + (gpa.used_gpa - kRingGpa - kPage);
    queue_ = std::make_unique<SplitQueue>(mem_, dma_);
    ASSERT_TRUE(queue_->Activate(config_).ok());
  }

  // `len` bytes 0, 1, 2, ... at a fresh guest address.
  uint64_t Pattern(uint32_t len) {
    std::vector<uint8_t> bytes(len);
    for (uint32_t i = 0; i < len; ++i) bytes[i] = static_cast<uint8_t>(i * 7);
    auto gpa = driver_->AllocBytes(bytes);
    EXPECT_TRUE(gpa.ok());
    return *gpa;
  }

  std::shared_ptr<GuestMemory> mem_;
  std::shared_ptr<FakeDmaTranslator> dma_ = std::make_shared<FakeDmaTranslator>();
  std::unique_ptr<VirtqDriver> driver_;
  SplitQueue::Config config_;
  std::unique_ptr<SplitQueue> queue_;
};

TEST_F(SplitQueueDmaTest, BuffersBecomeTheGuestPhysicalPiecesTheirPagesMapTo) {
  const uint64_t data = (Pattern(3 * kPage) + kPage - 1) & ~(kPage - 1);  // two whole pages
  const uint64_t out = *driver_->Alloc(64);
  // IOVA pages swapped: the buffer's first half lies in the second page.
  dma_->Map(0x9000'0000, kPage, data + kPage, true, false);
  dma_->Map(0x9000'1000, kPage, data, true, false);
  dma_->Map(0xa000'0000, kPage, out & ~(kPage - 1), false, true);
  ASSERT_TRUE(driver_->AddChain({{0x9000'0800, 0x1000, false},
                                 {0xa000'0000 + (out & (kPage - 1)), 64, true}})
                  .ok());
  ASSERT_TRUE(driver_->Kick().ok());

  auto chain = queue_->Pop();
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  ASSERT_TRUE(chain->has_value());
  const std::vector<ChainBuffer> want = {
      {data + kPage + 0x800, 0x800, false}, {data, 0x800, false}, {out, 64, true}};
  EXPECT_EQ((*chain)->buffers, want);
  EXPECT_EQ((*chain)->readable_len, 0x1000u);
  EXPECT_EQ((*chain)->writable_len, 64u);

  ChainReader in(*mem_, **chain);
  std::vector<uint8_t> got(0x1000);
  ASSERT_TRUE(in.Read(got).ok());
  EXPECT_EQ(got[0], static_cast<uint8_t>((kPage + 0x800) * 7));
  EXPECT_EQ(got[0x800], 0) << "the second half is the first page";

  // The used ring is written through the translation: the driver reads it.
  ASSERT_TRUE(queue_->AddUsed((*chain)->head, 64).ok());
  auto used = driver_->PopUsed();
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->id, (*chain)->head);
  EXPECT_EQ((*used)->len, 64u);
  EXPECT_TRUE(dma_->faults().empty());
}

TEST_F(SplitQueueDmaTest, MappingsThatFollowEachOtherInGuestMemoryGiveOneBuffer) {
  const uint64_t data = (Pattern(3 * kPage) + kPage - 1) & ~(kPage - 1);
  dma_->Map(0xb000'0000, kPage, data);
  dma_->Map(0xb000'1000, kPage, data + kPage);
  ASSERT_TRUE(driver_->AddChain({{0xb000'0000, 2 * kPage, false}}).ok());
  ASSERT_TRUE(driver_->Kick().ok());
  auto chain = queue_->Pop();
  ASSERT_TRUE(chain.ok() && chain->has_value());
  EXPECT_EQ((*chain)->buffers, (std::vector<ChainBuffer>{{data, 2 * kPage, false}}));
}

TEST_F(SplitQueueDmaTest, AnIndirectTableIsReadThroughTheTranslation) {
  const uint64_t data = Pattern(32);
  dma_->Map(0xc000'0000, kPage, data & ~(kPage - 1));
  // The driver writes the table at a guest address; the ring names it by IOVA.
  const uint64_t table = *driver_->Alloc(16);
  ASSERT_TRUE(driver_->WriteDescAt(table, {.addr = 0xc000'0000 + (data & (kPage - 1)), .len = 32})
                  .ok());
  dma_->Map(0xd000'0000, kPage, table & ~(kPage - 1), true, false);
  auto head = driver_->AddChain({{0xd000'0000 + (table & (kPage - 1)), 16, false}});
  ASSERT_TRUE(head.ok());
  // Turn the ring descriptor into an indirect one (§2.7.5.3).
  ASSERT_TRUE(driver_->WriteDesc(*head, {.addr = 0xd000'0000 + (table & (kPage - 1)),
                                        .len = 16,
                                        .flags = kDescFIndirect})
                  .ok());
  ASSERT_TRUE(driver_->Kick().ok());
  auto chain = queue_->Pop();
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  ASSERT_TRUE(chain->has_value());
  EXPECT_EQ((*chain)->buffers, (std::vector<ChainBuffer>{{data, 32, false}}));
}

TEST_F(SplitQueueDmaTest, AnUnmappedBufferIsAFaultAndThePopChangesNothing) {
  ASSERT_TRUE(driver_->AddChain({{0xe000'0000, 16, false}}).ok());
  ASSERT_TRUE(driver_->Kick().ok());
  auto chain = queue_->Pop();
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.error().message().find("fake IOMMU fault"), std::string::npos)
      << chain.error().message();
  EXPECT_EQ(queue_->next_avail(), 0) << "the chain stays unconsumed";
  EXPECT_EQ(dma_->faults(), (std::vector<FakeDmaTranslator::Fault>{{0xe000'0000, DmaAccess::kRead}}));
}

TEST_F(SplitQueueDmaTest, AWritableBufferNeedsAWritableMapping) {
  const uint64_t out = *driver_->Alloc(16);
  dma_->Map(0xe000'0000, kPage, out & ~(kPage - 1), /*read=*/true, /*write=*/false);
  ASSERT_TRUE(driver_->AddChain({{0xe000'0000 + (out & (kPage - 1)), 16, true}}).ok());
  ASSERT_TRUE(driver_->Kick().ok());
  EXPECT_FALSE(queue_->Pop().ok());
  ASSERT_EQ(dma_->faults().size(), 1u);
  EXPECT_EQ(dma_->faults()[0].access, DmaAccess::kWrite);
}

TEST_F(SplitQueueDmaTest, ActivationNeedsEachRingMappedForTheAccessTheDeviceMakes) {
  EXPECT_TRUE(SplitQueue::Validate(config_, *mem_, dma_.get()).ok());
  auto unmapped = config_;
  unmapped.desc_gpa = 0xf000'0000;
  EXPECT_FALSE(SplitQueue::Validate(unmapped, *mem_, dma_.get()).ok());
  // The used ring's page mapped read-only: the device could not write it.
  dma_->Map(kRingsIova, kPage, kRingGpa + kPage, true, false);
  auto r = SplitQueue::Validate(config_, *mem_, dma_.get());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("used ring"), std::string::npos) << r.error().message();
  // Without the translator the same IOVAs are simply outside guest RAM.
  EXPECT_FALSE(SplitQueue::Validate(config_, *mem_).ok());
}

TEST_F(SplitQueueDmaTest, AMappingOfGuestMemoryThatIsNotRamIsRefused) {
  dma_->Map(0xe000'0000, kPage, 0xfee0'0000);  // the MSI window, not RAM
  ASSERT_TRUE(driver_->AddChain({{0xe000'0000, 16, false}}).ok());
  ASSERT_TRUE(driver_->Kick().ok());
  auto chain = queue_->Pop();
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.error().message().find("not in guest RAM"), std::string::npos);
}

// A used element that straddles two IOVA pages mapped far apart is written
// half into each.
TEST(SplitQueueDmaUsedRing, AnElementAcrossTwoMappingsIsSplit) {
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto dma = std::make_shared<FakeDmaTranslator>();
  // 512 entries: used.ring[511] is at used + 4 + 8 * 511 = used + 4092.
  const SplitQueue::Config c{
      .size = 512, .desc_gpa = 0x100'0000, .avail_gpa = 0x200'0000, .used_gpa = 0x300'0000};
  dma->Map(0x100'0000, 2 * kPage, 0x2'0000);
  dma->Map(0x200'0000, kPage, 0x3'0000);
  dma->Map(0x300'0000, kPage, 0x5'0000);
  dma->Map(0x300'1000, kPage, 0x9'0000);
  SplitQueue q(mem, dma);
  SplitQueue::State s{.config = c, .ready = true, .next_avail = 511, .next_used = 511};
  ASSERT_TRUE(q.Restore(s).ok());
  ASSERT_TRUE(q.AddUsed(5, 77).ok());
  EXPECT_EQ(*mem->ReadObj<uint32_t>(0x5'0000 + 4092), 5u) << "id in the first page";
  EXPECT_EQ(*mem->ReadObj<uint32_t>(0x9'0000), 77u) << "len in the second";
  EXPECT_EQ(*mem->ReadObj<uint16_t>(0x5'0002), 512u) << "used.idx";
}

// A descriptor cannot make the device build a list of buffers without
// bound: every page of it mapped to the same guest page gives one buffer
// per page, and past kMaxChainBuffers the chain is refused.
TEST(SplitQueueDmaLimits, AChainOfTooManyPiecesIsRefused) {
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto dma = std::make_shared<FakeDmaTranslator>();
  auto d = VirtqDriver::Create(mem, {.size = 8, .ring_gpa = 0x1'0000});
  ASSERT_TRUE(d.ok());
  VirtqDriver drv = std::move(d).value();
  const SplitQueue::Config c = drv.QueueConfig();
  dma->Map(0, 0x10'0000, 0);  // rings identity-mapped
  constexpr uint64_t kBase = 0x1'0000'0000;
  const uint64_t pages = kMaxChainBuffers + 1;
  for (uint64_t i = 0; i < pages; ++i) dma->Map(kBase + i * kPage, kPage, 0x20'0000);
  SplitQueue q(mem, dma);
  ASSERT_TRUE(q.Activate(c).ok());
  ASSERT_TRUE(drv.AddChain({{kBase, static_cast<uint32_t>(pages * kPage), false}}).ok());
  ASSERT_TRUE(drv.Kick().ok());
  auto chain = q.Pop();
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.error().message().find("buffers"), std::string::npos) << chain.error().message();
}

}  // namespace
}  // namespace petrel::virtio
