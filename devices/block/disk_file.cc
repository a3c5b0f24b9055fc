// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DiskFile: opening a disk image or block device and probing its properties
// (see disk_file.h).
#include "devices/block/disk_file.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/base/log.h"

namespace petrel {
namespace {

constexpr uint32_t kDefaultLogicalBlockSize = 512;
// Larger reported alignments are not believed (and would make bounce buffers
// absurd); 64 KiB is the largest logical block size Linux supports.
constexpr uint32_t kMaxLogicalBlockSize = 64 * 1024;

bool IsSaneBlockSize(uint64_t v) {
  return v >= kDefaultLogicalBlockSize && v <= kMaxLogicalBlockSize && (v & (v - 1)) == 0;
}

Error OpenError(const std::string& path, bool direct, int err) {
  std::string what = "opening disk " + path;
  switch (err) {
    case ENOENT: return Error(ErrorCode::kNotFound, what + ": no such file", err);
    case EISDIR: return Error(ErrorCode::kInvalidArgument, what + ": is a directory", err);
    case EACCES:
    case EPERM:
      return Error(ErrorCode::kSystem,
                   what + ": permission denied (by the file's permissions, or by --landlock "
                       "when the VMM was confined to another configuration's files; "
                       "readonly=on needs only read access)",
                   err);
    case EROFS:
      return Error(ErrorCode::kSystem, what + ": read-only file system (use readonly=on)", err);
    case EINVAL:
      if (direct)
        return Error(ErrorCode::kUnsupported,
                     what + ": the file system does not support O_DIRECT (use direct=off)", err);
      break;
    default: break;
  }
  return Error::FromErrno(what, err);
}

}  // namespace

Result<std::unique_ptr<DiskFile>> DiskFile::Open(const DiskFileOptions& options) {
  if (options.path.empty()) return Error(ErrorCode::kInvalidArgument, "disk path is empty");
  int flags = (options.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  if (options.direct) flags |= O_DIRECT;
  int fd = open(options.path.c_str(), flags);
  if (fd < 0) return OpenError(options.path, options.direct, errno);

  std::unique_ptr<DiskFile> disk(new DiskFile());
  disk->fd_ = fd;  // closed by ~DiskFile from here on
  disk->path_ = options.path;
  disk->readonly_ = options.readonly;
  disk->direct_ = options.direct;

  struct stat st {};
  if (fstat(fd, &st) != 0) return Error::FromErrno("fstat " + options.path);
  if (S_ISDIR(st.st_mode))
    return Error(ErrorCode::kInvalidArgument, "opening disk " + options.path + ": is a directory",
                 EISDIR);
  if (S_ISBLK(st.st_mode)) {
    disk->is_block_device_ = true;
    uint64_t bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0)
      return Error::FromErrno("BLKGETSIZE64 " + options.path);
    disk->size_ = bytes;
    int sector = 0;
    if (ioctl(fd, BLKSSZGET, &sector) == 0 && sector > 0 &&
        IsSaneBlockSize(static_cast<uint64_t>(sector)))
      disk->logical_block_size_ = static_cast<uint32_t>(sector);
  } else if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) {
    disk->size_ = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
#ifdef STATX_DIOALIGN
    if (options.direct && S_ISREG(st.st_mode)) {
      struct statx stx {};
      if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
          (stx.stx_mask & STATX_DIOALIGN) != 0) {
        uint64_t align = stx.stx_dio_offset_align;
        if (stx.stx_dio_mem_align > align) align = stx.stx_dio_mem_align;
        if (align < kDefaultLogicalBlockSize) align = kDefaultLogicalBlockSize;
        if (IsSaneBlockSize(align)) disk->logical_block_size_ = static_cast<uint32_t>(align);
      }
    }
#endif
  } else {
    return Error(
        ErrorCode::kInvalidArgument,
        "opening disk " + options.path + ": not a regular file or block device (FIFO or socket)");
  }

  if (disk->direct_ && disk->size_ % disk->logical_block_size_ != 0) {
    PETREL_LOG(kWarn) << "disk " << options.path << ": size " << disk->size_
                      << " is not a multiple of the O_DIRECT block size "
                      << disk->logical_block_size_;
  }

  if (disk->readonly_) {
    disk->discard_ = FallocateSupport::kUnsupported;
    disk->zero_range_ = FallocateSupport::kUnsupported;
  } else if (S_ISREG(st.st_mode)) {
    // A hole punched past the end of file changes nothing but tells whether
    // the file system implements punch-hole.
    off_t past_end = st.st_size + 4096;
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, past_end, 4096) == 0)
      disk->discard_ = FallocateSupport::kSupported;
    else if (errno == EOPNOTSUPP)
      disk->discard_ = FallocateSupport::kUnsupported;
  }
  return disk;
}

DiskFile::~DiskFile() {
  if (fd_ >= 0) close(fd_);
}

void DiskFile::RecordDiscard(bool supported) {
  discard_ = supported ? FallocateSupport::kSupported : FallocateSupport::kUnsupported;
}

void DiskFile::RecordZeroRange(bool supported) {
  zero_range_ = supported ? FallocateSupport::kSupported : FallocateSupport::kUnsupported;
}

}  // namespace petrel
