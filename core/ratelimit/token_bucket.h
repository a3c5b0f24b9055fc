// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TokenBucket: one rate-limiting bucket (bytes or operations), the building
// block of RateLimiter (rate_limiter.h). It owns the bucket's arithmetic and
// nothing else: no threads, no timers; every call takes the caller's time,
// nanoseconds from Petrel's Clock (core/base/clock.h), so hv_sim runs are
// exact.
//
// Semantics follow Cloud Hypervisor's and Firecracker's rate_limiter crate:
//   - the bucket holds at most `size` tokens and starts full;
//   - it refills linearly: `size` tokens every `refill_time_ms` milliseconds
//     (rate = size / refill_time), never above `size`;
//   - `one_time_burst` extra tokens are available once, are spent before the
//     refilling budget, and never come back;
//   - a bucket with size 0 or refill time 0 does not limit ("unlimited");
//   - a request larger than the bucket can ever hold is over-consumption:
//     it is granted, emptying the bucket, and the excess becomes a debt that
//     the next refills pay before the bucket holds tokens again.
// Where Petrel differs, on purpose:
//   - refills are exact: the fraction of a token earned between two calls is
//     kept, not dropped (CH truncates at each update);
//   - over-consumption is granted only when the bucket is full (and has no
//     debt): CH grants it at any budget and then blocks the device with a
//     timer for the excess; here the debt itself is the block, and
//     TimeUntilAvailable() says how long it lasts;
//   - a refused request takes nothing (CH may spend the one-time burst on a
//     request it then refuses);
//   - time going backwards (a Clock never does) adds no tokens.
// All arithmetic is overflow-free for every uint64_t size, burst, request
// and time (products are taken in unsigned __int128).
#pragma once

#include <cstdint>

namespace petrel::ratelimit {

inline constexpr uint64_t kNsPerMs = 1'000'000;

class TokenBucket {
 public:
  enum class Reduction {
    kFailure,          // not enough tokens now: nothing was taken
    kSuccess,          // the tokens were taken
    kOverConsumption,  // more than the bucket holds: it was emptied and owes the rest
  };

  // Full at `now_ns`. A refill time over UINT64_MAX ns (584 years) is taken as
  // UINT64_MAX ns; RateLimiterConfig's Validate() refuses such times.
  TokenBucket(uint64_t size, uint64_t one_time_burst, uint64_t refill_time_ms, uint64_t now_ns);

  // Takes `tokens` if the bucket has them at `now_ns` (one-time burst first);
  // see Reduction. An unlimited bucket always succeeds.
  Reduction Reduce(uint64_t tokens, uint64_t now_ns);
  // What Reduce(tokens, now_ns) would answer, taking nothing. Refills up to
  // `now_ns` (which changes no answer, only the stored state).
  Reduction Check(uint64_t tokens, uint64_t now_ns);
  // Nanoseconds from `now_ns` until Reduce(tokens) would not fail (0: it
  // would not fail now), assuming nothing else is taken meanwhile. Exact: at
  // now_ns + result it succeeds, one nanosecond earlier it fails. UINT64_MAX
  // when that is further away than UINT64_MAX ns.
  uint64_t TimeUntilAvailable(uint64_t tokens, uint64_t now_ns) const;

  bool unlimited() const { return size_ == 0 || refill_ns_ == 0; }
  uint64_t size() const { return size_; }
  uint64_t refill_time_ms() const { return refill_time_ms_; }
  // The one-time burst left.
  uint64_t one_time_burst() const { return one_time_burst_; }
  // Tokens in the bucket (one-time burst aside) as of the last call.
  uint64_t budget() const { return budget_; }
  // Tokens owed after an over-consumption, as of the last call.
  uint64_t debt() const { return debt_; }

 private:
  struct State {
    uint64_t budget;
    uint64_t debt;
    uint64_t fraction;  // of a token, in units of 1/refill_ns_ tokens
    uint64_t last_ns;
  };
  State RefilledAt(uint64_t now_ns) const;
  Reduction Decide(const State& s, uint64_t tokens) const;

  uint64_t size_;
  uint64_t one_time_burst_;
  uint64_t refill_time_ms_;
  uint64_t refill_ns_;
  // Invariants: budget_ <= size_; debt_ > 0 only when budget_ == 0;
  // debt_ + size_ <= UINT64_MAX; fraction_ < refill_ns_ (0 when full).
  uint64_t budget_;
  uint64_t debt_ = 0;
  uint64_t fraction_ = 0;
  uint64_t last_ns_;
};

}  // namespace petrel::ratelimit
