// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MemDevice: the virtio memory device (see mem_device.h).
#include "devices/virtio/mem/mem_device.h"

#include <sys/syscall.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/base/bytes.h"
#include "core/base/log.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/serve_chains.h"

namespace petrel::virtio {
namespace {

constexpr uint64_t kWordBits = 64;

// The bits [lo, hi) of a word, lo < hi <= 64.
uint64_t Mask(uint64_t lo, uint64_t hi) {
  const uint64_t upper = hi == kWordBits ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
  return upper & ~((uint64_t{1} << lo) - 1);
}

uint64_t Features(const VirtioMemConfig& config) {
  return config.numa_node ? FeatureBit(kMemFAcpiPxm) : 0;
}

}  // namespace

Result<std::unique_ptr<MemDevice>> MemDevice::Create(const VirtioMemConfig& config) {
  PETREL_TRY(Validate(config));
  return std::unique_ptr<MemDevice>(new MemDevice(config));
}

MemDevice::MemDevice(const VirtioMemConfig& config)
    : addr_(config.addr),
      size_(config.size),
      block_size_(config.block_size),
      blocks_(config.size / config.block_size),
      node_id_(config.numa_node.value_or(0)),
      features_(Features(config)),
      requested_(config.requested_size),
      words_((blocks_ + kWordBits - 1) / kWordBits, 0) {}

isolation::SyscallRules MemDevice::WorkerSyscalls() const {
  return {SYS_madvise, SYS_fallocate};
}

void MemDevice::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  uint8_t cfg[kMemConfigSize] = {};
  StoreLe<uint64_t>(cfg, kMemConfigBlockSize, block_size_);
  StoreLe<uint16_t>(cfg, kMemConfigNodeId, node_id_);
  StoreLe<uint64_t>(cfg, kMemConfigAddr, addr_);
  StoreLe<uint64_t>(cfg, kMemConfigRegionSize, size_);
  StoreLe<uint64_t>(cfg, kMemConfigUsableRegionSize, usable_region_size());
  StoreLe<uint64_t>(cfg, kMemConfigPluggedSize, plugged_size());
  StoreLe<uint64_t>(cfg, kMemConfigRequestedSize, requested_size());
  std::fill(data.begin(), data.end(), uint8_t{0});
  if (offset >= kMemConfigSize) return;
  const size_t n = std::min<uint64_t>(data.size(), kMemConfigSize - offset);
  std::memcpy(data.data(), cfg + offset, n);
}

void MemDevice::WriteConfig(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {
  // §5.15.4.1: the driver MUST NOT write; every field is the device's.
}

Result<void> MemDevice::SetRequestedSize(uint64_t bytes) {
  if (bytes % block_size_ != 0 || bytes > size_) {
    return Error(ErrorCode::kInvalidArgument,
                 "virtio-mem requested size " + std::to_string(bytes) +
                     " is not a multiple of the block size (" + std::to_string(block_size_) +
                     ") up to the region's size (" + std::to_string(size_) + ")");
  }
  requested_.store(bytes);
  return Ok();
}

Result<void> MemDevice::Activate(VirtioContext& context) {
  if (!context.memory().Contains(addr_, size_)) {
    return Error(ErrorCode::kFailedPrecondition, "virtio-mem: the region is not guest RAM");
  }
  context_ = &context;
  failed_ = false;
  quiesced_ = false;
  // Unplugged blocks may hold a previous guest's (or a snapshot's) bytes:
  // give them back to the host (§5.15.6.2 allows it at any time).
  uint64_t run = 0;  // unplugged blocks before b
  for (uint64_t b = 0; b < blocks_;) {
    const uint64_t word = words_[b / kWordBits];
    if (b % kWordBits == 0 && b + kWordBits <= blocks_ && (word == 0 || word == ~uint64_t{0})) {
      if (word == 0) {
        run += kWordBits;
      } else if (run != 0) {
        Discard(addr_ + (b - run) * block_size_, run * block_size_);
        run = 0;
      }
      b += kWordBits;
      continue;
    }
    if ((word >> (b % kWordBits)) & 1) {
      if (run != 0) Discard(addr_ + (b - run) * block_size_, run * block_size_);
      run = 0;
    } else {
      ++run;
    }
    ++b;
  }
  if (run != 0) Discard(addr_ + (blocks_ - run) * block_size_, run * block_size_);
  return Ok();
}

void MemDevice::Reset() {
  // §5.15.5.2: the blocks keep their state across a device reset.
  context_ = nullptr;
  failed_ = false;
  quiesced_ = false;
}

Result<void> MemDevice::UnplugAllForSystemReset() {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-mem: unplug-all for a system reset while active");
  }
  SetRange(0, blocks_, false);
  plugged_blocks_.store(0);
  return Ok();
}

