// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for core/isolation/landlock.h against the running kernel. Every
// restriction happens in a forked child (landlock_test_util.h), which
// reports through its exit status; each step that can fail has its own
// status, so a failure names the step. Without Landlock the tests skip,
// saying why.
#include "core/isolation/landlock.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/isolation/landlock_test_util.h"

namespace petrel {
namespace {

using landlock_test::Denied;
using landlock_test::Opens;
using landlock_test::RunInChild;
using landlock_test::TempDir;

#define PETREL_SKIP_WITHOUT_LANDLOCK()                          \
  do {                                                          \
    auto abi = LandlockAbiVersion();                            \
    if (!abi.ok()) GTEST_SKIP() << abi.error().message();       \
  } while (0)

// PETREL_TRY for a child: a failed step ends it with `code`.
#define CHILD_STEP(expr, code)   \
  do {                           \
    if (!(expr).ok()) return code; \
  } while (0)

TEST(LandlockTest, AbiVersionIsPositiveOrAClearError) {
  auto abi = LandlockAbiVersion();
  if (abi.ok()) {
    EXPECT_GE(*abi, 1);
    std::printf("Landlock ABI %d on this kernel\n", *abi);
  } else {
    EXPECT_EQ(abi.error().code(), ErrorCode::kUnsupported) << abi.error().message();
    EXPECT_NE(abi.error().message().find("Landlock is not supported by this kernel"),
              std::string::npos);
  }
}

TEST(LandlockTest, TheRulesetHandlesWhatItsAbiKnows) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  auto ruleset = LandlockRuleset::Create();
  ASSERT_TRUE(ruleset.ok()) << ruleset.error().message();
  EXPECT_EQ(ruleset->abi(), *LandlockAbiVersion());
  EXPECT_EQ(ruleset->handled_fs(), LandlockHandledFsRights(ruleset->abi()));
}

TEST(LandlockTest, AllowNamesAPathThatDoesNotExist) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto ruleset = LandlockRuleset::Create();
  ASSERT_TRUE(ruleset.ok()) << ruleset.error().message();
  const std::string missing = dir.path() + "/no-such-disk.raw";
  auto allowed = ruleset->Allow(missing, LandlockAccess::kReadWrite);
  ASSERT_FALSE(allowed.ok());
  EXPECT_EQ(allowed.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(allowed.error().message(), "landlock: " + missing + ": does not exist");
  EXPECT_FALSE(ruleset->Allow("", LandlockAccess::kRead).ok());
}

TEST(LandlockTest, BindSocketAccessNeedsADirectory) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto ruleset = LandlockRuleset::Create();
  ASSERT_TRUE(ruleset.ok()) << ruleset.error().message();
  auto allowed = ruleset->Allow(dir.File("f"), LandlockAccess::kBindSocket);
  ASSERT_FALSE(allowed.ok());
  EXPECT_NE(allowed.error().message().find("is not a directory"), std::string::npos);
  EXPECT_TRUE(ruleset->Allow(dir.path(), LandlockAccess::kBindSocket).ok());
  EXPECT_EQ(ruleset->rule_count(), 1u);
}

// The brief's test: one file allowed read-only; another file, and the
// allowed one for writing, are refused with EACCES.
TEST(LandlockTest, ARestrictedChildOpensOnlyWhatItAllowed) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string allowed = dir.File("allowed");
  const std::string other = dir.File("other");
  const int status = RunInChild([&] {
    auto ruleset = LandlockRuleset::Create();
    if (!ruleset.ok()) return 10;
    CHILD_STEP(ruleset->Allow(allowed, LandlockAccess::kRead), 11);
    CHILD_STEP(ruleset->RestrictSelf(), 12);
    if (int r = Opens(allowed, O_RDONLY, 13)) return r;
    if (int r = Denied(other, O_RDONLY, 14)) return r;
    if (int r = Denied(allowed, O_WRONLY, 15)) return r;
    if (int r = Denied(allowed, O_RDWR, 16)) return r;
    // A spent ruleset refuses more.
    if (ruleset->Allow(other, LandlockAccess::kRead).ok()) return 17;
    return 0;
  });
  // 10-12: setting up; 13: the allowed file did not open; 14-16: a refused
  // open succeeded or failed with something else than EACCES.
  EXPECT_EQ(status, 0);
  // The test process itself is not restricted.
  EXPECT_EQ(Opens(other, O_RDWR, 1), 0);
}

