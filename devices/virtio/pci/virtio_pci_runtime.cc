// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice, loop side: activation at DRIVER_OK and its hand-over to
// the queue groups' loops, the reset sequenced across them, doorbells,
// interrupts (ISR §4.1.4.5 + MSI-X vectors §4.1.5.1.2), DEVICE_NEEDS_RESET
// (§2.1.2), and Save/Restore of the transport's plain state.
#include <algorithm>
#include <atomic>
#include <utility>

#include "core/base/log.h"
#include "devices/virtio/pci/virtio_pci_context.h"
#include "devices/virtio/pci/virtio_pci_device.h"

namespace petrel::virtio {

void VirtioPciDevice::ActivateOnLoop(uint64_t epoch) {
  {
    std::lock_guard lock(mu_);
    if (epoch != epoch_ || active_ || failed_ || !(status_ & kStatusDriverOk)) return;
    const bool event_idx = (driver_features_ & FeatureBit(kFEventIdx)) != 0;
    const bool indirect = (driver_features_ & FeatureBit(kFIndirectDesc)) != 0;
    for (uint16_t i = 0; i < num_queues_; ++i) {
      const QueueState& q = qregs_[i];
      if (!q.enabled || queues_[i]->ready()) continue;  // a restored queue is ready already
      const SplitQueue::Config cfg{.size = q.size,
                                   .desc_gpa = q.desc,
                                   .avail_gpa = q.driver,
                                   .used_gpa = q.device,
                                   .event_idx = event_idx,
                                   .indirect = indirect};
      if (auto ok = queues_[i]->Activate(cfg); !ok.ok()) {
        const uint16_t vector = FailLocked("activating a queue: " + ok.error().message());
        msix_->Notify(vector);
        return;
      }
    }
  }
  if (auto ok = device_->Activate(*context_); !ok.ok()) {
    Fail("device activation: " + ok.error().message());
    return;
  }
  if (options_.on_lifecycle) options_.on_lifecycle("activated");
  {
    // Active even if a reset was written meanwhile: that reset is queued
    // behind us and must call device_->Reset().
    std::lock_guard lock(mu_);
    active_ = true;
    if (epoch != epoch_) return;
  }
  // Each group's loop takes its queues over. The posts are queued before
  // any reset's StopGroupOnLoop (a reset begins on this loop, after us).
  std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
  for (size_t g = 0; g < groups_.size(); ++g) {
    auto posted = loops_[g]->Post([weak, g, epoch] {
      if (auto self = weak.lock()) self->ActivateGroupOnLoop(g, epoch);
    });
    if (!posted.ok()) Fail("cannot post a queue group's activation");
  }
}

void VirtioPciDevice::ActivateGroupOnLoop(size_t group, uint64_t epoch) {
  std::vector<uint16_t> ready;
  {
    std::lock_guard lock(mu_);
    if (epoch != epoch_ || !active_) return;  // a reset is on its way
    group_active_[group] = 1;
    for (uint16_t i : groups_[group]) {
      if (qregs_[i].enabled) ready.push_back(i);
    }
  }
  // Kicks that rang before the group was active were ignored; a spurious
  // notification is harmless (devices pop until the ring is empty).
  for (uint16_t i : ready) OnDoorbell(i);
}

void VirtioPciDevice::Quiesce(std::function<void()> done) {
  struct Countdown {
    std::atomic<size_t> left;
    std::function<void()> done;
  };
  auto countdown = std::make_shared<Countdown>();
  countdown->left = groups_.size();
  countdown->done = std::move(done);
  auto one_done = [countdown] {
    if (countdown->left.fetch_sub(1) == 1) countdown->done();
  };
  std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
  for (size_t g = 0; g < groups_.size(); ++g) {
    auto posted = loops_[g]->Post([weak, g, one_done] {
      auto self = weak.lock();
      if (!self) return one_done();
      bool serving;
      {
        std::lock_guard lock(self->mu_);
        serving = self->active_ && self->group_active_[g] && !self->failed_;
      }
      if (!serving) return one_done();
      self->device_->QuiesceQueueGroup(static_cast<uint16_t>(g), one_done);
    });
    if (!posted.ok()) one_done();
  }
}

void VirtioPciDevice::Unquiesce() {
  std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
  for (size_t g = 0; g < groups_.size(); ++g) {
    (void)loops_[g]->Post([weak, g] {
      auto self = weak.lock();
      if (!self) return;
      bool serving;
      {
        std::lock_guard lock(self->mu_);
        serving = self->active_ && self->group_active_[g];
      }
      if (serving) self->device_->ResumeQueueGroup(static_cast<uint16_t>(g));
    });
  }
}

void VirtioPciDevice::BeginResetOnLoop() {
  {
    // From now on no group serves a doorbell; each group's loop finishes
    // what it runs and then stops the device's part there.
    std::lock_guard lock(mu_);
    std::fill(group_active_.begin(), group_active_.end(), 0);
  }
  stops_left_ = groups_.size();
  std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
  for (size_t g = 0; g < groups_.size(); ++g) {
    auto posted = loops_[g]->Post([weak, g] {
      if (auto self = weak.lock()) self->StopGroupOnLoop(g);
    });
    if (!posted.ok()) {
      PETREL_LOG_ONCE(kError, options_.name + ":post-stop")
          << options_.name << ": cannot post a queue group's stop";
      GroupStoppedOnLoop();
    }
  }
}

void VirtioPciDevice::StopGroupOnLoop(size_t group) {
  bool was_active;
  {
    std::lock_guard lock(mu_);
    was_active = active_;
  }
  std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
  EventLoop* control = loops_[0];
  auto done = [weak, control] {
    // The acknowledgement goes to the control loop as a post: never run
    // the reset on a group's loop, never wait for another loop.
    (void)control->Post([weak] {
      if (auto self = weak.lock()) self->GroupStoppedOnLoop();
    });
  };
  if (!was_active) return done();
  device_->StopQueueGroup(static_cast<uint16_t>(group), done);
}

void VirtioPciDevice::GroupStoppedOnLoop() {
  if (stops_left_ == 0 || --stops_left_ > 0) return;
  ResetOnLoop();
}

void VirtioPciDevice::ResetOnLoop() {
  bool was_active;
  {
    std::lock_guard lock(mu_);
    was_active = active_;
    active_ = false;
  }
  if (was_active) device_->Reset();
  for (auto& q : queues_) q->Reset();
  if (was_active && options_.on_lifecycle) options_.on_lifecycle("reset");
  std::lock_guard lock(mu_);
  ResetRegistersLocked();
}

void VirtioPciDevice::ResetRegistersLocked() {
  // §4.1.4.3.2 / §2.4: every register back to its reset value.
  device_feature_select_ = 0;
  driver_feature_select_ = 0;
  driver_features_ = 0;
  config_msix_vector_ = kMsixNoVector;
  status_ = 0;
  queue_select_ = 0;
  isr_ = 0;
  failed_ = false;
  loop_owns_device_ = false;
  active_features_ = 0;
  qregs_.assign(num_queues_, QueueState{.size = max_queue_size_});
  std::fill(group_active_.begin(), group_active_.end(), 0);
  reset_pending_ = false;
}

void VirtioPciDevice::OnDoorbell(uint16_t index) {
  {
    std::lock_guard lock(mu_);
    if (!active_ || failed_ || index >= num_queues_ || !group_active_[group_of_[index]] ||
        !qregs_[index].enabled) {
      ++counters_.ignored_notifies;
      return;
    }
  }
  device_->QueueNotified(index);
}

void VirtioPciDevice::NotifyAgain(uint16_t index) {
  // On queue `index`'s group loop, as is the handler that calls it.
  if (index >= num_queues_ || again_pending_[index]) return;
  std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
  auto posted = queue_loop(index).Post([weak, index] {
    if (auto self = weak.lock()) {
      self->again_pending_[index] = 0;
      self->OnDoorbell(index);
    }
  });
  if (posted.ok()) {
    again_pending_[index] = 1;
  } else {
    Fail("cannot post a queue's next turn");
  }
}

void VirtioPciDevice::SignalUsed(uint16_t index) {
  if (index >= num_queues_ || !queues_[index]->ready()) return;
  if (!queues_[index]->NeedsNotification()) return;
  uint16_t vector;
  {
    std::lock_guard lock(mu_);
    isr_ |= kIsrQueue;
    vector = qregs_[index].msix_vector;
  }
  msix_->Notify(vector);
}

void VirtioPciDevice::SignalConfigChange() {
  uint16_t vector;
  {
    std::lock_guard lock(mu_);
    ++config_generation_;  // §4.1.4.3.1: config_generation changes with config
    isr_ |= kIsrConfig;
    vector = config_msix_vector_;
  }
  msix_->Notify(vector);
}

void VirtioPciDevice::Fail(const std::string& why) {
  uint16_t vector;
  {
    std::lock_guard lock(mu_);
    vector = FailLocked(why);
  }
  msix_->Notify(vector);
}

uint16_t VirtioPciDevice::FailLocked(const std::string& why) {
  if (failed_) return kMsixNoVector;
  failed_ = true;
  status_ |= kStatusDeviceNeedsReset;
  ++counters_.failures;
  PETREL_LOG_ONCE(kWarn, options_.name + ":fail")
      << options_.name << ": device needs reset: " << why;
  // §2.1.2: a device that sets DEVICE_NEEDS_RESET after DRIVER_OK sends a
  // configuration change notification.
  if (!(status_ & kStatusDriverOk)) return kMsixNoVector;
  isr_ |= kIsrConfig;
  return config_msix_vector_;
}

VirtioPciDevice::State VirtioPciDevice::Save() const {
  State s;
  s.config = config_.Save();
  s.msix = msix_->Save();
  std::lock_guard lock(mu_);
  s.device_feature_select = device_feature_select_;
  s.driver_feature_select = driver_feature_select_;
  s.driver_features = driver_features_;
  s.config_msix_vector = config_msix_vector_;
  s.status = status_;
  s.config_generation = config_generation_;
  s.queue_select = queue_select_;
  s.isr = isr_;
  s.failed = failed_;
  s.queues = qregs_;
  for (uint16_t i = 0; i < num_queues_; ++i) s.queues[i].ring = queues_[i]->Save();
  return s;
}

Result<void> VirtioPciDevice::Restore(const State& s) {
  {
    std::lock_guard lock(mu_);
    if (active_ || reset_pending_ || (status_ & kStatusDriverOk)) {
      return Error(ErrorCode::kBusy, "virtio-pci: restore into an active device is unsupported");
    }
  }
  if (s.queues.size() != num_queues_) {
    return Error(ErrorCode::kInvalidArgument, "virtio-pci: queue count differs");
  }
  if ((s.driver_features & ~offered_features_) != 0) {
    return Error(ErrorCode::kInvalidArgument, "virtio-pci: driver features not offered");
  }
  for (const QueueState& q : s.queues) {
    if (q.ring.ready &&
        (!q.enabled || q.ring.config.size != q.size || q.ring.config.desc_gpa != q.desc ||
         q.ring.config.avail_gpa != q.driver || q.ring.config.used_gpa != q.device)) {
      return Error(ErrorCode::kInvalidArgument, "virtio-pci: ring state differs from registers");
    }
    if (q.ring.ready)
      PETREL_TRY(SplitQueue::Validate(q.ring.config, *memory_, options_.dma.get()));
    if (q.enabled) {
      if (q.size > max_queue_size_) {
        return Error(ErrorCode::kInvalidArgument, "virtio-pci: queue size above the maximum");
      }
      PETREL_TRY(SplitQueue::Validate(
          {.size = q.size, .desc_gpa = q.desc, .avail_gpa = q.driver, .used_gpa = q.device},
          *memory_, options_.dma.get()));
    }
  }
  PETREL_TRY(msix_->CheckState(s.msix, s.config));
  PETREL_TRY(config_.Restore(s.config));
  PETREL_TRY(msix_->Restore(s.msix));
  for (uint16_t i = 0; i < num_queues_; ++i) PETREL_TRY(queues_[i]->Restore(s.queues[i].ring));
  {
    std::lock_guard lock(mu_);
    device_feature_select_ = s.device_feature_select;
    driver_feature_select_ = s.driver_feature_select;
    driver_features_ = s.driver_features;
    config_msix_vector_ = CheckedVector(s.config_msix_vector);
    status_ = s.status;
    config_generation_ = s.config_generation;
    queue_select_ = s.queue_select;
    isr_ = s.isr;
    failed_ = s.failed;
    qregs_ = s.queues;
    for (auto& q : qregs_) q.msix_vector = CheckedVector(q.msix_vector);
    if ((status_ & kStatusDriverOk) && !failed_) {
      active_features_ = driver_features_;
      loop_owns_device_ = true;
      std::weak_ptr<VirtioPciDevice> weak = weak_from_this();
      const uint64_t epoch = epoch_;
      PETREL_TRY(control_loop().Post([weak, epoch] {
        if (auto self = weak.lock()) self->ActivateOnLoop(epoch);
      }));
    }
  }
  RegisterDoorbells(config_.DecodedBarAddress(0).value_or(0));
  return Ok();
}

}  // namespace petrel::virtio
