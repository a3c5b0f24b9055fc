// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --landlock (Cloud Hypervisor's): the files a VM configuration makes the
// VMM open once the VM is being built, and the restriction of the VM thread
// to them (core/isolation/landlock.h, docs/security.md).
//
// What the VM thread opens while it builds a VM (on every boot and reboot),
// found by reading every open(2), bind(2) and unlink(2) under core/,
// devices/, hv_*/ and vmm/, and the access each rule gives:
//   payload kernel, initramfs         r   (vmm/file_image.cc, read each boot)
//   --disk path                       rw, or r with readonly=on
//                                         (devices/block/disk_file.cc)
//   --serial/--console file=<path>    w   (vmm/console_output.cc; created
//                                         here first if absent, see below)
//   --serial/--console socket=<path>  the socket's directory, bind-socket:
//                                         the socket is bound there, and a
//                                         stale one (and ours, at teardown)
//                                         removed; nothing else
//   --serial/--console pty            /dev/ptmx and /dev/pts rw (as CH)
//   --serial/--console tty            the file behind stdout, w, when it is
//                                         one (a terminal or FIFO: stdout is
//                                         reopened non-blocking through
//                                         /proc/self/fd/1; a pipe, socket or
//                                         regular file needs no rule)
//   --rng src                         r   (devices/virtio/rng/entropy_source.cc)
//   --net with a tap name or none     /dev/net/tun rw (devices/net/tap.cc);
//                                         a net on fds the caller opened, none
//   the hypervisor                    /dev/kvm and /dev/mshv rw, each only if
//                                         it exists (hv_kvm, hv_mshv: the
//                                         backend is opened on every build)
//   /dev/urandom                      r   for libraries that read it (Petrel
//                                         itself uses getrandom(2))
//   /sys/kernel/mm/hugepages          r   with --memory hugepages=on, if it
//                                         exists: the pools' counts, for the
//                                         error when one is short
//                                         (core/memory/guest_memory.cc)
//   landlock_rules                    as given
// Everything else the VM thread uses is not reached by path: memfds (guest
// RAM), eventfds, epoll, io_uring, KVM's VM and vCPU descriptors, and the
// descriptors opened before (log file, event monitor, API socket, stdin).
//
// Not covered, so for --landlock-rules (docs/security.md): files and
// directories known only later (a hot-plugged disk; CH's snapshot
// destination and restore source, which in Petrel are written and read on
// the API thread, which is not confined).
#pragma once

#include <string>
#include <vector>

#include "core/base/result.h"
#include "vmm/config/vm_config.h"

namespace petrel::vmm {

// The rules for `config`, in the order above, exact duplicates dropped. The
// config's own paths are listed whether they exist or not (applying a rule
// for a missing one fails naming it); the host's devices only if they exist.
std::vector<config::LandlockRule> LandlockRulesFor(const config::VmConfig& config);

// --landlock, on the VM thread before it builds the VM: creates each
// file= console output that does not exist yet (empty, as the console would
// create it: Landlock can only allow a file that exists), then confines the
// calling thread, and the threads it starts from then on, to
// LandlockRulesFor(config). `output_files`: files the process writes later
// besides the config's (the binary's --record-io trace), created now if
// absent and allowed rw. Without Landlock: LandlockAbiVersion()'s error.
Result<void> RestrictToVmPaths(const config::VmConfig& config,
                               const std::vector<std::string>& output_files = {});

}  // namespace petrel::vmm
