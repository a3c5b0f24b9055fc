// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for RateLimiterConfig: CH's reading of a bucket's three values and
// Validate()'s limits and wording.
#include "core/ratelimit/rate_limiter_config.h"

#include <gtest/gtest.h>

namespace petrel::ratelimit {
namespace {

TEST(RateLimiterConfig, BucketFromValuesFollowsCloudHypervisor) {
  EXPECT_EQ(BucketFromValues(0, 0, 0), std::nullopt);
  EXPECT_EQ(BucketFromValues(1000, 0, 10), (TokenBucketConfig{1000, 0, 10}));
  EXPECT_EQ(BucketFromValues(1000, 5, 10), (TokenBucketConfig{1000, 5, 10}));
  // Half a bucket is kept, for Validate() to refuse rather than to be ignored.
  EXPECT_EQ(BucketFromValues(1000, 0, 0), (TokenBucketConfig{1000, 0, 0}));
  EXPECT_EQ(BucketFromValues(0, 0, 10), (TokenBucketConfig{0, 0, 10}));
  EXPECT_EQ(BucketFromValues(0, 7, 0), (TokenBucketConfig{0, 7, 0}));
}

TEST(RateLimiterConfig, ValidateAcceptsWholeBuckets) {
  EXPECT_TRUE(Validate({.bandwidth = TokenBucketConfig{1, 0, 1}}).ok());
  EXPECT_TRUE(Validate({.ops = TokenBucketConfig{UINT64_MAX, UINT64_MAX, kMaxRefillTimeMs}}).ok());
  EXPECT_TRUE(Validate({TokenBucketConfig{10, 0, 100}, TokenBucketConfig{5, 1, 100}}).ok());
}

TEST(RateLimiterConfig, ValidateRefusesHalfBucketsAndNoBucket) {
  auto message = [](const RateLimiterConfig& c) {
    auto r = Validate(c);
    return r.ok() ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(message({}), "needs a bandwidth or an ops bucket");
  EXPECT_EQ(message({.bandwidth = TokenBucketConfig{1000, 0, 0}}),
            "bandwidth.refill_time=0: must be from 1 to 18446744073709 ms: a bucket needs both "
            "size and refill_time (--disk bw_size, bw_refill_time)");
  EXPECT_EQ(message({.ops = TokenBucketConfig{0, 0, 10}}),
            "ops.size=0: must be at least 1: a bucket needs both size and refill_time (--disk "
            "ops_size, ops_refill_time)");
  EXPECT_EQ(message({.ops = TokenBucketConfig{1, 0, kMaxRefillTimeMs + 1}}),
            "ops.refill_time=18446744073710: must be from 1 to 18446744073709 ms: a bucket needs "
            "both size and refill_time (--disk ops_size, ops_refill_time)");
}

}  // namespace
}  // namespace petrel::ratelimit
