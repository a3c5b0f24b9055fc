// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for vmm/landlock_paths.h: the rules a VmConfig gives, and (in forked
// children, core/isolation/landlock_test_util.h) what a thread confined by
// RestrictToVmPaths can and cannot open.
#include "vmm/landlock_paths.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/isolation/landlock.h"
#include "core/isolation/landlock_test_util.h"
#include "devices/block/image/qemu_img_test_util.h"

namespace petrel::vmm {
namespace {

using config::LandlockRule;
using config::OutputMode;
using landlock_test::Denied;
using landlock_test::Opens;
using landlock_test::RunInChild;
using landlock_test::TempDir;

bool Exists(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0;
}

bool Has(const std::vector<LandlockRule>& rules, const std::string& path, LandlockAccess access) {
  return std::find(rules.begin(), rules.end(), LandlockRule{path, access}) != rules.end();
}

// A config naming no terminal (the tty rule depends on the test's stdout).
config::VmConfig Quiet() {
  config::VmConfig c;
  c.payload.kernel = "/boot/vmlinuz";
  c.console = {OutputMode::kOff, {}};
  return c;
}

TEST(LandlockRulesForTest, AKernelOnlyConfig) {
  const auto rules = LandlockRulesFor(Quiet());
  ASSERT_FALSE(rules.empty());
  EXPECT_EQ(rules.front(), (LandlockRule{"/boot/vmlinuz", LandlockAccess::kRead}));
  // The default rng source and /dev/urandom are one rule.
  EXPECT_EQ(std::count_if(rules.begin(), rules.end(),
                          [](const LandlockRule& r) { return r.path == "/dev/urandom"; }),
            1);
  EXPECT_EQ(Has(rules, "/dev/kvm", LandlockAccess::kReadWrite), Exists("/dev/kvm"));
  EXPECT_EQ(Has(rules, "/dev/mshv", LandlockAccess::kReadWrite), Exists("/dev/mshv"));
  // No net, no tun; serial null and console off, no output rule.
  for (const auto& rule : rules) {
    EXPECT_NE(rule.path, "/dev/net/tun");
    EXPECT_NE(rule.access, LandlockAccess::kWrite) << rule.path;
    EXPECT_NE(rule.access, LandlockAccess::kBindSocket) << rule.path;
  }
}

TEST(LandlockRulesForTest, EveryPathTheConfigNamesWithItsAccess) {
  config::VmConfig c = Quiet();
  c.payload.initramfs = "/boot/initrd.img";
  c.disks.push_back({.path = "/images/root.raw"});
  c.disks.push_back({.path = "/images/seed.iso", .readonly = true});
  c.serial = {OutputMode::kFile, "/var/log/vm/serial.log"};
  c.console = {OutputMode::kSocket, "/run/vm/console.sock"};
  c.rng.src = "/dev/hwrng";
  c.nets.push_back({.tap = "tap0"});
  c.landlock_rules = {{"/hotplug", LandlockAccess::kReadWrite}, {"/extra.img", LandlockAccess::kRead}};
  const auto rules = LandlockRulesFor(c);
  EXPECT_TRUE(Has(rules, "/boot/vmlinuz", LandlockAccess::kRead));
  EXPECT_TRUE(Has(rules, "/boot/initrd.img", LandlockAccess::kRead));
  EXPECT_TRUE(Has(rules, "/images/root.raw", LandlockAccess::kReadWrite));
  EXPECT_TRUE(Has(rules, "/images/seed.iso", LandlockAccess::kRead));
  EXPECT_TRUE(Has(rules, "/var/log/vm/serial.log", LandlockAccess::kWrite));
  EXPECT_TRUE(Has(rules, "/run/vm", LandlockAccess::kBindSocket));
  EXPECT_TRUE(Has(rules, "/dev/hwrng", LandlockAccess::kRead));
  EXPECT_EQ(Has(rules, "/dev/net/tun", LandlockAccess::kReadWrite), Exists("/dev/net/tun"));
  EXPECT_EQ(Has(rules, "/dev/urandom", LandlockAccess::kRead), Exists("/dev/urandom"));
  // The user's rules come last, as given.
  ASSERT_GE(rules.size(), 2u);
  EXPECT_EQ(rules[rules.size() - 2], c.landlock_rules[0]);
  EXPECT_EQ(rules.back(), c.landlock_rules[1]);
}

// A qcow2 disk's backing chain is reachable, read-only, and only with
// backing_files=on (without it the disk does not open at all).
TEST(LandlockRulesForTest, AQcow2DisksBackingChainIsReadOnly) {
  PETREL_REQUIRE_QEMU_IMG();
  image_test::TempDir dir;
  PETREL_RUN_OK("qemu-img create -q -f raw " + (dir.File("base.raw")) + " 1M");
  PETREL_RUN_OK("cd " + dir.path() + " && qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 && " +
                "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2");
  config::VmConfig c = Quiet();
  c.disks.push_back({.path = dir.File("top.qcow2"), .backing_files = true});
  auto rules = LandlockRulesFor(c);
  EXPECT_TRUE(Has(rules, dir.File("top.qcow2"), LandlockAccess::kReadWrite));
  EXPECT_TRUE(Has(rules, dir.File("mid.qcow2"), LandlockAccess::kRead));
  EXPECT_TRUE(Has(rules, dir.File("base.raw"), LandlockAccess::kRead));
  c.disks[0].backing_files = false;
  rules = LandlockRulesFor(c);
  EXPECT_FALSE(Has(rules, dir.File("base.raw"), LandlockAccess::kRead));
}

TEST(LandlockRulesForTest, ConsoleModes) {
  config::VmConfig c = Quiet();
  c.serial = {OutputMode::kPty, {}};
  c.console = {OutputMode::kSocket, "console.sock"};  // relative: the current directory
  auto rules = LandlockRulesFor(c);
  EXPECT_TRUE(Has(rules, "/dev/ptmx", LandlockAccess::kReadWrite));
  EXPECT_TRUE(Has(rules, "/dev/pts", LandlockAccess::kReadWrite));
  EXPECT_TRUE(Has(rules, ".", LandlockAccess::kBindSocket));
  c.console = {OutputMode::kSocket, "/console.sock"};
  EXPECT_TRUE(Has(LandlockRulesFor(c), "/", LandlockAccess::kBindSocket));
}

// hugepages=on reads the hugetlbfs pools' counts for its error messages.
TEST(LandlockRulesForTest, HugePagesReadTheirPools) {
  config::VmConfig c = Quiet();
  EXPECT_FALSE(Has(LandlockRulesFor(c), "/sys/kernel/mm/hugepages", LandlockAccess::kRead));
  c.memory.hugepages = true;
  EXPECT_EQ(Has(LandlockRulesFor(c), "/sys/kernel/mm/hugepages", LandlockAccess::kRead),
            Exists("/sys/kernel/mm/hugepages"));
}

// A net on taps the caller opened never opens /dev/net/tun.
TEST(LandlockRulesForTest, NetsOnCallersFdsNeedNoTun) {
  config::VmConfig c = Quiet();
  c.nets.push_back({.num_queues = 2, .fds = std::vector<int>{5}});
  for (const auto& rule : LandlockRulesFor(c)) EXPECT_NE(rule.path, "/dev/net/tun");
}

// --serial tty reopens stdout by its path: a terminal or FIFO needs a rule.
TEST(LandlockRulesForTest, TtyAllowsTheFileBehindStdout) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string fifo = dir.path() + "/stdout.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int status = RunInChild([&] {
    const int fd = open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // RDWR: no reader needed
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) return 10;
    config::VmConfig c = Quiet();
    c.serial = {OutputMode::kTty, {}};
    return Has(LandlockRulesFor(c), fifo, LandlockAccess::kWrite) ? 0 : 11;
  });
  EXPECT_EQ(status, 0);
}

