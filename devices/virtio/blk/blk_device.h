// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BlkDevice: the virtio block device (virtio 1.2 §5.2) over a DiskFile and
// one IoEngine per request queue. Each queue is a queue group of its own
// (QueueGroups), so with the VMM's workers each queue runs on its own thread
// with its own engine: queues share no mutable state but the disk file
// (whose learnt fallocate support is atomic), the failed flag and the cache
// mode (atomics). Requests popped from a queue are checked and parsed
// (blk_request.h), submitted to the queue's engine, and completed (status
// byte, used ring, interrupt) when that engine's completion notifier fires
// on the queue's loop. A full engine (kBusy) pauses popping on that queue
// until the next completion.
//
// WRITE_ZEROES larger than kBlkZeroesBytesPerTurn is submitted in pieces of
// at most that size, the next one when the last completes (an engine that
// writes the zeroes itself does at most that much per loop turn), and the
// queue pops nothing behind it until it completes, so later requests on the
// queue do not overtake it.
//
// Reset: StopQueueGroup drops the queue's in-flight requests without writing
// guest memory for them and says done once its engine has nothing in flight
// (the engine may still write guest buffers until then), or after a grace
// of kBlkResetGraceNs on the loop's clock, when they are abandoned (an error
// is logged; their late completions are ignored). The loop never blocks.
// Only the destructor (VM teardown, no loop running) waits for the engines.
//
// Cache mode (§5.2.4 writeback, VIRTIO_BLK_F_CONFIG_WCE): the driver may
// switch between writeback (1, the reset value: completed writes may sit in
// the host page cache until a FLUSH) and writethrough (0: each write request
// is followed by an engine flush before it completes, §5.2.6.2). The mode is
// the device's only guest-changeable state (BlkDeviceState). A driver that
// negotiates neither CONFIG_WCE nor FLUSH gets writethrough.
//
// Rate limiting (--disk bw_*/ops_*, rate_limiter_config; core/ratelimit):
// one limiter for all the disk's queues, on the queues' loop clocks. Each
// request that reaches the disk takes one operation token and, for reads
// and writes, its data bytes; a request refused waits on its queue (which
// pops nothing behind it) for a timer at the time the limiter names. A
// device reset makes the buckets full again. Quiesce (pause, snapshot)
// waits for a throttled request to start and complete like any other.
//
//   PETREL_ASSIGN_OR_RETURN(auto blk, BlkDevice::Create({.path = "disk.img"}));
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/result.h"
#include "core/ratelimit/shared_rate_limiter.h"
#include "devices/block/disk_file.h"
#include "devices/block/image/disk_image.h"
#include "devices/block/io_engine.h"
#include "devices/virtio/blk/blk_request.h"
#include "devices/virtio/blk/blk_spec.h"
#include "devices/virtio/blk/disk_config.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// Segments per discard / write-zeroes request, and sectors per segment.
inline constexpr uint32_t kBlkMaxDiscardSegments = 32;
inline constexpr uint32_t kBlkMaxRangeSectors = 1u << 22;  // 2 GiB
// WRITE_ZEROES bytes submitted per piece (so per loop turn at most), see above.
inline constexpr uint64_t kBlkZeroesBytesPerTurn = 8ull << 20;
// How long a reset waits for a queue's in-flight I/O before abandoning it.
inline constexpr uint64_t kBlkResetGraceNs = 5'000'000'000;

// The device's options are the user's DiskConfig (disk_config.h).
using BlkOptions = DiskConfig;

// Plain snapshot state (no guest memory, no queue state: the transport saves
// those). Disk geometry comes from the disk and the options, not from here.
// In-flight requests are not state: Save() is for a quiesced device (VM
// paused, in_flight() == 0; a transport reset drains, see Reset()).
struct BlkDeviceState {
  uint8_t writeback = 1;  // §5.2.4: 1 writeback, 0 writethrough
  bool operator==(const BlkDeviceState&) const = default;
};

