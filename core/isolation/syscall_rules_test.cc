// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "core/isolation/syscall_rules.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include <gtest/gtest.h>

namespace petrel::isolation {
namespace {

TEST(SyscallRulesTest, AllowingAnIoctlAllowsTheSyscallButOnlyThatRequest) {
  SyscallRules rules;
  rules.AllowIoctl(KVM_RUN);
  EXPECT_TRUE(rules.AllowsSyscall(SYS_ioctl));
  EXPECT_TRUE(rules.AllowsIoctl(KVM_RUN));
  EXPECT_FALSE(rules.AllowsIoctl(KVM_GET_REGS));
}

TEST(SyscallRulesTest, AnIoctlTypeAllowsEveryRequestOfThatDriver) {
  SyscallRules rules;
  rules.AllowIoctlType(KVMIO);
  EXPECT_TRUE(rules.AllowsIoctl(KVM_RUN));
  EXPECT_TRUE(rules.AllowsIoctl(KVM_SET_USER_MEMORY_REGION));
  EXPECT_FALSE(rules.AllowsIoctl(TCGETS));
}

TEST(SyscallRulesTest, NotAllowedByNamesWhatTheWiderListLacks) {
  SyscallRules narrow = {SYS_read, SYS_pread64};
  narrow.AllowIoctl(KVM_RUN).AllowIoctl(TCGETS);
  SyscallRules wide = {SYS_read};
  wide.AllowIoctlType(KVMIO);
  const auto missing = narrow.NotAllowedBy(wide);
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0], "syscall " + std::to_string(SYS_pread64));
  char tcgets[32];
  std::snprintf(tcgets, sizeof tcgets, "ioctl 0x%x", static_cast<unsigned>(TCGETS));
  EXPECT_EQ(missing[1], tcgets);
  wide.Allow(SYS_pread64).AllowIoctl(TCGETS);
  EXPECT_TRUE(narrow.NotAllowedBy(wide).empty());
}

TEST(SyscallRulesTest, AddJoinsBothLists) {
  SyscallRules a = {SYS_read};
  SyscallRules b = {SYS_write};
  b.AllowIoctlType('T');
  a.Add(b);
  EXPECT_TRUE(a.AllowsSyscall(SYS_read));
  EXPECT_TRUE(a.AllowsSyscall(SYS_write));
  EXPECT_TRUE(a.AllowsIoctl(TCGETS));
}

TEST(SyscallRulesTest, CommonThreadSyscallsHaveNoIoctlAndNoNewThreadsOrFiles) {
  if (CommonSyscallsWidenedForSanitizers()) GTEST_SKIP() << "a sanitizer build widens the list";
  const SyscallRules& common = CommonThreadSyscalls();
  EXPECT_FALSE(common.AllowsSyscall(SYS_ioctl));
  EXPECT_FALSE(common.AllowsSyscall(SYS_clone));
  EXPECT_FALSE(common.AllowsSyscall(SYS_clone3));
  EXPECT_FALSE(common.AllowsSyscall(SYS_openat));
  EXPECT_FALSE(common.AllowsSyscall(SYS_execve));
  EXPECT_TRUE(common.AllowsSyscall(SYS_futex));
  EXPECT_TRUE(common.AllowsSyscall(SYS_exit_group));
}

}  // namespace
}  // namespace petrel::isolation
