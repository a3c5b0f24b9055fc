// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SwtpmProcess: a real swtpm (Debian package swtpm) for tests, started as
// a user would for --tpm, in a directory of its own:
//   swtpm socket --tpm2 --tpmstate dir=DIR --ctrl type=unixio,path=DIR/swtpm.sock
// Start() says why when it cannot (swtpm not installed): tests skip then.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

namespace petrel::tpm::testing {

class SwtpmProcess {
 public:
  ~SwtpmProcess() {
    Kill();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The swtpm binary, or "" when it is not installed.
  static std::string Binary() {
    for (const char* p : {"/usr/bin/swtpm", "/usr/local/bin/swtpm"}) {
      if (access(p, X_OK) == 0) return p;
    }
    return "";
  }

  // Empty on success, else why not.
  std::string Start() {
    const std::string bin = Binary();
    if (bin.empty()) return "swtpm is not installed (Debian package swtpm)";
    char tmpl[] = "/tmp/petrel-swtpm-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return "mkdtemp failed";
    dir_ = tmpl;
    socket_ = dir_ + "/swtpm.sock";
    pid_ = fork();
    if (pid_ == 0) {
      const std::string state = "dir=" + dir_;
      const std::string ctrl = "type=unixio,path=" + socket_;
      execl(bin.c_str(), "swtpm", "socket", "--tpm2", "--tpmstate", state.c_str(), "--ctrl",
            ctrl.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // The socket file appears at bind(), before swtpm listens: wait until a
    // connection is accepted (swtpm takes the next one once this closes).
    for (int i = 0; i < 500; ++i) {
      if (Accepts()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "swtpm did not listen on " + socket_;
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  const std::string& socket() const { return socket_; }

  // Whether a connection to the control socket is accepted now.
  bool Accepts() const {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, socket_.data(), socket_.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, socket_;
  pid_t pid_ = -1;
};

}  // namespace petrel::tpm::testing
