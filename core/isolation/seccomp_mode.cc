// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SeccompMode names (see seccomp_mode.h).
#include "core/isolation/seccomp_mode.h"

#include <string>

#include "core/isolation/sanitizer_build.h"

namespace petrel::isolation {

SeccompMode DefaultSeccompMode() {
  return kSanitizerBuild ? SeccompMode::kOff : SeccompMode::kTrap;
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