MemDeviceState MemDevice::Save() const {
  MemDeviceState s;
  s.requested_size = requested_.load();
  s.plugged.assign((blocks_ + 7) / 8, 0);
  std::lock_guard lock(mu_);
  for (uint64_t i = 0; i < s.plugged.size(); ++i) {
    s.plugged[i] = static_cast<uint8_t>(words_[i / 8] >> (8 * (i % 8)));
  }
  return s;
}

Result<void> MemDevice::Restore(const MemDeviceState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-mem: restore into an active device is unsupported");
  }
  if (state.requested_size % block_size_ != 0 || state.requested_size > size_) {
    return Error(ErrorCode::kInvalidArgument, "virtio-mem state: requested size " +
                                                  std::to_string(state.requested_size) +
                                                  " does not fit the region");
  }
  if (state.plugged.size() != (blocks_ + 7) / 8) {
    return Error(ErrorCode::kInvalidArgument,
                 "virtio-mem state: a bitmap of " + std::to_string(state.plugged.size()) +
                     " bytes for " + std::to_string(blocks_) + " blocks");
  }
  if (blocks_ % 8 != 0 && (state.plugged.back() >> (blocks_ % 8)) != 0) {
    return Error(ErrorCode::kInvalidArgument, "virtio-mem state: blocks past the region plugged");
  }
  std::vector<uint64_t> words(words_.size(), 0);
  uint64_t count = 0;
  for (uint64_t i = 0; i < state.plugged.size(); ++i) {
    words[i / 8] |= uint64_t{state.plugged[i]} << (8 * (i % 8));
    count += static_cast<uint64_t>(std::popcount(state.plugged[i]));
  }
  {
    std::lock_guard lock(mu_);
    words_ = std::move(words);
  }
  plugged_blocks_.store(count);
  requested_.store(state.requested_size);
  return Ok();
}

void MemDevice::DoFail(const std::string& why) {
  failed_ = true;
  context_->Fail("virtio-mem: " + why);
}

void MemDevice::QueueNotified(uint16_t index) {
  if (context_ == nullptr || failed_ || quiesced_ || index != kMemQueueGuestRequest) return;
  SplitQueue& queue = context_->queue(index);
  if (!queue.ready()) return;
  Result<void> served = Serve(queue);
  context_->SignalUsed(index);
  if (!served.ok()) DoFail(served.error().message());
}

Result<void> MemDevice::Serve(SplitQueue& queue) {
  return ServeChains(
      *context_, kMemQueueGuestRequest, queue, [&](const DescriptorChain& chain) -> Result<void> {
        // §5.15.6: every request is 24 bytes, every response 10.
        if (chain.readable_len < kMemReqSize) {
          return Error(ErrorCode::kMalformed,
                       "a request of " + std::to_string(chain.readable_len) + " bytes (not 24)");
        }
        if (chain.writable_len < kMemRespSize) {
          return Error(
              ErrorCode::kMalformed,
              "room for a response of " + std::to_string(chain.writable_len) + " bytes (not 10)");
        }
        uint8_t req[kMemReqSize];
        ChainReader in(context_->memory(), chain);
        PETREL_TRY(in.Read(req));
        // §5.15.6.3-§5.15.6.6: everything but type, addr and nb_blocks is ignored.
        const Reply reply =
            Handle(LoadLe<uint16_t>(req, kMemReqType), LoadLe<uint64_t>(req, kMemReqAddr),
                   LoadLe<uint16_t>(req, kMemReqNbBlocks));
        uint8_t resp[kMemRespSize] = {};
        StoreLe<uint16_t>(resp, kMemRespType, reply.type);
        StoreLe<uint16_t>(resp, kMemRespState, reply.state);
        ChainWriter out(context_->memory(), chain);
        PETREL_TRY(out.Write(resp));
        return queue.AddUsed(chain.head, out.written());
      });
}

bool MemDevice::RangeOf(uint64_t addr, uint16_t nb_blocks, uint64_t& first, uint64_t& count) const {
  if (addr % block_size_ != 0 || nb_blocks == 0 || addr < addr_) return false;
  const uint64_t offset = addr - addr_;
  const uint64_t usable = usable_region_size();
  // nb_blocks < 2^16 and block_size <= 1 GiB: the product fits.
  const uint64_t len = uint64_t{nb_blocks} * block_size_;
  if (offset > usable || len > usable - offset) return false;
  first = offset / block_size_;
  count = nb_blocks;
  return true;
}