class BlkDevice final : public VirtioDevice {
 public:
  // Opens the image at options.path (any format: OpenDiskImage) and makes
  // one engine per queue.
  static Result<std::unique_ptr<BlkDevice>> Create(const BlkOptions& options);
  // Over an image already open, with one engine per queue made from it.
  static Result<std::unique_ptr<BlkDevice>> Create(
      const BlkOptions& options, std::unique_ptr<DiskImage> image,
      std::vector<std::unique_ptr<IoEngine>> engines);
  // With a disk and an engine already made (`engine` uses `*disk`); e.g. a
  // SyncEngine with an InProcessNotifier for DeterministicEventLoop.
  // options.path/readonly/direct/engine/queue_depth are not used;
  // options.num_queues must be 1.
  static Result<std::unique_ptr<BlkDevice>> Create(const BlkOptions& options,
                                                   std::unique_ptr<DiskFile> disk,
                                                   std::unique_ptr<IoEngine> engine);
  // One engine per queue (options.num_queues of them), each using `*disk`
  // (a raw disk).
  static Result<std::unique_ptr<BlkDevice>> Create(
      const BlkOptions& options, std::unique_ptr<DiskFile> disk,
      std::vector<std::unique_ptr<IoEngine>> engines);
  ~BlkDevice() override;

  uint16_t device_type() const override { return kDeviceIdBlock; }
  // Its engines' requests (BlockIoSyscalls).
  isolation::SyscallRules WorkerSyscalls() const override { return BlockIoSyscalls(); }
  uint64_t device_features() const override { return features_; }
  uint16_t queue_count() const override { return num_queues_; }
  uint16_t max_queue_size() const override { return queue_size_; }
  // The disk's rate_limit_group: its requests take their tokens from
  // `group`, which other disks share; unlike a disk's own limiter it is not
  // refilled when this device resets. Before the first Activate.
  void UseRateLimitGroup(std::shared_ptr<ratelimit::SharedRateLimiter> group) {
    group_limiter_ = std::move(group);
  }

  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  // Only `writeback` (one byte, 0 or 1; other values are ignored) is writable.
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  // Also puts `writeback` back to 1 (§2.4: reset restores initial values).
  void Reset() override;
  // One group per queue.
  std::vector<std::vector<uint16_t>> QueueGroups() const override;
  void StopQueueGroup(uint16_t group, std::function<void()> done) override;
  // Pops nothing more from the queue and says done once its requests in
  // flight have completed (a stalled one is submitted first).
  void QuiesceQueueGroup(uint16_t group, std::function<void()> done) override;
  void ResumeQueueGroup(uint16_t group) override;
  // read_bytes, write_bytes, read_ops, write_ops (Cloud Hypervisor's names):
  // IN / OUT requests that completed with VIRTIO_BLK_S_OK, and their data bytes.
  std::map<std::string, uint64_t> Counters() const override;

  // The image's OFD locks (DiskImage::Lock): taken when the device is
  // created; a VMM migrating its VM away releases them before the
  // destination opens the disk, and takes them back if it resumes instead.
  Result<void> LockImage();
  void UnlockImage() { disk_->Unlock(); }
  bool image_locked() const { return disk_->locked(); }

  // The config space as created; `writeback` and `capacity` there are not
  // kept up to date (see writeback() and capacity_sectors()).
  const BlkConfig& config() const { return config_; }
  uint64_t capacity_sectors() const { return capacity_sectors_.load(std::memory_order_acquire); }
  // Grows the disk to `new_bytes` (vm.resize-disk; a multiple of 512):
  // the image grows (DiskImage::Grow: raw files only, never smaller), then
  // requests and the config space see the new capacity. The caller tells
  // the driver (VirtioPciDevice::NotifyConfigChanged). Thread-safe; I/O may
  // be in flight. Errors change nothing.
  Result<void> Grow(uint64_t new_bytes);
  uint8_t writeback() const { return writeback_.load(); }
  // Requests in flight on every queue (call where no queue's loop runs).
  size_t in_flight() const;

  // Call with the VM paused and I/O drained (in_flight() == 0); requests
  // still in flight are not part of the state and are NOT saved (they would
  // be lost: the caller must drain first).
  BlkDeviceState Save() const;
  // Into a device that is not active (freshly created, before the
  // transport's Restore posts Activate): kBusy otherwise. kInvalidArgument
  // (device unchanged) if writeback is not 0 or 1. Thread: the loop's, or any
  // while the VM is paused.
  Result<void> Restore(const BlkDeviceState& state);

