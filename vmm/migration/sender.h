// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The sending side of a live migration: the order of messages and the
// pre-copy rounds, as Cloud Hypervisor's send_migration does them, against
// a narrow MigrationSource (the VM being migrated) and a MigrationChannel.
//
//   Start
//   [MemoryFd per memory slot]               local migration only
//   Config                                   the VM's config and memory layout
//   dirty log on; Memory (every page that may be non-zero)
//   Memory rounds of the pages dirtied meanwhile, until the estimated
//     downtime (dirty bytes / measured bandwidth) fits `downtime`, or
//     the timeout (kCancel fails; kIgnore goes on), or max_rounds
//   Pause; the last Memory round; State; Complete (CompletePaused when the
//     VM was paused before the migration)
//
// Every request waits for the destination's Ok. On any failure before the
// destination acknowledged Complete, the sender sends Abandon (best effort),
// turns the dirty log off and resumes the VM if it paused it: the source
// keeps running, as it was.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "vmm/migration/protocol.h"
#include "vmm/migration/stream.h"

namespace petrel::vmm::migration {

// Cloud Hypervisor's TimeoutStrategy: what a migration that ran out of time
// does. kCancel: give up, the VM stays on the source. kIgnore: pause and
// finish whatever the downtime.
enum class TimeoutStrategy { kCancel, kIgnore };

struct SendOptions {
  std::chrono::milliseconds downtime{300};  // CH's downtime_ms default
  std::chrono::seconds timeout{3600};       // CH's timeout_s default
  TimeoutStrategy timeout_strategy = TimeoutStrategy::kCancel;
  bool local = false;       // memory fds instead of Memory rounds
  // Dirty rounds after the first full one. CH has no such bound (only the
  // timeout): unbounded by default; tests bound it.
  uint32_t max_rounds = UINT32_MAX;
};

// What the sender needs from the VM it migrates. Called on the sending
// thread only.
class MigrationSource {
 public:
  virtual ~MigrationSource() = default;
  // The Config message's payload.
  virtual Result<std::string> ConfigPayload() = 0;
  // The first round: every range that may hold a non-zero byte (the
  // destination's new memory is zero).
  virtual Result<MemoryRangeTable> InitialRanges() = 0;
  virtual Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> out) = 0;
  // Dirty logging of guest and VMM writes to guest memory.
  virtual Result<void> StartDirtyLog() = 0;
  // The pages written since StartDirtyLog or the previous call, as ranges;
  // clears them.
  virtual Result<MemoryRangeTable> TakeDirtyRanges() = 0;
  virtual void StopDirtyLog() = 0;
  // Whether the VM was paused when the migration began.
  virtual bool paused() const = 0;
  virtual Result<void> Pause() = 0;
  virtual Result<void> Resume() = 0;
  // The State message's payload; the VM is paused.
  virtual Result<std::string> StatePayload() = 0;
  // Local migration: (slot, fd) for each memory slot; the fds stay owned by
  // the source.
  virtual Result<std::vector<std::pair<uint32_t, int>>> MemoryFds() {
    return Error(ErrorCode::kUnsupported, "local migration needs shared memory (--memory shared=on)");
  }
};

struct SendReport {
  uint32_t dirty_rounds = 0;       // Memory rounds after the first, the final one included
  uint64_t memory_bytes = 0;       // guest bytes sent, every round
  uint64_t final_round_bytes = 0;  // sent while paused
  uint64_t total_ns = 0;           // Start to Complete's answer
  uint64_t downtime_ns = 0;        // Pause to Complete's answer
};

// Named steps for the event monitor and the fault-injection tests:
// "started", "configured", "memory", "paused", "state", "completed".
using SendProgress = std::function<void(std::string_view step)>;

// Runs the whole migration over `channel`. On success the VM runs on the
// destination and the source's VM is paused (the caller shuts it down).
Result<SendReport> SendMigration(MigrationChannel& channel, MigrationSource& source,
                                 const SendOptions& options, const Clock& clock,
                                 const SendProgress& progress = {});

}  // namespace petrel::vmm::migration
