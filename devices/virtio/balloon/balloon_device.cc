// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BalloonDevice: the memory balloon (see balloon_device.h).
#include "devices/virtio/balloon/balloon_device.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/serve_chains.h"

namespace petrel::virtio {
namespace {

// Page numbers read from a chain per batch.
constexpr size_t kPfnBatch = 256;

constexpr const char* kStatNames[kBalloonStatTagCount] = {
    "swap_in",      "swap_out",         "major_faults", "minor_faults",        "free_memory",
    "total_memory", "available_memory", "disk_caches",  "hugetlb_allocations", "hugetlb_failures",
};

uint64_t Features(const BalloonConfig& config) {
  uint64_t f = FeatureBit(kBalloonFStatsVq);
  if (config.deflate_on_oom) f |= FeatureBit(kBalloonFDeflateOnOom);
  if (config.free_page_reporting) f |= FeatureBit(kBalloonFPageReporting);
  return f;
}

}  // namespace

BalloonDevice::BalloonDevice(const BalloonConfig& config)
    : features_(Features(config)),
      reporting_(config.free_page_reporting),
      num_pages_(static_cast<uint32_t>(config.size >> kBalloonPfnShift)) {}

isolation::SyscallRules BalloonDevice::WorkerSyscalls() const {
  return {SYS_madvise, SYS_fallocate};
}

void BalloonDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  uint8_t cfg[kBalloonConfigSize] = {};
  StoreLe<uint32_t>(cfg, kBalloonConfigNumPages, num_pages_.load());
  StoreLe<uint32_t>(cfg, kBalloonConfigActual, actual_.load());
  std::fill(data.begin(), data.end(), uint8_t{0});
  if (offset >= kBalloonConfigSize) return;
  const size_t n = std::min<uint64_t>(data.size(), kBalloonConfigSize - offset);
  std::memcpy(data.data(), cfg + offset, n);
}

void BalloonDevice::WriteConfig(uint64_t offset, std::span<const uint8_t> data) {
  if (offset == kBalloonConfigActual && data.size() == 4) {
    actual_.store(LoadLe<uint32_t>(data, 0));
  }
}

Result<void> BalloonDevice::SetTarget(uint64_t bytes) {
  if (bytes % kBalloonPageSize != 0 || (bytes >> kBalloonPfnShift) > UINT32_MAX) {
    return Error(ErrorCode::kInvalidArgument, "balloon size " + std::to_string(bytes) +
                                                  " is not whole 4 KiB pages below 16 TiB");
  }
  num_pages_.store(static_cast<uint32_t>(bytes >> kBalloonPfnShift));
  return Ok();
}

Result<void> BalloonDevice::Activate(VirtioContext& context) {
  context_ = &context;
  failed_ = false;
  quiesced_ = false;
  stats_head_.reset();
  // Queue numbers as the driver assigns them: skipped features take none.
  roles_.fill(Role::kNone);
  stats_queue_.reset();
  const uint64_t f = context.features();
  uint16_t next = 0;
  roles_[next++] = Role::kInflate;
  roles_[next++] = Role::kDeflate;
  if (f & FeatureBit(kBalloonFStatsVq)) {
    stats_queue_ = next;
    roles_[next++] = Role::kStats;
  }
  if (f & FeatureBit(kBalloonFPageReporting)) roles_[next++] = Role::kReporting;
  std::lock_guard lock(mu_);
  loop_ = &context.loop();
  return Ok();
}

void BalloonDevice::Reset() {
  {
    std::lock_guard lock(mu_);
    loop_ = nullptr;
  }
  context_ = nullptr;
  stats_head_.reset();  // the driver is gone; its buffer with it
  stats_queue_.reset();
  roles_.fill(Role::kNone);
  failed_ = false;
  quiesced_ = false;
}

Result<void> BalloonDevice::Restore(const BalloonDeviceState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-balloon: restore into an active device is unsupported");
  }
  num_pages_.store(state.num_pages);
  actual_.store(state.actual);
  return Ok();
}

BalloonDevice::Role BalloonDevice::RoleOf(uint16_t index) const {
  return index < roles_.size() ? roles_[index] : Role::kNone;
}

void BalloonDevice::DoFail(const std::string& why) {
  failed_ = true;
  context_->Fail("virtio-balloon: " + why);
}

void BalloonDevice::QueueNotified(uint16_t index) {
  if (context_ == nullptr || failed_ || quiesced_ || RoleOf(index) == Role::kNone) return;
  SplitQueue& queue = context_->queue(index);
  if (!queue.ready()) return;
  Result<void> served = Serve(index, queue);
  context_->SignalUsed(index);
  if (!served.ok()) DoFail(served.error().message());
}

Result<void> BalloonDevice::Serve(uint16_t index, SplitQueue& queue) {
  const Role role = RoleOf(index);
  if (role == Role::kNone) return Ok();
  return ServeChains(*context_, index, queue, [&](const DescriptorChain& chain) -> Result<void> {
    switch (role) {
      case Role::kInflate:
      case Role::kDeflate:
        PETREL_TRY(TakePages(chain, role == Role::kInflate));
        PETREL_TRY(queue.AddUsed(chain.head, 0));
        break;
      case Role::kStats:
        PETREL_TRY(TakeStats(chain));
        // Held until RequestStats; a second buffer replaces the first.
        if (stats_head_) PETREL_TRY(queue.AddUsed(*stats_head_, 0));
        stats_head_ = chain.head;
        break;
      case Role::kReporting:
        PETREL_TRY(TakeReport(chain));
        PETREL_TRY(queue.AddUsed(chain.head, 0));
        break;
      case Role::kNone: break;
    }
    return Ok();
  });
}

