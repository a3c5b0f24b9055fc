// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for BuildGuestCpuid with a synthetic "supported" list.
#include "core/arch/cpuid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

namespace petrel::x86 {
namespace {

using hv::CpuidEntry;

// A synthetic KVM_GET_SUPPORTED_CPUID list for `vendor` (Intel by default).
std::vector<CpuidEntry> Supported(CpuVendor vendor = CpuVendor::kIntel) {
  std::vector<CpuidEntry> s;
  if (vendor == CpuVendor::kAmd) {
    s.push_back({0x0, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65});  // AuthenticAMD
  } else {
    s.push_back({0x0, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69});  // GenuineIntel
  }
  // Leaf 1: host APIC id 0x07 and count 0x10 to be overwritten; VMX set.
  s.push_back({0x1, 0, 0, 0x000806ec, 0x07100800, kCpuid1EcxVmx | 0x1, 0x0});
  // Leaf 4: L1d (type 1, level 1), L3 (type 3, level 3), terminator.
  s.push_back({0x4, 0, hv::kCpuidFlagSignificantIndex, 0xfc000121, 0x01c0003f, 0x3f, 0});
  s.push_back({0x4, 1, hv::kCpuidFlagSignificantIndex, 0xfc03c163, 0x02c0003f, 0x1fff, 0});
  s.push_back({0x4, 2, hv::kCpuidFlagSignificantIndex, 0, 0, 0, 0});
  // Host topology to be replaced.
  s.push_back({0xb, 0, hv::kCpuidFlagSignificantIndex, 1, 2, 0x100, 9});
  s.push_back({0xb, 1, hv::kCpuidFlagSignificantIndex, 4, 8, 0x201, 9});
  s.push_back({0x4000'0000, 0, 0, 0x4000'0001, 0x4b4d564b, 0x564b4d56, 0x4d});
  s.push_back({0x4000'0001, 0, 0, 0x01007afb, 0, 0, 0});
  s.push_back({0x8000'0001, 0, 0, 0, 0, kCpuidExt1EcxSvm | 0x1, 0x2c100800});
  s.push_back({0x8000'0008, 0, 0, 0x3030, 0, 0xf00f, 0});
  // AMD cache topology (L1d, L3, terminator; host sharing 0x3f) and
  // processor topology with host values; listed for both vendors so the
  // Intel tests can check that they are left alone there.
  s.push_back({0x8000'001d, 0, hv::kCpuidFlagSignificantIndex, 0x0fc00121, 0x01c0003f, 0x3f, 0});
  s.push_back({0x8000'001d, 1, hv::kCpuidFlagSignificantIndex, 0x0fc00163, 0x03c0003f, 0x7fff, 1});
  s.push_back({0x8000'001d, 2, hv::kCpuidFlagSignificantIndex, 0, 0, 0, 0});
  s.push_back({0x8000'001e, 0, 0, 0x2a, 0x0105, 0x0302, 0x7});
  return s;
}

std::optional<CpuidEntry> Find(const std::vector<CpuidEntry>& v, uint32_t fn, uint32_t idx = 0) {
  auto it = std::find_if(v.begin(), v.end(),
                         [&](const CpuidEntry& e) { return e.function == fn && e.index == idx; });
  if (it == v.end()) return std::nullopt;
  return *it;
}

TEST(BuildGuestCpuid, Leaf1ApicIdCountAndHypervisorBit) {
  auto out = BuildGuestCpuid(Supported(), 3, 4);
  auto l1 = Find(out, 1);
  ASSERT_TRUE(l1);
  EXPECT_EQ(l1->ebx >> 24, 3u);
  EXPECT_EQ((l1->ebx >> 16) & 0xff, 4u);
  EXPECT_EQ(l1->ebx & 0xffff, 0x0800u);  // CLFLUSH size and brand kept
  EXPECT_NE(l1->ecx & kCpuid1EcxHypervisor, 0u);
  EXPECT_EQ(l1->ecx & kCpuid1EcxVmx, 0u);
  EXPECT_EQ(l1->ecx & 1u, 1u);  // other features kept
  EXPECT_NE(l1->edx & kCpuid1EdxHtt, 0u);
  EXPECT_EQ(l1->eax, 0x000806ecu);
}

TEST(BuildGuestCpuid, SingleVcpuHasNoHtt) {
  auto out = BuildGuestCpuid(Supported(), 0, 1);
  auto l1 = Find(out, 1);
  ASSERT_TRUE(l1);
  EXPECT_EQ(l1->ebx >> 24, 0u);
  EXPECT_EQ((l1->ebx >> 16) & 0xff, 1u);
  EXPECT_EQ(l1->edx & kCpuid1EdxHtt, 0u);
}

TEST(BuildGuestCpuid, Leaf4CoresPerPackage) {
  auto out = BuildGuestCpuid(Supported(), 0, 6);
  auto l1d = Find(out, 4, 0);
  auto l3 = Find(out, 4, 1);
  auto end = Find(out, 4, 2);
  ASSERT_TRUE(l1d && l3 && end);
  // 6 cores are numbered with 3 bits: 8 addressable core ids.
  EXPECT_EQ(l1d->eax >> 26, 7u);
  EXPECT_EQ((l1d->eax >> 14) & 0xfff, 0u);  // L1 private to the core
  EXPECT_EQ(l1d->eax & 0x3fff, 0x121u);     // type/level kept
  EXPECT_EQ(l3->eax >> 26, 7u);
  EXPECT_EQ((l3->eax >> 14) & 0xfff, 7u);  // L3 shared by the die (all)
  EXPECT_EQ(end->eax, 0u);                 // terminator untouched
  EXPECT_EQ(l1d->flags, hv::kCpuidFlagSignificantIndex);
}

TEST(BuildGuestCpuid, Leaf0bTopology) {
  auto out = BuildGuestCpuid(Supported(), 5, 6);
  int count = 0;
  for (const auto& e : out) count += e.function == 0xb;
  EXPECT_EQ(count, 3);
  auto smt = Find(out, 0xb, 0);
  auto core = Find(out, 0xb, 1);
  auto inv = Find(out, 0xb, 2);
  ASSERT_TRUE(smt && core && inv);
  EXPECT_EQ(smt->eax, 0u);
  EXPECT_EQ(smt->ebx, 1u);
  EXPECT_EQ(smt->ecx, 0x100u);
  EXPECT_EQ(smt->edx, 5u);
  EXPECT_EQ(core->eax, 3u);  // 6 cores need 3 id bits
  EXPECT_EQ(core->ebx, 6u);
  EXPECT_EQ(core->ecx, 0x201u);
  EXPECT_EQ(core->edx, 5u);
  EXPECT_EQ(inv->ebx, 0u);
  EXPECT_EQ(inv->ecx, 0x2u);
  EXPECT_EQ(inv->edx, 5u);
  EXPECT_EQ(core->flags, hv::kCpuidFlagSignificantIndex);
  EXPECT_FALSE(Find(out, 0x1f));  // not supported -> not invented
}

TEST(BuildGuestCpuid, Leaf1fOnlyWhenSupported) {
  auto s = Supported();
  s.push_back({0x1f, 0, hv::kCpuidFlagSignificantIndex, 1, 1, 0x100, 0});
  auto out = BuildGuestCpuid(s, 1, 2);
  auto core = Find(out, 0x1f, 1);
  ASSERT_TRUE(core);
  EXPECT_EQ(core->eax, 1u);
  EXPECT_EQ(core->ebx, 2u);
  EXPECT_EQ(core->edx, 1u);
}

TEST(BuildGuestCpuid, HypervisorLeavesKept) {
  auto s = Supported();
  auto out = BuildGuestCpuid(s, 0, 2);
  EXPECT_EQ(Find(out, 0x4000'0000), Find(s, 0x4000'0000));
  EXPECT_EQ(Find(out, 0x4000'0001), Find(s, 0x4000'0001));
}

TEST(BuildGuestCpuid, AmdSvmClearedAndCoreCount) {
  auto out = BuildGuestCpuid(Supported(CpuVendor::kAmd), 0, 4);
  auto e1 = Find(out, 0x8000'0001);
  auto e8 = Find(out, 0x8000'0008);
  ASSERT_TRUE(e1 && e8);
  EXPECT_EQ(e1->ecx, 0x1u);
  EXPECT_EQ(e1->edx, 0x2c100800u);
  EXPECT_EQ(e8->ecx & 0xff, 3u);
  EXPECT_EQ((e8->ecx >> 12) & 0xf, 2u);
  EXPECT_EQ(e8->ecx & 0xf00, 0x000u);  // bits 11:8 kept (were 0)
  EXPECT_EQ(e8->eax, 0x3030u);
}

TEST(BuildGuestCpuid, ZeroVcpusClampedToOne) {
  auto out = BuildGuestCpuid(Supported(), 0, 0);
  auto core = Find(out, 0xb, 1);
  ASSERT_TRUE(core);
  EXPECT_EQ(core->ebx, 1u);
}

TEST(BuildGuestCpuid, OtherLeavesUnchangedAndOrderKept) {
  auto s = Supported();
  auto out = BuildGuestCpuid(s, 0, 1);
  EXPECT_EQ(out.front(), s.front());
  EXPECT_EQ(out.size(), s.size() + 1);  // 2 host 0xB subleaves -> 3
}

TEST(BuildGuestCpuid, IntelKeepsAmdLeaves) {
  auto s = Supported();
  auto out = BuildGuestCpuid(s, 3, 4);
  EXPECT_EQ(Find(out, 0x8000'0008), Find(s, 0x8000'0008));  // ECX reserved on Intel
  EXPECT_EQ(Find(out, 0x8000'001d, 1), Find(s, 0x8000'001d, 1));
  EXPECT_EQ(Find(out, 0x8000'001e), Find(s, 0x8000'001e));
}

TEST(DetectVendor, Signatures) {
  EXPECT_EQ(DetectVendor(Supported()), CpuVendor::kIntel);
  EXPECT_EQ(DetectVendor(Supported(CpuVendor::kAmd)), CpuVendor::kAmd);
  std::vector<CpuidEntry> hygon = {{0x0, 0, 0, 0x10, 0x6f677948, 0x656e6975, 0x6e65476e}};
  EXPECT_EQ(DetectVendor(hygon), CpuVendor::kAmd);
  std::vector<CpuidEntry> other = {{0x0, 0, 0, 0x10, 1, 2, 3}};
  EXPECT_EQ(DetectVendor(other), CpuVendor::kOther);
  EXPECT_EQ(DetectVendor({}), CpuVendor::kOther);
}

// Every topology field of every leaf, for default (flat) layouts and for
// --cpus topology=2:2:1:1 and 1:2:2:2. Expected values are worked out by hand
// in the comments.
struct TopologyCase {
  const char* name;
  CpuTopology topology;
  uint32_t index;
  uint32_t apic_id;
  uint32_t leaf1_ids;   // CPUID.1:EBX[23:16]
  bool htt;             // CPUID.1:EDX[28]
  uint32_t l1_sharing;  // CPUID.4/8000_001D (L1d):EAX[25:14]
  uint32_t l3_sharing;  // CPUID.4/8000_001D (L3):EAX[25:14]
  uint32_t cores;       // CPUID.4:EAX[31:26]
  uint32_t b_smt[2];    // 0xB subleaf 0 {EAX shift, EBX count}
  uint32_t b_core[2];   // 0xB subleaf 1
  uint32_t f_core[2];   // 0x1F subleaf 1
  uint32_t f_die[2];    // 0x1F subleaf 2
  uint32_t amd_nc;      // 0x8000_0008 ECX[7:0]
  uint32_t amd_size;    // 0x8000_0008 ECX[15:12]
  uint32_t amd_1e_ebx;  // 0x8000_001E EBX
  uint32_t amd_1e_ecx;  // 0x8000_001E ECX
};

CpuTopology Topo(uint32_t t, uint32_t c, uint32_t d, uint32_t p) {
  CpuTopology topo;
  topo.threads_per_core = t;
  topo.cores_per_die = c;
  topo.dies_per_package = d;
  topo.packages = p;
  return topo;
}

// One case per two lines reads better than one field per line.
// clang-format off
const TopologyCase kCases[] = {
    // 1 vCPU: nothing shared, no HTT, all shifts 0.
    {"flat1", CpuTopology::Flat(1), 0, 0, 1, false, 0, 0, 0, {0, 1}, {0, 1}, {0, 1}, {0, 1},
     0, 0, 0x000, 0x000},
    // 2 vCPUs, index 1: core field 1 bit; L3 shared by both; core id 1, node 0.
    {"flat2", CpuTopology::Flat(2), 1, 1, 2, true, 0, 1, 1, {0, 1}, {1, 2}, {1, 2}, {1, 2},
     1, 1, 0x001, 0x000},
    // 4 vCPUs, index 3: core field 2 bits.
    {"flat4", CpuTopology::Flat(4), 3, 3, 4, true, 0, 3, 3, {0, 1}, {2, 4}, {2, 4}, {2, 4},
     3, 2, 0x003, 0x000},
    // 2:2:1:1, index 3 = thread 1 of core 1: APIC id 0b11. L1 shared by the 2
    // threads of a core; 2 cores; compute unit = 3 >> 1 = 1 with 2 threads.
    {"2:2:1:1 #3", Topo(2, 2, 1, 1), 3, 3, 4, true, 1, 3, 1, {1, 2}, {2, 4}, {2, 4}, {2, 4},
     3, 2, 0x101, 0x000},
    // 2:2:1:1, index 2 = thread 0 of core 1.
    {"2:2:1:1 #2", Topo(2, 2, 1, 1), 2, 2, 4, true, 1, 3, 1, {1, 2}, {2, 4}, {2, 4}, {2, 4},
     3, 2, 0x101, 0x000},
    // 1:2:2:2, index 6 = core 0 of die 1 of package 1: APIC id 0b110.
    // L3 per die (2 threads); 4 cores per package; 0xB core level covers the
    // 4 threads of the package; 0x1F: core level 2 threads (shift 1), die
    // level 4 threads (shift 2); node id = 6 >> 1 = 3, 2 nodes per package.
    {"1:2:2:2 #6", Topo(1, 2, 2, 2), 6, 6, 4, true, 0, 1, 3, {0, 1}, {2, 4}, {1, 2}, {2, 4},
     3, 2, 0x006, 0x103},
    // 1:2:2:2, index 3 = core 1 of die 1 of package 0.
    {"1:2:2:2 #3", Topo(1, 2, 2, 2), 3, 3, 4, true, 0, 1, 3, {0, 1}, {2, 4}, {1, 2}, {2, 4},
     3, 2, 0x003, 0x101},
};
// clang-format on

std::vector<CpuidEntry> WithLeaf1f(std::vector<CpuidEntry> s) {
  s.push_back({0x1f, 0, hv::kCpuidFlagSignificantIndex, 1, 2, 0x100, 9});
  return s;
}

void ExpectLevel(const std::optional<CpuidEntry>& e, uint32_t sub, const uint32_t level[2],
                 uint32_t type, uint32_t apic_id) {
  ASSERT_TRUE(e);
  EXPECT_EQ(e->eax, level[0]);
  EXPECT_EQ(e->ebx, level[1]);
  EXPECT_EQ(e->ecx, sub | (type << 8));
  EXPECT_EQ(e->edx, apic_id);
  EXPECT_EQ(e->flags, hv::kCpuidFlagSignificantIndex);
}

TEST(BuildGuestCpuid, TopologyLeavesIntel) {
  for (const TopologyCase& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.topology.ApicId(c.index), c.apic_id);
    const auto out = BuildGuestCpuid(WithLeaf1f(Supported()), c.index, c.topology);

    auto l1 = Find(out, 1);
    ASSERT_TRUE(l1);
    EXPECT_EQ(l1->ebx >> 24, c.apic_id);
    EXPECT_EQ((l1->ebx >> 16) & 0xff, c.leaf1_ids);
    EXPECT_EQ(l1->ebx & 0xffff, 0x0800u);
    EXPECT_EQ((l1->edx & kCpuid1EdxHtt) != 0, c.htt);

    auto l1d = Find(out, 4, 0);
    auto l3 = Find(out, 4, 1);
    ASSERT_TRUE(l1d && l3);
    EXPECT_EQ((l1d->eax >> 14) & 0xfff, c.l1_sharing);
    EXPECT_EQ((l3->eax >> 14) & 0xfff, c.l3_sharing);
    EXPECT_EQ(l1d->eax >> 26, c.cores);
    EXPECT_EQ(l3->eax >> 26, c.cores);
    EXPECT_EQ(l3->eax & 0x3fff, 0x163u);

    const uint32_t invalid[2] = {0, 0};
    ExpectLevel(Find(out, 0xb, 0), 0, c.b_smt, kTopologyLevelSmt, c.apic_id);
    ExpectLevel(Find(out, 0xb, 1), 1, c.b_core, kTopologyLevelCore, c.apic_id);
    ExpectLevel(Find(out, 0xb, 2), 2, invalid, kTopologyLevelInvalid, c.apic_id);
    EXPECT_FALSE(Find(out, 0xb, 3));

    ExpectLevel(Find(out, 0x1f, 0), 0, c.b_smt, kTopologyLevelSmt, c.apic_id);
    ExpectLevel(Find(out, 0x1f, 1), 1, c.f_core, kTopologyLevelCore, c.apic_id);
    ExpectLevel(Find(out, 0x1f, 2), 2, c.f_die, kTopologyLevelDie, c.apic_id);
    ExpectLevel(Find(out, 0x1f, 3), 3, invalid, kTopologyLevelInvalid, c.apic_id);
    EXPECT_FALSE(Find(out, 0x1f, 4));
  }
}

TEST(BuildGuestCpuid, TopologyLeavesAmd) {
  const auto s = Supported(CpuVendor::kAmd);
  for (const TopologyCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto out = BuildGuestCpuid(s, c.index, c.topology);

    auto e8 = Find(out, 0x8000'0008);
    ASSERT_TRUE(e8);
    EXPECT_EQ(e8->ecx & 0xff, c.amd_nc);
    EXPECT_EQ((e8->ecx >> 12) & 0xf, c.amd_size);
    EXPECT_EQ(e8->ecx & ~0xf0ffu, 0u);  // other bits kept (were 0)
    EXPECT_EQ(e8->eax, 0x3030u);

    auto l1d = Find(out, 0x8000'001d, 0);
    auto l3 = Find(out, 0x8000'001d, 1);
    auto end = Find(out, 0x8000'001d, 2);
    ASSERT_TRUE(l1d && l3 && end);
    EXPECT_EQ((l1d->eax >> 14) & 0xfff, c.l1_sharing);
    EXPECT_EQ((l3->eax >> 14) & 0xfff, c.l3_sharing);
    EXPECT_EQ(l3->eax & ~(0xfffu << 14), 0x0c000163u);  // type, level, bits 31:26 kept
    EXPECT_EQ(l3->ebx, 0x03c0003fu);
    EXPECT_EQ(l3->edx, 1u);
    EXPECT_EQ(end->eax, 0u);

    auto e1e = Find(out, 0x8000'001e);
    ASSERT_TRUE(e1e);
    EXPECT_EQ(e1e->eax, c.apic_id);
    EXPECT_EQ(e1e->ebx, c.amd_1e_ebx);
    EXPECT_EQ(e1e->ecx, c.amd_1e_ecx);
    EXPECT_EQ(e1e->edx, 0u);
  }
}

TEST(BuildGuestCpuid, FlatOverloadMatchesTopology) {
  const auto s = Supported(CpuVendor::kAmd);
  EXPECT_EQ(BuildGuestCpuid(s, 5, 6), BuildGuestCpuid(s, 5, CpuTopology::Flat(6)));
}

TEST(BuildGuestCpuid, ApicIdAbove255) {
  // 1:255:1:2 has 510 vCPUs; index 256 is core 1 of package 1: APIC id
  // 1 | 1 << 8 = 257. Leaf 1 only holds the low 8 bits and at most 255 ids.
  const auto out = BuildGuestCpuid(Supported(), 256, Topo(1, 255, 1, 2));
  auto l1 = Find(out, 1);
  auto core = Find(out, 0xb, 1);
  ASSERT_TRUE(l1 && core);
  EXPECT_EQ(l1->ebx >> 24, 1u);
  EXPECT_EQ((l1->ebx >> 16) & 0xff, 255u);
  EXPECT_EQ(core->edx, 257u);
  EXPECT_EQ(core->eax, 8u);
  EXPECT_EQ(core->ebx, 255u);
  auto l3 = Find(out, 4, 1);
  ASSERT_TRUE(l3);
  EXPECT_EQ(l3->eax >> 26, 63u);  // 256 addressable cores capped to 64
}

TEST(BuildGuestCpuid, PackagesWithOneThreadHaveNoHtt) {
  // 1:1:1:2: two packages of one thread each.
  const auto out = BuildGuestCpuid(Supported(), 1, Topo(1, 1, 1, 2));
  auto l1 = Find(out, 1);
  auto core = Find(out, 0xb, 1);
  ASSERT_TRUE(l1 && core);
  EXPECT_EQ(l1->ebx >> 24, 1u);
  EXPECT_EQ((l1->ebx >> 16) & 0xff, 1u);
  EXPECT_EQ(l1->edx & kCpuid1EdxHtt, 0u);
  EXPECT_EQ(core->eax, 0u);
  EXPECT_EQ(core->ebx, 1u);
  EXPECT_EQ(core->edx, 1u);
}

// A supported list that advertises a PMU the way a host with one does: Intel
// leaf 0xA (version 5, 8 counters), PDCM, arch LBR (7.0 EDX[19], leaf 0x1C),
// leaf 0x23; AMD PerfCtrExtCore/NB/LLC and IBS, leaves 0x8000'001B/22.
std::vector<CpuidEntry> WithPmu(std::vector<CpuidEntry> s) {
  for (CpuidEntry& e : s) {
    if (e.function == 0x1) e.ecx |= 1u << 15;
    if (e.function == 0x8000'0001) e.ecx |= (1u << 23) | (1u << 24) | (1u << 28) | (1u << 10);
  }
  s.push_back({0x7, 0, hv::kCpuidFlagSignificantIndex, 0, 0x1, 0x2, (1u << 19) | 0x4});
  s.push_back({0xa, 0, 0, 0x08300805, 0, 0x0f, 0x8603});
  s.push_back({0x1c, 0, 0, 0x4000000f, 0x7, 0x7, 0});
  s.push_back({0x23, 0, hv::kCpuidFlagSignificantIndex, 0x3, 0xff, 0xff, 0x7});
  s.push_back({0x8000'001b, 0, 0, 0x3ff, 0, 0, 0});
  s.push_back({0x8000'0022, 0, 0, 0x7, 0x6, 0, 0});
  return s;
}

void ExpectNoPmu(const std::vector<CpuidEntry>& out) {
  const CpuidEntry l1 = Find(out, 0x1).value();
  EXPECT_EQ(l1.ecx & (1u << 15), 0u);  // PDCM
  EXPECT_EQ(l1.ecx & 0x1, 0x1u);       // the rest of ECX kept
  const CpuidEntry l7 = Find(out, 0x7).value();
  EXPECT_EQ(l7.edx, 0x4u);  // arch LBR cleared, the rest kept
  EXPECT_EQ(l7.ebx, 0x1u);
  for (uint32_t leaf : {0xau, 0x1cu, 0x23u, 0x8000'001bu, 0x8000'0022u}) {
    const CpuidEntry e = Find(out, leaf).value();  // kept, all zero
    EXPECT_EQ(e.eax | e.ebx | e.ecx | e.edx, 0u) << std::hex << leaf;
  }
  const CpuidEntry x1 = Find(out, 0x8000'0001).value();
  EXPECT_EQ(x1.ecx & ((1u << 23) | (1u << 24) | (1u << 28) | (1u << 10)), 0u);
  EXPECT_EQ(x1.ecx & 0x1, 0x1u);
  EXPECT_EQ(x1.edx, 0x2c100800u);
}

TEST(BuildGuestCpuid, NoPmuIntel) {
  ExpectNoPmu(BuildGuestCpuid(WithPmu(Supported()), 0, 2));
}

TEST(BuildGuestCpuid, NoPmuAmd) {
  ExpectNoPmu(BuildGuestCpuid(WithPmu(Supported(CpuVendor::kAmd)), 1, 2));
}

}  // namespace
}  // namespace petrel::x86