 private:
  struct Inflight {
    uint16_t head = 0;
    uint64_t status_gpa = 0;
    uint32_t used_len = 1;
    uint64_t data_len = 0;
    uint32_t remaining = 0;  // engine completions still to come
    uint8_t status = kBlkSOk;
    bool flush_after = false;  // writethrough: flush before completing
    std::deque<IoRequest> pieces;  // a chunked WRITE_ZEROES: still to submit
    uint32_t type = 0;             // kBlkT*, for the counters
    uint64_t bytes = 0;            // IN/OUT data bytes, for the counters
    std::vector<DirtyRange> device_writes;  // IN: marked dirty on completion
  };
  // A request popped but refused by a full engine, retried later.
  struct Stalled {
    uint16_t head = 0;
    BlkRequest request;
  };
  // One request queue: touched only on its group's loop (and by Activate /
  // Reset on the control loop while its group does not run).
  struct Queue {
    std::unique_ptr<IoEngine> engine;
    EventLoop* loop = nullptr;         // where `watch` and `grace` are
    std::optional<WatchId> watch;      // the engine's completions
    std::optional<WatchId> grace;      // a stopping queue's deadline
    std::function<void()> on_stopped;  // StopQueueGroup's `done`, while draining
    bool stopping = false;             // StopQueueGroup ran: completions are dropped
    bool quiesced = false;             // QuiesceQueueGroup ran: pop nothing
    std::function<void()> on_quiesced;  // its `done`, until nothing is in flight
    uint64_t next_tag = 1;
    std::unordered_map<uint64_t, Inflight> inflight;
    std::optional<Stalled> stalled;
    // A request popped but refused by the rate limiter, started by
    // `throttle` (a timer on `loop`) once its tokens are there; the queue
    // pops nothing more until then.
    std::optional<Stalled> throttled;
    std::optional<WatchId> throttle;
    std::optional<uint64_t> ordered;  // a chunked request: the queue waits for it
    bool to_signal = false;
  };

  BlkDevice(const BlkOptions& options, std::unique_ptr<DiskImage> disk,
            std::vector<std::unique_ptr<IoEngine>> engines);
  // Pops and starts requests until the queue is empty or the engine full.
  void Process(uint16_t q);
  // Submits or completes one request; false if the engine was full.
  bool Start(uint16_t q, uint16_t head, BlkRequest& request);
  bool StartChunked(uint16_t q, uint16_t head, BlkRequest& request);
  // The rate limiter's verdict on a parsed request: true if it may start
  // now; else it is kept in the queue's `throttled` with a timer armed.
  bool Admit(uint16_t q, uint16_t head, BlkRequest& request);
  void OnThrottleTimer(uint16_t q);
  void Complete(uint16_t q, uint16_t head, uint64_t status_gpa, uint8_t status, uint32_t used_len);
  void OnCompletions(uint16_t q);
  Result<void> WatchEngine(uint16_t q);
  void StopWatch(Queue& s);
  // A stopping queue drained (or its grace ran out): tell the transport.
  void FinishStop(uint16_t q);
  // A quiesced queue with nothing in flight: tell the transport.
  void MaybeQuiesced(uint16_t q);
  void DoFail(const std::string& why);
  // Reset() without the cache mode (Activate keeps a restored mode).
  void Deactivate();
  // Whether a write must be flushed before it completes.
  bool WriteThrough() const;
  // Writethrough: submits the flush that follows a finished write.
  bool SubmitFlush(Queue& s, uint64_t tag, Inflight& f);

  std::unique_ptr<DiskImage> disk_;
  std::atomic<uint64_t> capacity_sectors_{0};  // config_.capacity, after any Grow
  std::mutex grow_mu_;                         // one Grow at a time
  LockGranularity lock_granularity_;
  std::vector<Queue> queues_;  // after disk_: the engines go first
  uint16_t num_queues_;
  uint16_t queue_size_;
  uint64_t features_ = 0;
  BlkConfig config_;
  BlkLimits limits_;
  // --disk bw_*/ops_* (rate_limiter_config): shared by every queue of the
  // disk; full again after a device reset. Null: unlimited.
  std::optional<ratelimit::RateLimiterConfig> rate_limit_;
  std::shared_ptr<ratelimit::SharedRateLimiter> limiter_;
  // A --rate-limit-group's limiter, shared with other disks (UseRateLimitGroup).
  std::shared_ptr<ratelimit::SharedRateLimiter> group_limiter_;
  // §5.2.4 writeback: written by vCPU threads (WriteConfig), read on the loops.
  std::atomic<uint8_t> writeback_{1};
  // Set by Activate before any queue's loop serves the device; read there.
  bool config_wce_ = false;        // CONFIG_WCE negotiated
  bool flush_negotiated_ = false;  // FLUSH negotiated
  VirtioContext* context_ = nullptr;
  std::atomic<bool> failed_{false};  // any queue's loop may fail the device
  std::atomic<uint64_t> read_bytes_{0}, write_bytes_{0}, read_ops_{0}, write_ops_{0};
};

}  // namespace petrel::virtio
