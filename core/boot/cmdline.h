// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The kernel command line: a NUL-terminated string at x86::kCmdlineStart.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

// Writes `cmdline` and its NUL at x86::kCmdlineStart. `max_len` is the
// longest string (without the NUL) the kernel accepts (bzImage cmdline_size);
// the layout's 64 KiB buffer (x86::kCmdlineMaxSize, with the NUL) caps it too.
// Rejects embedded NUL bytes, which would silently truncate the line.
Result<void> WriteCmdline(GuestMemory& memory, std::string_view cmdline, uint64_t max_len);

}  // namespace petrel::boot
