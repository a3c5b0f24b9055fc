// BlkDevice: the virtio block device (virtio 1.2 §5.2).
#include "devices/virtio/blk/blk_device.h"

#include <poll.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"

namespace petrel::virtio {
namespace {

// The config space is little-endian (§5.2.4) and is served from BlkConfig's
// bytes as laid out in host memory.
static_assert(std::endian::native == std::endian::little);

// Reset() waits for in-flight I/O at most this many times kDrainPollMs.
constexpr int kDrainPolls = 100;
constexpr int kDrainPollMs = 100;

Result<void> CheckOptions(const BlkOptions& o) {
  return Validate(o).Wrap("virtio-blk");
}

}  // namespace

Result<std::unique_ptr<BlkDevice>> BlkDevice::Create(const BlkOptions& options) {
  PETREL_TRY(CheckOptions(options));
  PETREL_ASSIGN_OR_RETURN(
      auto disk,
      DiskFile::Open({.path = options.path, .readonly = options.readonly, .direct = options.direct})
          .Wrap("virtio-blk"));
  PETREL_ASSIGN_OR_RETURN(
      auto engine,
      MakeIoEngine(options.io_engine, *disk, options.queue_depth).Wrap("virtio-blk " + options.path));
  return Create(options, std::move(disk), std::move(engine));
}

Result<std::unique_ptr<BlkDevice>> BlkDevice::Create(const BlkOptions& options,
                                                     std::unique_ptr<DiskFile> disk,
                                                     std::unique_ptr<IoEngine> engine) {
  PETREL_TRY(CheckOptions(options));
  if (!disk || !engine) return Error(ErrorCode::kInvalidArgument, "virtio-blk: no disk or engine");
  return std::unique_ptr<BlkDevice>(new BlkDevice(options, std::move(disk), std::move(engine)));
}

BlkDevice::BlkDevice(const BlkOptions& options, std::unique_ptr<DiskFile> disk,
                     std::unique_ptr<IoEngine> engine)
    : disk_(std::move(disk)),
      engine_(std::move(engine)),
      num_queues_(options.num_queues),
      queue_size_(options.queue_size) {
  const bool readonly = disk_->readonly();
  // Every discard / write-zeroes segment is one engine request, submitted together.
  const uint32_t max_seg =
      static_cast<uint32_t>(std::clamp<size_t>(engine_->queue_depth(), 1, kBlkMaxDiscardSegments));
  config_.capacity = disk_->size() >> kSectorShift;
  // §5.2.4 seg_max: data buffers per request; header and status take two
  // descriptors of the queue.
  config_.seg_max = std::max<uint32_t>(queue_size_ - 2, 1);
  config_.blk_size = disk_->logical_block_size();
  config_.num_queues = num_queues_;
  // §5.2.5.2: CONFIG_WCE requires FLUSH, which is always offered.
  features_ = FeatureBit(kBlkFSegMax) | FeatureBit(kBlkFBlkSize) | FeatureBit(kBlkFFlush) |
              FeatureBit(kBlkFConfigWce);
  if (readonly) features_ |= FeatureBit(kBlkFRo);
  if (num_queues_ > 1) features_ |= FeatureBit(kBlkFMq);
  if (disk_->discard_supported()) {
    features_ |= FeatureBit(kBlkFDiscard);
    config_.max_discard_sectors = kBlkMaxRangeSectors;
    config_.max_discard_seg = max_seg;
    config_.discard_sector_alignment = config_.blk_size >> kSectorShift;
  }
  if (!readonly) {  // the engines fall back to writing zeroes
    features_ |= FeatureBit(kBlkFWriteZeroes);
    config_.max_write_zeroes_sectors = kBlkMaxRangeSectors;
    config_.max_write_zeroes_seg = max_seg;
  }
  limits_.capacity_sectors = config_.capacity;
  limits_.readonly = readonly;
  limits_.discard = (features_ & FeatureBit(kBlkFDiscard)) != 0;
  limits_.write_zeroes = (features_ & FeatureBit(kBlkFWriteZeroes)) != 0;
  limits_.max_discard_seg = config_.max_discard_seg;
  limits_.max_discard_sectors = config_.max_discard_sectors;
  limits_.max_write_zeroes_seg = config_.max_write_zeroes_seg;
  limits_.max_write_zeroes_sectors = config_.max_write_zeroes_sectors;
  std::copy(options.serial.begin(), options.serial.end(), limits_.id.begin());
}

BlkDevice::~BlkDevice() {
  Reset();
}

void BlkDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), uint8_t{0});
  if (offset >= sizeof(BlkConfig)) return;
  const size_t n = std::min<uint64_t>(data.size(), sizeof(BlkConfig) - offset);
  BlkConfig cfg = config_;
  cfg.writeback = writeback_.load();
  std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&cfg) + offset, n);
}

