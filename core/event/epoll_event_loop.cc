// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EpollEventLoop (see epoll_event_loop.h).
#include "core/event/epoll_event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>
#include <iterator>

namespace petrel {
namespace {

constexpr WatchId kWakeId = 0;    // epoll data of the internal eventfd
constexpr int kMaxEvents = 64;    // events taken per wait; the rest stay ready
constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int64_t kNsPerMs = 1'000'000;

// Waits up to `timeout_ns` (-1: forever). An interrupted wait returns 0 events.
Result<int> EpollWait(int epoll_fd, epoll_event* events, int64_t timeout_ns,
                      std::atomic<bool>& have_pwait2) {
  if (have_pwait2.load(std::memory_order_relaxed)) {
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = static_cast<time_t>(timeout_ns / kNsPerSec);
      ts.tv_nsec = static_cast<long>(timeout_ns % kNsPerSec);
      tsp = &ts;
    }
    int n = epoll_pwait2(epoll_fd, events, kMaxEvents, tsp, nullptr);
    if (n >= 0) return n;
    if (errno == EINTR) return 0;
    if (errno != ENOSYS) return Error::FromErrno("epoll_pwait2");
    have_pwait2.store(false, std::memory_order_relaxed);
  }
  int ms = -1;
  if (timeout_ns >= 0) {
    // Round up, so a timer is never seen as not yet due after the wait.
    int64_t whole = timeout_ns / kNsPerMs + (timeout_ns % kNsPerMs != 0 ? 1 : 0);
    ms = whole > INT_MAX ? INT_MAX : static_cast<int>(whole);
  }
  int n = epoll_wait(epoll_fd, events, kMaxEvents, ms);
  if (n >= 0) return n;
  if (errno == EINTR) return 0;
  return Error::FromErrno("epoll_wait");
}

}  // namespace

const isolation::SyscallRules& EpollEventLoop::ThreadSyscalls() {
  static const isolation::SyscallRules rules = {
      SYS_epoll_pwait2, SYS_epoll_pwait, SYS_epoll_wait, SYS_epoll_ctl,  // waiting, watches
      SYS_eventfd2,                                                      // EventFdNotifier
      SYS_read, SYS_write,                                               // eventfd counters
  };
  return rules;
}

Result<std::unique_ptr<EpollEventLoop>> EpollEventLoop::Create(const Clock& clock) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Error::FromErrno("epoll_create1");
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    Error e = Error::FromErrno("eventfd");
    close(epoll_fd);
    return e;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    Error e = Error::FromErrno("epoll_ctl(ADD wake eventfd)");
    close(wake_fd);
    close(epoll_fd);
    return e;
  }
  return std::unique_ptr<EpollEventLoop>(new EpollEventLoop(clock, epoll_fd, wake_fd));
}

EpollEventLoop::~EpollEventLoop() {
  close(wake_fd_);
  close(epoll_fd_);
}

Result<WatchId> EpollEventLoop::AddFdWatch(Kind kind, int fd, std::shared_ptr<Notifier> notifier,
                                           Handler handler, uint32_t events) {
  if (fd < 0) return Error(ErrorCode::kInvalidArgument, "watch of a negative fd");
  if (!handler) return Error(ErrorCode::kInvalidArgument, "watch without a handler");
  auto watch = std::make_shared<Watch>();
  watch->kind = kind;
  watch->fd = fd;
  watch->notifier = std::move(notifier);
  watch->handler = std::move(handler);
  std::lock_guard lock(mu_);
  WatchId id = next_id_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    return Error::FromErrno("epoll_ctl(ADD fd " + std::to_string(fd) + ")");
  watches_.emplace(id, std::move(watch));
  return id;
}

Result<WatchId> EpollEventLoop::WatchNotifier(std::shared_ptr<Notifier> notifier,
                                              Handler handler) {
  if (!notifier) return Error(ErrorCode::kInvalidArgument, "watch of a null notifier");
  int fd = notifier->fd();
  if (fd < 0)
    return Error(ErrorCode::kInvalidArgument, "the epoll loop needs a notifier with an fd");
  return AddFdWatch(Kind::kNotifier, fd, std::move(notifier), std::move(handler));
}

Result<WatchId> EpollEventLoop::WatchFd(int fd, Handler handler) {
  return AddFdWatch(Kind::kFd, fd, nullptr, std::move(handler));
}

Result<WatchId> EpollEventLoop::WatchFdWritable(int fd, Handler handler) {
  return AddFdWatch(Kind::kFd, fd, nullptr, std::move(handler), EPOLLOUT);
}

