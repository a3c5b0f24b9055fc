// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Notifier: a counter one side signals and the other consumes (an eventfd).
//
// Doorbells (ioevents), interrupt triggers (irqfd) and cross-thread wake-ups
// are all Notifiers. EventFdNotifier wraps a real eventfd so the kernel (KVM
// ioeventfd/irqfd) and epoll can use it; InProcessNotifier is a plain counter
// for hv_sim and the deterministic event loop, where a registered hook runs
// on Signal().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "core/base/result.h"

namespace petrel {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Adds one to the counter. Thread-safe; EventFdNotifier's is async-signal-safe.
  virtual void Signal() = 0;
  // Returns the counter and resets it to zero.
  virtual uint64_t Consume() = 0;
  // A pollable file descriptor, or -1 if this notifier has none.
  virtual int fd() const { return -1; }
};

class EventFdNotifier final : public Notifier {
 public:
  static Result<std::shared_ptr<EventFdNotifier>> Create();
  ~EventFdNotifier() override;
  void Signal() override;
  uint64_t Consume() override;
  int fd() const override { return fd_; }

 private:
  explicit EventFdNotifier(int fd) : fd_(fd) {}
  int fd_;
};

class InProcessNotifier final : public Notifier {
 public:
  void Signal() override;
  uint64_t Consume() override { return count_.exchange(0); }
  // The counter, without consuming it.
  uint64_t count() const { return count_.load(); }
  // Runs after each Signal(), on the signalling thread. One hook at a time.
  void SetHook(std::function<void()> hook);

 private:
  std::atomic<uint64_t> count_{0};
  std::mutex hook_mu_;
  std::function<void()> hook_;
};

}  // namespace petrel
