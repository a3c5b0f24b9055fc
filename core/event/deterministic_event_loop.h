// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DeterministicEventLoop: the EventLoop of hv_sim and unit tests.
//
// Every event (a timer, a notifier signal, a readable fd, a Post()) is
// queued with a key (virtual time, sequence number) and handlers run inline
// on the calling thread in key order, so the same operations always give the
// same handler order. Time is a VirtualClock the loop advances to each
// timer's deadline; nothing here reads the wall clock.
//
// Notifiers must be InProcessNotifiers: WatchNotifier installs a hook so that
// Signal() queues the handler at the current virtual time (at most one queued
// run per watch; signals made meanwhile are consumed together). A Signal() or
// Post() from inside a handler is queued, never run re-entrantly.
//
// File descriptors are watched level-triggered, like epoll without
// EPOLLET, but polled rather than waited on: at well-defined points the loop
// poll()s every watched fd with timeout 0, in WatchId order, and an fd that
// is readable (POLLIN, POLLHUP or POLLERR) gets its handler queued at the
// current virtual time (at most one queued run per watch). The points are:
// the start of RunOnce (before it fixes which events it runs), RunOnce again
// when nothing was due (a readable fd is "an event due now", so the clock
// does not move past it), and before each event in Run, RunUntilIdle and
// RunUntil. When its turn comes the fd is polled once more and the handler
// is skipped if it is no longer readable. Nothing ever blocks on an fd:
// if none is readable, virtual time moves on as if the watch did not exist.
// Handler order is deterministic as long as the fds' contents are (e.g. a
// socketpair the test itself writes, not a tap fed by the host). As with
// epoll LT, a handler that never drains its fd runs again and again, so
// RunUntilIdle spins until the fd is drained or the watch is Remove()d.
//
// Thread-safety: queueing (Signal, Post, AddTimer, WatchFd, Remove) and
// Stop() may come from any thread; handlers run only on the thread calling
// the Run* methods; fds are polled only on that thread too. Destroy the loop
// only when no other thread can signal a watched notifier.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/event/event_loop.h"

namespace petrel {

class DeterministicEventLoop final : public EventLoop {
 public:
  // `clock` must outlive the loop.
  explicit DeterministicEventLoop(VirtualClock& clock) : clock_(clock) {}
  ~DeterministicEventLoop() override;
  DeterministicEventLoop(const DeterministicEventLoop&) = delete;
  DeterministicEventLoop& operator=(const DeterministicEventLoop&) = delete;

  // Needs an InProcessNotifier (else kInvalidArgument); replaces its hook.
  Result<WatchId> WatchNotifier(std::shared_ptr<Notifier> notifier, Handler handler) override;
  // Polls `fd` as described above; the caller keeps it open until Remove().
  // kInvalidArgument for a negative or already watched fd or an empty
  // handler; the errno error of fcntl() for an fd that is not open.
  Result<WatchId> WatchFd(int fd, Handler handler) override;
  // A deadline already past is queued at that (earlier) time, so it runs first.
  Result<WatchId> AddTimer(uint64_t deadline_ns, Handler handler) override;
  uint64_t NowNs() const override { return clock_.NowNs(); }
  void Remove(WatchId id) override;
  // Queues `handler` at the current virtual time.
  Result<void> Post(Handler handler) override;

  // Runs the events due now (queued before the call). If none were due and
  // `timeout_ns` != 0, advances the clock to the first queued event if it is
  // at most `timeout_ns` away (-1: any distance) and runs the events due then;
  // with no event that close, "waits" by advancing the clock by `timeout_ns`
  // (with -1, returns at once).
  Result<void> RunOnce(int64_t timeout_ns) override;
  // Runs events in order, advancing the clock, until Stop() or until nothing
  // is queued and no watched fd is readable. A Stop() made before Run()
  // makes it return at once.
  Result<void> Run() override;
  void Stop() override;

  // Runs events in order, advancing the clock, until nothing is queued and no
  // watched fd is readable. Never returns if handlers keep queueing (e.g. a
  // periodic timer) or a watched fd stays readable.
  void RunUntilIdle();
  // Runs every event queued at or before `time_ns`, then leaves the clock at
  // `time_ns` (or later, if it already was).
  void RunUntil(uint64_t time_ns);
  // Number of queued events (fds are not polled for this).
  size_t pending() const;
  // Number of fd watches (tests: a device removed its watches).
  size_t watched_fds() const;

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // (virtual time, sequence)
  struct Watch {
    std::shared_ptr<InProcessNotifier> notifier;  // set for notifier watches
    int fd = -1;                                  // set for fd watches
    Handler handler;
  };
  struct Event {
    WatchId owner = 0;             // the watch or timer this event belongs to; 0 for Post()
    std::shared_ptr<Watch> watch;  // set for notifier and fd events
    Handler handler;               // timers and posts
  };

  void OnSignal(WatchId id);
  // Queues, in WatchId order, a run of each fd watch whose fd is readable and
  // that has no run queued yet.
  void PollFds();
  // Queues under mu_; returns the key.
  Key EnqueueLocked(uint64_t time_ns, Event event);
  // Pops and runs the first event if its time is <= `limit_ns` and its
  // sequence < `seq_limit`, advancing the clock to it. False if none.
  bool RunNext(uint64_t limit_ns, uint64_t seq_limit);

  VirtualClock& clock_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  WatchId next_id_ = 1;
  uint64_t next_seq_ = 0;
  std::map<Key, Event> queue_;
  std::unordered_map<WatchId, std::shared_ptr<Watch>> watches_;  // notifier watches
  std::map<WatchId, std::shared_ptr<Watch>> fd_watches_;         // ordered: poll order
  std::unordered_map<WatchId, Key> queued_;  // the queued event of a watch or timer
};

}  // namespace petrel
