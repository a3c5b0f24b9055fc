// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SyncEngine: the IoEngine that does each request inside Submit() with
// preadv/pwritev, fdatasync and fallocate. Always available; the fallback
// when io_uring is not. Completions are ready as soon as Submit() returns and
// the notifier has been signalled.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/event/notifier.h"
#include "devices/block/io_engine.h"

namespace petrel {

class DiskFile;

class SyncEngine final : public IoEngine {
 public:
  // `disk` must outlive the engine. `queue_depth` (1..kMaxQueueDepth) bounds
  // the completions waiting to be reaped. `notifier`: null makes an
  // EventFdNotifier; pass an InProcessNotifier for DeterministicEventLoop.
  static Result<std::unique_ptr<SyncEngine>> Create(DiskFile& disk,
                                                    uint32_t queue_depth = kDefaultQueueDepth,
                                                    std::shared_ptr<Notifier> notifier = nullptr);

  Result<void> Submit(std::span<const IoRequest> requests) override;
  std::vector<IoCompletion> Reap() override;
  std::shared_ptr<Notifier> completion_notifier() override { return notifier_; }
  size_t in_flight() const override { return ready_.size(); }
  size_t queue_depth() const override { return queue_depth_; }
  const char* name() const override { return "sync"; }

 private:
  SyncEngine(DiskFile& disk, uint32_t queue_depth, std::shared_ptr<Notifier> notifier)
      : disk_(disk), queue_depth_(queue_depth), notifier_(std::move(notifier)) {}
  DiskFile& disk_;
  uint32_t queue_depth_;
  std::shared_ptr<Notifier> notifier_;
  std::vector<IoCompletion> ready_;
};

}  // namespace petrel
