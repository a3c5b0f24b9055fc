// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RandomSource: the only way Petrel code gets random numbers (determinism
// rule 3, "no hidden randomness").
//
// Anything random (a generated MAC address, the virtio-rng device, retry
// jitter) takes a RandomSource& injected by its owner. Production injects
// SystemRandom (getrandom(2)); hv_sim and tests inject SplitMix64 with a fixed
// seed, so the same seed gives the same bytes on every run and every host.
#pragma once

#include <cstdint>
#include <span>

namespace petrel {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // 64 uniformly distributed bits.
  virtual uint64_t Next() = 0;
  // Fills `out` with bytes taken from successive Next() values, least
  // significant byte first (so the result does not depend on host endianness).
  void Fill(std::span<uint8_t> out);
  // Uniform in [0, bound); 0 when bound is 0. Unbiased (rejection sampling).
  uint64_t Uniform(uint64_t bound);
};

// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", OOPSLA 2014; constants as in Vigna's reference splitmix64.c).
// Deterministic for a given seed; not for cryptographic use.
class SplitMix64 final : public RandomSource {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() override;

 private:
  uint64_t state_;
};

// The kernel's CSPRNG through getrandom(2). Never used under hv_sim.
class SystemRandom final : public RandomSource {
 public:
  uint64_t Next() override;
};

}  // namespace petrel
