// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SyscallRules and the common thread list (see syscall_rules.h).
#include "core/isolation/syscall_rules.h"

#include <sys/syscall.h>

#include <cstdio>

#include "core/isolation/sanitizer_build.h"


namespace petrel::isolation {

namespace {
// _IOC_TYPE: bits 8-15 of a request (include/uapi/asm-generic/ioctl.h).
uint8_t IoctlType(uint32_t request) { return static_cast<uint8_t>((request >> 8) & 0xff); }
}  // namespace

SyscallRules& SyscallRules::Allow(long syscall_number) {
  syscalls_.insert(syscall_number);
  return *this;
}

SyscallRules& SyscallRules::Allow(std::initializer_list<long> syscall_numbers) {
  syscalls_.insert(syscall_numbers.begin(), syscall_numbers.end());
  return *this;
}

SyscallRules& SyscallRules::AllowIoctl(uint32_t request) {
  syscalls_.insert(SYS_ioctl);
  ioctls_.insert(request);
  return *this;
}

SyscallRules& SyscallRules::AllowIoctls(std::initializer_list<uint32_t> requests) {
  for (uint32_t r : requests) AllowIoctl(r);
  return *this;
}

SyscallRules& SyscallRules::AllowIoctlType(uint8_t type) {
  syscalls_.insert(SYS_ioctl);
  ioctl_types_.insert(type);
  return *this;
}

SyscallRules& SyscallRules::Add(const SyscallRules& other) {
  syscalls_.insert(other.syscalls_.begin(), other.syscalls_.end());
  ioctls_.insert(other.ioctls_.begin(), other.ioctls_.end());
  ioctl_types_.insert(other.ioctl_types_.begin(), other.ioctl_types_.end());
  return *this;
}

bool SyscallRules::AllowsIoctl(uint32_t request) const {
  return AllowsSyscall(SYS_ioctl) &&
         (ioctls_.count(request) != 0 || ioctl_types_.count(IoctlType(request)) != 0);
}

std::vector<std::string> SyscallRules::NotAllowedBy(const SyscallRules& wider) const {
  std::vector<std::string> missing;
  for (long nr : syscalls_) {
    if (!wider.AllowsSyscall(nr)) missing.push_back("syscall " + std::to_string(nr));
  }
  char buf[32];
  for (uint32_t request : ioctls_) {
    if (!wider.AllowsIoctl(request)) {
      std::snprintf(buf, sizeof buf, "ioctl 0x%x", request);
      missing.emplace_back(buf);
    }
  }
  for (uint8_t type : ioctl_types_) {
    if (wider.ioctl_types_.count(type) == 0) {
      std::snprintf(buf, sizeof buf, "ioctl type 0x%x", type);
      missing.emplace_back(buf);
    }
  }
  return missing;
}

bool CommonSyscallsWidenedForSanitizers() { return PETREL_SANITIZER_BUILD != 0; }

const SyscallRules& CommonThreadSyscalls() {
  static const SyscallRules rules = {
      // malloc and free (glibc grows arenas with mmap/mprotect/brk, trims
      // with madvise/munmap), thread stacks when a thread ends.
      SYS_brk, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise,
      // std::mutex, std::condition_variable, thread join.
      SYS_futex, SYS_sched_yield,
      // The log (stdio to stderr or the log file) and eventfd signals.
      SYS_write, SYS_writev, SYS_read, SYS_fstat, SYS_newfstatat,
      // Clocks (normally the vDSO; these are its fallbacks) and sleeps.
      SYS_clock_gettime, SYS_gettimeofday, SYS_clock_nanosleep, SYS_nanosleep,
      // Who am I (the log's thread names, pthread_kill).
      SYS_getpid, SYS_gettid,
      // Signals: the handlers' return, masks, the vCPU kick (pthread_kill),
      // the SIGSYS report.
      SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_tgkill, SYS_sigaltstack,
      SYS_restart_syscall,
      // A write that must not raise SIGPIPE takes a pending one back (the
      // event monitor's writes, from whichever thread emits the event).
      SYS_rt_sigpending, SYS_rt_sigtimedwait,
      // Descriptors a thread's objects own are closed on that thread.
      SYS_close,
      // The end of a thread and of the process.
      SYS_exit, SYS_exit_group,
      // glibc: restartable sequences and robust futex lists at thread start.
      SYS_rseq, SYS_set_robust_list,
      // std::random_device, hash seeds.
      SYS_getrandom,
  };
#if PETREL_SANITIZER_BUILD
  // ASan/TSan/UBSan builds only: the sanitizer runtimes' own calls in any
  // thread (LeakSanitizer's exit-time check ptraces the threads from a
  // thread it clones; reports read /proc and symbolize). Never in the
  // production binary.
  static const SyscallRules sanitized = [] {
    SyscallRules r = rules;
    r.Allow({SYS_ptrace, SYS_process_vm_readv, SYS_wait4, SYS_clone, SYS_clone3, SYS_prctl,
             SYS_getppid, SYS_sched_getaffinity, SYS_openat, SYS_open, SYS_readlink,
             SYS_readlinkat, SYS_getdents64, SYS_pipe2, SYS_dup2, SYS_dup3, SYS_lseek,
             SYS_execve, SYS_kill, SYS_setrlimit, SYS_getrlimit, SYS_prlimit64, SYS_uname,
             SYS_sched_getparam, SYS_personality, SYS_fcntl});
    return r;
  }();
  return sanitized;
#else
  return rules;
#endif
}

}  // namespace petrel::isolation
