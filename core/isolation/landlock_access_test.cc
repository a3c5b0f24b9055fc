// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for core/isolation/landlock_access.h: the access words and the
// rights they mean (listed explicitly, as CH's test does, so a change of
// rights shows in review).
#include "core/isolation/landlock_access.h"

#include <gtest/gtest.h>

namespace petrel {
namespace {

using namespace landlock_fs;

TEST(LandlockAccessTest, ParsesChsWordsOnly) {
  EXPECT_EQ(ParseLandlockAccess("r"), LandlockAccess::kRead);
  EXPECT_EQ(ParseLandlockAccess("w"), LandlockAccess::kWrite);
  EXPECT_EQ(ParseLandlockAccess("rw"), LandlockAccess::kReadWrite);
  EXPECT_EQ(ParseLandlockAccess("wr"), LandlockAccess::kReadWrite);
  for (const char* bad : {"", "x", "rwr", "R", "read", "rx", " r", "bind-socket"}) {
    EXPECT_EQ(ParseLandlockAccess(bad), std::nullopt) << bad;
  }
}

TEST(LandlockAccessTest, NamesReadBackAsTheSameAccess) {
  for (auto access : {LandlockAccess::kRead, LandlockAccess::kWrite, LandlockAccess::kReadWrite}) {
    EXPECT_EQ(ParseLandlockAccess(LandlockAccessName(access)), access);
  }
  EXPECT_STREQ(LandlockAccessName(LandlockAccess::kBindSocket), "bind-socket");
}

TEST(LandlockAccessTest, RightsOnADirectoryAreChs) {
  const uint64_t read = kExecute | kReadFile | kReadDir;
  const uint64_t write = kWriteFile | kRemoveDir | kRemoveFile | kMakeChar | kMakeDir | kMakeReg |
                         kMakeSock | kMakeFifo | kMakeBlock | kMakeSym | kRefer | kTruncate;
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kRead, true), read);
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kWrite, true), write);
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kReadWrite, true), read | write);
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kBindSocket, true), kMakeSock | kRemoveFile);
}

TEST(LandlockAccessTest, AFileGetsOnlyFileRights) {
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kRead, false), kExecute | kReadFile);
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kWrite, false), kWriteFile | kTruncate);
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kReadWrite, false),
            kExecute | kReadFile | kWriteFile | kTruncate);
  EXPECT_EQ(LandlockFsRights(LandlockAccess::kBindSocket, false), 0u);
}

TEST(LandlockAccessTest, HandledRightsGrowWithTheAbi) {
  EXPECT_EQ(LandlockHandledFsRights(0), 0u);
  const uint64_t abi1 = (1ULL << 13) - 1;
  EXPECT_EQ(LandlockHandledFsRights(1), abi1);
  EXPECT_EQ(LandlockHandledFsRights(2), abi1 | kRefer);
  EXPECT_EQ(LandlockHandledFsRights(3), abi1 | kRefer | kTruncate);
  // Later ABIs add rights Petrel does not handle (IOCTL_DEV) or no file
  // system rights at all.
  EXPECT_EQ(LandlockHandledFsRights(7), LandlockHandledFsRights(3));
}

}  // namespace
}  // namespace petrel
