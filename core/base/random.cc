// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RandomSource implementations (see random.h).
#include "core/base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

#include "core/base/log.h"

namespace petrel {

void RandomSource::Fill(std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    uint64_t v = Next();
    for (int b = 0; b < 8 && i < out.size(); ++b, ++i) out[i] = static_cast<uint8_t>(v >> (8 * b));
  }
}

uint64_t RandomSource::Uniform(uint64_t bound) {
  if (bound == 0) return 0;
  // Reject the top partial block of 2^64 so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
  uint64_t v;
  do {
    v = Next();
  } while (v > limit);
  return v % bound;
}

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SystemRandom::Next() {
  uint64_t v = 0;
  auto* p = reinterpret_cast<uint8_t*>(&v);
  size_t got = 0;
  while (got < sizeof v) {
    ssize_t n = getrandom(p + got, sizeof v - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without a kernel CSPRNG there is no safe fallback: a broken invariant.
      PETREL_LOG(kError) << "getrandom failed: errno " << errno;
      std::abort();
    }
    got += static_cast<size_t>(n);
  }
  return v;
}

}  // namespace petrel
