// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Image locking: an image open for writing holds an exclusive OFD lock
// (fcntl F_OFD_SETLK, Linux open file description locks), an image open
// read-only (or a backing image) a shared one, so a second VMM -- or QEMU,
// which takes the same kind of lock -- cannot open a disk another is
// writing. As Cloud Hypervisor, the lock covers bytes [0, size) by default
// (`lock_granularity=byte-range`), or the whole file (`full`, l_len 0) for
// file systems that treat a byte-range lock as mandatory on the whole file.
//
// OFD locks belong to the open file description, so they are released when
// the file is closed and are not inherited across exec (O_CLOEXEC).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/base/result.h"

namespace petrel {

enum class LockGranularity : uint8_t { kByteRange, kFull };

// "byte-range" or "full"; else kInvalidArgument.
Result<LockGranularity> ParseLockGranularity(std::string_view text);
const char* LockGranularityName(LockGranularity granularity);
// The REST API's names: "ByteRange", "Full".
const char* LockGranularityJsonName(LockGranularity granularity);
Result<LockGranularity> ParseLockGranularityJson(std::string_view text);

// Takes the lock on `fd` (exclusive if `write`), without waiting. kBusy with
// a message naming `path` when another open file description holds a
// conflicting lock; kSystem for other fcntl failures. File systems without
// lock support (ENOLCK, EOPNOTSUPP) are logged and accepted.
Result<void> LockImage(int fd, std::string_view path, bool write, uint64_t size,
                       LockGranularity granularity);
// Releases every OFD lock this open file description holds on `fd`.
void UnlockImage(int fd);

}  // namespace petrel
