// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SeccompSandbox (see seccomp.h).
#include "core/isolation/seccomp.h"

#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/base/log.h"

namespace petrel::isolation {

namespace {

thread_local const char* t_role = nullptr;

// Syscall names for the SIGSYS report, resolved before any filter exists
// (libseccomp's resolver allocates; a signal handler must not).
constexpr int kNameTableSize = 512;
const char* g_names[kNameTableSize];
std::atomic<int> g_log_fd{-1};
std::once_flag g_trap_setup;

// Async-signal-safe string building for the handler.
struct Line {
  char buf[320];
  size_t len = 0;
  void Add(const char* s) {
    while (*s != '\0' && len + 1 < sizeof buf) buf[len++] = *s++;
  }
  void AddNumber(long n) {
    char digits[24];
    int i = 0;
    unsigned long u = n < 0 ? static_cast<unsigned long>(-n) : static_cast<unsigned long>(n);
    do {
      digits[i++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0 && i < 23);
    if (n < 0) Add("-");
    while (i > 0 && len + 1 < sizeof buf) buf[len++] = digits[--i];
  }
};

void OnSigsys(int, siginfo_t* info, void*) {
  const int nr = info->si_syscall;
  const char* name = nr >= 0 && nr < kNameTableSize && g_names[nr] != nullptr ? g_names[nr] : "?";
  Line line;
  line.Add("petrel: error: seccomp: the ");
  line.Add(t_role != nullptr ? t_role : "unconfined");
  line.Add(" thread made a system call its filter does not allow: ");
  line.Add(name);
  line.Add(" (");
  line.AddNumber(nr);
  line.Add("); the VMM stops (run with --seccomp log to find what a new code path needs)\n");
  (void)!::write(STDERR_FILENO, line.buf, line.len);
  const int log_fd = g_log_fd.load();
  if (log_fd >= 0 && log_fd != STDERR_FILENO) (void)!::write(log_fd, line.buf, line.len);
  // exit_group, not a re-raised SIGSYS: no core file with guest memory.
  ::syscall(SYS_exit_group, 128 + SIGSYS);
}

void SetUpTrap() {
  for (int nr = 0; nr < kNameTableSize; ++nr) {
    g_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);  // kept for good
  }
  struct sigaction action {};
  action.sa_sigaction = OnSigsys;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSYS, &action, nullptr);
}

uint32_t DefaultAction(SeccompMode mode) {
  switch (mode) {
    case SeccompMode::kLog:
      return SCMP_ACT_LOG;
    case SeccompMode::kErrno:
      return SCMP_ACT_ERRNO(EPERM);
    case SeccompMode::kTrap:
    case SeccompMode::kOff:
      break;
  }
  return SCMP_ACT_TRAP;
}

Error SeccompError(const char* role, const char* what, int rc) {
  return Error(ErrorCode::kSystem, std::string("seccomp filter for the ") + role + " thread: " +
                                       what + ": " + std::strerror(-rc));
}

}  // namespace

SeccompSandbox::SeccompSandbox(SeccompMode mode) : mode_(mode) {
  if (mode_ == SeccompMode::kTrap) std::call_once(g_trap_setup, SetUpTrap);
}

Result<void> SeccompSandbox::Confine(const char* role, const SyscallRules& rules) {
  if (mode_ == SeccompMode::kOff) return Ok();
  SyscallRules all = CommonThreadSyscalls();
  all.Add(rules);
  scmp_filter_ctx ctx = seccomp_init(DefaultAction(mode_));
  if (ctx == nullptr) return Error(ErrorCode::kSystem, "seccomp_init failed");
  struct Release {
    scmp_filter_ctx ctx;
    ~Release() { seccomp_release(ctx); }
  } release{ctx};
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
  if (rc < 0) return SeccompError(role, "no_new_privs", rc);
  for (long nr : all.syscalls()) {
    if (nr == SYS_ioctl) continue;  // argument-checked below
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, static_cast<int>(nr), 0);
    if (rc < 0) return SeccompError(role, ("syscall " + std::to_string(nr)).c_str(), rc);
  }
  for (uint32_t request : all.ioctls()) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                          SCMP_A1_32(SCMP_CMP_EQ, request));
    if (rc < 0) return SeccompError(role, "an ioctl rule", rc);
  }
  for (uint8_t type : all.ioctl_types()) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                          SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xff00u, uint32_t{type} << 8));
    if (rc < 0) return SeccompError(role, "an ioctl type rule", rc);
  }
  // SIGSYS must reach this thread's handler (see seccomp.h).
  sigset_t sigsys;
  sigemptyset(&sigsys);
  sigaddset(&sigsys, SIGSYS);
  pthread_sigmask(SIG_UNBLOCK, &sigsys, nullptr);
  g_log_fd.store(log::OutputFd());
  t_role = role;
  rc = seccomp_load(ctx);
  if (rc < 0) {
    t_role = nullptr;
    return SeccompError(role, "loading", rc);
  }
  return Ok();
}

const char* ConfinedRole() { return t_role; }

}  // namespace petrel::isolation
