// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Notifier implementations (see notifier.h).
#include "core/event/notifier.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace petrel {

Result<std::shared_ptr<EventFdNotifier>> EventFdNotifier::Create() {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error::FromErrno("eventfd");
  return std::shared_ptr<EventFdNotifier>(new EventFdNotifier(fd));
}

EventFdNotifier::~EventFdNotifier() { close(fd_); }

void EventFdNotifier::Signal() {
  uint64_t one = 1;
  // A full counter (2^64-2) cannot happen in practice; EAGAIN is ignored.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

uint64_t EventFdNotifier::Consume() {
  uint64_t value = 0;
  if (read(fd_, &value, sizeof value) != sizeof value) return 0;
  return value;
}

void InProcessNotifier::Signal() {
  count_.fetch_add(1);
  std::function<void()> hook;
  {
    std::lock_guard lock(hook_mu_);
    hook = hook_;
  }
  if (hook) hook();
}

void InProcessNotifier::SetHook(std::function<void()> hook) {
  std::lock_guard lock(hook_mu_);
  hook_ = std::move(hook);
}

}  // namespace petrel