Result<WatchId> EpollEventLoop::AddTimer(uint64_t deadline_ns, Handler handler) {
  if (!handler) return Error(ErrorCode::kInvalidArgument, "timer without a handler");
  auto watch = std::make_shared<Watch>();
  watch->kind = Kind::kTimer;
  watch->deadline_ns = deadline_ns;
  watch->handler = std::move(handler);
  WatchId id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    watches_.emplace(id, std::move(watch));
    timers_.emplace(deadline_ns, id);
  }
  WakeIfWaitingElsewhere();
  return id;
}

void EpollEventLoop::Remove(WatchId id) {
  std::shared_ptr<Watch> doomed;  // destroyed after the lock is dropped
  std::lock_guard lock(mu_);
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  doomed = std::move(it->second);
  watches_.erase(it);
  if (doomed->kind == Kind::kTimer) {
    timers_.erase({doomed->deadline_ns, id});
  } else {
    // Fails harmlessly (EBADF/ENOENT) if the owner already closed the fd.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, doomed->fd, nullptr);
  }
}

Result<void> EpollEventLoop::Post(Handler handler) {
  if (!handler) return Error(ErrorCode::kInvalidArgument, "posting an empty handler");
  {
    std::lock_guard lock(mu_);
    posted_.push_back(std::move(handler));
  }
  Wake();
  return Ok();
}

void EpollEventLoop::Stop() {
  stop_.store(true, std::memory_order_release);
  Wake();
}

void EpollEventLoop::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void EpollEventLoop::WakeIfWaitingElsewhere() {
  bool wake;
  {
    std::lock_guard lock(mu_);
    wake = loop_thread_ != std::thread::id() && loop_thread_ != std::this_thread::get_id();
  }
  if (wake) Wake();
}

std::shared_ptr<EpollEventLoop::Watch> EpollEventLoop::FindWatch(WatchId id) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(id);
  return it == watches_.end() ? nullptr : it->second;
}

void EpollEventLoop::RunReady(WatchId id) {
  // A watch removed by an earlier handler in this batch is skipped; the copy
  // keeps the handler alive if it removes its own watch.
  std::shared_ptr<Watch> watch = FindWatch(id);
  if (!watch) return;
  if (watch->kind == Kind::kNotifier && watch->notifier->Consume() == 0) return;
  watch->handler();
}

void EpollEventLoop::RunPosted() {
  std::deque<Handler> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(posted_);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    try {
      batch[i]();
    } catch (...) {
      // The rest of the batch stays queued, in order, ahead of newer posts:
      // a handler that throws loses only its own work.
      std::lock_guard lock(mu_);
      const auto rest = batch.begin() + static_cast<std::ptrdiff_t>(i) + 1;
      posted_.insert(posted_.begin(), std::make_move_iterator(rest),
                     std::make_move_iterator(batch.end()));
      throw;
    }
  }
}

void EpollEventLoop::RunDueTimers() {
  const uint64_t now = clock_.NowNs();
  WatchId limit;  // timers added by these handlers wait for the next call
  {
    std::lock_guard lock(mu_);
    limit = next_id_;
  }
  while (true) {
    std::shared_ptr<Watch> watch;
    {
      std::lock_guard lock(mu_);
      auto it = timers_.begin();
      while (it != timers_.end() && it->first <= now && it->second >= limit) ++it;
      if (it == timers_.end() || it->first > now) return;
      auto w = watches_.find(it->second);
      watch = std::move(w->second);
      watches_.erase(w);
      timers_.erase(it);
    }
    watch->handler();
  }
}

Result<void> EpollEventLoop::RunOnce(int64_t timeout_ns) {
  int64_t wait_ns = timeout_ns < 0 ? -1 : timeout_ns;
  {
    std::lock_guard lock(mu_);
    loop_thread_ = std::this_thread::get_id();
    if (!posted_.empty()) wait_ns = 0;
    if (!timers_.empty()) {
      uint64_t now = clock_.NowNs();
      uint64_t deadline = timers_.begin()->first;
      uint64_t until = deadline <= now ? 0 : deadline - now;
      if (until > static_cast<uint64_t>(INT64_MAX)) until = INT64_MAX;
      if (wait_ns < 0 || static_cast<int64_t>(until) < wait_ns)
        wait_ns = static_cast<int64_t>(until);
    }
  }
  epoll_event events[kMaxEvents];
  auto waited = EpollWait(epoll_fd_, events, wait_ns, have_pwait2_);
  {
    std::lock_guard lock(mu_);
    loop_thread_ = std::thread::id();
  }
  if (!waited.ok()) return std::move(waited).error();
  for (int i = 0; i < *waited; ++i) {
    WatchId id = events[i].data.u64;
    if (id == kWakeId) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof count);
    } else {
      RunReady(id);
    }
  }
  RunPosted();
  RunDueTimers();
  return Ok();
}

Result<void> EpollEventLoop::Run() {
  while (!stop_.exchange(false, std::memory_order_acq_rel)) PETREL_TRY(RunOnce(-1));
  return Ok();
}

}  // namespace petrel
