// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for Landlock: a scratch directory, and a forked child in
// which a test may confine itself (Landlock cannot be lifted, so the test
// binary itself must never be restricted).
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace petrel::landlock_test {

// A new directory under /tmp, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/petrel-landlock-XXXXXX";
    if (mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // Creates (or truncates) `name` in the directory with `contents`.
  std::string File(const std::string& name, std::string_view contents = "x") const {
    const std::string file = path_ + "/" + name;
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      (void)!write(fd, contents.data(), contents.size());
      close(fd);
    }
    return file;
  }
  std::string Dir(const std::string& name) const {
    const std::string dir = path_ + "/" + name;
    mkdir(dir.c_str(), 0700);
    return dir;
  }

 private:
  std::string path_;
};

// Runs `body` in a forked child and returns its exit status: what `body`
// returned, or 128 + the number of the signal that ended it.
inline int RunInChild(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return 255;
  if (pid == 0) _exit(body());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

// For use in a child: `fail_code` unless `path` opens with `flags`.
inline int Opens(const std::string& path, int flags, int fail_code) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) return fail_code;
  close(fd);
  return 0;
}

// For use in a child: `fail_code` unless opening `path` with `flags` fails
// with EACCES (what Landlock answers).
inline int Denied(const std::string& path, int flags, int fail_code) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return fail_code;
  }
  return errno == EACCES ? 0 : fail_code;
}

}  // namespace petrel::landlock_test
