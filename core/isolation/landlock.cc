// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LandlockRuleset and LandlockAbiVersion (see landlock.h): the three
// Landlock system calls, made directly.
#include "core/isolation/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

// The numbers are the same on every architecture (added after the syscall
// tables were unified); Debian 12's headers have them, older ones may not.
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

namespace petrel {
namespace {

constexpr const char* kUnsupportedMessage =
    "Landlock is not supported by this kernel (needs Linux 5.13 with Landlock enabled in the "
    "LSM list)";

static_assert(LANDLOCK_ACCESS_FS_REFER == landlock_fs::kRefer);
static_assert(LANDLOCK_ACCESS_FS_MAKE_SYM == landlock_fs::kMakeSym);
static_assert(LANDLOCK_ACCESS_FS_EXECUTE == landlock_fs::kExecute);

// Only the first member, which every ABI has; the kernel takes the size we
// pass (later members, such as ABI 4's handled_access_net, read as 0).
struct RulesetAttr {
  uint64_t handled_access_fs;
};

}  // namespace

Result<int> LandlockAbiVersion() {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) {
    const int err = errno;
    if (err == ENOSYS || err == EOPNOTSUPP) {
      return Error(ErrorCode::kUnsupported, kUnsupportedMessage, err);
    }
    return Error::FromErrno("landlock_create_ruleset (probing the ABI version)", err);
  }
  return static_cast<int>(abi);
}

Result<LandlockRuleset> LandlockRuleset::Create() {
  PETREL_ASSIGN_OR_RETURN(const int abi, LandlockAbiVersion());
  RulesetAttr attr{LandlockHandledFsRights(abi)};
  const long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOSYS || err == EOPNOTSUPP) {
      return Error(ErrorCode::kUnsupported, kUnsupportedMessage, err);
    }
    return Error::FromErrno("landlock_create_ruleset", err);
  }
  return LandlockRuleset(UniqueFd(static_cast<int>(fd)), abi, attr.handled_access_fs);
}

Result<void> LandlockRuleset::Allow(const std::string& path, LandlockAccess access) {
  if (!fd_.valid()) {
    return Error(ErrorCode::kFailedPrecondition, "landlock: the ruleset is already applied");
  }
  if (path.empty()) return Error(ErrorCode::kInvalidArgument, "landlock: a rule has an empty path");
  UniqueFd target(open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!target.valid()) {
    const int err = errno;
    if (err == ENOENT) {
      return Error(ErrorCode::kNotFound, "landlock: " + path + ": does not exist", err);
    }
    return Error::FromErrno("landlock: " + path, err);
  }
  struct stat st {};
  if (fstat(target.get(), &st) != 0) return Error::FromErrno("landlock: " + path);
  const bool directory = S_ISDIR(st.st_mode);
  if (access == LandlockAccess::kBindSocket && !directory) {
    return Error(ErrorCode::kInvalidArgument,
                 "landlock: " + path + ": is not a directory (a socket is bound beneath one)");
  }
  landlock_path_beneath_attr attr{};
  attr.allowed_access = LandlockFsRights(access, directory) & handled_fs_;
  attr.parent_fd = target.get();
  if (attr.allowed_access == 0) return Ok();  // nothing this kernel restricts
  if (syscall(SYS_landlock_add_rule, fd_.get(), LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0) {
    return Error::FromErrno("landlock: adding a rule for " + path);
  }
  ++rules_;
  return Ok();
}

Result<void> LandlockRuleset::RestrictSelf() {
  if (!fd_.valid()) {
    return Error(ErrorCode::kFailedPrecondition, "landlock: the ruleset is already applied");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error::FromErrno("landlock: prctl(PR_SET_NO_NEW_PRIVS)");
  }
  if (syscall(SYS_landlock_restrict_self, fd_.get(), 0) != 0) {
    return Error::FromErrno("landlock_restrict_self");
  }
  fd_.reset();
  return Ok();
}

}  // namespace petrel
