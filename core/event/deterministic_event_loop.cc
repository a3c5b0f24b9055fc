// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DeterministicEventLoop (see deterministic_event_loop.h).
#include "core/event/deterministic_event_loop.h"

#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <limits>
#include <string>
#include <vector>

namespace petrel {
namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// What counts as readable, as epoll reports EPOLLIN plus the always-on
// EPOLLHUP/EPOLLERR (poll(2)). POLLNVAL (fd closed under the watch) does not.
constexpr short kReadable = POLLIN | POLLHUP | POLLERR;

bool IsReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 && (p.revents & kReadable) != 0;
}

}  // namespace

DeterministicEventLoop::~DeterministicEventLoop() {
  std::lock_guard lock(mu_);
  for (auto& [id, watch] : watches_) watch->notifier->SetHook(nullptr);
}

DeterministicEventLoop::Key DeterministicEventLoop::EnqueueLocked(uint64_t time_ns, Event event) {
  Key key{time_ns, next_seq_++};
  queue_.emplace(key, std::move(event));
  return key;
}

Result<WatchId> DeterministicEventLoop::WatchNotifier(std::shared_ptr<Notifier> notifier,
                                                      Handler handler) {
  auto in_process = std::dynamic_pointer_cast<InProcessNotifier>(notifier);
  if (!in_process)
    return Error(ErrorCode::kInvalidArgument,
                 "the deterministic loop needs an InProcessNotifier");
  if (!handler) return Error(ErrorCode::kInvalidArgument, "watch without a handler");
  auto watch = std::make_shared<Watch>();
  watch->notifier = in_process;
  watch->handler = std::move(handler);
  WatchId id;
  {
    std::lock_guard lock(mu_);
    for (const auto& [other_id, other] : watches_) {
      if (other->notifier == in_process)
        return Error(ErrorCode::kInvalidArgument, "notifier is already watched");
    }
    id = next_id_++;
    watches_.emplace(id, watch);
    // The hook is set first, so a concurrent Signal() is never lost; it blocks
    // on mu_ in OnSignal() and finds the event queued below.
    in_process->SetHook([this, id] { OnSignal(id); });
    // Like a readable eventfd: a notifier signalled before the watch fires now.
    if (in_process->count() > 0) queued_[id] = EnqueueLocked(clock_.NowNs(), {id, watch, {}});
  }
  return id;
}

void DeterministicEventLoop::OnSignal(WatchId id) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(id);
  if (it == watches_.end() || queued_.count(id) != 0) return;  // gone, or already queued
  queued_[id] = EnqueueLocked(clock_.NowNs(), {id, it->second, {}});
}

Result<WatchId> DeterministicEventLoop::WatchFd(int fd, Handler handler) {
  if (fd < 0) return Error(ErrorCode::kInvalidArgument, "watch of a negative fd");
  if (!handler) return Error(ErrorCode::kInvalidArgument, "watch without a handler");
  if (fcntl(fd, F_GETFD) < 0)
    return Error::FromErrno("fcntl(F_GETFD fd " + std::to_string(fd) + ")");
  auto watch = std::make_shared<Watch>();
  watch->fd = fd;
  watch->handler = std::move(handler);
  std::lock_guard lock(mu_);
  for (const auto& [other_id, other] : fd_watches_) {
    if (other->fd == fd) return Error(ErrorCode::kInvalidArgument, "fd is already watched");
  }
  WatchId id = next_id_++;
  fd_watches_.emplace(id, std::move(watch));
  return id;
}

