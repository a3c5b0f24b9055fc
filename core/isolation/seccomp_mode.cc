// SeccompMode names (see seccomp_mode.h).
#include "core/isolation/seccomp_mode.h"

#include <string>

namespace petrel::isolation {

SeccompMode DefaultSeccompMode() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return SeccompMode::kOff;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return SeccompMode::kOff;
#else
  return SeccompMode::kTrap;
#endif
#else
  return SeccompMode::kTrap;
#endif
}

Result<SeccompMode> ParseSeccompMode(std::string_view text) {
  if (text == "true") return SeccompMode::kTrap;
  if (text == "false") return SeccompMode::kOff;
  if (text == "log") return SeccompMode::kLog;
  if (text == "errno") return SeccompMode::kErrno;
  return Error(ErrorCode::kInvalidArgument,
               "--seccomp: '" + std::string(text) + "' is not one of true, false, log, errno");
}

const char* SeccompModeName(SeccompMode mode) {
  switch (mode) {
    case SeccompMode::kOff:
      return "false";
    case SeccompMode::kTrap:
      return "true";
    case SeccompMode::kLog:
      return "log";
    case SeccompMode::kErrno:
      return "errno";
  }
  return "?";
}

}  // namespace petrel::isolation
