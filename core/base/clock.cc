// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Clock implementations (see clock.h).
#include "core/base/clock.h"

#include <time.h>

namespace petrel {

uint64_t MonotonicClock::NowNs() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t RealtimeClock::NowNs() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void VirtualClock::AdvanceTo(uint64_t ns) {
  uint64_t cur = now_.load(std::memory_order_acquire);
  while (ns > cur && !now_.compare_exchange_weak(cur, ns, std::memory_order_acq_rel)) {
  }
}

}  // namespace petrel
