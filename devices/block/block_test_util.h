// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for devices/block: temporary disk files and running requests
// through an IoEngine until every completion has arrived.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "devices/block/io_engine.h"

namespace petrel::block_test {

// A file in `dir` filled with `size` bytes of `fill`, removed at scope exit.
class TempDisk {
 public:
  explicit TempDisk(uint64_t size, uint8_t fill = 0, const std::string& dir = "/tmp") {
    std::string pattern = dir + "/petrel-block-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = mkstemp(name.data());
    if (fd < 0) return;
    path_ = name.data();
    std::vector<uint8_t> bytes(size, fill);
    ok_ = pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(size);
    close(fd);
  }
  ~TempDisk() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempDisk(const TempDisk&) = delete;
  TempDisk& operator=(const TempDisk&) = delete;
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

  // The file's bytes, read with plain pread (no engine involved).
  std::vector<uint8_t> Contents() const {
    std::vector<uint8_t> out;
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    uint8_t buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    close(fd);
    return out;
  }

 private:
  std::string path_;
  bool ok_ = false;
};

// Waits (poll on the notifier's fd, up to 5 s each time) and reaps until
// `count` completions have arrived; returns user_data -> result.
inline std::map<uint64_t, int64_t> WaitFor(IoEngine& engine, size_t count) {
  std::map<uint64_t, int64_t> results;
  while (results.size() < count) {
    for (const IoCompletion& c : engine.Reap()) results[c.user_data] = c.result;
    if (results.size() >= count) break;
    pollfd pfd{engine.completion_notifier()->fd(), POLLIN, 0};
    if (poll(&pfd, 1, 5000) <= 0) break;  // timed out: the caller's asserts fail
    engine.completion_notifier()->Consume();
  }
  return results;
}

// Submits `requests` and waits for all their completions.
inline std::map<uint64_t, int64_t> Run(IoEngine& engine, const std::vector<IoRequest>& requests) {
  if (!engine.Submit(requests).ok()) return {};
  return WaitFor(engine, requests.size());
}

inline IoRequest Read(uint64_t offset, std::vector<iovec> iov, uint64_t user_data = 1) {
  IoRequest r;
  r.op = IoRequest::Op::kRead;
  r.offset = offset;
  r.iov = std::move(iov);
  r.user_data = user_data;
  return r;
}

inline IoRequest Write(uint64_t offset, std::vector<iovec> iov, uint64_t user_data = 1) {
  IoRequest r = Read(offset, std::move(iov), user_data);
  r.op = IoRequest::Op::kWrite;
  return r;
}

inline IoRequest Ranged(IoRequest::Op op, uint64_t offset, uint64_t length,
                        uint64_t user_data = 1) {
  IoRequest r;
  r.op = op;
  r.offset = offset;
  r.length = length;
  r.user_data = user_data;
  return r;
}

inline iovec Iov(void* base, size_t len) {
  return iovec{base, len};
}

}  // namespace petrel::block_test
