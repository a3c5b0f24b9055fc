// Tests for BuildGuestCpuid with a synthetic "supported" list.
#include "core/arch/cpuid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

namespace petrel::x86 {
namespace {

using hv::CpuidEntry;

std::vector<CpuidEntry> Supported() {
  std::vector<CpuidEntry> s;
  s.push_back({0x0, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69});
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
  return s;
}

std::optional<CpuidEntry> Find(const std::vector<CpuidEntry>& v, uint32_t fn, uint32_t idx = 0) {
  auto it = std::find_if(v.begin(), v.end(),
                         [&](const CpuidEntry& e) { return e.function == fn && e.index == idx; });
  if (it == v.end()) return std::nullopt;
  return *it;
}

TEST(IdBits, RoundsUp) {
  EXPECT_EQ(IdBits(0), 0u);
  EXPECT_EQ(IdBits(1), 0u);
  EXPECT_EQ(IdBits(2), 1u);
  EXPECT_EQ(IdBits(3), 2u);
  EXPECT_EQ(IdBits(4), 2u);
  EXPECT_EQ(IdBits(5), 3u);
  EXPECT_EQ(IdBits(256), 8u);
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
  EXPECT_EQ(l1d->eax >> 26, 5u);
  EXPECT_EQ((l1d->eax >> 14) & 0xfff, 0u);  // L1 private to the core
  EXPECT_EQ(l1d->eax & 0x3fff, 0x121u);     // type/level kept
  EXPECT_EQ(l3->eax >> 26, 5u);
  EXPECT_EQ((l3->eax >> 14) & 0xfff, 5u);  // L3 shared by all
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
  auto out = BuildGuestCpuid(Supported(), 0, 4);
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

}  // namespace
}  // namespace petrel::x86