void DeterministicEventLoop::PollFds() {
  std::lock_guard lock(mu_);
  if (fd_watches_.empty()) return;
  std::vector<WatchId> ids;
  std::vector<pollfd> fds;
  for (const auto& [id, watch] : fd_watches_) {
    if (queued_.count(id) != 0) continue;
    ids.push_back(id);
    fds.push_back({watch->fd, POLLIN, 0});
  }
  if (fds.empty()) return;
  int n;
  do {
    n = poll(fds.data(), fds.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return;
  const uint64_t now = clock_.NowNs();
  for (size_t i = 0; i < fds.size(); ++i) {  // ids ascend: sequence follows WatchId
    if ((fds[i].revents & kReadable) == 0) continue;
    queued_[ids[i]] = EnqueueLocked(now, {ids[i], fd_watches_.at(ids[i]), {}});
  }
}

Result<WatchId> DeterministicEventLoop::AddTimer(uint64_t deadline_ns, Handler handler) {
  if (!handler) return Error(ErrorCode::kInvalidArgument, "timer without a handler");
  std::lock_guard lock(mu_);
  WatchId id = next_id_++;
  queued_[id] = EnqueueLocked(deadline_ns, {id, nullptr, std::move(handler)});
  return id;
}

void DeterministicEventLoop::Remove(WatchId id) {
  std::shared_ptr<Watch> watch;
  Event doomed;  // destroyed after the lock is dropped
  {
    std::lock_guard lock(mu_);
    if (auto q = queued_.find(id); q != queued_.end()) {
      auto e = queue_.find(q->second);
      doomed = std::move(e->second);
      queue_.erase(e);
      queued_.erase(q);
    }
    if (auto w = watches_.find(id); w != watches_.end()) {
      watch = std::move(w->second);
      watches_.erase(w);
    }
    fd_watches_.erase(id);
  }
  if (watch) watch->notifier->SetHook(nullptr);
}

Result<void> DeterministicEventLoop::Post(Handler handler) {
  if (!handler) return Error(ErrorCode::kInvalidArgument, "posting an empty handler");
  std::lock_guard lock(mu_);
  EnqueueLocked(clock_.NowNs(), {0, nullptr, std::move(handler)});
  return Ok();
}

bool DeterministicEventLoop::RunNext(uint64_t limit_ns, uint64_t seq_limit) {
  Key key;
  Event event;
  {
    std::lock_guard lock(mu_);
    auto it = queue_.begin();
    while (it != queue_.end() && it->first.first <= limit_ns && it->first.second >= seq_limit)
      ++it;
    if (it == queue_.end() || it->first.first > limit_ns) return false;
    key = it->first;
    event = std::move(it->second);
    queue_.erase(it);
    if (event.owner != 0) queued_.erase(event.owner);
  }
  clock_.AdvanceTo(key.first);
  if (event.watch && event.watch->notifier) {
    // Signals made from here on queue a new run.
    if (event.watch->notifier->Consume() == 0) return true;
    event.watch->handler();
  } else if (event.watch) {
    // Drained meanwhile (e.g. by an earlier handler): nothing to do.
    if (!IsReadable(event.watch->fd)) return true;
    event.watch->handler();
  } else {
    event.handler();
  }
  return true;
}

Result<void> DeterministicEventLoop::RunOnce(int64_t timeout_ns) {
  PollFds();
  const uint64_t now = clock_.NowNs();
  uint64_t seq_limit;
  {
    std::lock_guard lock(mu_);
    seq_limit = next_seq_;
  }
  bool ran = false;
  while (RunNext(now, seq_limit)) ran = true;
  if (ran || timeout_ns == 0) return Ok();

  uint64_t limit = kNoLimit;
  if (timeout_ns > 0) {
    auto t = static_cast<uint64_t>(timeout_ns);
    limit = now > kNoLimit - t ? kNoLimit : now + t;
  }
  PollFds();  // an fd readable by now is due now: the clock stays
  bool have_next = false;
  uint64_t next_time = 0;
  {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) {
      have_next = true;
      next_time = queue_.begin()->first.first;
      seq_limit = next_seq_;
    }
  }
  if (have_next && next_time <= limit) {
    while (RunNext(next_time, seq_limit)) {
    }
  } else if (timeout_ns > 0) {
    clock_.AdvanceTo(limit);
  }
  return Ok();
}

Result<void> DeterministicEventLoop::Run() {
  while (!stop_.exchange(false, std::memory_order_acq_rel)) {
    PollFds();
    if (!RunNext(kNoLimit, kNoLimit)) break;
  }
  return Ok();
}

void DeterministicEventLoop::Stop() { stop_.store(true, std::memory_order_release); }

void DeterministicEventLoop::RunUntilIdle() {
  do {
    PollFds();
  } while (RunNext(kNoLimit, kNoLimit));
}

void DeterministicEventLoop::RunUntil(uint64_t time_ns) {
  do {
    PollFds();
  } while (RunNext(time_ns, kNoLimit));
  clock_.AdvanceTo(time_ns);
}

size_t DeterministicEventLoop::watched_fds() const {
  std::lock_guard lock(mu_);
  return fd_watches_.size();
}

size_t DeterministicEventLoop::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace petrel