Result<void> BalloonDevice::TakePages(const DescriptorChain& chain, bool inflate) {
  ChainReader in(context_->memory(), chain);
  std::vector<uint8_t> bytes;
  uint64_t run_start = 0, run_len = 0;  // contiguous pages, discarded together
  auto flush = [&]() -> Result<void> {
    if (run_len == 0) return Ok();
    Result<void> r = context_->memory().Discard(run_start, run_len);
    run_len = 0;
    if (!r.ok()) {  // the host's problem, not the guest's
      PETREL_LOG_ONCE(kWarn, "balloon-discard") << "virtio-balloon: " << r.error().message();
    }
    return Ok();
  };
  while (in.remaining() >= 4) {
    const size_t count = std::min<size_t>(in.remaining() / 4, kPfnBatch);
    bytes.resize(count * 4);
    PETREL_TRY(in.Read(bytes));
    for (size_t i = 0; i < count; ++i) {
      const uint64_t gpa = uint64_t{LoadLe<uint32_t>(bytes, i * 4)} << kBalloonPfnShift;
      if (!context_->memory().Contains(gpa, kBalloonPageSize)) {
        bad_pages_.fetch_add(1, std::memory_order_relaxed);
        PETREL_LOG_ONCE(kWarn, "balloon-bad-pfn")
            << "virtio-balloon: the driver gave a page outside guest RAM (0x" << std::hex << gpa
            << "); skipped";
        continue;
      }
      (inflate ? inflated_ : deflated_).fetch_add(1, std::memory_order_relaxed);
      if (!inflate) continue;
      if (run_len != 0 && gpa == run_start + run_len) {
        run_len += kBalloonPageSize;
      } else {
        PETREL_TRY(flush());
        run_start = gpa;
        run_len = kBalloonPageSize;
      }
    }
  }
  return flush();
}

Result<void> BalloonDevice::TakeStats(const DescriptorChain& chain) {
  ChainReader in(context_->memory(), chain);
  std::array<std::optional<uint64_t>, kBalloonStatTagCount> got;
  uint8_t stat[kBalloonStatSize];
  while (in.remaining() >= kBalloonStatSize) {
    PETREL_TRY(in.Read(stat));
    const uint16_t tag = LoadLe<uint16_t>(stat, 0);
    if (tag < kBalloonStatTagCount) got[tag] = LoadLe<uint64_t>(stat, 2);  // unknown tags: skipped
  }
  std::lock_guard lock(mu_);
  stats_ = got;
  return Ok();
}

Result<void> BalloonDevice::TakeReport(const DescriptorChain& chain) {
  // §5.5.6.6: each buffer is one free range, page aligned.
  for (const ChainBuffer& b : chain.buffers) {
    if (b.gpa % kBalloonPageSize != 0 || b.len % kBalloonPageSize != 0) {
      bad_pages_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (Result<void> r = context_->memory().Discard(b.gpa, b.len); !r.ok()) {
      PETREL_LOG_ONCE(kWarn, "balloon-report") << "virtio-balloon: " << r.error().message();
      continue;
    }
    reported_bytes_.fetch_add(b.len, std::memory_order_relaxed);
  }
  return Ok();
}

void BalloonDevice::GiveStatsBack() {
  if (context_ == nullptr || failed_ || !stats_head_ || !stats_queue_) return;
  Result<void> used = context_->queue(*stats_queue_).AddUsed(*stats_head_, 0);
  stats_head_.reset();
  if (!used.ok()) return DoFail(used.error().message());
  context_->SignalUsed(*stats_queue_);
}

void BalloonDevice::RequestStats() {
  std::lock_guard lock(mu_);
  if (loop_ == nullptr) return;
  Result<void> posted = loop_->Post([this] {
    if (!quiesced_) GiveStatsBack();
  });
  if (!posted.ok()) {
    PETREL_LOG_ONCE(kWarn, "balloon-stats") << posted.error().message();
  }
}

void BalloonDevice::QuiesceQueueGroup(uint16_t /*group*/, std::function<void()> done) {
  GiveStatsBack();  // no chain may stay taken across a snapshot
  quiesced_ = true;
  done();
}

void BalloonDevice::ResumeQueueGroup(uint16_t /*group*/) {
  quiesced_ = false;
  for (uint16_t q = 0; q < roles_.size(); ++q) {
    if (roles_[q] != Role::kNone) QueueNotified(q);  // what the driver queued meanwhile
  }
}

std::map<std::string, uint64_t> BalloonDevice::Counters() const {
  std::map<std::string, uint64_t> out = {
      {"actual_bytes", actual_bytes()},           {"target_bytes", target_bytes()},
      {"inflated_pages", inflated_.load()},       {"deflated_pages", deflated_.load()},
      {"reported_bytes", reported_bytes_.load()}, {"bad_pages", bad_pages_.load()},
  };
  std::lock_guard lock(mu_);
  for (size_t tag = 0; tag < stats_.size(); ++tag) {
    if (stats_[tag]) out[kStatNames[tag]] = *stats_[tag];
  }
  return out;
}

}  // namespace petrel::virtio
