// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for TokenBucket: exact refills (fractions kept), the one-time burst
// (spent first, never refilled), over-consumption only when full and its
// debt, unlimited buckets, exact TimeUntilAvailable, 64-bit extremes without
// overflow, and a clock that goes backwards adding nothing.
#include "core/ratelimit/token_bucket.h"

#include <gtest/gtest.h>

#include <limits>

namespace petrel::ratelimit {
namespace {

using R = TokenBucket::Reduction;
constexpr uint64_t kMs = kNsPerMs;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(TokenBucket, StartsFullAndRefillsLinearly) {
  TokenBucket b(1000, 0, 1000, 0);  // 1 token per ms
  EXPECT_FALSE(b.unlimited());
  EXPECT_EQ(b.budget(), 1000u);
  EXPECT_EQ(b.Reduce(1000, 0), R::kSuccess);
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.Reduce(1, kMs - 1), R::kFailure);
  EXPECT_EQ(b.Reduce(1, kMs), R::kSuccess);
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.Check(500, 501 * kMs), R::kSuccess);
  EXPECT_EQ(b.budget(), 500u);
  // Never above size.
  EXPECT_EQ(b.Check(1, 10'000 * kMs), R::kSuccess);
  EXPECT_EQ(b.budget(), 1000u);
}

TEST(TokenBucket, RefillKeepsFractionsAcrossCalls) {
  TokenBucket b(3, 0, 1, 0);  // 3 tokens per 1'000'000 ns: one per 333'333.3 ns
  ASSERT_EQ(b.Reduce(3, 0), R::kSuccess);
  EXPECT_EQ(b.Check(1, 333'333), R::kFailure);
  EXPECT_EQ(b.Check(1, 333'334), R::kSuccess);
  EXPECT_EQ(b.budget(), 1u);
  // Many small steps earn exactly what one big step does.
  for (uint64_t t = 333'334; t <= kMs; t += 7) b.Check(1, t);
  b.Check(1, kMs);
  EXPECT_EQ(b.budget(), 3u);
  ASSERT_EQ(b.Reduce(3, kMs), R::kSuccess);
  for (uint64_t t = kMs + 1000; t < 2 * kMs; t += 1000) {
    b.Check(1, t);
    EXPECT_EQ(b.budget(), 3 * (t - kMs) / kMs) << t;
  }
  b.Check(1, 2 * kMs - 1);
  EXPECT_EQ(b.budget(), 2u);
  b.Check(1, 2 * kMs);
  EXPECT_EQ(b.budget(), 3u);
}

TEST(TokenBucket, OneTimeBurstIsSpentFirstAndNeverRefilled) {
  TokenBucket b(100, 50, 100, 0);
  EXPECT_EQ(b.Reduce(30, 0), R::kSuccess);
  EXPECT_EQ(b.one_time_burst(), 20u);
  EXPECT_EQ(b.budget(), 100u);
  EXPECT_EQ(b.Reduce(40, 0), R::kSuccess);  // 20 from the burst, 20 from the budget
  EXPECT_EQ(b.one_time_burst(), 0u);
  EXPECT_EQ(b.budget(), 80u);
  EXPECT_EQ(b.Check(1, 1000 * kMs), R::kSuccess);
  EXPECT_EQ(b.budget(), 100u);
  EXPECT_EQ(b.one_time_burst(), 0u);
  EXPECT_EQ(b.Reduce(101, 1000 * kMs), R::kOverConsumption);  // no burst left
}

TEST(TokenBucket, BurstAndBudgetTogether) {
  TokenBucket b(100, 50, 100, 0);
  EXPECT_EQ(b.Reduce(150, 0), R::kSuccess);  // exactly burst + size
  EXPECT_EQ(b.one_time_burst(), 0u);
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.debt(), 0u);
}

TEST(TokenBucket, RefusedRequestTakesNothing) {
  TokenBucket b(10, 5, 100, 0);
  ASSERT_EQ(b.Reduce(8, 0), R::kSuccess);  // 5 from the burst, 3 from the budget
  EXPECT_EQ(b.one_time_burst(), 0u);
  EXPECT_EQ(b.budget(), 7u);
  EXPECT_EQ(b.Reduce(9, 0), R::kFailure);
  EXPECT_EQ(b.budget(), 7u);
  EXPECT_EQ(b.debt(), 0u);
}

TEST(TokenBucket, OverConsumptionOnlyWhenFullAndTheDebtIsPaidFirst) {
  TokenBucket b(100, 0, 100, 0);  // 1 token per ms
  EXPECT_EQ(b.Reduce(250, 0), R::kOverConsumption);
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.debt(), 150u);
  EXPECT_EQ(b.TimeUntilAvailable(1, 0), 151 * kMs);
  EXPECT_EQ(b.Check(1, 150 * kMs), R::kFailure);
  EXPECT_EQ(b.debt(), 0u);
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.Check(1, 151 * kMs), R::kSuccess);
  EXPECT_EQ(b.budget(), 1u);

  // Not full: a larger-than-size request waits until the bucket is full.
  TokenBucket c(100, 0, 100, 0);
  ASSERT_EQ(c.Reduce(10, 0), R::kSuccess);
  EXPECT_EQ(c.Reduce(250, 0), R::kFailure);
  EXPECT_EQ(c.budget(), 90u);
  EXPECT_EQ(c.TimeUntilAvailable(250, 0), 10 * kMs);
  EXPECT_EQ(c.Reduce(250, 10 * kMs - 1), R::kFailure);
  EXPECT_EQ(c.Reduce(250, 10 * kMs), R::kOverConsumption);
  EXPECT_EQ(c.debt(), 150u);
  // In debt the bucket is not full: a second large request waits for it all.
  EXPECT_EQ(c.TimeUntilAvailable(1000, 10 * kMs), 250 * kMs);
}

TEST(TokenBucket, UnlimitedWhenSizeOrRefillTimeIsZero) {
  for (TokenBucket b :
       {TokenBucket(0, 0, 1000, 0), TokenBucket(1000, 0, 0, 0), TokenBucket(0, 5, 0, 0)}) {
    EXPECT_TRUE(b.unlimited());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(b.Reduce(kMax, 0), R::kSuccess);
    EXPECT_EQ(b.TimeUntilAvailable(kMax, 0), 0u);
  }
}

TEST(TokenBucket, TimeUntilAvailableIsExact) {
  for (uint64_t start : {uint64_t{0}, uint64_t{12'345}, uint64_t{999'999'999}}) {
    for (uint64_t tokens : {3, 5, 7, 8, 20}) {  // 2 are back after 1'000'001 ns
      TokenBucket b(7, 0, 3, start);            // 7 tokens per 3 ms
      ASSERT_EQ(b.Reduce(7, start), R::kSuccess);
      b.Check(0, start + 1'000'001);  // leave a fraction behind
      const uint64_t now = start + 1'000'001;
      const uint64_t wait = b.TimeUntilAvailable(tokens, now);
      ASSERT_GT(wait, 0u);
      TokenBucket early = b, on_time = b;
      EXPECT_EQ(early.Check(tokens, now + wait - 1), R::kFailure) << start << " " << tokens;
      EXPECT_NE(on_time.Check(tokens, now + wait), R::kFailure) << start << " " << tokens;
    }
  }
}

TEST(TokenBucket, HugeValuesDoNotOverflow) {
  // The largest size, the longest refill time.
  TokenBucket b(kMax, kMax, kMax / kMs, 0);
  const uint64_t refill_ns = (kMax / kMs) * kMs;
  EXPECT_EQ(b.Reduce(kMax, 0), R::kSuccess);  // the burst
  EXPECT_EQ(b.Reduce(kMax, 0), R::kSuccess);  // the budget
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.TimeUntilAvailable(kMax, 0), refill_ns);
  EXPECT_EQ(b.Check(kMax, refill_ns - 1), R::kFailure);
  EXPECT_EQ(b.Check(kMax, refill_ns), R::kSuccess);
  EXPECT_EQ(b.Check(kMax, kMax), R::kSuccess);

  // The largest size refilled every millisecond, after the longest time.
  TokenBucket c(kMax, 0, 1, 0);
  ASSERT_EQ(c.Reduce(kMax, 0), R::kSuccess);
  EXPECT_EQ(c.Check(kMax, kMax), R::kSuccess);
  EXPECT_EQ(c.budget(), kMax);

  // A one-token bucket over-consumed by 2^64 - 1: the wait saturates.
  TokenBucket d(1, 0, kMax / kMs, 0);
  EXPECT_EQ(d.Reduce(kMax, 0), R::kOverConsumption);
  EXPECT_EQ(d.debt(), kMax - 1);
  EXPECT_EQ(d.TimeUntilAvailable(1, 0), kMax);
  EXPECT_EQ(d.Check(1, kMax), R::kFailure);

  // A refill time beyond 2^64 ns is taken as 2^64 - 1 ns.
  TokenBucket e(2, 0, kMax, 0);
  ASSERT_EQ(e.Reduce(2, 0), R::kSuccess);
  EXPECT_EQ(e.TimeUntilAvailable(2, 0), kMax);
  EXPECT_EQ(e.TimeUntilAvailable(1, 0), kMax / 2 + 1);
}

TEST(TokenBucket, TimeGoingBackwardsAddsNoTokens) {
  const uint64_t t0 = 1'000 * kMs;
  TokenBucket b(1000, 0, 1000, t0);  // 1 token per ms
  ASSERT_EQ(b.Reduce(1000, t0), R::kSuccess);
  EXPECT_EQ(b.Check(1, t0 / 2), R::kFailure);
  EXPECT_EQ(b.budget(), 0u);
  EXPECT_EQ(b.TimeUntilAvailable(1, t0 / 2), t0 / 2 + kMs);
  EXPECT_EQ(b.Check(1, t0), R::kFailure);
  EXPECT_EQ(b.Check(1, t0 + kMs - 1), R::kFailure);
  EXPECT_EQ(b.Check(1, t0 + kMs), R::kSuccess);
  EXPECT_EQ(b.budget(), 1u);
  EXPECT_EQ(b.Check(1, 0), R::kSuccess);
  EXPECT_EQ(b.budget(), 1u);
}

}  // namespace
}  // namespace petrel::ratelimit
