// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TokenBucket's arithmetic (see token_bucket.h).
#include "core/ratelimit/token_bucket.h"

#include <algorithm>
#include <limits>

namespace petrel::ratelimit {
namespace {

using u128 = unsigned __int128;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

uint64_t Saturate(u128 v) {
  return v > kMax ? kMax : static_cast<uint64_t>(v);
}

}  // namespace

TokenBucket::TokenBucket(uint64_t size, uint64_t one_time_burst, uint64_t refill_time_ms,
                         uint64_t now_ns)
    : size_(size),
      one_time_burst_(one_time_burst),
      refill_time_ms_(refill_time_ms),
      refill_ns_(Saturate(u128{refill_time_ms} * kNsPerMs)),
      budget_(size),
      last_ns_(now_ns) {}

TokenBucket::State TokenBucket::RefilledAt(uint64_t now_ns) const {
  State s{budget_, debt_, fraction_, last_ns_};
  if (unlimited() || now_ns <= s.last_ns) return s;  // backwards: nothing earned
  const uint64_t delta = now_ns - s.last_ns;
  s.last_ns = now_ns;
  // Tokens until full (debt first): fits, since debt_ + size_ <= UINT64_MAX.
  const uint64_t missing = s.debt + (size_ - s.budget);
  if (missing == 0) {
    s.fraction = 0;
    return s;
  }
  // delta * size < 2^128 - 2^65, fraction < 2^64: no overflow.
  const u128 total = u128{delta} * size_ + s.fraction;
  if (total >= u128{missing} * refill_ns_) {
    s.budget = size_;
    s.debt = 0;
    s.fraction = 0;
    return s;
  }
  uint64_t added = static_cast<uint64_t>(total / refill_ns_);  // < missing
  s.fraction = static_cast<uint64_t>(total % refill_ns_);
  const uint64_t paid = std::min(added, s.debt);
  s.debt -= paid;
  added -= paid;
  s.budget += added;  // <= size_, since added < missing
  return s;
}

TokenBucket::Reduction TokenBucket::Decide(const State& s, uint64_t tokens) const {
  if (unlimited()) return Reduction::kSuccess;
  if (u128{tokens} <= u128{one_time_burst_} + s.budget) return Reduction::kSuccess;
  // Larger than the bucket can ever hold: granted once it is full.
  if (u128{tokens} > u128{one_time_burst_} + size_ && s.budget == size_ && s.debt == 0) {
    return Reduction::kOverConsumption;
  }
  return Reduction::kFailure;
}

TokenBucket::Reduction TokenBucket::Check(uint64_t tokens, uint64_t now_ns) {
  const State s = RefilledAt(now_ns);
  budget_ = s.budget;
  debt_ = s.debt;
  fraction_ = s.fraction;
  last_ns_ = s.last_ns;
  return Decide(s, tokens);
}

TokenBucket::Reduction TokenBucket::Reduce(uint64_t tokens, uint64_t now_ns) {
  const Reduction r = Check(tokens, now_ns);
  if (unlimited() || r == Reduction::kFailure) return r;
  const uint64_t from_burst = std::min(tokens, one_time_burst_);
  one_time_burst_ -= from_burst;
  const uint64_t rest = tokens - from_burst;
  if (r == Reduction::kSuccess) {
    budget_ -= rest;  // rest <= budget_ (Decide)
  } else {
    // rest > size_ == budget_; the excess is owed: debt_ + size_ <= UINT64_MAX.
    debt_ = rest - size_;
    budget_ = 0;
    fraction_ = 0;
  }
  return r;
}

uint64_t TokenBucket::TimeUntilAvailable(uint64_t tokens, uint64_t now_ns) const {
  const State s = RefilledAt(now_ns);
  if (Decide(s, tokens) != Reduction::kFailure) return 0;
  // Tokens the refill must bring: up to full when the request is larger than
  // the bucket (over-consumption waits for a full bucket), else the shortfall.
  const uint64_t missing = s.debt + (size_ - s.budget);
  uint64_t need = missing;
  if (u128{tokens} <= u128{one_time_burst_} + size_) {
    need = s.debt + static_cast<uint64_t>(u128{tokens} - one_time_burst_ - s.budget);
  }
  // The least t with t * size + fraction >= need * refill_ns (need < 2^64 and
  // refill_ns < 2^64, so the product fits; need >= 1 and fraction < refill_ns).
  const u128 owed = u128{need} * refill_ns_ - s.fraction;
  const u128 t = (owed + size_ - 1) / size_;
  // When the clock went backwards, refilling resumes only from last_ns.
  const u128 wait = t + (s.last_ns - std::min(s.last_ns, now_ns));
  return Saturate(wait);
}

}  // namespace petrel::ratelimit
