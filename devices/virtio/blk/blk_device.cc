// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BlkDevice: the virtio block device (virtio 1.2 §5.2).
#include "devices/virtio/blk/blk_device.h"

#include <poll.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/base/log.h"
#include "devices/block/image/open_image.h"
#include "devices/block/image/raw_image.h"
#include "devices/virtio/blk/guest_iovec.h"
#include "devices/virtio/descriptor_chain.h"

namespace petrel::virtio {
namespace {

// The config space is little-endian (§5.2.4) and is served from BlkConfig's
// bytes as laid out in host memory.
static_assert(std::endian::native == std::endian::little);

// The destructor waits for in-flight I/O at most this many times kDrainPollMs.
constexpr int kDrainPolls = 100;
constexpr int kDrainPollMs = 100;

Result<void> CheckOptions(const BlkOptions& o) { return Validate(o).Wrap("virtio-blk"); }

// The bandwidth tokens a request takes: its data bytes for reads and
// writes; flushes, discards, write-zeroes and GET_ID take an operation only
// (as Cloud Hypervisor counts them).
uint64_t RateLimitedBytes(const BlkRequest& request) {
  return request.type == kBlkTIn || request.type == kBlkTOut ? request.data_len : 0;
}

}  // namespace

Result<std::unique_ptr<BlkDevice>> BlkDevice::Create(const BlkOptions& options) {
  PETREL_TRY(CheckOptions(options));
  PETREL_ASSIGN_OR_RETURN(auto image, OpenDiskImage({.path = options.path,
                                                     .readonly = options.readonly,
                                                     .direct = options.direct,
                                                     .type = options.image_type,
                                                     .backing_files = options.backing_files,
                                                     .sparse = options.sparse,
                                                     .lock_granularity = options.lock_granularity})
                                           .Wrap("virtio-blk"));
  // One engine per queue: queues on different workers share no engine.
  std::vector<std::unique_ptr<IoEngine>> engines;
  for (uint16_t q = 0; q < options.num_queues; ++q) {
    PETREL_ASSIGN_OR_RETURN(auto engine, image->MakeEngine(options.io_engine, options.queue_depth)
                                             .Wrap("virtio-blk " + options.path));
    engines.push_back(std::move(engine));
  }
  return Create(options, std::move(image), std::move(engines));
}

Result<std::unique_ptr<BlkDevice>> BlkDevice::Create(const BlkOptions& options,
                                                     std::unique_ptr<DiskFile> disk,
                                                     std::unique_ptr<IoEngine> engine) {
  std::vector<std::unique_ptr<IoEngine>> engines;
  engines.push_back(std::move(engine));
  return Create(options, std::move(disk), std::move(engines));
}

Result<std::unique_ptr<BlkDevice>> BlkDevice::Create(
    const BlkOptions& options, std::unique_ptr<DiskFile> disk,
    std::vector<std::unique_ptr<IoEngine>> engines) {
  if (!disk) return Error(ErrorCode::kInvalidArgument, "virtio-blk: no disk");
  const std::string path = disk->path();
  const uint64_t size = disk->size();
  return Create(options,
                std::make_unique<RawImage>(path, std::move(disk), size, /*probed=*/false),
                std::move(engines));
}

Result<std::unique_ptr<BlkDevice>> BlkDevice::Create(
    const BlkOptions& options, std::unique_ptr<DiskImage> disk,
    std::vector<std::unique_ptr<IoEngine>> engines) {
  PETREL_TRY(CheckOptions(options));
  if (!disk || engines.size() != options.num_queues ||
      std::find(engines.begin(), engines.end(), nullptr) != engines.end()) {
    return Error(ErrorCode::kInvalidArgument, "virtio-blk: no disk, or not one engine per queue");
  }
  return std::unique_ptr<BlkDevice>(new BlkDevice(options, std::move(disk), std::move(engines)));
}

BlkDevice::BlkDevice(const BlkOptions& options, std::unique_ptr<DiskImage> disk,
                     std::vector<std::unique_ptr<IoEngine>> engines)
    : disk_(std::move(disk)),
      lock_granularity_(options.lock_granularity),
      queues_(engines.size()),
      num_queues_(options.num_queues),
      queue_size_(options.queue_size),
      rate_limit_(options.rate_limiter_config) {
  size_t depth = SIZE_MAX;
  for (size_t q = 0; q < engines.size(); ++q) {
    depth = std::min(depth, engines[q]->queue_depth());
    queues_[q].engine = std::move(engines[q]);
  }
  const bool readonly = disk_->readonly();
  // Every discard / write-zeroes segment is one engine request, submitted together.
  const uint32_t max_seg =
      static_cast<uint32_t>(std::clamp<size_t>(depth, 1, kBlkMaxDiscardSegments));
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
  if (disk_->discard_supported() && options.sparse) {
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
  capacity_sectors_.store(config_.capacity);
  limits_.readonly = readonly;
  limits_.discard = (features_ & FeatureBit(kBlkFDiscard)) != 0;
  limits_.write_zeroes = (features_ & FeatureBit(kBlkFWriteZeroes)) != 0;
  limits_.max_discard_seg = config_.max_discard_seg;
  limits_.max_discard_sectors = config_.max_discard_sectors;
  limits_.max_write_zeroes_seg = config_.max_write_zeroes_seg;
  limits_.max_write_zeroes_sectors = config_.max_write_zeroes_sectors;
  std::copy(options.serial.begin(), options.serial.end(), limits_.id.begin());
}

Result<void> BlkDevice::LockImage() {
  if (disk_->locked()) return Ok();
  return disk_->Lock(lock_granularity_);
}

BlkDevice::~BlkDevice() {
  Reset();
  // VM teardown (no loop runs): the engines' buffers point into guest RAM,
  // which goes after us; wait for what a reset's grace abandoned.
  for (Queue& s : queues_) {
    for (int i = 0; s.engine->in_flight() > 0 && i < kDrainPolls; ++i) {
      (void)s.engine->Reap();
      if (s.engine->in_flight() == 0) break;
      const int fd = s.engine->completion_notifier()->fd();
      if (fd < 0) break;
      pollfd p{fd, POLLIN, 0};
      (void)poll(&p, 1, kDrainPollMs);
      s.engine->completion_notifier()->Consume();
    }
    if (s.engine->in_flight() > 0) {
      PETREL_LOG(kError) << "virtio-blk: " << s.engine->in_flight()
                         << " requests still in flight at teardown";
    }
  }
}

size_t BlkDevice::in_flight() const {
  size_t n = 0;
  for (const Queue& s : queues_) n += s.inflight.size();
  return n;
}

std::map<std::string, uint64_t> BlkDevice::Counters() const {
  return {{"read_bytes", read_bytes_.load(std::memory_order_relaxed)},
          {"read_ops", read_ops_.load(std::memory_order_relaxed)},
          {"write_bytes", write_bytes_.load(std::memory_order_relaxed)},
          {"write_ops", write_ops_.load(std::memory_order_relaxed)}};
}

std::vector<std::vector<uint16_t>> BlkDevice::QueueGroups() const {
  std::vector<std::vector<uint16_t>> groups;
  for (uint16_t q = 0; q < num_queues_; ++q) groups.push_back({q});
  return groups;
}

Result<void> BlkDevice::Grow(uint64_t new_bytes) {
  if (new_bytes % (uint64_t{1} << kSectorShift) != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 std::to_string(new_bytes) + " bytes is not a whole number of 512-byte sectors");
  }
  std::lock_guard lock(grow_mu_);
  PETREL_TRY(disk_->Grow(new_bytes));
  capacity_sectors_.store(new_bytes >> kSectorShift, std::memory_order_release);
  return Ok();
}

void BlkDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  std::fill(data.begin(), data.end(), uint8_t{0});
  if (offset >= sizeof(BlkConfig)) return;
  const size_t n = std::min<uint64_t>(data.size(), sizeof(BlkConfig) - offset);
  BlkConfig cfg = config_;
  cfg.writeback = writeback_.load();
  cfg.capacity = capacity_sectors();
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
  if (in_flight() != 0) {
    PETREL_LOG(kWarn) << "virtio-blk: saving with " << in_flight()
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
  context_ = &context;
  config_wce_ = (context.features() & FeatureBit(kBlkFConfigWce)) != 0;
  flush_negotiated_ = (context.features() & FeatureBit(kBlkFFlush)) != 0;
  // The group's limiter, or the disk's own with full buckets at every
  // activation (a reset device starts afresh).
  if (group_limiter_) {
    limiter_ = group_limiter_;
  } else if (rate_limit_) {
    limiter_ = std::make_shared<ratelimit::SharedRateLimiter>(*rate_limit_,
                                                              context.queue_loop(0).NowNs());
  }
  // Each queue watches its engine on its own loop, from its first
  // QueueNotified there (the transport notifies every ready queue once).
  return Ok();
}

void BlkDevice::Reset() {
  Deactivate();
  writeback_.store(1);
}

void BlkDevice::Deactivate() {
  for (Queue& s : queues_) {
    // A queue StopQueueGroup did not stop (teardown, tests): stop it now,
    // without waiting; completions still to come are ignored.
    StopWatch(s);
    if (s.engine->in_flight() > 0) (void)s.engine->Reap();
    s.on_stopped = nullptr;
    s.stopping = false;
    s.quiesced = false;
    s.on_quiesced = nullptr;
    s.inflight.clear();
    s.stalled.reset();
    s.throttled.reset();
    s.ordered.reset();
    s.to_signal = false;
  }
  context_ = nullptr;
  failed_ = false;
  config_wce_ = false;
  flush_negotiated_ = false;
}

void BlkDevice::StopWatch(Queue& s) {
  if (s.loop != nullptr) {
    if (s.watch) s.loop->Remove(*s.watch);
    if (s.grace) s.loop->Remove(*s.grace);
    if (s.throttle) s.loop->Remove(*s.throttle);
  }
  s.watch.reset();
  s.grace.reset();
  s.throttle.reset();
}

Result<void> BlkDevice::WatchEngine(uint16_t q) {
  Queue& s = queues_[q];
  if (s.watch) return Ok();
  s.loop = &context_->queue_loop(q);
  PETREL_ASSIGN_OR_RETURN(WatchId id, s.loop->WatchNotifier(s.engine->completion_notifier(),
                                                            [this, q] { OnCompletions(q); }));
  s.watch = id;
  return Ok();
}

void BlkDevice::QuiesceQueueGroup(uint16_t group, std::function<void()> done) {
  if (group >= num_queues_) return done();
  Queue& s = queues_[group];
  s.quiesced = true;
  s.on_quiesced = std::move(done);
  MaybeQuiesced(group);
}

void BlkDevice::MaybeQuiesced(uint16_t q) {
  Queue& s = queues_[q];
  if (!s.quiesced || !s.on_quiesced) return;
  // A failed device completes nothing more: its requests are not state
  // either (the driver must reset it).
  if (!failed_ && (!s.inflight.empty() || s.stalled || s.throttled)) return;
  auto done = std::move(s.on_quiesced);
  s.on_quiesced = nullptr;
  done();
}

void BlkDevice::ResumeQueueGroup(uint16_t group) {
  if (group >= num_queues_) return;
  Queue& s = queues_[group];
  const bool was = s.quiesced;
  s.quiesced = false;
  s.on_quiesced = nullptr;
  if (was) QueueNotified(group);  // what the driver queued while paused
}

void BlkDevice::StopQueueGroup(uint16_t group, std::function<void()> done) {
  if (group >= num_queues_) return done();
  Queue& s = queues_[group];
  s.quiesced = false;
  s.on_quiesced = nullptr;
  // Dropped: nothing of these requests reaches guest memory from us.
  s.stopping = true;
  s.inflight.clear();
  s.stalled.reset();
  s.throttled.reset();
  if (s.throttle && s.loop != nullptr) s.loop->Remove(*s.throttle);
  s.throttle.reset();
  s.ordered.reset();
  s.to_signal = false;
  if (s.engine->in_flight() > 0) (void)s.engine->Reap();
  if (s.engine->in_flight() == 0 || context_ == nullptr || !WatchEngine(group).ok()) {
    StopWatch(s);
    return done();
  }
  // The engine may still move data into guest buffers: wait for it on the
  // loop (OnCompletions), at most kBlkResetGraceNs.
  s.on_stopped = std::move(done);
  auto timer = s.loop->AddTimer(s.loop->NowNs() + kBlkResetGraceNs, [this, group] {
    Queue& t = queues_[group];
    t.grace.reset();
    PETREL_LOG(kError) << "virtio-blk: queue " << group << ": " << t.engine->in_flight()
                       << " requests still in flight " << kBlkResetGraceNs / 1'000'000'000
                       << " s after reset; abandoned";
    FinishStop(group);
  });
  if (timer.ok()) {
    s.grace = *timer;
  } else {
    FinishStop(group);
  }
}

void BlkDevice::FinishStop(uint16_t q) {
  Queue& s = queues_[q];
  StopWatch(s);
  auto done = std::move(s.on_stopped);
  s.on_stopped = nullptr;
  if (done) done();
}

// With CONFIG_WCE the driver's writeback field decides (§5.2.4); without it,
// a driver that did not negotiate FLUSH cannot ask for durability, so writes
// are made stable before they complete (§5.2.6.2; QEMU and Cloud Hypervisor
// do the same).
bool BlkDevice::WriteThrough() const {
  return config_wce_ ? writeback_.load() == 0 : !flush_negotiated_;
}

void BlkDevice::DoFail(const std::string& why) {
  if (failed_.exchange(true)) return;
  context_->Fail("virtio-blk: " + why);
}

void BlkDevice::QueueNotified(uint16_t index) {
  if (context_ == nullptr || failed_ || index >= num_queues_) return;
  Queue& s = queues_[index];
  if (s.stopping || !context_->queue(index).ready()) return;
  if (auto w = WatchEngine(index); !w.ok()) return DoFail("watching the engine: " + w.error().message());
  if (s.stalled || s.ordered || s.throttled) return;
  Process(index);
  if (s.to_signal) {
    s.to_signal = false;
    context_->SignalUsed(index);
  }
}

void BlkDevice::Process(uint16_t q) {
  Queue& s = queues_[q];
  SplitQueue& queue = context_->queue(q);
  GuestMemory& memory = context_->memory();
  for (uint32_t n = 0; !failed_ && !s.stalled && !s.ordered && !s.throttled && !s.quiesced; ++n) {
    if (n == kMaxChainsPerTurn) return context_->NotifyAgain(q);
    auto popped = queue.Pop();
    if (!popped.ok()) return DoFail(popped.error().message());
    if (!*popped) return;
    const DescriptorChain& chain = **popped;
    BlkLimits limits = limits_;
    limits.capacity_sectors = capacity_sectors();  // a Grow may have raised it
    auto request = ParseBlkRequest(memory, chain, limits);
    if (!request.ok()) return DoFail(request.error().message());
    if (!request->inline_data.empty()) {
      ChainWriter out(memory, chain);
      if (auto w = out.Write(request->inline_data); !w.ok()) return DoFail(w.error().message());
    }
    if (!Admit(q, chain.head, *request)) return;
    if (!Start(q, chain.head, *request)) s.stalled = Stalled{chain.head, std::move(*request)};
  }
}

bool BlkDevice::Admit(uint16_t q, uint16_t head, BlkRequest& request) {
  // A request already answered (a bad sector, an unsupported type) reaches
  // no disk and takes no tokens.
  if (!limiter_ || request.status) return true;
  Queue& s = queues_[q];
  const uint64_t now = s.loop->NowNs();
  const uint64_t wait = limiter_->TryConsume(RateLimitedBytes(request), 1, now);
  if (wait == 0) return true;
  s.throttled = Stalled{head, std::move(request)};
  // The deadline saturates: a wait beyond the clock's range never fires.
  const uint64_t deadline = now + wait < now ? UINT64_MAX : now + wait;
  auto timer = s.loop->AddTimer(deadline, [this, q] { OnThrottleTimer(q); });
  if (!timer.ok()) {
    DoFail("rate limiter: arming its timer: " + timer.error().message());
    return false;
  }
  s.throttle = *timer;
  return false;
}

void BlkDevice::OnThrottleTimer(uint16_t q) {
  Queue& s = queues_[q];
  s.throttle.reset();
  if (!s.throttled || failed_ || s.stopping) return;
  Stalled st = std::move(*s.throttled);
  s.throttled.reset();
  if (!Admit(q, st.head, st.request)) return;  // someone else took the tokens: wait again
  if (Start(q, st.head, st.request)) {
    Process(q);
  } else {
    s.stalled = std::move(st);
  }
  if (s.to_signal) {
    s.to_signal = false;
    context_->SignalUsed(q);
  }
  MaybeQuiesced(q);
}

bool BlkDevice::Start(uint16_t q, uint16_t head, BlkRequest& request) {
  if (request.status) {
    Complete(q, head, request.status_gpa, *request.status, request.used_len);
    return true;
  }
  if (request.type == kBlkTWriteZeroes) {
    uint64_t bytes = 0;
    for (const IoRequest& io : request.io) bytes += io.length;
    if (bytes > kBlkZeroesBytesPerTurn) return StartChunked(q, head, request);
  }
  Queue& s = queues_[q];
  IoEngine& engine = *s.engine;
  const uint64_t tag = s.next_tag;
  for (IoRequest& io : request.io) io.user_data = tag;
  Result<void> submitted = engine.Submit(request.io);
  if (!submitted.ok()) {
    // Busy with nothing in flight would never clear: the request is too big.
    if (submitted.error().code() == ErrorCode::kBusy && engine.in_flight() > 0) return false;
    Complete(q, head, request.status_gpa, kBlkSIoErr, 1);
    return true;
  }
  ++s.next_tag;
  // §5.2.6.2: in writethrough mode a write completes only once it is stable.
  const bool writes = std::any_of(request.io.begin(), request.io.end(), [](const IoRequest& io) {
    return io.op == IoRequest::Op::kWrite;
  });
  s.inflight[tag] = Inflight{.head = head,
                            .status_gpa = request.status_gpa,
                            .used_len = request.used_len,
                            .data_len = request.data_len,
                            .remaining = static_cast<uint32_t>(request.io.size()),
                            .flush_after = writes && WriteThrough(),
                            .type = request.type,
                            .bytes = request.data_len,
                            .device_writes = std::move(request.device_writes)};
  return true;
}

// A WRITE_ZEROES above kBlkZeroesBytesPerTurn: its ranges cut into pieces of
// at most that size, one submitted at a time (OnCompletions submits the
// next); the queue pops nothing more until the request completes.
bool BlkDevice::StartChunked(uint16_t q, uint16_t head, BlkRequest& request) {
  Queue& s = queues_[q];
  const uint64_t tag = s.next_tag;
  std::deque<IoRequest> pieces;
  for (const IoRequest& io : request.io) {
    for (uint64_t done = 0; done < io.length; done += kBlkZeroesBytesPerTurn) {
      IoRequest piece = io;
      piece.offset = io.offset + done;
      piece.length = std::min(kBlkZeroesBytesPerTurn, io.length - done);
      piece.user_data = tag;
      pieces.push_back(std::move(piece));
    }
  }
  Result<void> submitted = s.engine->Submit(std::span<const IoRequest>(&pieces.front(), 1));
  if (!submitted.ok()) {
    if (submitted.error().code() == ErrorCode::kBusy && s.engine->in_flight() > 0) return false;
    Complete(q, head, request.status_gpa, kBlkSIoErr, 1);
    return true;
  }
  pieces.pop_front();
  ++s.next_tag;
  s.inflight[tag] = Inflight{.head = head,
                             .status_gpa = request.status_gpa,
                             .used_len = request.used_len,
                             .remaining = 1,
                             .pieces = std::move(pieces)};
  s.ordered = tag;
  return true;
}

bool BlkDevice::SubmitFlush(Queue& s, uint64_t tag, Inflight& f) {
  f.flush_after = false;
  f.data_len = 0;  // the flush's result is 0 on success
  const IoRequest flush{.op = IoRequest::Op::kFlush, .user_data = tag};
  if (!s.engine->Submit(std::span<const IoRequest>(&flush, 1)).ok()) return false;
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
  queues_[q].to_signal = true;
}

void BlkDevice::OnCompletions(uint16_t q) {
  Queue& s = queues_[q];
  if (context_ == nullptr || s.stopping) {
    // After a reset began: the requests were dropped; only wait for the
    // engine to finish with the guest's buffers.
    (void)s.engine->Reap();
    if (s.stopping && s.engine->in_flight() == 0) FinishStop(q);
    return;
  }
  bool unblocked = false;
  for (const IoCompletion& c : s.engine->Reap()) {
    auto it = s.inflight.find(c.user_data);
    if (it == s.inflight.end()) continue;  // abandoned by an earlier reset
    Inflight& f = it->second;
    if (c.result < 0) {
      // Engine errors (EIO, ENOSPC, EROFS, ...) are the driver's IOERR;
      // a file system that cannot discard makes discard unsupported.
      if (f.status == kBlkSOk) f.status = c.result == -EOPNOTSUPP ? kBlkSUnsupp : kBlkSIoErr;
    } else if (f.data_len != 0 && static_cast<uint64_t>(c.result) != f.data_len) {
      f.status = kBlkSIoErr;  // short read: the file shrank under us
    }
    if (--f.remaining == 0) {
      // A chunked WRITE_ZEROES: the next piece (its slot just came free).
      if (!f.pieces.empty() && f.status == kBlkSOk) {
        if (s.engine->Submit(std::span<const IoRequest>(&f.pieces.front(), 1)).ok()) {
          f.pieces.pop_front();
          f.remaining = 1;
          continue;
        }
        f.status = kBlkSIoErr;
      }
      // The write's slots are free again, so the flush fits in the engine.
      if (f.flush_after && f.status == kBlkSOk) {
        if (SubmitFlush(s, it->first, f)) continue;
        f.status = kBlkSIoErr;
      }
      // The read's bytes landed after the iovecs marked their pages: mark
      // again, so a dirty log taken in between does not miss them.
      MarkDirtyRanges(context_->memory(), f.device_writes);
      Complete(q, f.head, f.status_gpa, f.status, f.used_len);
      if (f.status == kBlkSOk && f.type == kBlkTIn) {
        read_ops_.fetch_add(1, std::memory_order_relaxed);
        read_bytes_.fetch_add(f.bytes, std::memory_order_relaxed);
      } else if (f.status == kBlkSOk && f.type == kBlkTOut) {
        write_ops_.fetch_add(1, std::memory_order_relaxed);
        write_bytes_.fetch_add(f.bytes, std::memory_order_relaxed);
      }
      if (s.ordered == it->first) {
        s.ordered.reset();
        unblocked = true;
      }
      s.inflight.erase(it);
    }
  }
  if (s.stalled && !failed_ && !s.ordered) {
    Stalled st = std::move(*s.stalled);
    s.stalled.reset();
    if (Start(q, st.head, st.request)) {
      Process(q);
    } else {
      s.stalled = std::move(st);
    }
  } else if (unblocked && !failed_ && !s.stalled && !s.throttled) {
    Process(q);  // what the guest queued behind the chunked request
  }
  if (s.to_signal) {
    s.to_signal = false;
    context_->SignalUsed(q);
  }
  MaybeQuiesced(q);
}

}  // namespace petrel::virtio
