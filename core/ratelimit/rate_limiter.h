// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RateLimiter: one device's rate limiter, a bandwidth bucket (bytes) and an
// ops bucket (requests), each optional (absent: that dimension is not
// limited). It owns the rule that combines them; the buckets' arithmetic is
// TokenBucket's (token_bucket.h). No threads, no timers: like the buckets it
// takes the caller's time in nanoseconds from Petrel's Clock.
//
// As in Cloud Hypervisor and Firecracker, a request must pass both buckets:
// its bytes from the bandwidth bucket and one operation from the ops bucket.
// Where CH consumes each bucket separately (and a refusal by the second has
// already taken the first's tokens) and arms a timerfd when refused, Petrel
// takes from both or from neither, and a refused caller asks
// TimeUntilAvailable() how long to wait, to arm a timer on its own event
// loop (deterministic under hv_sim's VirtualClock).
#pragma once

#include <cstdint>
#include <optional>

#include "core/ratelimit/rate_limiter_config.h"
#include "core/ratelimit/token_bucket.h"

namespace petrel::ratelimit {

class RateLimiter {
 public:
  // Buckets full at `now_ns`. A bucket with size 0 or refill_time 0 does not
  // limit.
  RateLimiter(const RateLimiterConfig& config, uint64_t now_ns);

  // Takes `bytes` bandwidth tokens and `ops` operation tokens if both buckets
  // allow it (each may over-consume, see TokenBucket); else takes nothing and
  // returns false.
  bool Consume(uint64_t bytes, uint64_t ops, uint64_t now_ns);
  // Nanoseconds from `now_ns` until Consume(bytes, ops) would succeed (0:
  // now), if nothing else is consumed meanwhile: the later of the two buckets.
  uint64_t TimeUntilAvailable(uint64_t bytes, uint64_t ops, uint64_t now_ns) const;

  const std::optional<TokenBucket>& bandwidth() const { return bandwidth_; }
  const std::optional<TokenBucket>& ops() const { return ops_; }

 private:
  std::optional<TokenBucket> bandwidth_;
  std::optional<TokenBucket> ops_;
};

}  // namespace petrel::ratelimit
