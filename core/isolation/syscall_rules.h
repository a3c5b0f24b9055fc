// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SyscallRules: what one kind of thread may ask of the kernel, stated by the
// code that makes the calls, so a developer who adds a system call sees the
// list it belongs to in the same change.
//
// A list holds syscall numbers (SYS_* from <sys/syscall.h>) and, for
// ioctl(2), the request numbers allowed: exact requests, or a whole ioctl
// "type" byte (bits 8-15 of the request, the driver's letter: KVM's 0xAE,
// 'T' for terminals and tun) where a thread's needs are broad (the VMM
// thread). A list that allows SYS_ioctl without any request allows none:
// ioctls are always argument-checked.
//
// The lists are plain data: no libseccomp here (devices state their needs
// without linking it). seccomp.h compiles a list into a BPF filter;
// thread_sandbox.h is how a thread asks for one.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace petrel::isolation {

class SyscallRules {
 public:
  SyscallRules() = default;
  SyscallRules(std::initializer_list<long> syscalls) : syscalls_(syscalls) {}

  SyscallRules& Allow(long syscall_number);
  SyscallRules& Allow(std::initializer_list<long> syscall_numbers);
  // ioctl(fd, request, ...) with exactly `request` (compared as 32 bits, as
  // the kernel's ioctl handler does: `unsigned int cmd`).
  SyscallRules& AllowIoctl(uint32_t request);
  SyscallRules& AllowIoctls(std::initializer_list<uint32_t> requests);
  // Any ioctl whose type byte (_IOC_TYPE) is `type`.
  SyscallRules& AllowIoctlType(uint8_t type);
  // Everything `other` allows.
  SyscallRules& Add(const SyscallRules& other);

  const std::set<long>& syscalls() const { return syscalls_; }
  const std::set<uint32_t>& ioctls() const { return ioctls_; }
  const std::set<uint8_t>& ioctl_types() const { return ioctl_types_; }
  bool AllowsSyscall(long syscall_number) const { return syscalls_.count(syscall_number) != 0; }
  // Whether ioctl `request` passes (an exact entry or its type byte).
  bool AllowsIoctl(uint32_t request) const;
  // What this list allows that `wider` does not (syscalls by number, ioctls
  // as "ioctl 0x..."); empty when this list is a subset. Filters stack, so
  // a thread's list must be a subset of every filter it inherits.
  std::vector<std::string> NotAllowedBy(const SyscallRules& wider) const;

 private:
  std::set<long> syscalls_;
  std::set<uint32_t> ioctls_;
  std::set<uint8_t> ioctl_types_;
};

// What every Petrel thread needs whatever its job: memory (malloc, thread
// stacks), futexes (mutexes, condition variables), the log (write to
// stderr or the log file), clocks and sleeps, its own exit, signal return
// and masks (the vCPU kick, the SIGSYS report), and closing descriptors.
// In sanitizer builds (ASan, TSan, UBSan) the list also holds what the
// sanitizer runtimes call (CommonSyscallsWidenedForSanitizers()).
const SyscallRules& CommonThreadSyscalls();
bool CommonSyscallsWidenedForSanitizers();

}  // namespace petrel::isolation
