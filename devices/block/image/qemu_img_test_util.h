// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for interoperability with QEMU's tools (qemu-img, qemu-io,
// Debian's qemu-utils): running a command and capturing its exit status and
// output, a temporary directory, and reading a whole disk through a
// DiskImage or its engines. Tests call SkipUnlessQemuImg() (or derive from
// QemuImgTest) so they are skipped, with the reason, where the tools are not
// installed.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "devices/block/block_test_util.h"
#include "devices/block/image/disk_image.h"

namespace petrel::image_test {

struct CommandResult {
  int status = -1;     // exit status; -1 if it could not run or was killed
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, stdout and stderr captured together.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  if (f == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// `s` quoted for /bin/sh.
inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Whether `tool` is an executable on PATH.
inline bool OnPath(const std::string& tool) {
  const char* path = getenv("PATH");
  if (path == nullptr) return false;
  const std::string p = path;
  for (size_t start = 0; start <= p.size();) {
    const size_t end = std::min(p.find(':', start), p.size());
    const std::string candidate = p.substr(start, end - start) + "/" + tool;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "petrel-image-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole file (empty if it cannot be read).
inline std::vector<uint8_t> ReadWholeFile(const std::string& path) {
  std::vector<uint8_t> out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::array<uint8_t, 1 << 16> buf;
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0)
    out.insert(out.end(), buf.data(), buf.data() + n);
  close(fd);
  return out;
}

inline bool WriteWholeFile(const std::string& path, std::span<const uint8_t> bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  close(fd);
  return ok;
}

// A fixture for tests driven by qemu-img / qemu-io: skipped when they are
// not installed; a temporary directory; helpers that fail the test with the
// tool's output when it exits non-zero.
class QemuImgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnPath("qemu-img") || !OnPath("qemu-io"))
      GTEST_SKIP() << "qemu-img / qemu-io not on PATH (Debian: apt-get install qemu-utils)";
    ASSERT_FALSE(dir_.path().empty());
  }

  // Runs "qemu-img <args>"; the test fails if it exits non-zero.
  std::string QemuImg(const std::string& args) {
    const CommandResult r = RunCommand("qemu-img " + args);
    EXPECT_EQ(r.status, 0) << "qemu-img " << args << ":\n" << r.output;
    return r.output;
  }
  // Runs "qemu-io -f <format> -c <command> <path>".
  void QemuIo(const std::string& format, const std::string& path, const std::string& command) {
    const CommandResult r =
        RunCommand("qemu-io -f " + format + " -c " + ShellQuote(command) + " " + ShellQuote(path));
    EXPECT_EQ(r.status, 0) << "qemu-io " << command << ":\n" << r.output;
    EXPECT_EQ(r.output.find("failed"), std::string::npos) << r.output;
  }
  // The disk's contents as "qemu-img convert -O raw" gives them.
  std::vector<uint8_t> QemuRaw(const std::string& format, const std::string& path) {
    const std::string raw = path + ".qemu.raw";
    QemuImg("convert -f " + format + " -O raw " + ShellQuote(path) + " " + ShellQuote(raw));
    std::vector<uint8_t> bytes = ReadWholeFile(raw);
    unlink(raw.c_str());
    return bytes;
  }

  TempDir dir_;
};

// The whole disk through DiskImage::Read, in 1 MiB pieces.
inline std::vector<uint8_t> ReadThroughImage(DiskImage& image) {
  std::vector<uint8_t> out(image.size());
  for (uint64_t at = 0; at < out.size();) {
    const uint64_t n = std::min<uint64_t>(out.size() - at, 1 << 20);
    if (image.Read(at, std::span(out.data() + at, n)) != 0) return {};
    at += n;
  }
  return out;
}

// The whole disk through one of the image's engines, in `chunk`-byte
// requests, `depth` at a time. Empty on any error.
inline std::vector<uint8_t> ReadThroughEngine(DiskImage& image, IoEngineKind kind,
                                              uint64_t chunk = 192 << 10, uint32_t depth = 8) {
  auto engine = image.MakeEngine(kind, depth);
  if (!engine.ok()) return {};
  std::vector<uint8_t> out(image.size());
  uint64_t at = 0;
  while (at < out.size()) {
    std::vector<IoRequest> batch;
    for (uint32_t i = 0; i < depth && at < out.size(); ++i) {
      const uint64_t n = std::min<uint64_t>(out.size() - at, chunk);
      batch.push_back(block_test::Read(at, {block_test::Iov(out.data() + at, n)}, at + 1));
      at += n;
    }
    const auto results = block_test::Run(**engine, batch);
    if (results.size() != batch.size()) return {};
    for (const auto& [id, result] : results)
      if (result < 0) return {};
  }
  return out;
}

// `n` bytes from `rng`.
inline std::vector<uint8_t> RandomBytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Index of the first differing byte, or -1 when equal (sizes included).
inline int64_t FirstDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<int64_t>(n);
}

}  // namespace petrel::image_test

// For TEST()s that are not QemuImgTest fixtures: skip without the tools.
#define PETREL_REQUIRE_QEMU_IMG()                                                           \
  if (!::petrel::image_test::OnPath("qemu-img") || !::petrel::image_test::OnPath("qemu-io")) \
  GTEST_SKIP() << "qemu-img / qemu-io not on PATH (Debian: apt-get install qemu-utils)"

// Runs a shell command that must succeed; the test stops with its output if not.
#define PETREL_RUN_OK(cmd)                                                                   \
  do {                                                                                       \
    const auto petrel_run_result = ::petrel::image_test::RunCommand(cmd);                    \
    ASSERT_EQ(petrel_run_result.status, 0) << (cmd) << "\n" << petrel_run_result.output;    \
  } while (0)
