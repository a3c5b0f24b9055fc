// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Implementation of the process-wide logger (see log.h).
#include "core/base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_set>

namespace petrel::log {
namespace {

struct LoggerState {
  std::mutex mu;
  FILE* out = nullptr;  // nullptr = stderr
  bool capture = false;
  std::string captured;
  // Once-keys: [0] every level but kError, [1] kError (see ShouldLogOnce).
  std::unordered_set<std::string> seen[2];
  bool table_full_reported[2] = {false, false};
  bool overflow_error_printed = false;
  std::chrono::steady_clock::time_point last_overflow_error;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

LoggerState& State() {
  static LoggerState* state = new LoggerState();  // never destroyed: usable at exit
  return *state;
}

std::atomic<int> g_threshold{static_cast<int>(Level::kWarn)};

const char* LevelTag(Level level) {
  switch (level) {
    case Level::kError: return "E";
    case Level::kWarn: return "W";
    case Level::kInfo: return "I";
    case Level::kDebug: return "D";
    case Level::kTrace: return "T";
  }
  return "?";
}

const char* Basename(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

}  // namespace

void SetVerbosity(int v_count) {
  int level = static_cast<int>(Level::kWarn) + (v_count < 0 ? 0 : v_count);
  if (level > static_cast<int>(Level::kTrace)) level = static_cast<int>(Level::kTrace);
  g_threshold.store(level);
}

Level Threshold() { return static_cast<Level>(g_threshold.load(std::memory_order_relaxed)); }

Result<void> SetLogFile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return Error::FromErrno("opening log file " + path);
  auto& s = State();
  std::lock_guard lock(s.mu);
  if (s.out != nullptr) std::fclose(s.out);
  s.out = f;
  return Ok();
}

int OutputFd() {
  auto& s = State();
  std::lock_guard lock(s.mu);
  return fileno(s.out ? s.out : stderr);
}

void CaptureForTest(bool on) {
  auto& s = State();
  std::lock_guard lock(s.mu);
  s.capture = on;
  s.captured.clear();
  for (int t = 0; t < 2; ++t) {
    s.seen[t].clear();
    s.table_full_reported[t] = false;
  }
  s.overflow_error_printed = false;
}

std::string TakeCaptured() {
  auto& s = State();
  std::lock_guard lock(s.mu);
  std::string out;
  out.swap(s.captured);
  return out;
}

bool ShouldLogOnce(Level level, const std::string& key) {
  auto& s = State();
  const int table = level == Level::kError ? 1 : 0;
  bool print = false;
  bool report_full = false;
  {
    std::lock_guard lock(s.mu);
    auto& seen = s.seen[table];
    if (seen.count(key) != 0) return false;
    if (seen.size() < kMaxOnceKeys) {
      seen.insert(key);
      print = true;
    } else {  // cap: guests choose the keys
      report_full = !s.table_full_reported[table];
      s.table_full_reported[table] = true;
      if (table == 1) {  // host errors must not vanish: rate-limited instead
        const auto now = std::chrono::steady_clock::now();
        if (!s.overflow_error_printed ||
            now - s.last_overflow_error >= std::chrono::milliseconds(kOnceOverflowIntervalMs)) {
          s.overflow_error_printed = true;
          s.last_overflow_error = now;
          print = true;
        }
      }
    }
  }
  if (report_full) {
    Write(Level::kWarn, __FILE__, __LINE__,
          std::string("log: once-key table for ") + (table == 1 ? "errors" : "warnings") +
              " is full (" + std::to_string(kMaxOnceKeys) + " keys); new " +
              (table == 1 ? "errors print at most one per " +
                                std::to_string(kOnceOverflowIntervalMs) + " ms"
                          : std::string("once-only messages are dropped")));
  }
  return print;
}

bool FirstTime(const std::string& key) { return ShouldLogOnce(Level::kWarn, key); }

void Write(Level level, const char* file, int line, const std::string& message) {
  auto& s = State();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.start).count();
  char prefix[128];
  std::snprintf(prefix, sizeof prefix, "petrel: %10.6f %s %s:%d: ", secs, LevelTag(level),
                Basename(file), line);
  std::lock_guard lock(s.mu);
  if (s.capture) {
    s.captured += prefix;
    s.captured += message;
    s.captured += '\n';
    return;
  }
  FILE* out = s.out ? s.out : stderr;
  std::fprintf(out, "%s%s\n", prefix, message.c_str());
  std::fflush(out);
}

}  // namespace petrel::log
