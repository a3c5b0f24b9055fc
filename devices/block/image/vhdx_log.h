// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The VHDX log (VHDX 1.0 §2.3): finding the active sequence of log entries
// and replaying it into the file on open, as QEMU does (block/vhdx-log.c).
//
// The log is a circular buffer of 4 KiB sectors. An entry is a header and
// descriptors (data or zero) followed by the data sectors, all checksummed
// with CRC-32C; consecutive entries with sequence numbers increasing by one
// form a sequence, and the valid sequence with the highest sequence number
// is replayed: each data descriptor writes one 4 KiB sector, each zero
// descriptor zeroes a range, and the file grows to the entry's
// LastFileOffset. As QEMU, the sequence's tail field is not used to find
// its start (QEMU's own writer does not keep it consistent).
//
// VhdxLogWriter writes Petrel's own metadata updates (BAT sectors) through
// the log before they are applied, so a crash between the two is repaired
// by the replay on the next open (see vhdx_image.cc).
#pragma once

#include <cstdint>

#include "core/base/result.h"
#include "devices/block/disk_file.h"
#include "devices/block/image/vhdx_header.h"

namespace petrel {

// §2.3: the log's length and offset are 1 MiB multiples. Petrel reads the
// whole log to search it, so it refuses logs above this size (Hyper-V and
// QEMU make 1 MiB logs).
inline constexpr uint64_t kVhdxMaxLogLength = 64 << 20;
// §2.3.1: log sectors.
inline constexpr uint64_t kVhdxLogSectorSize = 4096;

// Checks the header's log fields: version 0, a 1 MiB aligned region past
// the header section and within `file_size`, at most kVhdxMaxLogLength.
Result<void> CheckVhdxLogRegion(const VhdxHeader& header, uint64_t file_size);

// Replays the log named by `header`, if it holds an active sequence; then
// true, and the caller must clear the log GUID in the headers. `file_size`
// is updated if the replay grows the file. A read-only `file` whose log
// needs replaying is refused (kFailedPrecondition), as QEMU does.
Result<bool> ReplayVhdxLog(const DiskFile& file, const VhdxHeader& header, uint64_t& file_size);

// Appends log entries to the log region of the current header: one entry
// per 4 KiB metadata sector (a header sector and a data sector), written at
// the write position of the circular log and made durable before Append
// returns. Entries carry consecutive sequence numbers from 1 after Reset(),
// which the caller does whenever the headers get a new log GUID (entries of
// an older GUID are then ignored by any reader).
//
// Before the position wraps to overwrite older entries the file is synced,
// so every update those entries describe is durable in place.
class VhdxLogWriter {
 public:
  VhdxLogWriter(uint64_t log_offset, uint64_t log_length)
      : log_offset_(log_offset), log_length_(log_length) {}
  bool usable() const { return log_length_ >= 2 * kVhdxLogSectorSize; }
  void Reset() {
    position_ = 0;
    sequence_ = 1;
  }
  // Logs that `sector` (kVhdxLogSectorSize bytes) is to be written at
  // `file_offset` (4 KiB aligned); `file_size`: the file's size, all of it
  // durable. 0 or -errno.
  int Append(const DiskFile& file, const VhdxGuid& guid, uint64_t file_offset,
             std::span<const uint8_t> sector, uint64_t file_size);

 private:
  uint64_t log_offset_;
  uint64_t log_length_;
  uint64_t position_ = 0;  // bytes into the log
  uint64_t sequence_ = 1;
};

}  // namespace petrel
