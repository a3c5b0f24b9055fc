// BlkDevice: the virtio block device (virtio 1.2 §5.2) over a DiskFile and
// an IoEngine. Requests popped from any request queue are checked and
// parsed (blk_request.h), submitted to the engine, and completed (status
// byte, used ring, interrupt) when the engine's completion notifier fires on
// the context's event loop. A full engine (kBusy) pauses popping on that
// queue until the next completion. Reset() waits for in-flight I/O (its
// iovecs point into guest RAM) and drops it.
//
// Cache mode (§5.2.4 writeback, VIRTIO_BLK_F_CONFIG_WCE): the driver may
// switch between writeback (1, the reset value: completed writes may sit in
// the host page cache until a FLUSH) and writethrough (0: each write request
// is followed by an engine flush before it completes, §5.2.6.2). The mode is
// the device's only guest-changeable state (BlkDeviceState). A driver that
// negotiates neither CONFIG_WCE nor FLUSH gets writethrough.
//
//   PETREL_ASSIGN_OR_RETURN(auto blk, BlkDevice::Create({.path = "disk.img"}));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/result.h"
#include "devices/block/disk_file.h"
#include "devices/block/io_engine.h"
#include "devices/virtio/blk/blk_request.h"
#include "devices/virtio/blk/blk_spec.h"
#include "devices/virtio/blk/disk_config.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// Segments per discard / write-zeroes request, and sectors per segment.
inline constexpr uint32_t kBlkMaxDiscardSegments = 32;
inline constexpr uint32_t kBlkMaxRangeSectors = 1u << 22;  // 2 GiB

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
  // Opens options.path and makes the engine.
  static Result<std::unique_ptr<BlkDevice>> Create(const BlkOptions& options);
  // With a disk and an engine already made (`engine` uses `*disk`); e.g. a
  // SyncEngine with an InProcessNotifier for DeterministicEventLoop.
  // options.path/readonly/direct/engine/queue_depth are not used.
  static Result<std::unique_ptr<BlkDevice>> Create(const BlkOptions& options,
                                                   std::unique_ptr<DiskFile> disk,
                                                   std::unique_ptr<IoEngine> engine);
  ~BlkDevice() override;

  uint16_t device_type() const override { return kDeviceIdBlock; }
  uint64_t device_features() const override { return features_; }
  uint16_t queue_count() const override { return num_queues_; }
  uint16_t max_queue_size() const override { return queue_size_; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  // Only `writeback` (one byte, 0 or 1; other values are ignored) is writable.
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  // Also puts `writeback` back to 1 (§2.4: reset restores initial values).
  void Reset() override;

  // The config space as created; `writeback` there is not kept up to date
  // (see writeback()).
  const BlkConfig& config() const { return config_; }
  uint8_t writeback() const { return writeback_.load(); }
  size_t in_flight() const { return inflight_.size(); }

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
    uint16_t queue = 0;
    uint16_t head = 0;
    uint64_t status_gpa = 0;
    uint32_t used_len = 1;
    uint64_t data_len = 0;
    uint32_t remaining = 0;  // engine completions still to come
    uint8_t status = kBlkSOk;
    bool flush_after = false;  // writethrough: flush before completing
  };
  // A request popped but refused by a full engine, retried later.
  struct Stalled {
    uint16_t head = 0;
    BlkRequest request;
  };

  BlkDevice(const BlkOptions& options, std::unique_ptr<DiskFile> disk,
            std::unique_ptr<IoEngine> engine);
  // Pops and starts requests until the queue is empty or the engine full.
  void Process(uint16_t q);
  // Submits or completes one request; false if the engine was full.
  bool Start(uint16_t q, uint16_t head, BlkRequest& request);
  void Complete(uint16_t q, uint16_t head, uint64_t status_gpa, uint8_t status, uint32_t used_len);
  void OnCompletions();
  void DoFail(const std::string& why);
  void Drain();
  // Reset() without the cache mode (Activate keeps a restored mode).
  void Deactivate();
  // Whether a write must be flushed before it completes.
  bool WriteThrough() const;
  // Writethrough: submits the flush that follows a finished write.
  bool SubmitFlush(uint64_t tag, Inflight& f);

  std::unique_ptr<DiskFile> disk_;
  std::unique_ptr<IoEngine> engine_;  // after disk_: destroyed first
  uint16_t num_queues_;
  uint16_t queue_size_;
  uint64_t features_ = 0;
  BlkConfig config_;
  BlkLimits limits_;
  // §5.2.4 writeback: written by vCPU threads (WriteConfig), read on the loop.
  std::atomic<uint8_t> writeback_{1};
  bool config_wce_ = false;        // CONFIG_WCE negotiated (loop thread)
  bool flush_negotiated_ = false;  // FLUSH negotiated (loop thread)

  VirtioContext* context_ = nullptr;
  std::optional<WatchId> watch_;
  bool failed_ = false;
  uint64_t next_tag_ = 1;
  std::unordered_map<uint64_t, Inflight> inflight_;
  std::vector<std::optional<Stalled>> stalled_;  // per queue
  std::vector<bool> to_signal_;                  // per queue
};

}  // namespace petrel::virtio
