// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// EventMonitor (see event_monitor.h): CH's event format with nlohmann's
// ordered_json, and non-blocking writes that never raise SIGPIPE.
#include "vmm/event_monitor.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/base/field_error.h"
#include "core/base/log.h"

namespace petrel::vmm {
namespace {

constexpr char kOption[] = "--event-monitor";
constexpr uint64_t kNsPerSecond = 1'000'000'000;

Error MonitorError(const std::string& problem) {
  return Error(ErrorCode::kInvalidArgument, std::string(kOption) + ": " + problem);
}

// write(2) with SIGPIPE blocked for this thread. A SIGPIPE the write raises
// (the reader is gone) is taken back before the mask is restored, unless one
// was already pending, so the caller only sees EPIPE. Retries EINTR.
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t sigpipe_only;
  sigemptyset(&sigpipe_only);
  sigaddset(&sigpipe_only, SIGPIPE);
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &sigpipe_only, &old_mask);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n;
  do {
    n = write(fd, data, size);
  } while (n < 0 && errno == EINTR);
  const int saved_errno = errno;
  if (n < 0 && saved_errno == EPIPE && !was_pending) {
    const timespec no_wait{};
    while (sigtimedwait(&sigpipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved_errno;
  return n;
}

Result<void> SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return MonitorError(std::string("cannot make the descriptor non-blocking: ") +
                        std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<EventMonitor>> EventMonitor::Open(const config::EventMonitorConfig& config,
                                                         const Clock& clock) {
  UniqueFd fd;
  if (config.fd >= 0) {
    if (fcntl(config.fd, F_GETFD) < 0) {
      return MonitorError("fd=" + std::to_string(config.fd) + " is not an open file descriptor");
    }
    fd.reset(config.fd);
  } else {
    // CH: OpenOptions::new().write(true).create(true).truncate(true): mode
    // 0666 less the umask; Rust opens with O_CLOEXEC.
    fd.reset(open(config.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd.valid()) {
      return MonitorError("cannot create '" + EscapeForMessage(config.path) +
                          "': " + std::strerror(errno));
    }
  }
  PETREL_TRY(SetNonBlocking(fd.get()));
  return std::unique_ptr<EventMonitor>(new EventMonitor(std::move(fd), clock));
}

EventMonitor::EventMonitor(UniqueFd fd, const Clock& clock)
    : clock_(clock), start_ns_(clock.NowNs()), fd_(std::move(fd)) {}

EventMonitor::~EventMonitor() {
  std::lock_guard lock(mu_);
  FlushPendingLocked();  // best effort: the last event's rest, if there is room
}

std::string EventMonitor::FormatEvent(uint64_t elapsed_ns, std::string_view source,
                                      std::string_view event, const EventProperties& properties) {
  // serde's Duration: {"secs": u64, "nanos": u32}; CH's struct field order.
  nlohmann::ordered_json timestamp = nlohmann::ordered_json::object();
  timestamp["secs"] = elapsed_ns / kNsPerSecond;
  timestamp["nanos"] = static_cast<uint32_t>(elapsed_ns % kNsPerSecond);
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["timestamp"] = std::move(timestamp);
  json["source"] = std::string(source);
  json["event"] = std::string(event);
  if (properties.empty()) {
    json["properties"] = nullptr;
  } else {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& [key, value] : properties) object[key] = value;
    json["properties"] = std::move(object);
  }
  // serde_json::to_string_pretty: two spaces, "key": value, UTF-8 as is;
  // then the writer thread's "\n\n".
  return json.dump(/*indent=*/2, /*indent_char=*/' ', /*ensure_ascii=*/false,
                   nlohmann::ordered_json::error_handler_t::replace) +
         "\n\n";
}

void EventMonitor::Emit(std::string_view source, std::string_view event,
                        const EventProperties& properties) {
  try {
    std::lock_guard lock(mu_);
    // The clock is read under the lock, so the file's order is time order.
    const uint64_t now_ns = clock_.NowNs();
    const uint64_t elapsed_ns = now_ns > start_ns_ ? now_ns - start_ns_ : 0;
    if (!FlushPendingLocked()) {  // the last event's rest still does not fit
      DropLocked(errno);
      return;
    }
    pending_ = FormatEvent(elapsed_ns, source, event, properties);
    const size_t size = pending_.size();
    const int errnum = FlushPendingLocked() ? 0 : errno;
    if (pending_.size() == size) {  // nothing of it went out
      pending_.clear();
      DropLocked(errnum);
    }
  } catch (...) {
    // Out of memory while formatting: the event is lost, the VMM goes on.
    // pending_ is left alone: it holds nothing or the rest of an earlier event.
    std::lock_guard lock(mu_);
    ++dropped_;
  }
}

bool EventMonitor::FlushPendingLocked() {
  size_t done = 0;
  while (done < pending_.size()) {
    const ssize_t n =
        WriteWithoutSigpipe(fd_.get(), pending_.data() + done, pending_.size() - done);
    if (n <= 0) {
      const int errnum = n == 0 ? EAGAIN : errno;
      pending_.erase(0, done);
      errno = errnum;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  pending_.clear();
  return true;
}

void EventMonitor::DropLocked(int errnum) {
  ++dropped_;
  try {
    PETREL_LOG_ONCE(kWarn, "event-monitor-dropped")
        << "--event-monitor: dropping events the reader does not take (" << std::strerror(errnum)
        << "); counting them from here on";
  } catch (...) {  // out of memory: the count is what matters
  }
}

uint64_t EventMonitor::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace petrel::vmm
