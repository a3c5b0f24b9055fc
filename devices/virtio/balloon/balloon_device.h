// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BalloonDevice: the traditional memory balloon (virtio 1.2 §5.5), as Cloud
// Hypervisor offers it: inflate and deflate queues, a statistics queue,
// DEFLATE_ON_OOM and free page reporting on request.
//
// The VMM sets a target (SetTarget, vm.resize desired_balloon; the config's
// `num_pages`) and tells the driver (VirtioPciDevice::NotifyConfigChanged).
// The driver inflates towards it, giving page frame numbers on the inflate
// queue: each page goes back to the host (GuestMemory::Discard), so the
// VMM's resident memory shrinks. Deflated pages need nothing: the guest
// touches them again and the host faults fresh zero pages in. The driver
// writes how many pages it holds into `actual`.
//
// Queues, in the order the driver numbers them (Linux leaves out a queue
// whose feature was not negotiated, and so does Activate()):
//   inflateq, deflateq, statsq (STATS_VQ, always offered), reporting_vq
//   (PAGE_REPORTING, with free_page_reporting).
// Statistics: the driver hands one buffer of (tag, value) pairs; the device
// keeps it until it wants fresh numbers (RequestStats, which vm.counters
// calls), then gives it back and the driver refills it.
// Reporting: each chain's writable buffers are free guest ranges; the device
// discards them and gives the chain back.
//
// The guest is hostile: a page number outside guest RAM is skipped (counted,
// logged once); a malformed chain or ring fails the device (DEVICE_NEEDS_RESET).
//
// Threads: the queue handlers run on the device's loop. SetTarget, actual,
// Counters and RequestStats may come from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "core/base/result.h"
#include "devices/virtio/balloon/balloon_config.h"
#include "devices/virtio/balloon/balloon_spec.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

inline constexpr uint16_t kBalloonMaxQueueSize = 128;

// Plain snapshot state: the target and what the driver said it holds.
struct BalloonDeviceState {
  uint32_t num_pages = 0;
  uint32_t actual = 0;
  bool operator==(const BalloonDeviceState&) const = default;
};

class BalloonDevice final : public VirtioDevice {
 public:
  // The config's size is the initial target.
  explicit BalloonDevice(const BalloonConfig& config);

  uint16_t device_type() const override { return kDeviceIdBalloon; }
  // madvise(2) for private guest RAM, fallocate(2) for shared.
  isolation::SyscallRules WorkerSyscalls() const override;
  uint64_t device_features() const override { return features_; }
  uint16_t queue_count() const override { return reporting_ ? 4 : 3; }
  uint16_t max_queue_size() const override { return kBalloonMaxQueueSize; }

  // §5.5.4: num_pages (the target) and actual read back; the driver writes
  // only `actual` (a whole le32); other writes are ignored.
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;
  // Gives a held statistics buffer back (so none is in flight) and takes
  // no chain until ResumeQueueGroup.
  void QuiesceQueueGroup(uint16_t group, std::function<void()> done) override;
  void ResumeQueueGroup(uint16_t group) override;
  // actual_bytes, target_bytes, inflated_pages, deflated_pages,
  // reported_bytes, bad_pages, and the guest's last statistics by name
  // (swap_in, swap_out, major_faults, minor_faults, free_memory,
  // total_memory, available_memory, disk_caches, hugetlb_allocations,
  // hugetlb_failures).
  std::map<std::string, uint64_t> Counters() const override;

  // The target in bytes (whole 4 KiB pages; the caller checks it against
  // guest RAM). Thread-safe; the caller then tells the driver.
  Result<void> SetTarget(uint64_t bytes);
  uint64_t target_bytes() const { return uint64_t{num_pages_.load()} << kBalloonPfnShift; }
  // What the driver says it holds, in bytes.
  uint64_t actual_bytes() const { return uint64_t{actual_.load()} << kBalloonPfnShift; }
  // Asks the driver for fresh statistics (gives its buffer back). Any thread.
  void RequestStats();

  BalloonDeviceState Save() const { return {num_pages_.load(), actual_.load()}; }
  // Into a device that is not active: kBusy otherwise.
  Result<void> Restore(const BalloonDeviceState& state);

 private:
  enum class Role { kInflate, kDeflate, kStats, kReporting, kNone };
  Role RoleOf(uint16_t index) const;
  Result<void> Serve(uint16_t index, SplitQueue& queue);
  // Inflate or deflate: the chain's page numbers.
  Result<void> TakePages(const DescriptorChain& chain, bool inflate);
  Result<void> TakeStats(const DescriptorChain& chain);
  Result<void> TakeReport(const DescriptorChain& chain);
  void GiveStatsBack();  // on the loop
  void DoFail(const std::string& why);

  const uint64_t features_;
  const bool reporting_;
  std::atomic<uint32_t> num_pages_;
  std::atomic<uint32_t> actual_{0};

  // The loop's (Activate .. Reset).
  VirtioContext* context_ = nullptr;
  std::array<Role, 4> roles_{Role::kNone, Role::kNone, Role::kNone, Role::kNone};
  std::optional<uint16_t> stats_queue_;  // the statsq's index, if negotiated
  std::optional<uint16_t> stats_head_;   // the statistics buffer held
  bool failed_ = false;
  bool quiesced_ = false;

  mutable std::mutex mu_;  // guards what other threads read or post through
  EventLoop* loop_ = nullptr;
  std::array<std::optional<uint64_t>, kBalloonStatTagCount> stats_;
  std::atomic<uint64_t> inflated_{0}, deflated_{0}, reported_bytes_{0}, bad_pages_{0};
};

}  // namespace petrel::virtio
