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
  std::unordered_set<std::string> seen;
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

void CaptureForTest(bool on) {
  auto& s = State();
  std::lock_guard lock(s.mu);
  s.capture = on;
  s.captured.clear();
  s.seen.clear();
}

std::string TakeCaptured() {
  auto& s = State();
  std::lock_guard lock(s.mu);
  std::string out;
  out.swap(s.captured);
  return out;
}

bool FirstTime(const std::string& key) {
  auto& s = State();
  std::lock_guard lock(s.mu);
  if (s.seen.size() >= kMaxOnceKeys) return false;  // cap: guests choose the keys
  return s.seen.insert(key).second;
}

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
