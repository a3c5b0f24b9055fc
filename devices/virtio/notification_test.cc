// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Used-buffer notification suppression (§2.7.7, §2.7.10): the
// VIRTQ_AVAIL_F_NO_INTERRUPT flag, used_event with VIRTIO_F_EVENT_IDX, and
// avail_event written by Pop().
#include <gtest/gtest.h>

#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "devices/virtio/virtio_spec.h"

namespace petrel::virtio {
namespace {

using testing::VirtqDriver;

TEST(VringNeedEvent, MatchesTheSpecFormula) {
  EXPECT_TRUE(VringNeedEvent(0, 1, 0));   // event 0 crossed by 0 -> 1
  EXPECT_FALSE(VringNeedEvent(1, 1, 0));  // asks after 1; idx only reached 1
  EXPECT_TRUE(VringNeedEvent(1, 2, 0));
  EXPECT_TRUE(VringNeedEvent(5, 10, 3));    // 5 inside (3, 10]
  EXPECT_FALSE(VringNeedEvent(2, 10, 3));   // already passed before old
  EXPECT_FALSE(VringNeedEvent(10, 10, 3));  // not yet crossed
  EXPECT_FALSE(VringNeedEvent(7, 7, 7));    // nothing new
  // Across the 16-bit wrap.
  EXPECT_TRUE(VringNeedEvent(0xffff, 1, 0xfffe));
  EXPECT_TRUE(VringNeedEvent(0, 1, 0xffff));
  EXPECT_FALSE(VringNeedEvent(1, 1, 0xffff));
  EXPECT_FALSE(VringNeedEvent(0xfffd, 1, 0xfffe));
}

class NotificationTest : public ::testing::Test {
 protected:
  void Start(bool event_idx) {
    mem_ = *GuestMemory::CreateX86(4 << 20);
    auto d = VirtqDriver::Create(mem_, {.size = 8, .event_idx = event_idx});
    ASSERT_TRUE(d.ok());
    drv_.emplace(std::move(d).value());
    queue_.emplace(mem_);
    ASSERT_TRUE(queue_->Activate(drv_->QueueConfig()).ok());
  }
  // Driver offers one chain; the device pops it and returns it.
  void RoundTrip() {
    ASSERT_TRUE(drv_->AddChain({{0x20'0000, 8, true}}).ok());
    ASSERT_TRUE(drv_->Kick().ok());
    auto c = queue_->Pop();
    ASSERT_TRUE(c.ok() && c->has_value());
    ASSERT_TRUE(queue_->AddUsed((*c)->head, 8).ok());
    ASSERT_TRUE(drv_->PopUsed().ok());
  }

  std::shared_ptr<GuestMemory> mem_;
  std::optional<VirtqDriver> drv_;
  std::optional<SplitQueue> queue_;
};

TEST_F(NotificationTest, NoInterruptFlagSuppressesWithoutEventIdx) {
  Start(false);
  RoundTrip();
  EXPECT_TRUE(queue_->NeedsNotification());
  ASSERT_TRUE(drv_->SetAvailFlags(kAvailFNoInterrupt).ok());
  RoundTrip();
  EXPECT_FALSE(queue_->NeedsNotification());
  ASSERT_TRUE(drv_->SetAvailFlags(0).ok());
  RoundTrip();
  EXPECT_TRUE(queue_->NeedsNotification());
}

TEST_F(NotificationTest, EventIdxNotifiesOnlyWhenUsedEventIsCrossed) {
  Start(true);
  ASSERT_TRUE(drv_->SetUsedEvent(2).ok());
  RoundTrip();  // used.idx 1
  EXPECT_TRUE(queue_->NeedsNotification()) << "first decision always notifies";
  RoundTrip();  // used.idx 2: 1 -> 2 does not pass event 2
  EXPECT_FALSE(queue_->NeedsNotification());
  RoundTrip();  // used.idx 3: 2 -> 3 passes event 2
  EXPECT_TRUE(queue_->NeedsNotification());
  EXPECT_FALSE(queue_->NeedsNotification()) << "nothing new since the last decision";
  // Two completions batched before one decision: 3 -> 5 crosses event 4.
  ASSERT_TRUE(drv_->SetUsedEvent(4).ok());
  RoundTrip();
  RoundTrip();
  EXPECT_TRUE(queue_->NeedsNotification());
}

TEST_F(NotificationTest, EventIdxIgnoresNoInterruptFlag) {
  Start(true);
  ASSERT_TRUE(drv_->SetAvailFlags(kAvailFNoInterrupt).ok());
  ASSERT_TRUE(drv_->SetUsedEvent(0).ok());
  RoundTrip();
  EXPECT_TRUE(queue_->NeedsNotification());
  ASSERT_TRUE(drv_->SetUsedEvent(1).ok());
  RoundTrip();  // 1 -> 2 crosses event 1
  EXPECT_TRUE(queue_->NeedsNotification());
}

TEST_F(NotificationTest, PopWritesAvailEventWhenRingIsEmpty) {
  Start(true);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(drv_->AddChain({{0x20'0000, 8, false}}).ok());
  ASSERT_TRUE(drv_->Kick().ok());
  ASSERT_TRUE(queue_->Pop()->has_value());
  ASSERT_TRUE(queue_->Pop()->has_value());
  EXPECT_EQ(*drv_->AvailEvent(), 0) << "not rewritten while work is pending";
  ASSERT_TRUE(queue_->Pop()->has_value());
  EXPECT_FALSE(queue_->Pop()->has_value());
  EXPECT_EQ(*drv_->AvailEvent(), 3) << "kick me when slot 3 becomes available";
  EXPECT_EQ(*drv_->UsedFlags(), 0);
}

TEST_F(NotificationTest, NoAvailEventWithoutEventIdx) {
  Start(false);
  EXPECT_FALSE(queue_->Pop()->has_value());
  EXPECT_EQ(*drv_->AvailEvent(), 0);
}

TEST_F(NotificationTest, RestoredQueueNotifiesOnFirstDecision) {
  Start(true);
  ASSERT_TRUE(drv_->SetUsedEvent(100).ok());
  RoundTrip();
  (void)queue_->NeedsNotification();
  RoundTrip();
  EXPECT_FALSE(queue_->NeedsNotification());
  auto state = queue_->Save();
  state.signalled_used_valid = false;  // e.g. a state from before any decision
  SplitQueue restored(mem_);
  ASSERT_TRUE(restored.Restore(state).ok());
  EXPECT_TRUE(restored.NeedsNotification());
}

}  // namespace
}  // namespace petrel::virtio
