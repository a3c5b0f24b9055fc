// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OFD image locks (see image_lock.h).
#include "devices/block/image/image_lock.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/log.h"

namespace petrel {

Result<LockGranularity> ParseLockGranularity(std::string_view text) {
  if (text == "byte-range") return LockGranularity::kByteRange;
  if (text == "full") return LockGranularity::kFull;
  return Error(ErrorCode::kInvalidArgument,
               "unknown lock granularity '" + std::string(text) + "' (byte-range, full)");
}

const char* LockGranularityName(LockGranularity granularity) {
  return granularity == LockGranularity::kFull ? "full" : "byte-range";
}

const char* LockGranularityJsonName(LockGranularity granularity) {
  return granularity == LockGranularity::kFull ? "Full" : "ByteRange";
}

Result<LockGranularity> ParseLockGranularityJson(std::string_view text) {
  if (text == "ByteRange") return LockGranularity::kByteRange;
  if (text == "Full") return LockGranularity::kFull;
  return Error(ErrorCode::kInvalidArgument,
               "unknown lock granularity '" + std::string(text) + "' (ByteRange, Full)");
}

void UnlockImage(int fd) {
  struct flock lock = {};
  lock.l_type = F_UNLCK;
  lock.l_whence = SEEK_SET;
  (void)fcntl(fd, F_OFD_SETLK, &lock);  // l_start 0, l_len 0: the whole file
}

Result<void> LockImage(int fd, std::string_view path, bool write, uint64_t size,
                       LockGranularity granularity) {
  struct flock lock = {};
  lock.l_type = write ? F_WRLCK : F_RDLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  // l_len 0 means "to the end of the file, however it grows"; an empty file
  // has no byte range, so it is locked whole too.
  lock.l_len = granularity == LockGranularity::kFull || size == 0 ? 0 : static_cast<off_t>(size);
  lock.l_pid = 0;  // required for OFD locks
  if (fcntl(fd, F_OFD_SETLK, &lock) == 0) return Ok();
  const int err = errno;
  if (err == EAGAIN || err == EACCES) {
    return Error(ErrorCode::kBusy,
                 std::string(path) + ": the image is locked by another process (" +
                     (write ? "it cannot be opened for writing" : "it is being written") +
                     "); is another VMM using it?");
  }
  if (err == ENOLCK || err == EOPNOTSUPP || err == EINVAL) {
    PETREL_LOG(kWarn) << path << ": the file system does not support OFD locks ("
                      << std::strerror(err) << "); opened unlocked";
    return Ok();
  }
  return Error(ErrorCode::kSystem, std::string(path) + ": locking the image", err);
}

}  // namespace petrel
