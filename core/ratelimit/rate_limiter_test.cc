// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for RateLimiter: both buckets must pass and a refusal by either takes
// nothing from the other; absent or zero buckets do not limit; the wait is
// the later bucket's, exactly.
#include "core/ratelimit/rate_limiter.h"

#include <gtest/gtest.h>

#include <limits>

namespace petrel::ratelimit {
namespace {

constexpr uint64_t kMs = kNsPerMs;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// 1000 bytes per second, 2 requests per second.
RateLimiterConfig Both() {
  return {.bandwidth = TokenBucketConfig{.size = 1000, .refill_time = 1000},
          .ops = TokenBucketConfig{.size = 2, .refill_time = 1000}};
}

TEST(RateLimiter, NoBucketsDoNotLimit) {
  RateLimiter none({}, 0);
  EXPECT_FALSE(none.bandwidth());
  EXPECT_FALSE(none.ops());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(none.Consume(kMax, kMax, 0));
  EXPECT_EQ(none.TimeUntilAvailable(kMax, kMax, 0), 0u);
  // Zero size or refill time: CH's "disabled" bucket.
  RateLimiter zero({.bandwidth = TokenBucketConfig{.size = 0, .refill_time = 10},
                    .ops = TokenBucketConfig{.size = 10, .refill_time = 0}},
                   0);
  EXPECT_FALSE(zero.bandwidth());
  EXPECT_FALSE(zero.ops());
  EXPECT_TRUE(zero.Consume(kMax, kMax, 0));
}

TEST(RateLimiter, BothBucketsMustPass) {
  RateLimiter l(Both(), 0);
  EXPECT_TRUE(l.Consume(100, 1, 0));
  EXPECT_TRUE(l.Consume(100, 1, 0));
  // The ops bucket refuses: the bandwidth bucket keeps its 800 bytes.
  EXPECT_FALSE(l.Consume(100, 1, 0));
  EXPECT_EQ(l.bandwidth()->budget(), 800u);
  EXPECT_EQ(l.ops()->budget(), 0u);
  // 500 ms later one request is back.
  EXPECT_EQ(l.TimeUntilAvailable(100, 1, 0), 500 * kMs);
  EXPECT_FALSE(l.Consume(100, 1, 500 * kMs - 1));
  EXPECT_TRUE(l.Consume(100, 1, 500 * kMs));
}

TEST(RateLimiter, BandwidthRefusalTakesNoOperation) {
  RateLimiter l(Both(), 0);
  EXPECT_TRUE(l.Consume(900, 1, 0));
  EXPECT_FALSE(l.Consume(200, 1, 0));
  EXPECT_EQ(l.ops()->budget(), 1u);
  EXPECT_EQ(l.bandwidth()->budget(), 100u);
  EXPECT_EQ(l.TimeUntilAvailable(200, 1, 0), 100 * kMs);
  EXPECT_TRUE(l.Consume(200, 1, 100 * kMs));
  EXPECT_EQ(l.ops()->budget(), 0u);
}

TEST(RateLimiter, WaitIsTheLaterBucketsAndExact) {
  RateLimiter l(Both(), 0);
  ASSERT_TRUE(l.Consume(1000, 2, 0));
  // Bandwidth needs 300 ms for 300 bytes, ops 500 ms for one request.
  EXPECT_EQ(l.TimeUntilAvailable(300, 1, 0), 500 * kMs);
  EXPECT_EQ(l.TimeUntilAvailable(700, 1, 0), 700 * kMs);
  EXPECT_EQ(l.TimeUntilAvailable(0, 0, 0), 0u);
  RateLimiter early = l;
  EXPECT_FALSE(early.Consume(700, 1, 700 * kMs - 1));
  EXPECT_TRUE(l.Consume(700, 1, 700 * kMs));
}

TEST(RateLimiter, OverConsumptionPassesOnlyWithTheOtherBucket) {
  RateLimiter l(Both(), 0);
  ASSERT_TRUE(l.Consume(0, 2, 0));
  // 2500 bytes could over-consume the full bandwidth bucket, but ops refuses.
  EXPECT_FALSE(l.Consume(2500, 1, 0));
  EXPECT_EQ(l.bandwidth()->budget(), 1000u);
  EXPECT_EQ(l.bandwidth()->debt(), 0u);
  EXPECT_TRUE(l.Consume(2500, 1, 500 * kMs));
  EXPECT_EQ(l.bandwidth()->debt(), 1500u);
  // Debt then one byte: 1501 ms.
  EXPECT_EQ(l.TimeUntilAvailable(1, 0, 500 * kMs), 1501 * kMs);
}

TEST(RateLimiter, OnlyOneBucket) {
  RateLimiter ops_only(
      {.ops = TokenBucketConfig{.size = 1, .one_time_burst = 1, .refill_time = 10}}, 0);
  EXPECT_FALSE(ops_only.bandwidth());
  EXPECT_TRUE(ops_only.Consume(kMax, 1, 0));  // the burst
  EXPECT_TRUE(ops_only.Consume(kMax, 1, 0));  // the bucket
  EXPECT_FALSE(ops_only.Consume(0, 1, 0));
  EXPECT_EQ(ops_only.TimeUntilAvailable(kMax, 1, 0), 10 * kMs);
}

}  // namespace
}  // namespace petrel::ratelimit
