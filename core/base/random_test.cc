// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for core/base/random.h.
#include "core/base/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <vector>

namespace petrel {
namespace {

// Reference values for seed 1234567 from Vigna's splitmix64.c (also used by
// Java's SplittableRandom test vectors).
TEST(SplitMix64, MatchesReferenceSequence) {
  SplitMix64 rng(1234567);
  EXPECT_EQ(rng.Next(), 6457827717110365317ULL);
  EXPECT_EQ(rng.Next(), 3203168211198807973ULL);
  EXPECT_EQ(rng.Next(), 9817491932198370423ULL);
  EXPECT_EQ(rng.Next(), 4593380528125082431ULL);
  EXPECT_EQ(rng.Next(), 16408922859458223821ULL);
}

TEST(SplitMix64, SameSeedSameStreamDifferentSeedDifferentStream) {
  SplitMix64 a(42), b(42), c(43);
  std::vector<uint64_t> va, vb, vc;
  for (int i = 0; i < 16; ++i) {
    va.push_back(a.Next());
    vb.push_back(b.Next());
    vc.push_back(c.Next());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
}

TEST(RandomSource, FillIsLittleEndianAndHandlesTails) {
  SplitMix64 ref(7);
  uint64_t first = ref.Next();
  uint64_t second = ref.Next();
  SplitMix64 rng(7);
  std::array<uint8_t, 11> buf{};
  rng.Fill(buf);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(buf[i], static_cast<uint8_t>(first >> (8 * i))) << i;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(buf[8 + i], static_cast<uint8_t>(second >> (8 * i))) << i;
}

TEST(RandomSource, UniformStaysInBoundAndCoversIt) {
  SplitMix64 rng(99);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = rng.Uniform(6);
    ASSERT_LT(v, 6u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(rng.Uniform(0), 0u);
  EXPECT_EQ(rng.Uniform(1), 0u);
}

TEST(SystemRandom, ProducesVaryingValues) {
  SystemRandom rng;
  std::set<uint64_t> seen;
  for (int i = 0; i < 8; ++i) seen.insert(rng.Next());
  EXPECT_GT(seen.size(), 1u);  // 8 equal 64-bit draws would mean it is broken
}

}  // namespace
}  // namespace petrel
