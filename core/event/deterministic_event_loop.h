// DeterministicEventLoop: the EventLoop of hv_sim and unit tests.
//
// Every event (a timer, a notifier signal, a Post()) is queued with a key
// (virtual time, sequence number) and handlers run inline on the calling
// thread in key order, so the same operations always give the same handler
// order. Time is a VirtualClock the loop advances to each timer's deadline;
// nothing here reads the wall clock.
//
// Notifiers must be InProcessNotifiers: WatchNotifier installs a hook so that
// Signal() queues the handler at the current virtual time (at most one queued
// run per watch; signals made meanwhile are consumed together). A Signal() or
// Post() from inside a handler is queued, never run re-entrantly.
//
// Thread-safety: queueing (Signal, Post, AddTimer, Remove) and Stop() may come
// from any thread; handlers run only on the thread calling the Run* methods.
// Destroy the loop only when no other thread can signal a watched notifier.
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
  // Always kUnsupported: virtual time cannot wait on host file descriptors.
  Result<WatchId> WatchFd(int fd, Handler handler) override;
  // A deadline already past is queued at that (earlier) time, so it runs first.
  Result<WatchId> AddTimer(uint64_t deadline_ns, Handler handler) override;
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
  // is queued. A Stop() made before Run() makes it return at once.
  Result<void> Run() override;
  void Stop() override;

  // Runs events in order, advancing the clock, until nothing is queued.
  // Never returns if handlers keep queueing (e.g. a periodic timer).
  void RunUntilIdle();
  // Runs every event queued at or before `time_ns`, then leaves the clock at
  // `time_ns` (or later, if it already was).
  void RunUntil(uint64_t time_ns);
  // Number of queued events.
  size_t pending() const;

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // (virtual time, sequence)
  struct Watch {
    std::shared_ptr<InProcessNotifier> notifier;
    Handler handler;
  };
  struct Event {
    WatchId owner = 0;  // the watch or timer this event belongs to; 0 for Post()
    std::shared_ptr<Watch> notifier_watch;  // set for notifier events
    Handler handler;                        // timers and posts
  };

  void OnSignal(WatchId id);
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
  std::unordered_map<WatchId, Key> queued_;  // the queued event of a watch or timer
};

}  // namespace petrel
