// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RateLimiterConfig: what a user chooses about one device's rate limiter,
// with its limits and Validate() — the one home of both, shared by the
// devices that take one (virtio-blk's DiskConfig) and by the VMM's two doors
// (--disk's bw_* / ops_* keys, the REST API's "rate_limiter_config").
//
// Cloud Hypervisor's RateLimiterConfig / TokenBucketConfig: an optional
// bandwidth bucket (bytes) and an optional ops bucket (operations), each
// {size, one_time_burst, refill_time in ms}. CH's reading of a bucket with
// size 0 or refill_time 0 is "no limit"; Petrel's doors keep that meaning
// only for a bucket whose size and refill_time are both 0 (or absent), which
// they read as no bucket, and refuse a bucket with one of them 0 and the
// other not (CH would silently not limit). An absent one_time_burst is 0 (CH:
// None and the CLI's default Some(0) mean the same).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/result.h"

namespace petrel::ratelimit {

// A refill time in ns must fit in 64 bits (about 584 years).
inline constexpr uint64_t kMaxRefillTimeMs = UINT64_MAX / 1'000'000;

struct TokenBucketConfig {
  uint64_t size = 0;            // tokens (bytes or operations), at least 1
  uint64_t one_time_burst = 0;  // extra tokens, once
  uint64_t refill_time = 0;     // ms to refill an empty bucket, 1..kMaxRefillTimeMs

  bool operator==(const TokenBucketConfig&) const = default;
};

struct RateLimiterConfig {
  std::optional<TokenBucketConfig> bandwidth;  // bytes
  std::optional<TokenBucketConfig> ops;        // requests

  bool operator==(const RateLimiterConfig&) const = default;
};

// CH's rule for three values read from a door: both size and refill_time 0
// (absent) means no bucket; otherwise a bucket, which Validate() then checks.
std::optional<TokenBucketConfig> BucketFromValues(uint64_t size, uint64_t one_time_burst,
                                                  uint64_t refill_time);

// Each error is one line, "<field>=<value>: <problem>" (core/base/field_error.h),
// the field named as in the JSON ("bandwidth.size"), the CLI key in the problem.
// A config without any bucket is refused: the doors read that as no limiter.
Result<void> Validate(const RateLimiterConfig& config);

// --rate-limit-group id=<name>,bw_*,ops_* / the API's "rate_limit_groups":
// one limiter shared by every disk whose rate_limit_group names it (CH's
// RateLimiterGroupConfig). The id is in the VM's device id namespace.
struct RateLimitGroupConfig {
  std::string id;
  RateLimiterConfig rate_limiter_config;

  bool operator==(const RateLimitGroupConfig&) const = default;
};

// A non-empty id and a valid limiter (errors name "rate_limit_group <id>").
Result<void> Validate(const RateLimitGroupConfig& group);

}  // namespace petrel::ratelimit