// §5.2.4: with VIRTIO_BLK_F_CONFIG_WCE only `writeback` is writable (0
// writethrough, 1 writeback). Other fields, wider writes and other values are
// ignored. The transport does not tell us whether CONFIG_WCE was negotiated
// before activation; the mode only takes effect when it was (Start).
void BlkDevice::WriteConfig(uint64_t offset, std::span<const uint8_t> data) {
  if (offset != offsetof(BlkConfig, writeback) || data.size() != 1 || data[0] > 1) return;
  writeback_.store(data[0]);
}

BlkDeviceState BlkDevice::Save() const {
  if (!inflight_.empty()) {
    PETREL_LOG(kWarn) << "virtio-blk: saving with " << inflight_.size()
                      << " requests in flight; they are not part of the state";
  }
  return BlkDeviceState{writeback_.load()};
}

Result<void> BlkDevice::Restore(const BlkDeviceState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-blk: restore into an active device is unsupported");
  }
  if (state.writeback > 1) {
    return Error(ErrorCode::kInvalidArgument, "virtio-blk: writeback must be 0 or 1");
  }
  writeback_.store(state.writeback);
  return Ok();
}

Result<void> BlkDevice::Activate(VirtioContext& context) {
  Deactivate();
  PETREL_ASSIGN_OR_RETURN(WatchId id, context.loop().WatchNotifier(engine_->completion_notifier(),
                                                                   [this] { OnCompletions(); }));
  context_ = &context;
  watch_ = id;
  config_wce_ = (context.features() & FeatureBit(kBlkFConfigWce)) != 0;
  flush_negotiated_ = (context.features() & FeatureBit(kBlkFFlush)) != 0;
  stalled_.assign(num_queues_, std::nullopt);
  to_signal_.assign(num_queues_, false);
  return Ok();
}

void BlkDevice::Reset() {
  Deactivate();
  writeback_.store(1);
}

void BlkDevice::Deactivate() {
  if (context_ != nullptr && watch_) context_->loop().Remove(*watch_);
  watch_.reset();
  Drain();
  inflight_.clear();
  stalled_.clear();
  to_signal_.clear();
  context_ = nullptr;
  failed_ = false;
  config_wce_ = false;
  flush_negotiated_ = false;
}

// With CONFIG_WCE the driver's writeback field decides (§5.2.4); without it,
// a driver that did not negotiate FLUSH cannot ask for durability, so writes
// are made stable before they complete (§5.2.6.2; QEMU and Cloud Hypervisor
// do the same).
bool BlkDevice::WriteThrough() const {
  return config_wce_ ? writeback_.load() == 0 : !flush_negotiated_;
}

void BlkDevice::Drain() {
  for (int i = 0; engine_->in_flight() > 0 && i < kDrainPolls; ++i) {
    (void)engine_->Reap();
    if (engine_->in_flight() == 0) break;
    const int fd = engine_->completion_notifier()->fd();
    if (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      (void)poll(&p, 1, kDrainPollMs);
      engine_->completion_notifier()->Consume();
    }
  }
  if (engine_->in_flight() > 0) {
    PETREL_LOG(kError) << "virtio-blk: " << engine_->in_flight()
                       << " requests still in flight after reset";
  }
}

void BlkDevice::DoFail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  context_->Fail("virtio-blk: " + why);
}

void BlkDevice::QueueNotified(uint16_t index) {
  if (context_ == nullptr || failed_ || index >= num_queues_) return;
  if (!context_->queue(index).ready() || stalled_[index]) return;
  Process(index);
  if (to_signal_[index]) {
    to_signal_[index] = false;
    context_->SignalUsed(index);
  }
}

