// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EventLoop: where devices and the VMM wait for things (determinism rule 1).
//
// No device owns a thread. A device registers handlers for notifiers
// (doorbells), readable file descriptors (a tty, a tap) and timers; the loop
// runs them. EpollEventLoop is the production loop, run on a thread the VMM
// chooses. DeterministicEventLoop runs handlers inline on the caller's thread
// in (virtual time, sequence) order, for hv_sim and tests.
//
// Handlers run on the loop's thread, one at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/base/result.h"
#include "core/event/notifier.h"

namespace petrel {

using WatchId = uint64_t;

class EventLoop {
 public:
  using Handler = std::function<void()>;
  virtual ~EventLoop() = default;

  // Runs `handler` (after Consume()-ing the notifier) each time it is signalled.
  virtual Result<WatchId> WatchNotifier(std::shared_ptr<Notifier> notifier, Handler handler) = 0;
  // Runs `handler` while `fd` is readable (level-triggered). kUnsupported on
  // loops that cannot wait on file descriptors.
  virtual Result<WatchId> WatchFd(int fd, Handler handler) = 0;
  // Runs `handler` while `fd` is writable (level-triggered: remove the watch
  // once there is nothing left to write). kUnsupported on loops that cannot
  // wait on file descriptors for writing (the deterministic loop).
  virtual Result<WatchId> WatchFdWritable(int fd, Handler handler) {
    (void)fd;
    (void)handler;
    return Error(ErrorCode::kUnsupported, "this event loop cannot wait for writable fds");
  }
  // Runs `handler` once, when the loop's clock reaches `deadline_ns`.
  virtual Result<WatchId> AddTimer(uint64_t deadline_ns, Handler handler) = 0;
  // The loop's clock (the one AddTimer's deadlines are in), in nanoseconds;
  // a handler that needs "in 5 s" adds it to this. Thread-safe.
  virtual uint64_t NowNs() const = 0;
  // Stops a watch or timer; unknown ids are ignored. Safe inside a handler,
  // including the handler of the watch being removed.
  virtual void Remove(WatchId id) = 0;
  // Runs `handler` once on the loop's thread, soon. Thread-safe: the way other
  // threads hand work to the loop.
  virtual Result<void> Post(Handler handler) = 0;

  // Waits at most `timeout_ns` (-1: no limit) for events and runs their handlers.
  virtual Result<void> RunOnce(int64_t timeout_ns) = 0;
  // Runs until Stop(). Stop() is thread-safe.
  virtual Result<void> Run() = 0;
  virtual void Stop() = 0;
};

}  // namespace petrel
