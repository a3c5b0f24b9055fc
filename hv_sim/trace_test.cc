// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for hv_sim/trace.h.
#include "hv_sim/trace.h"

#include <gtest/gtest.h>

#include <vector>

namespace petrel::sim {
namespace {

TEST(Trace, AppendAssignsSequenceNumbers) {
  Trace t;
  const std::vector<uint8_t> a = {0x41};
  t.Append(10, 0, TraceKind::kPioWrite, 0x3f8, a);
  t.Append(20, 1, TraceKind::kPioRead, 0x3fd, a);
  auto r = t.records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].seq, 0u);
  EXPECT_EQ(r[1].seq, 1u);
  EXPECT_EQ(r[1].time_ns, 20u);
  EXPECT_EQ(r[1].vcpu, 1u);
  EXPECT_EQ(r[1].kind, TraceKind::kPioRead);
  EXPECT_EQ(r[1].addr, 0x3fdu);
  EXPECT_EQ(r[1].bytes, a);
}

TEST(Trace, EmptyHashIsTheFnvOffsetBasis) {
  Trace t;
  EXPECT_EQ(t.Hash(), 0xcbf29ce484222325ULL);
}

TEST(Trace, HashDependsOnEveryField) {
  auto hash = [](uint64_t time, uint32_t vcpu, TraceKind kind, uint64_t addr,
                 std::vector<uint8_t> bytes) {
    Trace t;
    t.Append(time, vcpu, kind, addr, bytes);
    return t.Hash();
  };
  const uint64_t base = hash(10, 0, TraceKind::kMmioWrite, 0x1000, {1, 2});
  EXPECT_EQ(base, hash(10, 0, TraceKind::kMmioWrite, 0x1000, {1, 2}));
  EXPECT_NE(base, hash(11, 0, TraceKind::kMmioWrite, 0x1000, {1, 2}));
  EXPECT_NE(base, hash(10, 1, TraceKind::kMmioWrite, 0x1000, {1, 2}));
  EXPECT_NE(base, hash(10, 0, TraceKind::kMmioRead, 0x1000, {1, 2}));
  EXPECT_NE(base, hash(10, 0, TraceKind::kMmioWrite, 0x1001, {1, 2}));
  EXPECT_NE(base, hash(10, 0, TraceKind::kMmioWrite, 0x1000, {1, 3}));
  EXPECT_NE(base, hash(10, 0, TraceKind::kMmioWrite, 0x1000, {1, 2, 0}));
}

TEST(Trace, RecordBoundariesAreUnambiguous) {
  // [1 2][3] and [1][2 3] carry the same bytes in a row; lengths keep them apart.
  Trace a, b;
  const std::vector<uint8_t> b12 = {1, 2}, b3 = {3}, b1 = {1}, b23 = {2, 3};
  a.Append(0, 0, TraceKind::kRamWrite, 0, b12);
  a.Append(0, 0, TraceKind::kRamWrite, 0, b3);
  b.Append(0, 0, TraceKind::kRamWrite, 0, b1);
  b.Append(0, 0, TraceKind::kRamWrite, 0, b23);
  EXPECT_NE(a.Hash(), b.Hash());
}

TEST(Trace, ToTextIsReadable) {
  Trace t;
  const std::vector<uint8_t> v = {0x60};
  t.Append(30, 0, TraceKind::kPioRead, 0x3fd, v);
  t.Append(40, kNoVcpu, TraceKind::kIrqLevel, 4, std::vector<uint8_t>{1});
  EXPECT_EQ(t.ToText(),
            "#0 t=30 vcpu0 pio-read 0x3fd [60]\n"
            "#1 t=40 dev irq-level 0x4 [01]\n");
}

TEST(Trace, ClearEmptiesAndRestartsSequence) {
  Trace t;
  t.Append(1, 0, TraceKind::kHalt, 0);
  t.Clear();
  EXPECT_EQ(t.size(), 0u);
  t.Append(2, 0, TraceKind::kHalt, 0);
  EXPECT_EQ(t.records()[0].seq, 0u);
}

}  // namespace
}  // namespace petrel::sim
