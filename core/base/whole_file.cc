// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// WriteWholeFile / ReadWholeFile (see whole_file.h).
#include "core/base/whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/base/unique_fd.h"

namespace petrel {

Result<void> WriteWholeFile(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error::FromErrno("creating " + path);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("writing " + path);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return Error::FromErrno("syncing " + path);
  return Ok();
}

Result<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::FromErrno("opening " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("reading " + path);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Error(ErrorCode::kInvalidArgument,
                 path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("reading " + path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return text;
}

}  // namespace petrel
