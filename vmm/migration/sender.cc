// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "vmm/migration/sender.h"

#include <algorithm>

#include "core/base/log.h"

namespace petrel::vmm::migration {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The union of two tables, sorted, overlapping and touching ranges merged.
MemoryRangeTable MergeRanges(const MemoryRangeTable& a, const MemoryRangeTable& b) {
  std::vector<MemoryRange> all = a.ranges();
  all.insert(all.end(), b.ranges().begin(), b.ranges().end());
  std::sort(all.begin(), all.end(),
            [](const MemoryRange& x, const MemoryRange& y) { return x.gpa < y.gpa; });
  std::vector<MemoryRange> merged;
  for (const MemoryRange& r : all) {
    if (r.length == 0) continue;
    if (!merged.empty() && r.gpa <= merged.back().gpa + merged.back().length) {
      MemoryRange& last = merged.back();
      last.length = std::max(last.gpa + last.length, r.gpa + r.length) - last.gpa;
    } else {
      merged.push_back(r);
    }
  }
  return MemoryRangeTable(std::move(merged));
}

// One migration's progress; undoes what it did to the source on failure.
class Sender {
 public:
  Sender(MigrationChannel& channel, MigrationSource& source, const SendOptions& options,
         const Clock& clock, const SendProgress& progress)
      : channel_(channel), source_(source), options_(options), clock_(clock), progress_(progress) {}

  Result<SendReport> Run() {
    const uint64_t start_ns = clock_.NowNs();
    Result<void> sent = SendAll(start_ns);
    if (!sent.ok()) {
      Undo();
      return std::move(sent).error();
    }
    report_.total_ns = clock_.NowNs() - start_ns;
    return report_;
  }

 private:
  void Step(std::string_view step) {
    if (progress_) progress_(step);
  }

  Result<void> Request(Command command, std::span<const uint8_t> payload = {}) {
    PETREL_TRY(channel_.SendRequest(command, payload));
    return channel_.ExpectOk(CommandName(command));
  }

  Result<void> SendMemory(const MemoryRangeTable& table) {
    if (table.empty()) return Ok();
    PETREL_TRY(channel_.SendMemory(table, [this](uint64_t gpa, std::span<uint8_t> out) {
      return source_.ReadMemory(gpa, out);
    }));
    PETREL_TRY(channel_.ExpectOk("Memory"));
    report_.memory_bytes += table.TotalBytes();
    return Ok();
  }

  Result<void> SendAll(uint64_t start_ns) {
    PETREL_TRY(Request(Command::kStart));
    Step("started");
    if (options_.local) {
      PETREL_ASSIGN_OR_RETURN(auto fds, source_.MemoryFds());
      for (const auto& [slot, fd] : fds) {
        PETREL_TRY(channel_.SendMemoryFd(slot, fd));
        PETREL_TRY(channel_.ExpectOk("MemoryFd"));
      }
    }
    PETREL_ASSIGN_OR_RETURN(std::string config, source_.ConfigPayload());
    PETREL_TRY(Request(Command::kConfig, Bytes(config)));
    Step("configured");
    if (!options_.local) PETREL_TRY(PreCopy(start_ns));

    // Downtime starts here.
    const uint64_t pause_ns = clock_.NowNs();
    if (!source_.paused()) {
      PETREL_TRY(source_.Pause().Wrap("pausing the VM"));
      paused_by_us_ = true;
    }
    Step("paused");
    if (!options_.local) {
      PETREL_ASSIGN_OR_RETURN(MemoryRangeTable dirty, source_.TakeDirtyRanges());
      const MemoryRangeTable last = MergeRanges(pending_, dirty);
      PETREL_TRY(SendMemory(last));
      report_.final_round_bytes = last.TotalBytes();
      ++report_.dirty_rounds;
    }
    PETREL_ASSIGN_OR_RETURN(std::string state, source_.StatePayload());
    PETREL_TRY(Request(Command::kState, Bytes(state)));
    Step("state");
    PETREL_TRY(Request(source_.paused() && !paused_by_us_ ? Command::kCompletePaused
                                                          : Command::kComplete));
    completed_ = true;
    report_.downtime_ns = clock_.NowNs() - pause_ns;
    StopDirtyLog();
    Step("completed");
    return Ok();
  }

