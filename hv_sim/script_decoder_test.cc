// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for hv_sim/script_decoder.h.
#include "hv_sim/script_decoder.h"

#include <gtest/gtest.h>

#include "core/base/random.h"

namespace petrel::sim {
namespace {

std::vector<uint8_t> RandomBytes(uint64_t seed, size_t n) {
  SplitMix64 rng(seed);
  std::vector<uint8_t> b(n);
  rng.Fill(b);
  return b;
}

TEST(DecodeScript, EmptyInputGivesEmptyScript) {
  EXPECT_TRUE(DecodeScript({}, {}).steps.empty());
}

TEST(DecodeScript, IsAPureFunctionOfTheBytes) {
  auto bytes = RandomBytes(5, 512);
  GuestScript a = DecodeScript(bytes, {});
  GuestScript b = DecodeScript(bytes, {});
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    EXPECT_EQ(DescribeStep(a.steps[i]), DescribeStep(b.steps[i]));
  }
}

TEST(DecodeScript, AlwaysValidAndWithinLimits) {
  ScriptDecodeLimits lim;
  lim.pio = {{0x100, 8}};
  lim.mmio = {{0xd0000000, 0x10}, {0xe0000000, 4}};
  lim.ram = {{0, 0x1000}};
  lim.max_steps = 32;
  lim.max_wait_ns = 500;
  lim.max_advance_ns = 700;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    GuestScript s = DecodeScript(RandomBytes(seed, 400), lim);
    ASSERT_TRUE(ValidateScript(s).ok()) << seed;
    ASSERT_LE(s.steps.size(), 32u);
    for (const Step& st : s.steps) {
      if (auto* o = std::get_if<step::PioOut>(&st)) {
        EXPECT_GE(o->port, 0x100);
        EXPECT_LT(o->port, 0x100 + 8 + 8);  // window plus edge slack
      }
      if (auto* m = std::get_if<step::MmioRead>(&st)) {
        bool in_a = m->gpa >= 0xd0000000 && m->gpa < 0xd0000000 + 0x18;
        bool in_b = m->gpa >= 0xe0000000 && m->gpa < 0xe0000000 + 0xc;
        EXPECT_TRUE(in_a || in_b) << std::hex << m->gpa;
      }
      if (auto* w = std::get_if<step::WaitIrq>(&st)) {
        EXPECT_LE(w->timeout_ns, 500u);
      }
      if (auto* a = std::get_if<step::Advance>(&st)) {
        EXPECT_LE(a->ns, 700u);
      }
      if (auto* r = std::get_if<step::WriteRam>(&st)) {
        EXPECT_LE(r->bytes.size(), 64u);
      }
    }
  }
}

}  // namespace
}  // namespace petrel::sim