TEST(LandlockTest, ADirectoryRuleCoversWhatIsBeneathIt) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string inside = dir.Dir("inside");
  const std::string outside = dir.Dir("outside");
  const std::string readable = dir.Dir("readable");
  const std::string readable_file = dir.File("readable/f");
  const int status = RunInChild([&] {
    auto ruleset = LandlockRuleset::Create();
    if (!ruleset.ok()) return 10;
    CHILD_STEP(ruleset->Allow(inside, LandlockAccess::kReadWrite), 11);
    CHILD_STEP(ruleset->Allow(readable, LandlockAccess::kRead), 12);
    CHILD_STEP(ruleset->RestrictSelf(), 13);
    if (int r = Opens(inside + "/new", O_RDWR | O_CREAT, 14)) return r;
    if (unlink((inside + "/new").c_str()) != 0) return 15;
    if (int r = Denied(outside + "/new", O_RDWR | O_CREAT, 16)) return r;
    if (int r = Opens(readable_file, O_RDONLY, 17)) return r;
    if (int r = Denied(readable_file, O_WRONLY, 18)) return r;
    if (int r = Denied(readable + "/new", O_WRONLY | O_CREAT, 19)) return r;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

int BindUnixSocket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  close(fd);
  return rc == 0 ? 0 : err;
}

TEST(LandlockTest, BindSocketAccessAllowsASocketAndNothingElse) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string sockets = dir.Dir("sockets");
  const std::string file = dir.File("sockets/file");
  const std::string elsewhere = dir.Dir("elsewhere");
  const int status = RunInChild([&] {
    auto ruleset = LandlockRuleset::Create();
    if (!ruleset.ok()) return 10;
    CHILD_STEP(ruleset->Allow(sockets, LandlockAccess::kBindSocket), 11);
    CHILD_STEP(ruleset->RestrictSelf(), 12);
    if (BindUnixSocket(sockets + "/console.sock") != 0) return 13;
    if (unlink((sockets + "/console.sock").c_str()) != 0) return 14;  // a stale socket goes
    if (BindUnixSocket(elsewhere + "/console.sock") != EACCES) return 15;
    if (int r = Denied(file, O_WRONLY, 16)) return r;
    if (int r = Denied(sockets + "/new", O_WRONLY | O_CREAT, 17)) return r;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

// The per-thread caveat: a thread that existed before RestrictSelf() is not
// confined; one created afterwards inherits the restriction.
TEST(LandlockTest, OnlyTheCallingThreadAndItsLaterThreadsAreConfined) {
  PETREL_SKIP_WITHOUT_LANDLOCK();
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string allowed = dir.File("allowed");
  const std::string other = dir.File("other");
  const int status = RunInChild([&] {
    std::mutex mu;
    std::condition_variable cv;
    bool restricted = false;
    int earlier_result = -1;
    std::thread earlier([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return restricted; });
      earlier_result = Opens(other, O_RDONLY, 20);
    });
    auto ruleset = LandlockRuleset::Create();
    if (!ruleset.ok()) return 10;
    CHILD_STEP(ruleset->Allow(allowed, LandlockAccess::kRead), 11);
    CHILD_STEP(ruleset->RestrictSelf(), 12);
    {
      std::lock_guard lock(mu);
      restricted = true;
    }
    cv.notify_all();
    earlier.join();
    if (earlier_result != 0) return earlier_result;  // 20: the earlier thread was confined
    int later_result = -1;
    std::thread later([&] { later_result = Denied(other, O_RDONLY, 21); });
    later.join();
    if (later_result != 0) return later_result;  // 21: the later thread was not
    return Denied(other, O_RDONLY, 22);
  });
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace petrel
