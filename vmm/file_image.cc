// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FileImage (see file_image.h).
#include "vmm/file_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/base/unique_fd.h"

namespace petrel::vmm {

Result<FileImage> FileImage::Open(const std::string& path, const std::string& what) {
  const std::string name = what + " " + path;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::FromErrno("cannot open " + name);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::FromErrno("cannot stat " + name);
  if (!S_ISREG(st.st_mode)) {
    return Error(ErrorCode::kInvalidArgument, name + " is not a regular file");
  }
  if (st.st_size == 0) return Error(ErrorCode::kMalformed, name + " is empty");
  if (static_cast<uint64_t>(st.st_size) > kMaxFileImageBytes) {
    return Error(ErrorCode::kOutOfRange, name + " is larger than " +
                                             std::to_string(kMaxFileImageBytes >> 20) + " MiB");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::vector<uint8_t> bytes(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd.get(), bytes.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("cannot read " + name);
    if (n == 0) {
      return Error(ErrorCode::kMalformed, name + " shrank while it was read (" +
                                              std::to_string(done) + " of " +
                                              std::to_string(size) + " bytes)");
    }
    done += static_cast<size_t>(n);
  }
  // One more byte means the file grew: what was read may be a torn copy.
  uint8_t extra = 0;
  ssize_t n;
  do {
    n = read(fd.get(), &extra, 1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("cannot read " + name);
  if (n > 0) return Error(ErrorCode::kMalformed, name + " grew while it was read");
  return FileImage(std::move(bytes));
}

}  // namespace petrel::vmm
