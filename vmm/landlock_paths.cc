// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LandlockRulesFor and RestrictToVmPaths (see landlock_paths.h).
#include "vmm/landlock_paths.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "core/base/log.h"
#include "core/isolation/landlock.h"
#include "core/isolation/sanitizer_build.h"
#include "devices/block/image/open_image.h"

namespace petrel::vmm {
namespace {

using config::LandlockRule;
using config::OutputConfig;
using config::OutputMode;

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// The directory a socket path is bound in: "." for a bare name.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The file behind stdout when it is one a path reaches (a terminal, a
// FIFO); pipes and sockets read as "pipe:[n]" / "socket:[n]".
std::optional<std::string> StdoutPath() {
  char target[PATH_MAX];
  const ssize_t n = readlink("/proc/self/fd/1", target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  const std::string path(target, static_cast<size_t>(n));
  if (path.front() != '/' || !Exists(path)) return std::nullopt;  // also "... (deleted)"
  return path;
}

void AddOutput(const OutputConfig& output, std::vector<LandlockRule>& rules) {
  switch (output.mode) {
    case OutputMode::kOff:
    case OutputMode::kNull: return;
    case OutputMode::kFile: rules.push_back({output.path, LandlockAccess::kWrite}); return;
    case OutputMode::kSocket:
      rules.push_back({DirectoryOf(output.path), LandlockAccess::kBindSocket});
      return;
    case OutputMode::kPty:
      rules.push_back({"/dev/ptmx", LandlockAccess::kReadWrite});
      rules.push_back({"/dev/pts", LandlockAccess::kReadWrite});
      return;
    case OutputMode::kTty:
      if (auto path = StdoutPath()) rules.push_back({*path, LandlockAccess::kWrite});
      return;
  }
}

void AddIfExists(std::string path, LandlockAccess access, std::vector<LandlockRule>& rules) {
  if (Exists(path)) rules.push_back({std::move(path), access});
}

// Creates `path` empty if it does not exist (never touching one that does:
// a FIFO without a reader would block an open).
Result<void> CreateIfAbsent(const std::string& path) {
  if (Exists(path)) return Ok();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Ok();
    return Error::FromErrno("--landlock: creating " + path);
  }
  close(fd);
  return Ok();
}

}  // namespace

std::vector<LandlockRule> LandlockRulesFor(const config::VmConfig& config) {
  std::vector<LandlockRule> rules;
  rules.push_back({config.payload.kernel, LandlockAccess::kRead});
  if (!config.payload.initramfs.empty()) {
    rules.push_back({config.payload.initramfs, LandlockAccess::kRead});
  }
  // A pmem file is opened while the VM is built (before the VM thread
  // confines itself), but its directory form needs the directory, and a
  // hot-plugged one later will need the file: listed as the device opens it.
  // The vsock device binds its socket and connects to "<socket>_<port>"
  // (not a Landlock right) in the socket's directory.
  if (config.vsock) rules.push_back({DirectoryOf(config.vsock->socket), LandlockAccess::kBindSocket});
  for (const auto& pmem : config.pmem) {
    rules.push_back({pmem.file, pmem.discard_writes ? LandlockAccess::kRead : LandlockAccess::kReadWrite});
  }
  for (const auto& disk : config.disks) {
    const LandlockAccess access = disk.readonly ? LandlockAccess::kRead : LandlockAccess::kReadWrite;
    rules.push_back({disk.path, access});
    // Files the image names itself: a qcow2 backing chain (read-only), a
    // VMDK's extents. An image that does not open is left to the device,
    // which reports why.
    auto files = ListImageFiles({.path = disk.path,
                                 .type = disk.image_type,
                                 .backing_files = disk.backing_files,
                                 .lock_granularity = disk.lock_granularity});
    if (!files.ok()) continue;
    for (const ImageFileUse& file : *files)
      rules.push_back({file.path, file.backing ? LandlockAccess::kRead : access});
  }
  AddOutput(config.serial, rules);
  AddOutput(config.console, rules);
  rules.push_back({config.rng.src, LandlockAccess::kRead});
  const bool opens_tun =
      std::any_of(config.nets.begin(), config.nets.end(), [](const auto& net) { return !net.fds; });
  if (opens_tun) AddIfExists("/dev/net/tun", LandlockAccess::kReadWrite, rules);
  AddIfExists("/dev/kvm", LandlockAccess::kReadWrite, rules);
  AddIfExists("/dev/mshv", LandlockAccess::kReadWrite, rules);
  AddIfExists("/dev/urandom", LandlockAccess::kRead, rules);
  // hugepages=on: the pools' counts, read only for the error when a pool is
  // short (core/memory/guest_memory.cc).
  if (config.memory.hugepages)
    AddIfExists("/sys/kernel/mm/hugepages", LandlockAccess::kRead, rules);
  // Test builds with a sanitizer only: LeakSanitizer's exit-time check reads
  // /proc/<pid>/task (core/isolation/sanitizer_build.h).
  if (isolation::kSanitizerBuild) AddIfExists("/proc", LandlockAccess::kRead, rules);
  rules.insert(rules.end(), config.landlock_rules.begin(), config.landlock_rules.end());

  std::vector<LandlockRule> unique;
  for (auto& rule : rules) {
    if (rule.path.empty()) continue;  // a config that did not name it
    if (std::find(unique.begin(), unique.end(), rule) == unique.end()) {
      unique.push_back(std::move(rule));
    }
  }
  return unique;
}

Result<void> RestrictToVmPaths(const config::VmConfig& config,
                               const std::vector<std::string>& output_files) {
  for (const OutputConfig* output : {&config.serial, &config.console}) {
    if (output->mode == OutputMode::kFile) PETREL_TRY(CreateIfAbsent(output->path));
  }
  for (const std::string& file : output_files) PETREL_TRY(CreateIfAbsent(file));

  PETREL_ASSIGN_OR_RETURN(LandlockRuleset ruleset, LandlockRuleset::Create().Wrap("--landlock"));
  std::vector<LandlockRule> rules = LandlockRulesFor(config);
  for (const std::string& file : output_files) rules.push_back({file, LandlockAccess::kReadWrite});
  for (const LandlockRule& rule : rules) {
    PETREL_TRY(ruleset.Allow(rule.path, rule.access));  // "landlock: <path>: ..."
    PETREL_LOG(kDebug) << "landlock: allow " << LandlockAccessName(rule.access) << " "
                       << rule.path;
  }
  PETREL_TRY(ruleset.RestrictSelf().Wrap("--landlock"));
  PETREL_LOG(kInfo) << "landlock (ABI " << ruleset.abi() << "): the VM thread and the threads it "
                    << "starts are confined to " << rules.size() << " paths";
  return Ok();
}

}  // namespace petrel::vmm
