// Test helpers for qcow2: running qemu-img / qemu-io, a scratch directory,
// deterministic patterns.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace petrel::qcow2_test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline bool HaveQemuImg() { return RunCommand("qemu-img --version").exit_code == 0; }

#define PETREL_REQUIRE_QEMU_IMG()                                                     \
  if (!::petrel::qcow2_test::HaveQemuImg())                                           \
  GTEST_SKIP() << "qemu-img not found (Debian package qemu-utils; ci/install-deps.sh " \
                  "installs it)"

// Runs a command that must succeed; its output on failure.
#define PETREL_RUN_OK(cmd)                                                \
  do {                                                                    \
    auto petrel_run_result = ::petrel::qcow2_test::RunCommand(cmd);       \
    ASSERT_EQ(petrel_run_result.exit_code, 0) << (cmd) << "\n"            \
                                              << petrel_run_result.output; \
  } while (0)

// A directory removed at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/petrel-image-XXXXXX";
    if (mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<uint8_t> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void WriteWholeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> RandomBytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

}  // namespace petrel::qcow2_test
