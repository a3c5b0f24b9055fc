// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for Result<T>, Error and the PETREL_TRY / PETREL_ASSIGN_OR_RETURN macros.
#include "core/base/result.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace petrel {
namespace {

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  *r = 7;
  EXPECT_EQ(r.value(), 7);
}

TEST(ResultTest, HoldsMoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

TEST(ResultTest, ArrowReachesMembers) {
  Result<std::string> r = std::string("abc");
  EXPECT_EQ(r->size(), 3u);
}

TEST(ResultTest, HoldsError) {
  Result<int> r = Error(ErrorCode::kNotFound, "no such disk");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(), "no such disk");
  EXPECT_EQ(r.error().errnum(), 0);
}

TEST(ResultTest, ValueOnErrorAborts) {
  Result<int> r = Error(ErrorCode::kInternal, "x");
  EXPECT_DEATH((void)r.value(), "");
}

TEST(ResultTest, VoidResult) {
  Result<void> good = Ok();
  EXPECT_TRUE(good.ok());
  Result<void> bad = Error(ErrorCode::kBusy, "later");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kBusy);
}

TEST(ErrorTest, WrapBuildsContextChainOutermostFirst) {
  Error e(ErrorCode::kSystem, "No such file or directory", ENOENT);
  e.Wrap("reading /x").Wrap("loading kernel");
  EXPECT_EQ(e.message(), "loading kernel: reading /x: No such file or directory");
  EXPECT_EQ(e.code(), ErrorCode::kSystem);  // code and errno survive wrapping
  EXPECT_EQ(e.errnum(), ENOENT);
}

TEST(ErrorTest, ResultWrapOnlyTouchesErrors) {
  Result<int> bad = Result<int>(Error(ErrorCode::kMalformed, "bad magic")).Wrap("parsing image");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "parsing image: bad magic");
  Result<int> good = Result<int>(3).Wrap("unused");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  Result<void> vbad = Result<void>(Error(ErrorCode::kBusy, "b")).Wrap("a");
  EXPECT_EQ(vbad.error().message(), "a: b");
}

TEST(ErrorTest, FromErrnoUsesStrerror) {
  Error e = Error::FromErrno("open /dev/kvm", EACCES);
  EXPECT_EQ(e.code(), ErrorCode::kSystem);
  EXPECT_EQ(e.errnum(), EACCES);
  EXPECT_EQ(e.message(), std::string("open /dev/kvm: ") + std::strerror(EACCES));
}

TEST(ErrorTest, FromErrnoDefaultsToErrno) {
  errno = EBADF;
  Error e = Error::FromErrno("close");
  EXPECT_EQ(e.errnum(), EBADF);
}

TEST(ErrorTest, CodeNamesAreDistinct) {
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kInvalidArgument), "invalid argument");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kOutOfRange), "out of range");
  EXPECT_STRNE(ErrorCodeName(ErrorCode::kSystem), ErrorCodeName(ErrorCode::kInternal));
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kFailedPrecondition), "failed precondition");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Error(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Result<void> CheckEven(int x) {
  if (x % 2 != 0) return Error(ErrorCode::kInvalidArgument, "odd");
  return Ok();
}

Result<int> Quarter(int x, int* reached) {
  PETREL_ASSIGN_OR_RETURN(int h, Half(x));
  ++*reached;
  PETREL_ASSIGN_OR_RETURN(auto q, Half(h));  // two on nearby lines: distinct temporaries
  ++*reached;
  return q;
}

Result<void> BothEven(int a, int b, int* reached) {
  PETREL_TRY(CheckEven(a));
  ++*reached;
  PETREL_TRY(Half(b));  // works on Result<T> too
  ++*reached;
  return Ok();
}

TEST(MacroTest, AssignOrReturnUnwrapsOrPropagates) {
  int reached = 0;
  auto ok = Quarter(12, &reached);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  EXPECT_EQ(reached, 2);

  reached = 0;
  auto first_fails = Quarter(3, &reached);
  ASSERT_FALSE(first_fails.ok());
  EXPECT_EQ(first_fails.error().message(), "odd");
  EXPECT_EQ(reached, 0);

  reached = 0;
  auto second_fails = Quarter(6, &reached);
  ASSERT_FALSE(second_fails.ok());
  EXPECT_EQ(reached, 1);
}

TEST(MacroTest, TryPropagatesFirstError) {
  int reached = 0;
  EXPECT_TRUE(BothEven(2, 4, &reached).ok());
  EXPECT_EQ(reached, 2);
  reached = 0;
  EXPECT_FALSE(BothEven(1, 4, &reached).ok());
  EXPECT_EQ(reached, 0);
  reached = 0;
  auto r = BothEven(2, 5, &reached);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace petrel