void BlkDevice::Process(uint16_t q) {
  SplitQueue& queue = context_->queue(q);
  GuestMemory& memory = context_->memory();
  for (uint32_t n = 0; !failed_ && !stalled_[q]; ++n) {
    if (n == kMaxChainsPerTurn) return context_->NotifyAgain(q);
    auto popped = queue.Pop();
    if (!popped.ok()) return DoFail(popped.error().message());
    if (!*popped) return;
    const DescriptorChain& chain = **popped;
    auto request = ParseBlkRequest(memory, chain, limits_);
    if (!request.ok()) return DoFail(request.error().message());
    if (!request->inline_data.empty()) {
      ChainWriter out(memory, chain);
      if (auto w = out.Write(request->inline_data); !w.ok()) return DoFail(w.error().message());
    }
    if (!Start(q, chain.head, *request)) stalled_[q] = Stalled{chain.head, std::move(*request)};
  }
}

bool BlkDevice::Start(uint16_t q, uint16_t head, BlkRequest& request) {
  if (request.status) {
    Complete(q, head, request.status_gpa, *request.status, request.used_len);
    return true;
  }
  const uint64_t tag = next_tag_;
  for (IoRequest& io : request.io) io.user_data = tag;
  Result<void> submitted = engine_->Submit(request.io);
  if (!submitted.ok()) {
    // Busy with nothing in flight would never clear: the request is too big.
    if (submitted.error().code() == ErrorCode::kBusy && engine_->in_flight() > 0) return false;
    Complete(q, head, request.status_gpa, kBlkSIoErr, 1);
    return true;
  }
  ++next_tag_;
  // §5.2.6.2: in writethrough mode a write completes only once it is stable.
  const bool writes = std::any_of(request.io.begin(), request.io.end(), [](const IoRequest& io) {
    return io.op == IoRequest::Op::kWrite;
  });
  inflight_[tag] = Inflight{.queue = q,
                            .head = head,
                            .status_gpa = request.status_gpa,
                            .used_len = request.used_len,
                            .data_len = request.data_len,
                            .remaining = static_cast<uint32_t>(request.io.size()),
                            .flush_after = writes && WriteThrough()};
  return true;
}

bool BlkDevice::SubmitFlush(uint64_t tag, Inflight& f) {
  f.flush_after = false;
  f.data_len = 0;  // the flush's result is 0 on success
  const IoRequest flush{.op = IoRequest::Op::kFlush, .user_data = tag};
  if (!engine_->Submit(std::span<const IoRequest>(&flush, 1)).ok()) return false;
  f.remaining = 1;
  return true;
}

void BlkDevice::Complete(uint16_t q, uint16_t head, uint64_t status_gpa, uint8_t status,
                         uint32_t used_len) {
  SplitQueue& queue = context_->queue(q);
  if (!queue.ready()) return;
  if (auto w = context_->memory().WriteObj(status_gpa, status); !w.ok()) {
    return DoFail(w.error().message());
  }
  if (auto u = queue.AddUsed(head, status == kBlkSOk ? used_len : 1); !u.ok()) {
    return DoFail(u.error().message());
  }
  to_signal_[q] = true;
}

void BlkDevice::OnCompletions() {
  if (context_ == nullptr) {
    (void)engine_->Reap();
    return;
  }
  for (const IoCompletion& c : engine_->Reap()) {
    auto it = inflight_.find(c.user_data);
    if (it == inflight_.end()) continue;
    Inflight& f = it->second;
    if (c.result < 0) {
      // Engine errors (EIO, ENOSPC, EROFS, ...) are the driver's IOERR;
      // a file system that cannot discard makes discard unsupported.
      if (f.status == kBlkSOk) f.status = c.result == -EOPNOTSUPP ? kBlkSUnsupp : kBlkSIoErr;
    } else if (f.data_len != 0 && static_cast<uint64_t>(c.result) != f.data_len) {
      f.status = kBlkSIoErr;  // short read: the file shrank under us
    }
    if (--f.remaining == 0) {
      // The write's slots are free again, so the flush fits in the engine.
      if (f.flush_after && f.status == kBlkSOk) {
        if (SubmitFlush(it->first, f)) continue;
        f.status = kBlkSIoErr;
      }
      Complete(f.queue, f.head, f.status_gpa, f.status, f.used_len);
      inflight_.erase(it);
    }
  }
  for (uint16_t q = 0; q < num_queues_; ++q) {
    if (stalled_[q] && !failed_) {
      Stalled s = std::move(*stalled_[q]);
      stalled_[q].reset();
      if (Start(q, s.head, s.request)) {
        Process(q);
      } else {
        stalled_[q] = std::move(s);
      }
    }
    if (to_signal_[q]) {
      to_signal_[q] = false;
      context_->SignalUsed(q);
    }
  }
}

}  // namespace petrel::virtio
