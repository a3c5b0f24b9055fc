// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Synchronous execution of one IoRequest: the whole of SyncEngine, and the
// fallback the io_uring engine uses for what its ring cannot do (fallocate on
// old kernels, write-zeroes without ZERO_RANGE, O_DIRECT read-modify-write).
// Internal to devices/block.
#pragma once

#include <cstdint>

#include "devices/block/io_engine.h"

namespace petrel {

class DiskFile;

// Runs `request` to the end (short transfers are continued; a read stops at
// end of file) and returns IoCompletion::result: bytes or -errno.
int64_t ExecuteSync(DiskFile& disk, const IoRequest& request);

// Writes `length` zero bytes at `offset` with pwrite (the write-zeroes
// fallback); 0 or -errno.
int64_t WriteZeroesByWriting(DiskFile& disk, uint64_t offset, uint64_t length);

}  // namespace petrel
