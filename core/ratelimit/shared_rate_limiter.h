// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SharedRateLimiter: one RateLimiter used from several threads: the queues
// of one disk, each served on its own worker (as in Cloud Hypervisor, a
// disk's limit is shared by all its queues). It owns the lock around the
// limiter and the question a throttled queue asks: "may I, and if not, how
// long until I may?"; arming a timer for the answer is the caller's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>

#include "core/ratelimit/rate_limiter.h"

namespace petrel::ratelimit {

class SharedRateLimiter {
 public:
  // Buckets full at `now_ns`.
  SharedRateLimiter(const RateLimiterConfig& config, uint64_t now_ns) : limiter_(config, now_ns) {}

  // 0: `bytes` and `ops` tokens were taken. Otherwise nothing was taken and
  // the result (at least 1) is the nanoseconds from `now_ns` until they
  // could be, if nobody else takes tokens meanwhile.
  uint64_t TryConsume(uint64_t bytes, uint64_t ops, uint64_t now_ns) {
    std::lock_guard lock(mu_);
    if (limiter_.Consume(bytes, ops, now_ns)) return 0;
    return std::max<uint64_t>(1, limiter_.TimeUntilAvailable(bytes, ops, now_ns));
  }

 private:
  std::mutex mu_;
  RateLimiter limiter_;
};

}  // namespace petrel::ratelimit
