// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Landlock (Linux 5.13+): an unprivileged process confines itself to the
// files and directories it names. `petrel --landlock` (vmm/landlock_paths.h,
// docs/security.md) uses it as Cloud Hypervisor's --landlock does.
//
// Raw system calls (Debian has no liblandlock): landlock_create_ruleset,
// landlock_add_rule (LANDLOCK_RULE_PATH_BENEATH) and landlock_restrict_self.
//
// Per thread: RestrictSelf() confines the calling thread, and the threads
// and processes it creates afterwards (they inherit its domain). Threads
// that exist already are not confined, and nothing lifts a restriction:
// a thread restricted twice is confined to what both rulesets allow.
// Only access by path is checked, when a file is opened (or created,
// removed, renamed); descriptors opened before stay usable, and files
// outside any path (pipes, sockets, memfds, eventfds, KVM's anonymous
// inodes) are never restricted.
//
// Best effort across kernels: the ruleset handles every right the kernel's
// ABI knows (LandlockHandledFsRights), so on an older kernel a newer right
// (REFER before ABI 2, TRUNCATE before ABI 3) stays unrestricted instead of
// failing. (Cloud Hypervisor requires ABI 3.)
#pragma once

#include <cstdint>
#include <string>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "core/isolation/landlock_access.h"

namespace petrel {

// The highest Landlock ABI the kernel supports (1 on Linux 5.13, 7 on 6.15).
// kUnsupported, "Landlock is not supported by this kernel (needs Linux 5.13
// with Landlock enabled in the LSM list)", when the kernel has no Landlock
// (ENOSYS) or booted without it (EOPNOTSUPP).
Result<int> LandlockAbiVersion();

class LandlockRuleset {
 public:
  // A ruleset handling LandlockHandledFsRights(LandlockAbiVersion()).
  static Result<LandlockRuleset> Create();

  // Allows `access` beneath `path` (a directory: to everything beneath it;
  // a file or device: to it alone, with the file rights only). A path that
  // does not exist is kNotFound naming it; kBindSocket on a non-directory
  // is kInvalidArgument. Symbolic links are followed: the rule is on the
  // file they name.
  Result<void> Allow(const std::string& path, LandlockAccess access);

  // Sets PR_SET_NO_NEW_PRIVS (Landlock requires it of an unprivileged
  // caller), then confines the calling thread (see above). The ruleset is
  // spent: Allow and RestrictSelf fail afterwards.
  Result<void> RestrictSelf();

  int abi() const { return abi_; }
  uint64_t handled_fs() const { return handled_fs_; }
  size_t rule_count() const { return rules_; }

 private:
  LandlockRuleset(UniqueFd fd, int abi, uint64_t handled_fs)
      : fd_(std::move(fd)), abi_(abi), handled_fs_(handled_fs) {}

  UniqueFd fd_;
  int abi_;
  uint64_t handled_fs_;
  size_t rules_ = 0;
};

}  // namespace petrel
