// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RateLimiterConfig's limits and check (see rate_limiter_config.h).
#include "core/ratelimit/rate_limiter_config.h"

#include <string>

#include "core/base/field_error.h"

namespace petrel::ratelimit {
namespace {

Result<void> ValidateBucket(const TokenBucketConfig& b, const char* name, const char* cli) {
  const std::string prefix = std::string(name) + ".";
  if (b.size == 0) {
    return FieldError(prefix + "size", "0",
                      std::string("must be at least 1: a bucket needs both size and refill_time "
                                  "(--disk ") +
                          cli + "_size, " + cli + "_refill_time)");
  }
  if (b.refill_time == 0 || b.refill_time > kMaxRefillTimeMs) {
    return FieldError(prefix + "refill_time", std::to_string(b.refill_time),
                      "must be from 1 to " + std::to_string(kMaxRefillTimeMs) +
                          " ms: a bucket needs both size and refill_time (--disk " + cli +
                          "_size, " + cli + "_refill_time)");
  }
  return Ok();
}

}  // namespace

std::optional<TokenBucketConfig> BucketFromValues(uint64_t size, uint64_t one_time_burst,
                                                  uint64_t refill_time) {
  if (size == 0 && refill_time == 0 && one_time_burst == 0) return std::nullopt;
  return TokenBucketConfig{size, one_time_burst, refill_time};
}

Result<void> Validate(const RateLimiterConfig& config) {
  if (!config.bandwidth && !config.ops) {
    return Error(ErrorCode::kInvalidArgument, "needs a bandwidth or an ops bucket");
  }
  if (config.bandwidth) PETREL_TRY(ValidateBucket(*config.bandwidth, "bandwidth", "bw"));
  if (config.ops) PETREL_TRY(ValidateBucket(*config.ops, "ops", "ops"));
  return Ok();
}

Result<void> Validate(const RateLimitGroupConfig& group) {
  if (group.id.empty()) {
    return Error(ErrorCode::kInvalidArgument, "rate_limit_group: id=<name> is required");
  }
  return Validate(group.rate_limiter_config).Wrap("rate_limit_group " + group.id);
}

}  // namespace petrel::ratelimit
