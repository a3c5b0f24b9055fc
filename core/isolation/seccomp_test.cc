// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SeccompSandbox, for real: each test forks a child that confines itself
// and then makes calls; the parent reads the child's exit status and what
// it wrote to stderr. (A filter cannot be removed, so never in the test
// process itself.)
#include "core/isolation/seccomp.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace petrel::isolation {
namespace {

struct ChildOutcome {
  int status = 0;
  std::string err;
  bool exited(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
};

// Runs `body` in a forked child with stderr captured; the child's exit code
// is body's return value.
ChildOutcome RunInChild(const std::function<int()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    _exit(body());
  }
  close(fds[1]);
  ChildOutcome out;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.err.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, &out.status, 0);
  return out;
}

constexpr int kReachedTheEnd = 42;

TEST(SeccompTest, ModesParseAsCloudHypervisorSpellsThem) {
  EXPECT_EQ(*ParseSeccompMode("true"), SeccompMode::kTrap);
  EXPECT_EQ(*ParseSeccompMode("false"), SeccompMode::kOff);
  EXPECT_EQ(*ParseSeccompMode("log"), SeccompMode::kLog);
  EXPECT_EQ(*ParseSeccompMode("errno"), SeccompMode::kErrno);
  auto bad = ParseSeccompMode("yes");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("true, false, log, errno"), std::string::npos);
  EXPECT_STREQ(SeccompModeName(SeccompMode::kTrap), "true");
}

TEST(SeccompTest, AnAllowedCallRunsAndAForbiddenOneEndsTheProcessWithAReport) {
  auto out = RunInChild([] {
    SeccompSandbox sandbox(SeccompMode::kTrap);
    if (!sandbox.Confine("test-role", SyscallRules{SYS_getppid}).ok()) return 1;
    if (getppid() <= 0) return 2;  // allowed
    syscall(SYS_times, nullptr);  // forbidden: the handler ends the process here
    return kReachedTheEnd;
  });
  EXPECT_TRUE(out.exited(128 + SIGSYS)) << "status " << out.status << ": " << out.err;
  EXPECT_NE(out.err.find("the test-role thread"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("times (" + std::to_string(SYS_times) + ")"), std::string::npos)
      << out.err;
}

TEST(SeccompTest, TheReportComesEvenWhenTheThreadBlockedEverySignal) {
  auto out = RunInChild([] {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, nullptr);  // as a device worker does
    SeccompSandbox sandbox(SeccompMode::kTrap);
    if (!sandbox.Confine("worker", SyscallRules{}).ok()) return 1;
    syscall(SYS_times, nullptr);
    return kReachedTheEnd;
  });
  EXPECT_TRUE(out.exited(128 + SIGSYS)) << "status " << out.status;
  EXPECT_NE(out.err.find("times"), std::string::npos) << out.err;
}

TEST(SeccompTest, IoctlsAreCheckedByRequestNumber) {
  auto out = RunInChild([] {
    SeccompSandbox sandbox(SeccompMode::kErrno);
    SyscallRules rules;
    rules.AllowIoctl(FIONREAD);
    if (!sandbox.Confine("ioctl-test", rules).ok()) return 1;
    // times is not allowed: EPERM expected.
    if (syscall(SYS_times, nullptr) != -1 || errno != EPERM) return 3;
    int n = 0;
    // FIONREAD passes the filter (the fd is bad: EBADF, not EPERM).
    if (ioctl(-1, FIONREAD, &n) == 0 || errno != EBADF) return 4;
    termios t;
    if (ioctl(-1, TCGETS, &t) == 0 || errno != EPERM) return 5;
    return kReachedTheEnd;
  });
  EXPECT_TRUE(out.exited(kReachedTheEnd)) << "status " << out.status << " " << out.err;
}

TEST(SeccompTest, IoctlTypesAllowEveryRequestOfTheDriver) {
  auto out = RunInChild([] {
    SeccompSandbox sandbox(SeccompMode::kErrno);
    SyscallRules rules;
    rules.AllowIoctlType('T');
    if (!sandbox.Confine("type-test", rules).ok()) return 1;
    termios t;
    if (ioctl(-1, TCGETS, &t) == 0 || errno != EBADF) return 2;
    if (ioctl(-1, TCSETS, &t) == 0 || errno != EBADF) return 3;
    return kReachedTheEnd;
  });
  EXPECT_TRUE(out.exited(kReachedTheEnd)) << "status " << out.status << " " << out.err;
}

TEST(SeccompTest, LogModeLetsTheCallRun) {
  auto out = RunInChild([] {
    SeccompSandbox sandbox(SeccompMode::kLog);
    if (!sandbox.Confine("log-test", SyscallRules{}).ok()) return 1;
    utsname u;
    if (uname(&u) != 0) return 2;
    return kReachedTheEnd;
  });
  EXPECT_TRUE(out.exited(kReachedTheEnd)) << "status " << out.status << " " << out.err;
}

TEST(SeccompTest, OffConfinesNothing) {
  auto out = RunInChild([] {
    SeccompSandbox sandbox(SeccompMode::kOff);
    if (!sandbox.Confine("off", SyscallRules{}).ok()) return 1;
    if (ConfinedRole() != nullptr) return 2;
    utsname u;
    return uname(&u) == 0 ? kReachedTheEnd : 3;
  });
  EXPECT_TRUE(out.exited(kReachedTheEnd)) << "status " << out.status;
}

TEST(SeccompTest, FiltersStackSoAThreadCannotWidenWhatItInherited) {
  auto out = RunInChild([] {
    SeccompSandbox sandbox(SeccompMode::kErrno);
    if (!sandbox.Confine("outer", SyscallRules{SYS_seccomp, SYS_prctl}).ok()) return 1;
    // The inner list allows times; the outer does not, so times still fails.
    if (!sandbox.Confine("inner", SyscallRules{SYS_times}).ok()) return 2;
    if (syscall(SYS_times, nullptr) != -1 || errno != EPERM) return 3;
    return kReachedTheEnd;
  });
  EXPECT_TRUE(out.exited(kReachedTheEnd)) << "status " << out.status << " " << out.err;
}

}  // namespace
}  // namespace petrel::isolation
