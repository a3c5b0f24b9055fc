// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SyncEngine (see sync_engine.h).
#include "devices/block/sync_engine.h"

#include <string>
#include <utility>

#include "devices/block/sync_io.h"

namespace petrel {

Result<std::unique_ptr<SyncEngine>> SyncEngine::Create(DiskFile& disk, uint32_t queue_depth,
                                                       std::shared_ptr<Notifier> notifier) {
  if (queue_depth == 0 || queue_depth > kMaxQueueDepth)
    return Error(ErrorCode::kInvalidArgument, "sync engine: queue depth " +
                                                  std::to_string(queue_depth) + " not in 1.." +
                                                  std::to_string(kMaxQueueDepth));
  if (!notifier) {
    PETREL_ASSIGN_OR_RETURN(auto eventfd, EventFdNotifier::Create());
    notifier = std::move(eventfd);
  }
  return std::unique_ptr<SyncEngine>(new SyncEngine(disk, queue_depth, std::move(notifier)));
}

Result<void> SyncEngine::Submit(std::span<const IoRequest> requests) {
  if (requests.empty()) return Ok();
  if (requests.size() > queue_depth_)
    return Error(ErrorCode::kInvalidArgument, "more requests than the queue depth");
  if (ready_.size() + requests.size() > queue_depth_)
    return Error(ErrorCode::kBusy, "sync engine: completions not reaped");
  for (const IoRequest& request : requests)
    ready_.push_back({request.user_data, ExecuteSync(disk_, request)});
  notifier_->Signal();
  return Ok();
}

std::vector<IoCompletion> SyncEngine::Reap() {
  return std::exchange(ready_, {});
}

}  // namespace petrel
