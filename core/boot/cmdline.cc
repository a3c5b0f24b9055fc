// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Writes the kernel command line (see cmdline.h).
#include "core/boot/cmdline.h"

#include <string>
#include <vector>

#include "core/arch/x86_layout.h"

namespace petrel::boot {

Result<void> WriteCmdline(GuestMemory& memory, std::string_view cmdline, uint64_t max_len) {
  if (cmdline.size() >= x86::kCmdlineMaxSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "cmdline is " + std::to_string(cmdline.size()) + " bytes, longer than the " +
                     std::to_string(x86::kCmdlineMaxSize - 1) + "-byte limit");
  }
  if (cmdline.size() > max_len) {
    return Error(ErrorCode::kInvalidArgument, "cmdline is " + std::to_string(cmdline.size()) +
                                                  " bytes, longer than the kernel's cmdline_size " +
                                                  std::to_string(max_len));
  }
  if (cmdline.find('\0') != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument, "cmdline contains a NUL byte");
  }
  std::vector<uint8_t> bytes(cmdline.begin(), cmdline.end());
  bytes.push_back(0);
  return memory.Write(x86::kCmdlineStart, bytes).Wrap("writing cmdline");
}

}  // namespace petrel::boot
