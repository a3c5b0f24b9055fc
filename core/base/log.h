// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Logging: leveled, to stderr or a log file, safe from any thread.
//
//   PETREL_LOG(kInfo) << "mapped " << size << " bytes";
//   PETREL_LOG_ONCE(kWarn, key) << "...";   // first time for `key` only
//
// Levels follow Cloud Hypervisor's -v count: 0 = warn, 1 = info, 2 = debug,
// 3+ = trace. Errors always print. Each line carries the seconds since the
// logger was configured (the boot-time reference), the level and the source
// location.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/base/result.h"

namespace petrel::log {

enum class Level : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

// Sets the threshold from a -v count (0 = warn ... 3+ = trace).
void SetVerbosity(int v_count);
Level Threshold();
inline bool Enabled(Level level) { return static_cast<int>(level) <= static_cast<int>(Threshold()); }

// Sends log lines to `path` (appending) instead of stderr.
Result<void> SetLogFile(const std::string& path);

// The descriptor lines go to (the log file's, or stderr's): for a signal
// handler that must write without stdio (the seccomp violation report).
int OutputFd();
// Captures lines in memory instead of writing them (tests); empty `on` = false stops.
void CaptureForTest(bool on);
std::string TakeCaptured();

// Once-keys (PETREL_LOG_ONCE): true the first time a key is seen; used for
// rate limiting guest-caused messages (e.g. one line per unclaimed port).
// Keys are often guest-chosen (addresses), so each table remembers at most
// kMaxOnceKeys; a new key after that is dropped (false). kError keys have a
// table of their own, so guest-chosen warning keys cannot use up the budget
// host errors need; and a new kError key past that cap still prints, at most
// one per kOnceOverflowIntervalMs. The first time a table fills, one warning
// says so.
inline constexpr size_t kMaxOnceKeys = 4096;
inline constexpr int64_t kOnceOverflowIntervalMs = 1000;
bool ShouldLogOnce(Level level, const std::string& key);
// ShouldLogOnce(kWarn, key): the table shared by every level but kError.
bool FirstTime(const std::string& key);

void Write(Level level, const char* file, int line, const std::string& message);

class LineBuilder {
 public:
  LineBuilder(Level level, const char* file, int line) : level_(level), file_(file), line_(line) {}
  ~LineBuilder() { Write(level_, file_, line_, stream_.str()); }
  LineBuilder(const LineBuilder&) = delete;
  LineBuilder& operator=(const LineBuilder&) = delete;
  template <class T>
  LineBuilder& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  Level level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

}  // namespace petrel::log

#define PETREL_LOG(level)                                                     \
  if (!::petrel::log::Enabled(::petrel::log::Level::level)) {                 \
  } else                                                                      \
    ::petrel::log::LineBuilder(::petrel::log::Level::level, __FILE__, __LINE__)

#define PETREL_LOG_ONCE(level, key)                                           \
  if (!::petrel::log::Enabled(::petrel::log::Level::level) ||                 \
      !::petrel::log::ShouldLogOnce(::petrel::log::Level::level, key)) {      \
  } else                                                                      \
    ::petrel::log::LineBuilder(::petrel::log::Level::level, __FILE__, __LINE__)
