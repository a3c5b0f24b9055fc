// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The petrel binary's own thread lists (see thread_syscalls.h).
#include "vmm/thread_syscalls.h"

#include <linux/fs.h>
#include <sys/syscall.h>

#include "core/event/epoll_event_loop.h"
#include "devices/block/io_engine.h"
#include "devices/net/tap.h"
#include "hv_kvm/kvm_thread_syscalls.h"
#include "hv_mshv/mshv_thread_syscalls.h"
#include "vmm/console_output.h"

namespace petrel::vmm {

isolation::SyscallRules VmmThreadSyscalls() {
  isolation::SyscallRules rules = {
      // Files: kernels, disks, snapshots, console files and ptys, /dev.
      SYS_openat, SYS_open, SYS_close_range, SYS_lseek, SYS_pread64, SYS_pwrite64, SYS_readv,
      SYS_writev, SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2, SYS_fsync, SYS_fdatasync,
      SYS_ftruncate, SYS_fallocate, SYS_statx, SYS_stat, SYS_lstat, SYS_statfs, SYS_fstatfs,
      SYS_access, SYS_faccessat, SYS_faccessat2, SYS_readlink, SYS_readlinkat, SYS_getcwd,
      SYS_getdents64, SYS_mkdir, SYS_mkdirat, SYS_unlink, SYS_unlinkat, SYS_rename, SYS_renameat,
      SYS_renameat2, SYS_fchmod, SYS_chmod, SYS_umask, SYS_flock, SYS_fcntl, SYS_dup, SYS_dup2,
      SYS_dup3, SYS_pipe2,
      // Guest memory and snapshots' memory files.
      SYS_memfd_create, SYS_mlock, SYS_munlock, SYS_mbind, SYS_userfaultfd,
      // Sockets: API and console sockets, migration (UNIX and TCP), events.
      SYS_socket, SYS_socketpair, SYS_bind, SYS_listen, SYS_accept4, SYS_accept, SYS_connect,
      SYS_getsockname, SYS_getpeername, SYS_getsockopt, SYS_setsockopt, SYS_shutdown,
      SYS_sendmsg, SYS_recvmsg, SYS_sendto, SYS_recvfrom,
      // Event loops and waiting.
      SYS_epoll_create1, SYS_poll, SYS_ppoll, SYS_timerfd_create, SYS_timerfd_settime,
      // Threads: vCPUs, device workers, the API and signal threads.
      SYS_clone, SYS_clone3, SYS_sched_getaffinity, SYS_sched_setaffinity, SYS_prlimit64,
      SYS_rt_sigtimedwait, SYS_kill, SYS_tkill, SYS_wait4,
      // Installing the threads' own filters, Landlock.
      SYS_prctl, SYS_seccomp, SYS_landlock_create_ruleset, SYS_landlock_add_rule,
      SYS_landlock_restrict_self,
      // Identity (ownership checks, the log), io_uring set-up for disks.
      SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getppid, SYS_uname, SYS_sysinfo,
      SYS_io_uring_setup, SYS_io_uring_register,
  };
  // ioctls by driver: KVM and MSHV, terminals and tun ('T'), socket
  // configuration of taps (SIOC*, 0x89), block devices (BLK*, 0x12).
  rules.Add(kvm::KvmThreadSyscalls(hv::ThreadKind::kVmm));
  rules.Add(mshv::MshvThreadSyscalls(hv::ThreadKind::kVmm));
  rules.AllowIoctlType('T').AllowIoctlType(0x89).AllowIoctlType(0x12);
  // What the threads it starts do (their filters stack on this one).
  for (hv::ThreadKind kind : {hv::ThreadKind::kVcpu, hv::ThreadKind::kDeviceWorker}) {
    rules.Add(kvm::KvmThreadSyscalls(kind));
    rules.Add(mshv::MshvThreadSyscalls(kind));
  }
  rules.Add(EpollEventLoop::ThreadSyscalls());
  rules.Add(ConsoleOutputSyscalls());
  rules.Add(BlockIoSyscalls());
  rules.Add(net::TapWorkerSyscalls());
  rules.Add(SignalThreadSyscalls());
  return rules;
}

isolation::SyscallRules ApiThreadSyscalls() { return VmmThreadSyscalls(); }

isolation::SyscallRules SignalThreadSyscalls() { return {SYS_rt_sigtimedwait}; }

}  // namespace petrel::vmm
