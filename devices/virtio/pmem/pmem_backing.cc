// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PmemBacking: open, size and map a virtio-pmem file (see the header).
#include "devices/virtio/pmem/pmem_backing.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace petrel::virtio {

Result<std::unique_ptr<PmemBacking>> PmemBacking::Open(const PmemConfig& config) {
  const std::string what = "file=" + config.file;
  struct stat st {};
  if (::stat(config.file.c_str(), &st) != 0) return Error::FromErrno(what);
  const bool dir = S_ISDIR(st.st_mode);
  if (dir && !config.size) {
    return Error(ErrorCode::kInvalidArgument, what + ": a directory needs size=");
  }
  int flags = O_CLOEXEC | (config.discard_writes ? O_RDONLY : O_RDWR);
  if (dir) flags = O_CLOEXEC | O_TMPFILE | O_RDWR;
  UniqueFd fd(::open(config.file.c_str(), flags, 0600));
  if (!fd.valid()) return Error::FromErrno(what + ": open");
  uint64_t size = 0;
  if (config.size) {
    size = *config.size;
    if (dir && ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
      return Error::FromErrno(what + ": sizing the temporary file");
    }
    // Pages past the end of the file would fault (SIGBUS) when the guest
    // touched them: refused here, where CH maps them anyway.
    if (!dir && static_cast<uint64_t>(st.st_size) < size) {
      return Error(ErrorCode::kInvalidArgument,
                   what + ": the file has " + std::to_string(st.st_size) +
                       " bytes, fewer than size=" + std::to_string(size));
    }
  } else {
    if (::fstat(fd.get(), &st) != 0) return Error::FromErrno(what + ": fstat");
    size = static_cast<uint64_t>(st.st_size);
  }
  if (size == 0 || size % kPmemAlignment != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 what + ": size " + std::to_string(size) + " is not a non-zero multiple of 2 MiB");
  }
  const int share = config.discard_writes ? MAP_PRIVATE : MAP_SHARED;
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, share | MAP_NORESERVE, fd.get(), 0);
  if (data == MAP_FAILED) return Error::FromErrno(what + ": mmap");
  return std::unique_ptr<PmemBacking>(
      new PmemBacking(std::move(fd), static_cast<uint8_t*>(data), size));
}

PmemBacking::~PmemBacking() { ::munmap(data_, size_); }

Result<void> PmemBacking::Flush() const {
  if (::fsync(fd_.get()) != 0) return Error::FromErrno("fsync");
  return Ok();
}

}  // namespace petrel::virtio
