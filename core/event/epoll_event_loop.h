// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EpollEventLoop: the production EventLoop, built on epoll(7).
//
// File descriptors and EventFdNotifiers are watched level-triggered for
// readability. Timers are kept in a queue ordered by (deadline, id) and bound
// the epoll wait; deadlines are in the injected Clock's nanoseconds. An
// internal eventfd wakes a waiting loop for Post(), Stop() and registrations
// made from other threads.
//
// Thread-safety: every method may be called from any thread, but only one
// thread at a time may be inside RunOnce()/Run(); handlers run there, one at a
// time. Remove() from another thread does not wait for a handler that is
// already running.
//
// A handler that throws: the exception leaves RunOnce()/Run() (the caller
// is the thread boundary that catches it, e.g. ThreadWorker); the other
// ready fds stay ready and the rest of the posted batch stays queued, so
// only the thrower's own work is lost.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "core/isolation/syscall_rules.h"

namespace petrel {

class EpollEventLoop final : public EventLoop {
 public:
  // `clock` must outlive the loop.
  static Result<std::unique_ptr<EpollEventLoop>> Create(const Clock& clock);
  // What a thread running a loop (or adding watches to one, or making an
  // EventFdNotifier) asks of the kernel, for its seccomp filter.
  static const isolation::SyscallRules& ThreadSyscalls();
  ~EpollEventLoop() override;
  EpollEventLoop(const EpollEventLoop&) = delete;
  EpollEventLoop& operator=(const EpollEventLoop&) = delete;

  // Needs a notifier with a pollable fd (EventFdNotifier); else kInvalidArgument.
  Result<WatchId> WatchNotifier(std::shared_ptr<Notifier> notifier, Handler handler) override;
  // `fd` stays owned by the caller; Remove() the watch before closing it. The
  // handler also runs on hang-up or error, so it can read the EOF and Remove().
  Result<WatchId> WatchFd(int fd, Handler handler) override;
  // The same for EPOLLOUT; hang-up and error run the handler too.
  Result<WatchId> WatchFdWritable(int fd, Handler handler) override;
  Result<WatchId> AddTimer(uint64_t deadline_ns, Handler handler) override;
  uint64_t NowNs() const override { return clock_.NowNs(); }
  void Remove(WatchId id) override;
  Result<void> Post(Handler handler) override;

  // One wait (at most `timeout_ns`, -1: until something happens), then the
  // handlers of every ready watch, posted handler and due timer. Timers and
  // posts added by those handlers run on a later call.
  Result<void> RunOnce(int64_t timeout_ns) override;
  // Runs until Stop(). A Stop() made before Run() starts makes it return at
  // once; each Stop() ends one Run().
  Result<void> Run() override;
  void Stop() override;

 private:
  enum class Kind : uint8_t { kFd, kNotifier, kTimer };
  struct Watch {
    Kind kind;
    int fd = -1;
    std::shared_ptr<Notifier> notifier;
    uint64_t deadline_ns = 0;
    Handler handler;
  };

  EpollEventLoop(const Clock& clock, int epoll_fd, int wake_fd)
      : clock_(clock), epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}
  Result<WatchId> AddFdWatch(Kind kind, int fd, std::shared_ptr<Notifier> notifier,
                             Handler handler, uint32_t events = EPOLLIN);
  void Wake();
  // Wakes a RunOnce() blocked on another thread, so it sees a new timer.
  void WakeIfWaitingElsewhere();
  void RunReady(WatchId id);
  void RunPosted();
  void RunDueTimers();
  std::shared_ptr<Watch> FindWatch(WatchId id);

  const Clock& clock_;
  const int epoll_fd_;
  const int wake_fd_;
  std::atomic<bool> stop_{false};
  // epoll_pwait2 (Linux 5.11+) waits with ns precision; without it, epoll_wait
  // rounds waits up to whole milliseconds.
  std::atomic<bool> have_pwait2_{true};

  std::mutex mu_;
  WatchId next_id_ = 1;  // 0 is reserved for the wake eventfd
  std::map<WatchId, std::shared_ptr<Watch>> watches_;
  std::set<std::pair<uint64_t, WatchId>> timers_;  // (deadline, id)
  std::deque<Handler> posted_;
  std::thread::id loop_thread_;  // the thread inside RunOnce(), if any
};

}  // namespace petrel
