// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Entropy sources for virtio-rng: a host file, or an injected RandomSource.
#include "devices/virtio/rng/entropy_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "core/base/unique_fd.h"

namespace petrel::virtio {

Result<EntropySource> FileEntropySource(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    Error e = Error::FromErrno("opening entropy source " + path, err);
    if (err == ENOENT) return Error(ErrorCode::kNotFound, e.message(), err);
    return e;
  }
  auto file = std::make_shared<UniqueFd>(fd);
  std::string name = path;
  return EntropySource([file, name](std::span<uint8_t> out) -> Result<void> {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = read(file->get(), out.data() + done, out.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error::FromErrno("reading entropy source " + name);
      }
      if (n == 0) return Error(ErrorCode::kSystem, "entropy source " + name + ": end of file");
      done += static_cast<size_t>(n);
    }
    return Ok();
  });
}

EntropySource RandomEntropySource(RandomSource& random) {
  return [&random](std::span<uint8_t> out) -> Result<void> {
    random.Fill(out);
    return Ok();
  };
}

}  // namespace petrel::virtio
