// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SeccompMode: Cloud Hypervisor's --seccomp values (what each does is in
// seccomp.h). Apart from the filter compiler, so configuration code can
// parse the option without linking libseccomp.
#pragma once

#include <string_view>

#include "core/base/result.h"

namespace petrel::isolation {

enum class SeccompMode { kOff, kTrap, kLog, kErrno };

// "true" | "false" | "log" | "errno", as Cloud Hypervisor's --seccomp.
Result<SeccompMode> ParseSeccompMode(std::string_view text);
const char* SeccompModeName(SeccompMode mode);

// --seccomp's default: true, as Cloud Hypervisor; false in sanitizer builds
// (ASan/TSan runtimes hang or die under a filter at exit: test builds only).
SeccompMode DefaultSeccompMode();

}  // namespace petrel::isolation