#define PETREL_SKIP_WITHOUT_LANDLOCK()                    \
  do {                                                    \
    auto abi = LandlockAbiVersion();                      \
    if (!abi.ok()) GTEST_SKIP() << abi.error().message(); \
  } while (0)

TEST(RestrictToVmPathsTest, AMissingPathIsNamedAndNothingIsRestricted) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  config::VmConfig c = Quiet();
  c.payload.kernel = dir.File("vmlinux");
  c.disks.push_back({.path = dir.path() + "/missing.raw"});
  auto restricted = RestrictToVmPaths(c);
  ASSERT_FALSE(restricted.ok());
  EXPECT_EQ(restricted.error().message(), "landlock: " + dir.path() + "/missing.raw: does not exist");
  EXPECT_EQ(Opens("/etc/hostname", O_RDONLY, 1), Exists("/etc/hostname") ? 0 : 1);
}

int Bind(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  close(fd);
  return rc == 0 ? 0 : err;
}

// Petrel's own VmConfig turned into rules and applied: what it names opens
// as it should, anything else does not.
TEST(RestrictToVmPathsTest, AConfinedThreadOpensWhatItsConfigNamesAndNothingElse) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  config::VmConfig c = Quiet();
  c.payload.kernel = dir.File("vmlinux");
  c.payload.initramfs = dir.File("initrd");
  c.disks.push_back({.path = dir.File("root.raw")});
  c.disks.push_back({.path = dir.File("seed.iso"), .readonly = true});
  c.serial = {OutputMode::kFile, dir.Dir("logs") + "/serial.log"};  // does not exist yet
  c.console = {OutputMode::kSocket, dir.Dir("run") + "/console.sock"};
  c.rng.src = dir.File("entropy");
  c.landlock_rules = {{dir.Dir("hotplug"), LandlockAccess::kReadWrite}};
  const std::string trace = dir.path() + "/io.trace";
  const std::string other = dir.File("other");
  const int status = RunInChild([&] {
    if (!RestrictToVmPaths(c, {trace}).ok()) return 10;
    if (int r = Opens(c.payload.kernel, O_RDONLY, 11)) return r;
    if (int r = Denied(c.payload.kernel, O_WRONLY, 12)) return r;
    if (int r = Opens(c.payload.initramfs, O_RDONLY, 13)) return r;
    if (int r = Opens(c.disks[0].path, O_RDWR, 14)) return r;
    if (int r = Opens(c.disks[1].path, O_RDONLY, 15)) return r;
    if (int r = Denied(c.disks[1].path, O_RDWR, 16)) return r;
    if (int r = Opens(c.serial.path, O_WRONLY | O_CREAT | O_APPEND, 17)) return r;
    if (int r = Denied(c.serial.path, O_RDONLY, 18)) return r;
    if (Bind(c.console.path) != 0) return 19;
    if (unlink(c.console.path.c_str()) != 0) return 20;
    if (int r = Denied(dir.path() + "/run/not-a-socket", O_WRONLY | O_CREAT, 21)) return r;
    if (int r = Opens(c.rng.src, O_RDONLY, 22)) return r;
    if (int r = Opens(trace, O_WRONLY | O_CREAT | O_TRUNC, 23)) return r;
    if (int r = Opens(dir.path() + "/hotplug/new.raw", O_RDWR | O_CREAT, 24)) return r;
    if (int r = Denied(other, O_RDONLY, 25)) return r;
    if (int r = Denied(dir.path() + "/new", O_WRONLY | O_CREAT, 26)) return r;
    if (Exists("/etc/hostname")) {
      if (int r = Denied("/etc/hostname", O_RDONLY, 27)) return r;
    }
    return 0;
  });
  // 10: restricting failed; 11-24: an allowed open failed or a refused one
  // did not fail with EACCES (the step is the line above); 25-27: a path the
  // config does not name opened.
  EXPECT_EQ(status, 0);
  // The serial file was created before the restriction, as the console would.
  EXPECT_TRUE(Exists(c.serial.path.c_str()));
}

}  // namespace
}  // namespace petrel::vmm