  // The full first round, then dirty rounds while the VM runs.
  Result<void> PreCopy(uint64_t start_ns) {
    PETREL_TRY(source_.StartDirtyLog().Wrap("starting the dirty log"));
    logging_ = true;
    PETREL_ASSIGN_OR_RETURN(MemoryRangeTable all, source_.InitialRanges());
    // The bandwidth is what the last round achieved: its bytes over its time.
    uint64_t sent_at = clock_.NowNs();
    PETREL_TRY(SendMemory(all));
    uint64_t round_ns = clock_.NowNs() - sent_at;
    uint64_t round_bytes = all.TotalBytes();
    Step("memory");
    for (uint32_t round = 0; round < options_.max_rounds; ++round) {
      PETREL_ASSIGN_OR_RETURN(MemoryRangeTable dirty, source_.TakeDirtyRanges());
      if (FitsDowntime(dirty.TotalBytes(), round_bytes, round_ns)) {
        // Little enough to send while paused: these pages go in the final
        // round, with whatever is dirtied until then.
        return PutBack(dirty);
      }
      const uint64_t now = clock_.NowNs();
      if (now - start_ns > static_cast<uint64_t>(options_.timeout.count()) * 1'000'000'000) {
        if (options_.timeout_strategy == TimeoutStrategy::kCancel) {
          return Error(ErrorCode::kFailedPrecondition,
                       "the migration did not converge within " +
                           std::to_string(options_.timeout.count()) + " s");
        }
        return PutBack(dirty);
      }
      sent_at = now;
      PETREL_TRY(SendMemory(dirty));
      round_ns = clock_.NowNs() - sent_at;
      round_bytes = dirty.TotalBytes();
      ++report_.dirty_rounds;
    }
    // Out of rounds: the rest goes in the final round, whatever it costs.
    PETREL_ASSIGN_OR_RETURN(MemoryRangeTable rest, source_.TakeDirtyRanges());
    return PutBack(rest);
  }

  // Whether `dirty_bytes` would go within the downtime at the bandwidth the
  // last round had (`bytes` in `ns`).
  bool FitsDowntime(uint64_t dirty_bytes, uint64_t bytes, uint64_t ns) const {
    if (dirty_bytes == 0) return true;
    if (ns == 0 || bytes == 0) return bytes != 0;  // no time measured: as fast as it gets
    const long double seconds = static_cast<long double>(dirty_bytes) * ns / bytes / 1e9L;
    return seconds * 1000 <= static_cast<long double>(options_.downtime.count());
  }

  // The final round must still send `dirty`: TakeDirtyRanges cleared it.
  Result<void> PutBack(const MemoryRangeTable& dirty) {
    pending_ = dirty;
    return Ok();
  }

  void StopDirtyLog() {
    if (logging_) source_.StopDirtyLog();
    logging_ = false;
  }

  void Undo() {
    if (!completed_) {
      // Best effort: the destination drops what it built. A broken
      // connection simply fails this.
      (void)channel_.SendRequest(Command::kAbandon);
    }
    StopDirtyLog();
    if (paused_by_us_) {
      Result<void> resumed = source_.Resume();
      if (!resumed.ok()) {
        PETREL_LOG(kError) << "migration failed and the VM could not be resumed: "
                           << resumed.error().message();
      }
    }
  }

  MigrationChannel& channel_;
  MigrationSource& source_;
  const SendOptions& options_;
  const Clock& clock_;
  const SendProgress& progress_;
  SendReport report_;
  MemoryRangeTable pending_;  // taken from the log, not sent yet
  bool logging_ = false;
  bool paused_by_us_ = false;
  bool completed_ = false;
};

}  // namespace

Result<SendReport> SendMigration(MigrationChannel& channel, MigrationSource& source,
                                 const SendOptions& options, const Clock& clock,
                                 const SendProgress& progress) {
  return Sender(channel, source, options, clock, progress).Run();
}

}  // namespace petrel::vmm::migration