uint64_t MemDevice::CountPlugged(uint64_t first, uint64_t count) const {
  uint64_t n = 0;
  const uint64_t end = first + count;
  for (uint64_t b = first; b < end;) {
    const uint64_t w = b / kWordBits;
    const uint64_t hi = std::min(end - w * kWordBits, kWordBits);
    n += static_cast<uint64_t>(std::popcount(words_[w] & Mask(b % kWordBits, hi)));
    b = w * kWordBits + hi;
  }
  return n;
}

void MemDevice::SetRange(uint64_t first, uint64_t count, bool plugged) {
  std::lock_guard lock(mu_);
  const uint64_t end = first + count;
  for (uint64_t b = first; b < end;) {
    const uint64_t w = b / kWordBits;
    const uint64_t hi = std::min(end - w * kWordBits, kWordBits);
    const uint64_t m = Mask(b % kWordBits, hi);
    words_[w] = plugged ? words_[w] | m : words_[w] & ~m;
    b = w * kWordBits + hi;
  }
}

void MemDevice::Discard(uint64_t gpa, uint64_t len) {
  Result<void> r = context_->memory().Discard(gpa, len);
  if (!r.ok()) {  // the host's problem, not the guest's: the block just stays resident
    discard_errors_.fetch_add(1, std::memory_order_relaxed);
    PETREL_LOG_ONCE(kWarn, "virtio-mem-discard") << "virtio-mem: " << r.error().message();
  }
}

MemDevice::Reply MemDevice::Handle(uint16_t type, uint64_t addr, uint16_t nb_blocks) {
  auto error = [this]() {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return Reply{kMemRespError, 0};
  };
  uint64_t first = 0, count = 0;
  switch (type) {
    case kMemReqPlug: {  // §5.15.6.3
      if (!RangeOf(addr, nb_blocks, first, count) || CountPlugged(first, count) != 0) {
        return error();
      }
      if ((plugged_blocks_.load() + count) * block_size_ > requested_.load()) {
        nacks_.fetch_add(1, std::memory_order_relaxed);
        return {kMemRespNack, 0};
      }
      SetRange(first, count, true);
      plugged_blocks_.fetch_add(count);
      plugs_.fetch_add(1, std::memory_order_relaxed);
      return {};
    }
    case kMemReqUnplug: {  // §5.15.6.4
      if (!RangeOf(addr, nb_blocks, first, count) || CountPlugged(first, count) != count) {
        return error();
      }
      Discard(addr, count * block_size_);
      SetRange(first, count, false);
      plugged_blocks_.fetch_sub(count);
      unplugs_.fetch_add(1, std::memory_order_relaxed);
      return {};
    }
    case kMemReqUnplugAll:  // §5.15.6.5
      Discard(addr_, size_);
      SetRange(0, blocks_, false);
      plugged_blocks_.store(0);
      unplug_alls_.fetch_add(1, std::memory_order_relaxed);
      return {};
    case kMemReqState: {  // §5.15.6.6
      if (!RangeOf(addr, nb_blocks, first, count)) return error();
      const uint64_t plugged = CountPlugged(first, count);
      states_.fetch_add(1, std::memory_order_relaxed);
      return {kMemRespAck, plugged == count ? kMemStatePlugged
                           : plugged == 0   ? kMemStateUnplugged
                                            : kMemStateMixed};
    }
    default:
      PETREL_LOG_ONCE(kWarn, "virtio-mem-request")
          << "virtio-mem: the driver sent an unknown request type " << type;
      return error();
  }
}

void MemDevice::QuiesceQueueGroup(uint16_t /*group*/, std::function<void()> done) {
  quiesced_ = true;  // every chain taken was completed in the handler that took it
  done();
}

void MemDevice::ResumeQueueGroup(uint16_t /*group*/) {
  quiesced_ = false;
  QueueNotified(kMemQueueGuestRequest);  // what the driver queued meanwhile
}

std::map<std::string, uint64_t> MemDevice::Counters() const {
  std::map<std::string, uint64_t> out;
  out["plugged_bytes"] = plugged_size();
  out["requested_bytes"] = requested_size();
  out["region_bytes"] = size_;
  out["plugs"] = plugs_.load();
  out["unplugs"] = unplugs_.load();
  out["unplug_alls"] = unplug_alls_.load();
  out["states"] = states_.load();
  out["nacks"] = nacks_.load();
  out["errors"] = errors_.load();
  out["discard_errors"] = discard_errors_.load();
  return out;
}

}  // namespace petrel::virtio
