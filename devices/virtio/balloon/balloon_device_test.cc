// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for BalloonDevice (virtio 1.2 §5.5) through a fake transport
// context: the config space, inflated pages going back to the host (they
// read zero afterwards), deflation, statistics held and given back, free
// page reporting, queue numbering by negotiated features, hostile page
// numbers, quiesce and save/restore.
#include "devices/virtio/balloon/balloon_device.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

constexpr uint64_t kAllFeatures = FeatureBit(kBalloonFStatsVq) | FeatureBit(kBalloonFPageReporting);

std::vector<uint8_t> Pfns(std::initializer_list<uint32_t> pfns) {
  std::vector<uint8_t> out(pfns.size() * 4);
  size_t i = 0;
  for (uint32_t pfn : pfns) StoreLe<uint32_t>(out, 4 * i++, pfn);
  return out;
}

std::vector<uint8_t> Stats(std::initializer_list<std::pair<uint16_t, uint64_t>> stats) {
  std::vector<uint8_t> out(stats.size() * kBalloonStatSize);
  size_t i = 0;
  for (auto [tag, value] : stats) {
    StoreLe<uint16_t>(out, i * kBalloonStatSize, tag);
    StoreLe<uint64_t>(out, i * kBalloonStatSize + 2, value);
    ++i;
  }
  return out;
}

class BalloonDeviceTest : public ::testing::Test {
 protected:
  // Activates with `features` negotiated; a driver per queue the driver uses.
  void Activate(uint64_t features, BalloonConfig config = {.size = 8 << 20,
                                                           .free_page_reporting = true}) {
    dev_ = std::make_unique<BalloonDevice>(config);
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, 4, features);
    drivers_.clear();
    for (uint16_t q = 0; q < 4; ++q) {
      auto drv = VirtqDriver::Create(mem_, {.size = 16, .ring_gpa = 0x10'0000 + q * 0x1'0000ULL,
                                            .data_gpa = 0x20'0000 + q * 0x10'0000ULL});
      ASSERT_TRUE(drv.ok());
      drivers_.push_back(std::make_unique<VirtqDriver>(std::move(drv).value()));
      ASSERT_TRUE(ctx_->ActivateQueue(q, drivers_.back()->QueueConfig()).ok());
    }
    ASSERT_TRUE(dev_->Activate(*ctx_).ok());
  }
  // Sends one chain with `bytes` readable on queue `q`, and rings.
  void Send(uint16_t q, const std::vector<uint8_t>& bytes) {
    ASSERT_TRUE(drivers_[q]->AddRequest({bytes}, {}).ok());
    ASSERT_TRUE(drivers_[q]->Kick().ok());
    dev_->QueueNotified(q);
  }
  uint32_t UsedCount(uint16_t q) {
    uint32_t n = 0;
    while (true) {
      auto used = drivers_[q]->PopUsed();
      if (!used.ok() || !*used) return n;
      ++n;
    }
  }
  uint32_t ConfigWord(uint64_t offset) {
    uint8_t b[4];
    dev_->ReadConfig(offset, b);
    return LoadLe<uint32_t>(b, 0);
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_ = *GuestMemory::CreateX86(16 << 20);
  std::vector<std::unique_ptr<VirtqDriver>> drivers_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  std::unique_ptr<BalloonDevice> dev_;
};

TEST_F(BalloonDeviceTest, IdentityFeaturesAndConfig) {
  Activate(kAllFeatures);
  EXPECT_EQ(dev_->device_type(), 5);
  EXPECT_EQ(dev_->device_features(), kAllFeatures);
  EXPECT_EQ(dev_->queue_count(), 4);
  BalloonDevice plain({.size = 0, .deflate_on_oom = true});
  EXPECT_EQ(plain.device_features(),
            FeatureBit(kBalloonFStatsVq) | FeatureBit(kBalloonFDeflateOnOom));
  EXPECT_EQ(plain.queue_count(), 3);
  EXPECT_EQ(ConfigWord(kBalloonConfigNumPages), (8u << 20) / 4096);  // the boot target
  EXPECT_EQ(ConfigWord(kBalloonConfigActual), 0u);
  // The driver writes `actual`; num_pages is the device's.
  uint8_t v[4];
  StoreLe<uint32_t>(v, 0, 100);
  dev_->WriteConfig(kBalloonConfigActual, v);
  dev_->WriteConfig(kBalloonConfigNumPages, v);
  EXPECT_EQ(ConfigWord(kBalloonConfigActual), 100u);
  EXPECT_EQ(dev_->actual_bytes(), 100u * 4096);
  EXPECT_EQ(ConfigWord(kBalloonConfigNumPages), 2048u);
  ASSERT_TRUE(dev_->SetTarget(4 << 20).ok());
  EXPECT_EQ(ConfigWord(kBalloonConfigNumPages), 1024u);
  EXPECT_FALSE(dev_->SetTarget(4097).ok());
  EXPECT_EQ(dev_->target_bytes(), 4u << 20);
}

