// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the logger: verbosity thresholds, FirstTime, capture, log files.
#include "core/base/log.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace petrel::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetVerbosity(0);
    CaptureForTest(true);
  }
  void TearDown() override {
    CaptureForTest(false);
    SetVerbosity(0);
  }
};

TEST_F(LogTest, VerbosityCountMapsToThreshold) {
  SetVerbosity(0);
  EXPECT_EQ(Threshold(), Level::kWarn);
  EXPECT_TRUE(Enabled(Level::kError));
  EXPECT_TRUE(Enabled(Level::kWarn));
  EXPECT_FALSE(Enabled(Level::kInfo));
  SetVerbosity(1);
  EXPECT_EQ(Threshold(), Level::kInfo);
  EXPECT_FALSE(Enabled(Level::kDebug));
  SetVerbosity(2);
  EXPECT_EQ(Threshold(), Level::kDebug);
  EXPECT_FALSE(Enabled(Level::kTrace));
  SetVerbosity(3);
  EXPECT_EQ(Threshold(), Level::kTrace);
  EXPECT_TRUE(Enabled(Level::kTrace));
  SetVerbosity(50);  // clamps
  EXPECT_EQ(Threshold(), Level::kTrace);
  SetVerbosity(-4);  // clamps: errors and warnings always show
  EXPECT_EQ(Threshold(), Level::kWarn);
}

TEST_F(LogTest, CapturedLineHasLevelLocationAndMessage) {
  PETREL_LOG(kWarn) << "mapped " << 4096 << " bytes";
  std::string out = TakeCaptured();
  EXPECT_NE(out.find("petrel: "), std::string::npos) << out;
  EXPECT_NE(out.find(" W log_test.cc:"), std::string::npos) << out;
  EXPECT_NE(out.find("mapped 4096 bytes\n"), std::string::npos) << out;
  EXPECT_EQ(TakeCaptured(), "");  // taking empties the buffer
}

TEST_F(LogTest, LinesBelowThresholdAreNotWrittenNorEvaluated) {
  int evaluated = 0;
  auto count = [&] { return ++evaluated; };
  PETREL_LOG(kDebug) << "hidden " << count();
  PETREL_LOG(kInfo) << "hidden " << count();
  EXPECT_EQ(TakeCaptured(), "");
  EXPECT_EQ(evaluated, 0);
  SetVerbosity(2);
  PETREL_LOG(kDebug) << "shown " << count();
  EXPECT_EQ(evaluated, 1);
  EXPECT_NE(TakeCaptured().find(" D log_test.cc:"), std::string::npos);
}

TEST_F(LogTest, ErrorsAlwaysPrint) {
  PETREL_LOG(kError) << "boom";
  EXPECT_NE(TakeCaptured().find(" E log_test.cc:"), std::string::npos);
}

TEST_F(LogTest, LogMacroIsSafeInIfElse) {
  bool flag = false;
  if (flag)
    PETREL_LOG(kWarn) << "then";
  else
    PETREL_LOG(kWarn) << "else";
  std::string out = TakeCaptured();
  EXPECT_EQ(out.find("then"), std::string::npos);
  EXPECT_NE(out.find("else"), std::string::npos);
}

TEST_F(LogTest, FirstTimeIsTrueOncePerKey) {
  EXPECT_TRUE(FirstTime("port 0x80"));
  EXPECT_FALSE(FirstTime("port 0x80"));
  EXPECT_TRUE(FirstTime("port 0x81"));
  EXPECT_FALSE(FirstTime("port 0x81"));
}

TEST_F(LogTest, FirstTimeRemembersAtMostTheCap) {
  for (size_t i = 0; i < kMaxOnceKeys; ++i) ASSERT_TRUE(FirstTime("k" + std::to_string(i)));
  EXPECT_FALSE(FirstTime("one too many"));  // dropped rather than growing forever
  EXPECT_FALSE(FirstTime("k0"));
  CaptureForTest(true);  // resets the remembered keys
  EXPECT_TRUE(FirstTime("one too many"));
}

TEST_F(LogTest, LogOncePrintsOncePerKey) {
  for (int i = 0; i < 3; ++i) PETREL_LOG_ONCE(kWarn, "k1") << "once " << i;
  PETREL_LOG_ONCE(kWarn, "k2") << "other";
  std::string out = TakeCaptured();
  EXPECT_NE(out.find("once 0"), std::string::npos);
  EXPECT_EQ(out.find("once 1"), std::string::npos);
  EXPECT_NE(out.find("other"), std::string::npos);
}

TEST_F(LogTest, LogOnceBelowThresholdDoesNotUseUpTheKey) {
  PETREL_LOG_ONCE(kDebug, "late") << "hidden";
  SetVerbosity(2);
  PETREL_LOG_ONCE(kDebug, "late") << "now shown";
  EXPECT_NE(TakeCaptured().find("now shown"), std::string::npos);
}

TEST(LogFileTest, SetLogFileAppendsLines) {
  std::string path = ::testing::TempDir() + "petrel_log_test_" + std::to_string(getpid());
  unlink(path.c_str());
  ASSERT_TRUE(SetLogFile(path).ok());
  PETREL_LOG(kWarn) << "to the file";
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_NE(contents.str().find("to the file\n"), std::string::npos) << contents.str();
  unlink(path.c_str());
}

TEST(LogFileTest, SetLogFileReportsErrors) {
  auto r = SetLogFile("/nonexistent-dir-petrel/log");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kSystem);
  EXPECT_NE(r.error().message().find("/nonexistent-dir-petrel/log"), std::string::npos);
}

// Regression (issue 8): once-keys are process-wide and often guest-chosen
// (one per unclaimed port); a guest that used up the table hid every later
// PETREL_LOG_ONCE line, including host errors.
TEST_F(LogTest, GuestFillingTheOnceKeysDoesNotHideALaterHostError) {
  for (size_t i = 0; i < kMaxOnceKeys + 10; ++i) {
    PETREL_LOG_ONCE(kWarn, "unclaimed port " + std::to_string(i)) << "guest noise";
  }
  const std::string noise = TakeCaptured();
  EXPECT_NE(noise.find("once-key table"), std::string::npos) << "the overflow is reported";
  PETREL_LOG_ONCE(kError, "disk-io") << "host disk failed";
  EXPECT_NE(TakeCaptured().find("host disk failed"), std::string::npos);
}

// Even with the error budget used up, a new error still prints, at most one
// per kOnceOverflowIntervalMs.
TEST_F(LogTest, NewErrorsPrintRateLimitedWhenTheErrorBudgetIsFull) {
  for (size_t i = 0; i < kMaxOnceKeys; ++i) {
    PETREL_LOG_ONCE(kError, "error " + std::to_string(i)) << "e" << i;
  }
  TakeCaptured();
  PETREL_LOG_ONCE(kError, "late error 1") << "first late error";
  PETREL_LOG_ONCE(kError, "late error 2") << "second late error";
  const std::string out = TakeCaptured();
  EXPECT_NE(out.find("first late error"), std::string::npos) << out;
  EXPECT_EQ(out.find("second late error"), std::string::npos) << out;  // same interval
}

}  // namespace
}  // namespace petrel::log
