// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Whole small files: written in one go (created or truncated, mode 0600,
// every byte written across short writes and EINTR, then fsync'ed) and read
// back with a size cap. Snapshot JSON files and --record-io traces use them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel {

Result<void> WriteWholeFile(const std::string& path, std::string_view text);
// Fails (kInvalidArgument, naming the cap) on a file larger than `max_bytes`.
Result<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes);

}  // namespace petrel