TEST_F(BalloonDeviceTest, InflatedPagesGoBackToTheHostAndDeflateNeedsNothing) {
  Activate(kAllFeatures);
  ASSERT_TRUE(mem_->Fill(0x60'0000, 0xab, 0x4000).ok());
  Send(0, Pfns({0x600, 0x601, 0x603}));  // inflate three pages, two contiguous
  EXPECT_EQ(UsedCount(0), 1u);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x60'0000).value(), 0);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x60'1fff).value(), 0);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x60'2000).value(), 0xab);  // not given
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x60'3000).value(), 0);
  Send(1, Pfns({0x600}));  // deflate: the guest may use it again
  EXPECT_EQ(UsedCount(1), 1u);
  const auto c = dev_->Counters();
  EXPECT_EQ(c.at("inflated_pages"), 3u);
  EXPECT_EQ(c.at("deflated_pages"), 1u);
  EXPECT_EQ(c.at("bad_pages"), 0u);
  EXPECT_TRUE(ctx_->failures().empty());
}

// --memory hugepages=on: GuestMemory::Discard refuses to give huge pages
// back (guest_memory.h says why). The balloon counts the pages, logs once
// and carries on; the pages keep their contents. Skips, saying so, on a
// host without 8 free 2 MiB huge pages.
TEST_F(BalloonDeviceTest, HugePageMemoryIsKeptAndTheDeviceCarriesOn) {
  auto huge = GuestMemory::CreateX86(16 << 20, {.hugepages = true, .hugepage_size = 2 << 20});
  if (!huge.ok()) GTEST_SKIP() << "no huge pages: " << huge.error().message();
  mem_ = *huge;
  Activate(kAllFeatures);
  ASSERT_TRUE(mem_->Fill(0x60'0000, 0xab, 0x2000).ok());
  Send(0, Pfns({0x600, 0x601}));
  EXPECT_EQ(UsedCount(0), 1u);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x60'1fff).value(), 0xab);               // kept
  ASSERT_TRUE(drivers_[3]->AddChain({{0x80'0000, 0x20'0000, true}}).ok());  // a whole huge page
  ASSERT_TRUE(drivers_[3]->Kick().ok());
  dev_->QueueNotified(3);
  EXPECT_EQ(UsedCount(3), 1u);
  const auto c = dev_->Counters();
  EXPECT_EQ(c.at("inflated_pages"), 2u);
  EXPECT_EQ(c.at("reported_bytes"), 0u);  // not given back
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(BalloonDeviceTest, PagesOutsideRamAreSkippedNotFatal) {
  Activate(kAllFeatures);
  ASSERT_TRUE(mem_->Fill(0x60'0000, 0xab, 0x1000).ok());
  std::vector<uint8_t> pfns = Pfns({0xffff'ffff, 0x600, 0x1'0000});
  pfns.push_back(0x77);  // a stray byte after the last whole number
  Send(0, pfns);
  EXPECT_EQ(UsedCount(0), 1u);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x60'0000).value(), 0);
  EXPECT_EQ(dev_->Counters().at("bad_pages"), 2u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(BalloonDeviceTest, StatisticsAreHeldUntilAskedForAgain) {
  Activate(kAllFeatures);
  Send(2, Stats({{kBalloonStatFreeMemory, 123 << 20}, {kBalloonStatTotalMemory, 512 << 20},
                 {77, 5}}));  // an unknown tag is skipped
  EXPECT_EQ(UsedCount(2), 0u);  // held
  auto c = dev_->Counters();
  EXPECT_EQ(c.at("free_memory"), 123u << 20);
  EXPECT_EQ(c.at("total_memory"), 512u << 20);
  EXPECT_EQ(c.count("swap_in"), 0u);
  dev_->RequestStats();
  loop_.RunUntilIdle();
  EXPECT_EQ(UsedCount(2), 1u);  // given back for a refill
  EXPECT_EQ(ctx_->signals(2), 2u);
  dev_->RequestStats();  // nothing held: nothing to give
  loop_.RunUntilIdle();
  EXPECT_EQ(UsedCount(2), 0u);
}

TEST_F(BalloonDeviceTest, ReportedFreeRangesGoBackToTheHost) {
  Activate(kAllFeatures);
  ASSERT_TRUE(mem_->Fill(0x70'0000, 0xcd, 0x3000).ok());
  ASSERT_TRUE(drivers_[3]->AddChain({{0x70'0000, 0x2000, true}, {0x70'2800, 0x800, true}}).ok());
  ASSERT_TRUE(drivers_[3]->Kick().ok());
  dev_->QueueNotified(3);
  EXPECT_EQ(UsedCount(3), 1u);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x70'1fff).value(), 0);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x70'2800).value(), 0xcd);  // not page aligned: kept
  EXPECT_EQ(dev_->Counters().at("reported_bytes"), 0x2000u);
}

TEST_F(BalloonDeviceTest, QueuesAreNumberedByTheNegotiatedFeatures) {
  // Without STATS_VQ the driver's reporting queue is queue 2.
  Activate(FeatureBit(kBalloonFPageReporting));
  ASSERT_TRUE(mem_->Fill(0x70'0000, 0xcd, 0x1000).ok());
  ASSERT_TRUE(drivers_[2]->AddChain({{0x70'0000, 0x1000, true}}).ok());
  ASSERT_TRUE(drivers_[2]->Kick().ok());
  dev_->QueueNotified(2);
  EXPECT_EQ(UsedCount(2), 1u);
  EXPECT_EQ(mem_->ReadObj<uint8_t>(0x70'0000).value(), 0);
  dev_->QueueNotified(3);  // no such queue for this driver
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(BalloonDeviceTest, QuiesceGivesTheStatsBufferBackAndTakesNothing) {
  Activate(kAllFeatures);
  Send(2, Stats({{kBalloonStatFreeMemory, 1}}));
  bool done = false;
  dev_->QuiesceQueueGroup(0, [&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(UsedCount(2), 1u);  // nothing held across a snapshot
  Send(0, Pfns({0x600}));
  EXPECT_EQ(UsedCount(0), 0u);  // quiesced
  dev_->ResumeQueueGroup(0);
  EXPECT_EQ(UsedCount(0), 1u);  // served on resume
}

TEST_F(BalloonDeviceTest, AMalformedRingFailsTheDeviceOnly) {
  Activate(kAllFeatures);
  ASSERT_TRUE(drivers_[0]->AddChain({{0xffff'ffff'0000, 16, false}}).ok());  // outside RAM
  ASSERT_TRUE(drivers_[0]->Kick().ok());
  dev_->QueueNotified(0);
  EXPECT_EQ(ctx_->failures().size(), 1u);
}

TEST_F(BalloonDeviceTest, SaveRestoreCarriesTargetAndActual) {
  Activate(kAllFeatures);
  ASSERT_TRUE(dev_->SetTarget(2 << 20).ok());
  uint8_t v[4];
  StoreLe<uint32_t>(v, 0, 300);
  dev_->WriteConfig(kBalloonConfigActual, v);
  const BalloonDeviceState s = dev_->Save();
  EXPECT_EQ(s.num_pages, 512u);
  EXPECT_EQ(s.actual, 300u);
  EXPECT_EQ(dev_->Restore(s).error().code(), ErrorCode::kBusy);  // active
  BalloonDevice fresh({});
  ASSERT_TRUE(fresh.Restore(s).ok());
  EXPECT_EQ(fresh.Save(), s);
}

}  // namespace
}  // namespace petrel::virtio
