// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RateLimiter: both buckets or neither (see rate_limiter.h).
#include "core/ratelimit/rate_limiter.h"

#include <algorithm>

namespace petrel::ratelimit {
namespace {

std::optional<TokenBucket> MakeBucket(const std::optional<TokenBucketConfig>& c, uint64_t now_ns) {
  if (!c || c->size == 0 || c->refill_time == 0) return std::nullopt;
  return TokenBucket(c->size, c->one_time_burst, c->refill_time, now_ns);
}

}  // namespace

RateLimiter::RateLimiter(const RateLimiterConfig& config, uint64_t now_ns)
    : bandwidth_(MakeBucket(config.bandwidth, now_ns)), ops_(MakeBucket(config.ops, now_ns)) {}

bool RateLimiter::Consume(uint64_t bytes, uint64_t ops, uint64_t now_ns) {
  using R = TokenBucket::Reduction;
  if (bandwidth_ && bandwidth_->Check(bytes, now_ns) == R::kFailure) return false;
  if (ops_ && ops_->Check(ops, now_ns) == R::kFailure) return false;
  // Both pass at now_ns: neither Reduce can fail now.
  if (bandwidth_) bandwidth_->Reduce(bytes, now_ns);
  if (ops_) ops_->Reduce(ops, now_ns);
  return true;
}

uint64_t RateLimiter::TimeUntilAvailable(uint64_t bytes, uint64_t ops, uint64_t now_ns) const {
  uint64_t wait = 0;
  if (bandwidth_) wait = std::max(wait, bandwidth_->TimeUntilAvailable(bytes, now_ns));
  if (ops_) wait = std::max(wait, ops_->TimeUntilAvailable(ops, now_ns));
  return wait;
}

}  // namespace petrel::ratelimit
