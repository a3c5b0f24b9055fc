// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for HostRegion and GuestMemory: the x86 split, bounds checks at
// region edges and near 2^64, accesses across adjacent regions, Create checks,
// the VMM-side dirty log.
#include "core/memory/guest_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/arch/x86_layout.h"

namespace petrel {
namespace {

constexpr uint64_t kGiB = 1ULL << 30;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::shared_ptr<HostRegion> Host(uint64_t size) {
  auto r = HostRegion::Anonymous(size);
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

// The VmFlags of the mapping that holds `addr` in /proc/self/smaps; empty if
// smaps is unreadable or has no such mapping.
std::string VmFlagsAt(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  const auto a = reinterpret_cast<uintptr_t>(addr);
  bool inside = false;
  std::string line;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line.substr(8) + " ";
  }
  return "";
}

// [0x1000, 0x3000) and [0x3000, 0x5000) adjacent, then [0x10000, 0x11000).
std::shared_ptr<GuestMemory> ThreeRegions() {
  auto m = GuestMemory::Create({{0x10000, 0x1000, Host(0x1000)},
                                {0x3000, 0x2000, Host(0x2000)},
                                {0x1000, 0x2000, Host(0x2000)}});
  if (!m.ok()) return nullptr;
  return std::move(m).value();
}

TEST(HostRegionTest, AnonymousIsZeroedAndRejectsEmpty) {
  auto r = HostRegion::Anonymous(8192);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 8192u);
  std::vector<uint8_t> zero(8192, 0);
  EXPECT_EQ(std::memcmp((*r)->data(), zero.data(), zero.size()), 0);
  auto empty = HostRegion::Anonymous(0);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
}

TEST(HostRegionTest, LargeRegionsAreHugePageAligned) {
  auto r = HostRegion::Anonymous(6ULL << 20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*r)->data()) % (2ULL << 20), 0u);
  (*r)->data()[(6ULL << 20) - 1] = 1;  // the whole size is usable
}

TEST(HostRegionTest, ImpossibleSizeFails) {
  EXPECT_FALSE(HostRegion::Anonymous(kMax - 100).ok());
}

TEST(GuestMemoryDiscardTest, DiscardedPagesReadZeroAndGoBackToTheHost) {
  for (RamBacking backing : {RamBacking::kPrivate, RamBacking::kShared}) {
    auto mem = GuestMemory::CreateX86(16 << 20, backing);
    ASSERT_TRUE(mem.ok());
    GuestMemory& m = **mem;
    ASSERT_TRUE(m.Fill(0x100000, 0xab, 0x10000).ok());
    const int fd = m.regions()[0].host->fd();
    struct stat before {};
    if (fd >= 0) {
      ASSERT_EQ(fstat(fd, &before), 0);
    }
    m.StartDirtyLog();
    ASSERT_TRUE(m.Discard(0x104000, 0x8000).ok());
    EXPECT_EQ(m.ReadObj<uint8_t>(0x103fff).value(), 0xab);  // before the range
    EXPECT_EQ(m.ReadObj<uint8_t>(0x104000).value(), 0);
    EXPECT_EQ(m.ReadObj<uint8_t>(0x10bfff).value(), 0);
    EXPECT_EQ(m.ReadObj<uint8_t>(0x10c000).value(), 0xab);  // after it
    if (fd >= 0) {
      struct stat after {};
      ASSERT_EQ(fstat(fd, &after), 0);
      EXPECT_LT(after.st_blocks, before.st_blocks);  // the memfd gave the pages back
    }
    // A migration resends them: their contents changed.
    const auto dirty = m.TakeDirtyLog().Ranges();
    ASSERT_EQ(dirty.size(), 1u);
    EXPECT_EQ(dirty[0].gpa, 0x104000u);
    EXPECT_EQ(dirty[0].len, 0x8000u);
  }
}

TEST(GuestMemoryDiscardTest, RefusesMisalignedAndOutsideRanges) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  ASSERT_TRUE((*mem)->Fill(0x100000, 0xab, 0x2000).ok());
  EXPECT_FALSE((*mem)->Discard(0x100800, 0x1000).ok());
  EXPECT_FALSE((*mem)->Discard(0x100000, 0x800).ok());
  EXPECT_FALSE((*mem)->Discard((16 << 20) - 0x1000, 0x2000).ok());
  EXPECT_EQ((*mem)->ReadObj<uint8_t>(0x100000).value(), 0xab);  // untouched
}

// The smaps entry of the mapping holding `p`: its VmFlags, Rss and
// KernelPageSize (KiB).
struct SmapsEntry {
  std::string flags;
  uint64_t rss_kib = 0;
  uint64_t kernel_page_kib = 0;
};
SmapsEntry SmapsOf(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  SmapsEntry e;
  const auto addr = reinterpret_cast<uintptr_t>(p);
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find('-')) {
      if (inside) break;
      inside = addr >= lo && addr < hi;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("Rss:", 0) == 0) std::sscanf(line.c_str(), "Rss: %lu", &e.rss_kib);
    if (line.rfind("KernelPageSize:", 0) == 0) {
      std::sscanf(line.c_str(), "KernelPageSize: %lu", &e.kernel_page_kib);
    }
    if (line.rfind("VmFlags:", 0) == 0) e.flags = line.substr(8) + " ";
  }
  return e;
}

TEST(GuestMemoryAdviseTest, ThpMergeableAndPrefaultReachTheMapping) {
  auto mem = GuestMemory::CreateX86(8 << 20);
  ASSERT_TRUE(mem.ok());
  const uint8_t* base = (*mem)->regions()[0].host->data();
  EXPECT_LT(SmapsOf(base).rss_kib, 1024u);  // nothing touched yet
  ASSERT_TRUE((*mem)->Advise({.thp = true, .mergeable = false, .prefault = true}).ok());
  SmapsEntry e = SmapsOf(base);
  EXPECT_NE(e.flags.find(" hg "), std::string::npos) << e.flags;  // MADV_HUGEPAGE
  EXPECT_GE(e.rss_kib, 8u << 10);  // every page resident
  ASSERT_TRUE((*mem)->Advise({.thp = false, .mergeable = false, .prefault = false}).ok());
  e = SmapsOf(base);
  EXPECT_NE(e.flags.find(" nh "), std::string::npos) << e.flags;  // MADV_NOHUGEPAGE
  EXPECT_EQ(e.flags.find(" hg "), std::string::npos) << e.flags;
  Result<void> merged = (*mem)->Advise({.thp = false, .mergeable = true, .prefault = false});
  if (!merged.ok()) GTEST_SKIP() << "no KSM in this kernel: " << merged.error().message();
  EXPECT_NE(SmapsOf(base).flags.find(" mg "), std::string::npos);  // MADV_MERGEABLE
  EXPECT_EQ((*mem)->ReadObj<uint64_t>(0x1000).value(), 0u);  // contents untouched
}

TEST(GuestMemoryX86Test, SmallRamIsOneLowRegion) {
  auto m = GuestMemory::CreateX86(512ULL << 20);
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ((*m)->regions().size(), 1u);
  EXPECT_EQ((*m)->regions()[0].gpa, 0u);
  EXPECT_EQ((*m)->total_size(), 512ULL << 20);
  EXPECT_EQ((*m)->end(), 512ULL << 20);
}

TEST(GuestMemoryX86Test, ExactlyThreeGiBStaysBelowTheHole) {
  auto m = GuestMemory::CreateX86(3 * kGiB);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ((*m)->regions().size(), 1u);
  EXPECT_EQ((*m)->end(), x86::kMem32BitReservedStart);
}

TEST(GuestMemoryX86Test, SplitsAroundThe32BitHole) {
  const uint64_t size = 3 * kGiB + kGiB / 2;
  auto m = GuestMemory::CreateX86(size);
  ASSERT_TRUE(m.ok()) << m.error().message();
  const auto& regions = (*m)->regions();
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].gpa, 0u);
  EXPECT_EQ(regions[0].size, 3 * kGiB);
  EXPECT_EQ(regions[1].gpa, 4 * kGiB);
  EXPECT_EQ(regions[1].size, kGiB / 2);
  EXPECT_EQ((*m)->total_size(), size);
  EXPECT_EQ((*m)->end(), 4 * kGiB + kGiB / 2);
  // The hole is not RAM; both sides are.
  EXPECT_TRUE((*m)->Contains(3 * kGiB - 1, 1));
  EXPECT_FALSE((*m)->Contains(3 * kGiB, 1));
  EXPECT_FALSE((*m)->Contains(4 * kGiB - 1, 1));
  EXPECT_TRUE((*m)->Contains(4 * kGiB, 1));
  EXPECT_FALSE((*m)->Contains(3 * kGiB - 4, 8));  // runs into the hole
  ASSERT_TRUE((*m)->WriteObj<uint32_t>(4 * kGiB + 16, 0xfeedf00d).ok());
  EXPECT_EQ(*(*m)->ReadObj<uint32_t>(4 * kGiB + 16), 0xfeedf00du);
}

// --memory hotplug_size: the area follows RAM at Cloud Hypervisor's address
// (4 GiB for RAM below the hole, else the next 128 MiB boundary), flagged.
TEST(GuestMemoryX86Test, TheHotplugAreaFollowsRam) {
  auto small = GuestMemory::CreateX86(512ULL << 20, RamBacking::kPrivate, kGiB);
  ASSERT_TRUE(small.ok()) << small.error().message();
  ASSERT_EQ((*small)->regions().size(), 2u);
  EXPECT_FALSE((*small)->regions()[0].hotplug);
  const GuestRegion* area = (*small)->hotplug_area();
  ASSERT_NE(area, nullptr);
  EXPECT_EQ(area->gpa, 4 * kGiB);
  EXPECT_EQ(area->size, kGiB);
  EXPECT_TRUE((*small)->Contains(4 * kGiB, kGiB));
  EXPECT_EQ((*small)->total_size(), (512ULL << 20) + kGiB);
  // 3.5 GiB + 100 MiB: RAM ends at 4.5 GiB + 100 MiB, the area at the next 128 MiB.
  const uint64_t size = 3 * kGiB + kGiB / 2 + (100ULL << 20);
  EXPECT_EQ(GuestMemory::X86HotplugAreaStart(size), 4 * kGiB + kGiB / 2 + (128ULL << 20));
  EXPECT_EQ(GuestMemory::X86HotplugAreaStart(3 * kGiB), 4 * kGiB);
  EXPECT_EQ(GuestMemory::X86HotplugAreaStart(3 * kGiB + kGiB), 5 * kGiB);
  auto none = GuestMemory::CreateX86(512ULL << 20);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->hotplug_area(), nullptr);
}

// A snapshot's memory (plain ranges) takes the layout its config implies,
// sharing the same host memory; any other shape is refused.
TEST(GuestMemoryX86Test, WithX86LayoutFlagsTheAreaOrRefuses) {
  auto plain = GuestMemory::Create({{0, 512ULL << 20, HostRegion::Anonymous(512ULL << 20).value()},
                                    {4 * kGiB, 256ULL << 20,
                                     HostRegion::Anonymous(256ULL << 20).value()}});
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE((*plain)->WriteObj<uint32_t>(4 * kGiB, 0xabcd).ok());
  auto laid = (*plain)->WithX86Layout(512ULL << 20, 256ULL << 20);
  ASSERT_TRUE(laid.ok()) << laid.error().message();
  ASSERT_NE((*laid)->hotplug_area(), nullptr);
  EXPECT_EQ((*laid)->ReadObj<uint32_t>(4 * kGiB).value(), 0xabcdu);  // the same pages
  auto wrong = (*plain)->WithX86Layout(512ULL << 20, 128ULL << 20);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("268435456 bytes at 4294967296"), std::string::npos)
      << wrong.error().message();
  EXPECT_FALSE((*plain)->WithX86Layout(512ULL << 20, 0).ok());
}

TEST(GuestMemoryX86Test, ZeroSizeIsRejected) {
  EXPECT_FALSE(GuestMemory::CreateX86(0).ok());
  const X86Zone zones[] = {{kGiB, 0}, {0, 0}};
  auto m = GuestMemory::CreateX86(zones, [](size_t, uint64_t size) {
    return HostRegion::Anonymous(size);
  });
  EXPECT_FALSE(m.ok());
}

// --memory-zone: zones follow one another from 0, a zone straddling the
// 32-bit hole gets a region on each side, each region names its zone.
TEST(GuestMemoryX86Test, ZonesFollowOneAnotherAroundTheHole) {
  const X86Zone zones[] = {{2 * kGiB, 0}, {2 * kGiB, 0}, {kGiB / 2, 0}};
  const std::vector<GuestRegion> regions = GuestMemory::X86Layout(zones);
  ASSERT_EQ(regions.size(), 4u);
  EXPECT_EQ(regions[0].gpa, 0u);
  EXPECT_EQ(regions[0].size, 2 * kGiB);
  EXPECT_EQ(regions[0].zone, 0u);
  EXPECT_EQ(regions[1].gpa, 2 * kGiB);
  EXPECT_EQ(regions[1].size, kGiB);
  EXPECT_EQ(regions[1].zone, 1u);
  EXPECT_EQ(regions[2].gpa, 4 * kGiB);
  EXPECT_EQ(regions[2].size, kGiB);
  EXPECT_EQ(regions[2].zone, 1u);
  EXPECT_EQ(regions[3].gpa, 5 * kGiB);
  EXPECT_EQ(regions[3].size, kGiB / 2);
  EXPECT_EQ(regions[3].zone, 2u);
  // A zone ending exactly at the hole leaves the next one above it.
  const X86Zone exact[] = {{3 * kGiB, 0}, {kGiB, 0}};
  const std::vector<GuestRegion> split = GuestMemory::X86Layout(exact);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[1].gpa, 4 * kGiB);
  EXPECT_EQ(split[1].zone, 1u);
}

// Each zone's hot-plug area comes after all RAM, in zone order, on
// 128 MiB boundaries; hotplug_area(zone) finds it.
TEST(GuestMemoryX86Test, EachZoneHasItsOwnHotplugArea) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  const X86Zone zones[] = {{512 * kMiB, 256 * kMiB}, {512 * kMiB, 0}, {256 * kMiB, 128 * kMiB}};
  auto m = GuestMemory::CreateX86(zones, [](size_t, uint64_t size) {
    return HostRegion::Anonymous(size);
  });
  ASSERT_TRUE(m.ok()) << m.error().message();
  const GuestRegion* first = (*m)->hotplug_area(0);
  const GuestRegion* third = (*m)->hotplug_area(2);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ((*m)->hotplug_area(1), nullptr);
  EXPECT_EQ(first->gpa, 4 * kGiB);
  EXPECT_EQ(first->size, 256 * kMiB);
  EXPECT_TRUE(first->hotplug);
  EXPECT_EQ(third->gpa, 4 * kGiB + 256 * kMiB);
  EXPECT_EQ(third->zone, 2u);
  EXPECT_EQ((*m)->total_size(), (1280 + 384) * kMiB);
  // A snapshot's plain ranges take the zones' layout back.
  std::vector<GuestRegion> plain;
  for (const GuestRegion& r : (*m)->regions()) plain.push_back({r.gpa, r.size, r.host});
  auto restored = GuestMemory::Create(plain).value()->WithX86Layout(zones);
  ASSERT_TRUE(restored.ok()) << restored.error().message();
  ASSERT_NE((*restored)->hotplug_area(2), nullptr);
  EXPECT_EQ((*restored)->regions()[1].zone, 1u);
}

// --memory-zone host_numa_node: node 0 always exists on Linux; a node the
// host lacks is an error naming it.
TEST(HostRegionTest, BindToNodeBindsOrNamesTheMissingNode) {
  auto region = HostRegion::Anonymous(4 << 20);
  ASSERT_TRUE(region.ok());
  Result<void> bound = (*region)->BindToNode(0);
  if (!bound.ok() && bound.error().code() == ErrorCode::kUnsupported) {
    GTEST_SKIP() << bound.error().message();
  }
  ASSERT_TRUE(bound.ok()) << bound.error().message();
  Result<void> missing = (*region)->BindToNode(1000);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("host NUMA node 1000"), std::string::npos)
      << missing.error().message();
}

TEST(GuestMemoryTest, ContainsChecksEveryByteAtRegionEdges) {
  auto m = ThreeRegions();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->regions()[0].gpa, 0x1000u);  // sorted
  EXPECT_EQ(m->total_size(), 0x5000u);
  EXPECT_EQ(m->end(), 0x11000u);
  EXPECT_FALSE(m->Contains(0xfff, 1));
  EXPECT_FALSE(m->Contains(0xfff, 2));
  EXPECT_TRUE(m->Contains(0x1000, 0x4000));  // both adjacent regions, all of them
  EXPECT_FALSE(m->Contains(0x1000, 0x4001));
  EXPECT_TRUE(m->Contains(0x4fff, 1));
  EXPECT_FALSE(m->Contains(0x4fff, 2));
  EXPECT_TRUE(m->Contains(0x4fff, 0));  // len 0: in range iff gpa is
  EXPECT_FALSE(m->Contains(0x5000, 0));
  EXPECT_TRUE(m->Contains(0x10fff, 1));
  EXPECT_FALSE(m->Contains(0x11000, 1));
}

TEST(GuestMemoryTest, HugeLengthsDoNotOverflow) {
  auto m = ThreeRegions();
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->Contains(0x1000, kMax));
  EXPECT_FALSE(m->Contains(kMax, 1));
  EXPECT_FALSE(m->Contains(kMax, kMax));
  EXPECT_EQ(m->HostPointer(0x1000, kMax), nullptr);
  EXPECT_FALSE(m->Fill(0x1000, 0, kMax).ok());
}

TEST(GuestMemoryTest, RegionAtTopOfAddressSpace) {
  const uint64_t base = kMax - 0x1fff;  // [2^64 - 0x2000, 2^64 - 0x1000)
  auto m = GuestMemory::Create({{base, 0x1000, Host(0x1000)}});
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_TRUE((*m)->Contains(base + 0xfff, 1));
  EXPECT_FALSE((*m)->Contains(base + 0xfff, 2));
  EXPECT_FALSE((*m)->Contains(base, kMax));
  uint8_t buf[4] = {};
  EXPECT_FALSE((*m)->Read(kMax - 1, buf).ok());
  EXPECT_FALSE((*m)->Read(base + 0xffe, buf).ok());
  EXPECT_TRUE((*m)->Read(base + 0xffc, buf).ok());
  EXPECT_EQ((*m)->HostPointer(kMax, 1), nullptr);
}

TEST(GuestMemoryTest, ReadWriteAcrossAdjacentRegions) {
  auto m = ThreeRegions();
  ASSERT_NE(m, nullptr);
  const uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(m->Write(0x2ffc, in).ok());
  uint8_t out[8] = {};
  ASSERT_TRUE(m->Read(0x2ffc, out).ok());
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);
  // The bytes landed in two different host mappings.
  uint8_t* low = m->HostPointer(0x2ffc, 4);
  uint8_t* high = m->HostPointer(0x3000, 4);
  ASSERT_NE(low, nullptr);
  ASSERT_NE(high, nullptr);
  EXPECT_EQ(low[3], 4);
  EXPECT_EQ(high[0], 5);
  EXPECT_EQ(low, m->regions()[0].host->data() + 0x1ffc);
  EXPECT_EQ(high, m->regions()[1].host->data());
  EXPECT_NE(m->regions()[0].host, m->regions()[1].host);
}

TEST(GuestMemoryTest, HostPointerIsNullWhenCrossingRegions) {
  auto m = ThreeRegions();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->HostPointer(0x2ffc, 8), nullptr);
  EXPECT_NE(m->HostPointer(0x2ff8, 8), nullptr);
  EXPECT_NE(m->HostPointer(0x1000, 0x2000), nullptr);
  EXPECT_EQ(m->HostPointer(0x1000, 0x2001), nullptr);
  EXPECT_EQ(m->HostPointer(0x5000, 1), nullptr);
  EXPECT_EQ(m->HostPointer(0x500, 1), nullptr);
}

TEST(GuestMemoryTest, FailedWriteChangesNothing) {
  auto m = ThreeRegions();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->Fill(0x4ff0, 0xaa, 0x10).ok());
  const uint8_t in[4] = {1, 2, 3, 4};
  auto r = m->Write(0x4ffe, in);  // last two bytes fall off the end
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(*m->ReadObj<uint16_t>(0x4ffe), 0xaaaa);
  EXPECT_FALSE(m->Fill(0x4fff, 0, 2).ok());
  EXPECT_EQ(*m->ReadObj<uint8_t>(0x4fff), 0xaa);
}

TEST(GuestMemoryTest, FillAcrossRegionsAndObjects) {
  auto m = ThreeRegions();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->Fill(0x2000, 0x5a, 0x2000).ok());
  EXPECT_EQ(*m->ReadObj<uint64_t>(0x2ffc), 0x5a5a5a5a5a5a5a5aULL);
  EXPECT_EQ(*m->ReadObj<uint8_t>(0x1fff), 0);
  EXPECT_EQ(*m->ReadObj<uint8_t>(0x4000), 0);
  EXPECT_FALSE(m->ReadObj<uint32_t>(0x10ffe).ok());
  EXPECT_FALSE(m->WriteObj<uint32_t>(0x5000, 1).ok());
}

TEST(GuestMemoryCreateTest, RejectsOverlap) {
  auto r = GuestMemory::Create({{0x0, 0x2000, Host(0x2000)}, {0x1fff, 0x1000, Host(0x1000)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  // Also when given out of order, and when one contains the other.
  EXPECT_FALSE(GuestMemory::Create({{0x1000, 0x1000, Host(0x1000)}, {0x0, 0x4000, Host(0x4000)}})
                   .ok());
  EXPECT_FALSE(GuestMemory::Create({{0x0, 0x1000, Host(0x1000)}, {0x0, 0x1000, Host(0x1000)}})
                   .ok());
}

TEST(GuestMemoryCreateTest, AcceptsAdjacent) {
  EXPECT_TRUE(GuestMemory::Create({{0x0, 0x1000, Host(0x1000)}, {0x1000, 0x1000, Host(0x1000)}})
                  .ok());
}

TEST(GuestMemoryCreateTest, RejectsEmptyAndMissingHost) {
  EXPECT_FALSE(GuestMemory::Create({{0x0, 0, Host(0x1000)}}).ok());
  EXPECT_FALSE(GuestMemory::Create({{0x0, 0x1000, nullptr}}).ok());
  EXPECT_FALSE(GuestMemory::Create({{0x0, 0x2000, Host(0x1000)}}).ok());  // host too small
}

TEST(GuestMemoryCreateTest, RejectsWrap) {
  auto r = GuestMemory::Create({{kMax - 0xfff, 0x2000, Host(0x2000)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kOutOfRange);
  // Ending exactly at 2^64 would make end() wrap to 0: rejected too.
  EXPECT_FALSE(GuestMemory::Create({{kMax - 0xfff, 0x1000, Host(0x1000)}}).ok());
}

TEST(GuestMemoryCreateTest, EmptyListIsEmptyMemory) {
  auto m = GuestMemory::Create({});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->end(), 0u);
  EXPECT_EQ((*m)->total_size(), 0u);
  EXPECT_FALSE((*m)->Contains(0, 0));
}
}  // namespace
}  // namespace petrel

namespace petrel {
namespace {

TEST(GuestMemoryAtomicTest, SingleAccessLoadsAndStoresWithChecks) {
  auto mem = GuestMemory::CreateX86(1 << 20);
  ASSERT_TRUE(mem.ok());
  GuestMemory& m = **mem;
  ASSERT_TRUE(m.StoreAtomic<uint16_t>(0x1002, 0x56fa).ok());
  auto v = m.LoadAtomic<uint16_t>(0x1002);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x56fa);
  EXPECT_EQ(*m.ReadObj<uint16_t>(0x1002), 0x56fa);  // same bytes, little-endian
  ASSERT_TRUE(m.StoreAtomic<uint32_t>(0x2000, 0xdeadbeef).ok());
  EXPECT_EQ(*m.LoadAtomic<uint32_t>(0x2000), 0xdeadbeefu);
  EXPECT_EQ(m.LoadAtomic<uint16_t>(0x1001).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.StoreAtomic<uint32_t>(0x2002, 1).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.LoadAtomic<uint64_t>(1 << 20).error().code(), ErrorCode::kOutOfRange);
}

// Guest RAM is the guest's secret and can be huge: it stays out of the VMM's
// core dumps (madvise MADV_DONTDUMP; "dd" in smaps' VmFlags).
TEST(HostRegionTest, GuestRamIsExcludedFromCoreDumps) {
  if (VmFlagsAt(reinterpret_cast<void*>(&VmFlagsAt)).empty()) {
    GTEST_SKIP() << "/proc/self/smaps is unavailable or has no VmFlags";
  }
  for (uint64_t size : {uint64_t{0x3000}, uint64_t{6} << 20}) {  // unaligned and 2 MiB aligned
    auto region = Host(size);
    ASSERT_NE(region, nullptr);
    for (const uint8_t* p : {region->data(), region->data() + size - 1}) {
      const std::string flags = VmFlagsAt(p);
      EXPECT_NE(flags.find(" dd "), std::string::npos) << "size " << size << ": " << flags;
    }
  }
}

// A file mapping is copy-on-write: it reads the file's bytes from `offset`,
// and the process's writes stay private (the file keeps its bytes).
TEST(HostRegionTest, MapFileIsAPrivateCopyOfTheFile) {
  const int fd = memfd_create("guest-memory-test", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::vector<uint8_t> bytes(3 * page);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  for (bool populate : {false, true}) {
    auto region = HostRegion::MapFile(fd, page, 2 * page, populate);
    ASSERT_TRUE(region.ok()) << region.error().message();
    ASSERT_EQ((*region)->size(), 2 * page);
    EXPECT_EQ(std::memcmp((*region)->data(), bytes.data() + page, 2 * page), 0);
    (*region)->data()[0] = 0xee;
    uint8_t in_file = 0;
    ASSERT_EQ(pread(fd, &in_file, 1, static_cast<off_t>(page)), 1);
    EXPECT_EQ(in_file, bytes[page]);
    EXPECT_EQ((*region)->data()[0], 0xee);
  }
  EXPECT_FALSE(HostRegion::MapFile(fd, 1, page, false).ok());  // offset not page aligned
  EXPECT_FALSE(HostRegion::MapFile(fd, 0, 0, false).ok());     // empty
  EXPECT_FALSE(HostRegion::MapFile(-1, 0, page, false).ok());  // no file
  close(fd);
}

// Dirty log: [0x1000, 0x5000) is two adjacent regions, then [0x10000, 0x11000).
std::vector<DirtyRange> Dirty(GuestMemory& m) { return m.TakeDirtyLog().Ranges(); }

TEST(GuestMemoryDirtyLogTest, NothingIsMarkedWhileNotLogging) {
  auto m = ThreeRegions();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->dirty_logging());
  ASSERT_TRUE(m->WriteObj<uint32_t>(0x1000, 1).ok());
  ASSERT_TRUE(m->Fill(0x3000, 0xaa, 16).ok());
  ASSERT_TRUE(m->StoreAtomic<uint64_t>(0x10000, 5).ok());
  ASSERT_NE(m->HostPointerForWrite(0x2000, 8), nullptr);
  EXPECT_EQ(m->TakeDirtyLog().CountPages(), 0u);
}

TEST(GuestMemoryDirtyLogTest, EachWritePathMarksExactlyItsPages) {
  auto m = ThreeRegions();
  ASSERT_TRUE(m);
  m->StartDirtyLog();
  EXPECT_TRUE(m->dirty_logging());
  const uint8_t bytes[4] = {1, 2, 3, 4};
  ASSERT_TRUE(m->Write(0x1ffc, bytes).ok());  // within page 0x1000
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x1000, 0x1000}}));
  ASSERT_TRUE(m->WriteObj<uint16_t>(0x4ffe, 7).ok());
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x4000, 0x1000}}));
  ASSERT_TRUE(m->Fill(0x10010, 0, 0x20).ok());
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x10000, 0x1000}}));
  ASSERT_TRUE(m->StoreAtomic<uint32_t>(0x2004, 9).ok());
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x2000, 0x1000}}));
  ASSERT_NE(m->HostPointerForWrite(0x3000, 0x1000), nullptr);
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x3000, 0x1000}}));
  m->MarkDirty(0x10fff, 1);
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x10000, 0x1000}}));
}

TEST(GuestMemoryDirtyLogTest, PageAndRegionCrossingWritesMarkBothSides) {
  auto m = ThreeRegions();
  ASSERT_TRUE(m);
  m->StartDirtyLog();
  const uint8_t bytes[8] = {};
  ASSERT_TRUE(m->Write(0x1ffc, bytes).ok());  // pages 0x1000 and 0x2000
  DirtyBitmap d = m->TakeDirtyLog();
  EXPECT_EQ(d.CountPages(), 2u);
  EXPECT_TRUE(d.IsSet(0x1000) && d.IsSet(0x2000));
  ASSERT_TRUE(m->Write(0x2ffc, bytes).ok());  // crosses into the next region
  d = m->TakeDirtyLog();
  EXPECT_EQ(d.Ranges(), (std::vector<DirtyRange>{{0x2000, 0x1000}, {0x3000, 0x1000}}));
}

TEST(GuestMemoryDirtyLogTest, FailedAccessesAndReadsMarkNothing) {
  auto m = ThreeRegions();
  ASSERT_TRUE(m);
  m->StartDirtyLog();
  const uint8_t bytes[8] = {};
  EXPECT_FALSE(m->Write(0x4ffc, bytes).ok());  // runs past 0x5000 into the hole
  EXPECT_FALSE(m->StoreAtomic<uint32_t>(0x1001, 1).ok());  // misaligned
  EXPECT_EQ(m->HostPointerForWrite(0x4ffc, 8), nullptr);  // not within one region
  ASSERT_TRUE(m->ReadObj<uint64_t>(0x1000).ok());
  ASSERT_TRUE(m->LoadAtomic<uint64_t>(0x1000).ok());
  ASSERT_NE(m->HostPointer(0x1000, 8), nullptr);
  EXPECT_EQ(m->TakeDirtyLog().CountPages(), 0u);
}

TEST(GuestMemoryDirtyLogTest, TakeClearsAndStopKeepsTheLastMarks) {
  auto m = ThreeRegions();
  ASSERT_TRUE(m);
  m->StartDirtyLog();
  ASSERT_TRUE(m->WriteObj<uint8_t>(0x3000, 1).ok());
  DirtyBitmap first = m->TakeDirtyLog();
  EXPECT_TRUE(first.SameShape(DirtyBitmap(*m)));
  EXPECT_EQ(first.CountPages(), 1u);
  EXPECT_EQ(m->TakeDirtyLog().CountPages(), 0u);
  ASSERT_TRUE(m->WriteObj<uint8_t>(0x1000, 1).ok());
  m->StopDirtyLog();
  ASSERT_TRUE(m->WriteObj<uint8_t>(0x10000, 1).ok());  // not logged
  EXPECT_EQ(Dirty(*m), (std::vector<DirtyRange>{{0x1000, 0x1000}}));
  m->StartDirtyLog();
  EXPECT_EQ(m->TakeDirtyLog().CountPages(), 0u);
}

TEST(GuestMemoryDirtyLogTest, AllDirtyCoversEveryPage) {
  auto m = ThreeRegions();
  ASSERT_TRUE(m);
  DirtyBitmap all = DirtyBitmap::AllDirty(*m);
  EXPECT_EQ(all.CountPages(), 5u);
  EXPECT_EQ(all.Ranges(), (std::vector<DirtyRange>{
                              {0x1000, 0x2000}, {0x3000, 0x2000}, {0x10000, 0x1000}}));
}

TEST(GuestMemoryDirtyLogTest, ConcurrentWritersLoseNoPage) {
  constexpr uint64_t kPages = 256;
  auto m = GuestMemory::Create({{0, kPages * 4096, Host(kPages * 4096)}});
  ASSERT_TRUE(m.ok());
  GuestMemory& mem = **m;
  for (int round = 0; round < 20; ++round) {
    mem.StartDirtyLog();
    // Two threads write alternating pages, so they share every 64-bit word.
    auto writer = [&mem](uint64_t parity) {
      for (uint64_t p = parity; p < kPages; p += 2) {
        ASSERT_TRUE(mem.StoreAtomic<uint64_t>(p * 4096, p).ok());
      }
    };
    std::thread a(writer, 0), b(writer, 1);
    a.join();
    b.join();
    ASSERT_EQ(mem.TakeDirtyLog().CountPages(), kPages) << "round " << round;
  }
}

// Live reads (pre-copy) give the bytes Read() gives at any offset and length,
// across two regions, and refuse what Read() refuses.
TEST(GuestMemoryLiveReadTest, MatchesReadAcrossRegionsAndOddEdges) {
  auto m = GuestMemory::Create({{0, 8192, Host(8192)}, {8192, 8192, Host(8192)}});
  ASSERT_TRUE(m.ok());
  GuestMemory& mem = **m;
  std::vector<uint8_t> pattern(16384);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 3);
  ASSERT_TRUE(mem.Write(0, pattern).ok());
  for (uint64_t gpa : {0ULL, 1ULL, 7ULL, 8190ULL, 8185ULL}) {
    for (size_t len : {size_t{0}, size_t{1}, size_t{9}, size_t{23}, size_t{4096}}) {
      std::vector<uint8_t> a(len), b(len);
      ASSERT_TRUE(mem.Read(gpa, a).ok());
      ASSERT_TRUE(mem.ReadWhileRunning(gpa, b).ok());
      EXPECT_EQ(a, b) << "gpa " << gpa << " len " << len;
    }
  }
  std::vector<uint8_t> past(2);
  EXPECT_FALSE(mem.ReadWhileRunning(16383, past).ok());
  EXPECT_FALSE(mem.AllZeroWhileRunning(16383, 2).ok());
}

TEST(GuestMemoryLiveReadTest, AllZeroSeesOneNonZeroByteAnywhere) {
  auto m = GuestMemory::Create({{0, 4096, Host(4096)}, {4096, 4096, Host(4096)}});
  ASSERT_TRUE(m.ok());
  GuestMemory& mem = **m;
  auto zero = mem.AllZeroWhileRunning(0, 8192);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(*zero);
  for (uint64_t at : {0ULL, 3ULL, 4095ULL, 4096ULL, 6001ULL, 8191ULL}) {
    ASSERT_TRUE(mem.WriteObj<uint8_t>(at, 0x80).ok());
    auto whole = mem.AllZeroWhileRunning(0, 8192);
    ASSERT_TRUE(whole.ok());
    EXPECT_FALSE(*whole) << "byte at " << at;
    // A window that ends just before the byte is still zero.
    if (at > 1) {
      auto before = mem.AllZeroWhileRunning(1, at - 1);
      ASSERT_TRUE(before.ok());
      EXPECT_TRUE(*before) << "window before " << at;
    }
    ASSERT_TRUE(mem.WriteObj<uint8_t>(at, 0).ok());
  }
}

// A guest storing words while the VMM copies the page: each copied word is a
// value some store wrote, never a mix (ThreadSanitizer builds run this too).
TEST(GuestMemoryLiveReadTest, CopyDuringGuestStoresSeesWholeWords) {
  auto m = GuestMemory::Create({{0, 4096, Host(4096)}});
  ASSERT_TRUE(m.ok());
  GuestMemory& mem = **m;
  std::atomic<bool> stop{false};
  std::thread guest([&] {
    for (uint64_t v = 0; !stop.load(); ++v) {
      const uint64_t word = (v % 2 == 0) ? 0 : ~0ULL;
      for (uint64_t gpa = 0; gpa < 4096; gpa += 8) ASSERT_TRUE(mem.StoreAtomic<uint64_t>(gpa, word).ok());
    }
  });
  std::vector<uint8_t> copy(4096);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(mem.ReadWhileRunning(0, copy).ok());
    for (size_t w = 0; w < 4096; w += 8) {
      uint64_t v;
      std::memcpy(&v, copy.data() + w, 8);
      ASSERT_TRUE(v == 0 || v == ~0ULL) << "torn word at " << w;
    }
  }
  stop = true;
  guest.join();
}

// --memory shared=on: each RAM slot is a memfd; a second mapping of its fd
// (what the next VMM makes in a local migration) sees the same bytes both
// ways, and the private default has no fd.
TEST(GuestMemorySharedTest, SlotsAreMemfdsASecondMappingShares) {
  constexpr uint64_t kSize = 16 << 20;
  auto shared = GuestMemory::CreateX86(kSize, RamBacking::kShared);
  ASSERT_TRUE(shared.ok()) << shared.error().message();
  ASSERT_EQ((*shared)->regions().size(), 1u);
  const int fd = (*shared)->regions()[0].host->fd();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE((*shared)->WriteObj<uint64_t>(0x1000, 0x1122334455667788ULL).ok());

  UniqueFd copy(dup(fd));
  auto again = GuestMemory::CreateX86(kSize, [&copy](size_t slot, uint64_t size) {
    EXPECT_EQ(slot, 0u);
    return HostRegion::MapShared(std::move(copy), size);
  });
  ASSERT_TRUE(again.ok()) << again.error().message();
  auto v = (*again)->ReadObj<uint64_t>(0x1000);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x1122334455667788ULL);
  ASSERT_TRUE((*again)->WriteObj<uint32_t>(kSize - 4, 0xabcd).ok());
  auto back = (*shared)->ReadObj<uint32_t>(kSize - 4);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, 0xabcdu);

  auto priv = GuestMemory::CreateX86(kSize);
  ASSERT_TRUE(priv.ok());
  EXPECT_EQ((*priv)->regions()[0].host->fd(), -1);
}

TEST(GuestMemorySharedTest, BothSlotsOfALargeVmGetTheirOwnMemfd) {
  const uint64_t size = x86::kMem32BitReservedStart + (2 << 20);
  auto shared = GuestMemory::CreateX86(size, RamBacking::kShared);
  ASSERT_TRUE(shared.ok()) << shared.error().message();
  ASSERT_EQ((*shared)->regions().size(), 2u);
  const int low = (*shared)->regions()[0].host->fd(), high = (*shared)->regions()[1].host->fd();
  EXPECT_GE(low, 0);
  EXPECT_GE(high, 0);
  EXPECT_NE(low, high);
  struct stat st {};
  ASSERT_EQ(fstat(high, &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 2u << 20);
}

TEST(GuestMemorySharedTest, AnFdShorterThanTheSlotOrNotAFileIsRefused) {
  auto region = HostRegion::SharedMemfd(1 << 20);
  ASSERT_TRUE(region.ok());
  auto shorter = HostRegion::MapShared(UniqueFd(dup((*region)->fd())), 2 << 20);
  ASSERT_FALSE(shorter.ok());
  EXPECT_NE(shorter.error().message().find("2097152 needed"), std::string::npos)
      << shorter.error().message();
  EXPECT_FALSE(HostRegion::MapShared(UniqueFd(-1), 4096).ok());
  EXPECT_FALSE(HostRegion::SharedMemfd(0).ok());
}

// --memory hugepages=on: hugetlbfs memfds. The tests that need huge pages
// skip, saying so, on a host whose 2 MiB pool has none free (the default:
// nr_hugepages is 0); they never change the pool themselves. The tests of
// the errors need only a kernel with hugetlbfs.
constexpr uint64_t kHuge = 2 << 20;

// The host's pool of 2 MiB pages; nullopt without hugetlbfs.
struct HugePool {
  uint64_t total = 0, free = 0, reserved = 0, overcommit = 0, surplus = 0;
  // Pages a new mapping can still reserve: free ones nobody has reserved,
  // and surplus pages the overcommit limit still allows.
  uint64_t available() const {
    return (free > reserved ? free - reserved : 0) +
           (overcommit > surplus ? overcommit - surplus : 0);
  }
};
std::optional<HugePool> Pool2M() {
  const std::string dir = "/sys/kernel/mm/hugepages/hugepages-2048kB/";
  auto read = [&](const char* name, uint64_t& out) {
    std::ifstream in(dir + name);
    return static_cast<bool>(in >> out);
  };
  HugePool p;
  if (!read("nr_hugepages", p.total) || !read("free_hugepages", p.free) ||
      !read("resv_hugepages", p.reserved) || !read("nr_overcommit_hugepages", p.overcommit) ||
      !read("surplus_hugepages", p.surplus)) {
    return std::nullopt;
  }
  return p;
}

// Why a test needing `n` free 2 MiB pages cannot run here, or "".
std::string WhyNoHugePages(uint64_t n) {
  const std::optional<HugePool> pool = Pool2M();
  if (!pool) return "no 2 MiB hugetlbfs pool on this host (/sys/kernel/mm/hugepages)";
  if (pool->available() >= n) return "";
  return "needs " + std::to_string(n) + " free 2 MiB huge pages, the host has " +
         std::to_string(pool->available()) +
         "; to run it: echo 8 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
}

TEST(HugetlbTest, RegionIsHugeTlbfsAndASecondMappingSharesIt) {
  if (const std::string why = WhyNoHugePages(2); !why.empty()) GTEST_SKIP() << why;
  auto region = HostRegion::HugetlbMemfd(2 * kHuge, kHuge);
  ASSERT_TRUE(region.ok()) << region.error().message();
  HostRegion& r = **region;
  EXPECT_EQ(r.hugepage_size(), kHuge);
  ASSERT_GE(r.fd(), 0);  // kept, as SharedMemfd's: local migration hands it over
  EXPECT_EQ(reinterpret_cast<uintptr_t>(r.data()) % kHuge, 0u);
  r.data()[kHuge + 5] = 0x5a;
  EXPECT_EQ(SmapsOf(r.data()).kernel_page_kib, 2048u);  // really hugetlbfs pages

  auto again = HostRegion::MapShared(UniqueFd(dup(r.fd())), 2 * kHuge);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ((*again)->hugepage_size(), kHuge);  // found from the fd
  EXPECT_EQ((*again)->data()[kHuge + 5], 0x5a);
  (*again)->data()[7] = 0x77;
  EXPECT_EQ(r.data()[7], 0x77);
  EXPECT_EQ(SmapsOf((*again)->data()).kernel_page_kib, 2048u);
}

TEST(HugetlbTest, GuestMemoryOnHugePagesSkipsThpAndKeepsItsPages) {
  if (const std::string why = WhyNoHugePages(2); !why.empty()) GTEST_SKIP() << why;
  const RamBacking backing{.hugepages = true, .hugepage_size = kHuge};
  auto mem = GuestMemory::CreateX86(2 * kHuge, backing);
  ASSERT_TRUE(mem.ok()) << mem.error().message();
  GuestMemory& m = **mem;
  const HostRegion& host = *m.regions()[0].host;
  EXPECT_EQ(host.hugepage_size(), kHuge);
  ASSERT_TRUE(m.Advise({.thp = true, .mergeable = false, .prefault = true}).ok());
  const SmapsEntry e = SmapsOf(host.data());
  EXPECT_NE(e.flags.find(" ht "), std::string::npos) << e.flags;  // VM_HUGETLB
  EXPECT_EQ(e.flags.find(" hg "), std::string::npos) << e.flags;  // no THP advice
  EXPECT_EQ(e.kernel_page_kib, 2048u);

  // The balloon's 4 KiB pages and whole huge pages alike stay: refused,
  // nothing changed, nothing marked.
  ASSERT_TRUE(m.Fill(0x200000, 0xab, 0x2000).ok());
  m.StartDirtyLog();
  for (auto [gpa, len] : {std::pair<uint64_t, uint64_t>{0x200000, 0x1000}, {0, 2 * kHuge}}) {
    Result<void> r = m.Discard(gpa, len);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
    EXPECT_EQ(r.error().message(),
              "guest RAM on 2 MiB huge pages (--memory hugepages=on) is not given back to the "
              "host");
  }
  EXPECT_TRUE(m.TakeDirtyLog().Ranges().empty());
  EXPECT_EQ(m.ReadObj<uint8_t>(0x200000).value(), 0xab);
}

// hugepage_size 0: the host's default size, whatever it is.
TEST(HugetlbTest, NoSizeGivenTakesTheHostsDefault) {
  std::ifstream meminfo("/proc/meminfo");
  uint64_t default_kib = 0;
  for (std::string line; std::getline(meminfo, line);) {
    std::sscanf(line.c_str(), "Hugepagesize: %lu kB", &default_kib);
  }
  if (default_kib != 2048) GTEST_SKIP() << "the host's default huge page is not 2 MiB";
  if (const std::string why = WhyNoHugePages(1); !why.empty()) GTEST_SKIP() << why;
  auto region = HostRegion::Create({.hugepages = true}, kHuge);
  ASSERT_TRUE(region.ok()) << region.error().message();
  EXPECT_EQ((*region)->hugepage_size(), kHuge);
  EXPECT_FALSE(HostRegion::Create({.hugepages = true}, kHuge + 4096).ok());
}

// More pages than the pool has: the mmap's reservation fails at once with a
// message saying what to do, rather than a SIGBUS at a later fault.
TEST(HugetlbTest, TooFewFreePagesIsAClearErrorNotACrash) {
  if (const std::string why = WhyNoHugePages(0); !why.empty()) GTEST_SKIP() << why;
  const uint64_t want = Pool2M()->available() + 64;  // margin: other tests may free pages
  if (want > 4096) GTEST_SKIP() << "the host lets " << want - 64 << " huge pages be reserved";
  auto region = HostRegion::HugetlbMemfd(want * kHuge, kHuge);
  if (region.ok()) GTEST_SKIP() << "the host found " << want << " huge pages after all";
  const std::string message = region.error().message();
  EXPECT_EQ(region.error().code(), ErrorCode::kSystem);
  EXPECT_EQ(message.rfind("guest RAM of " + std::to_string(want * 2) + " MiB needs " +
                              std::to_string(want) + " free huge pages of 2 MiB, the host has ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("; reserve them first (as root): echo "), std::string::npos) << message;
  EXPECT_NE(message.find(" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"),
            std::string::npos)
      << message;
  // Through the VM's door: the same error, and ordinary memory still works.
  auto mem = GuestMemory::CreateX86(want * kHuge, {.hugepages = true, .hugepage_size = kHuge});
  ASSERT_FALSE(mem.ok());
  EXPECT_NE(mem.error().message().find("free huge pages of 2 MiB"), std::string::npos);
  EXPECT_TRUE(GuestMemory::CreateX86(want * kHuge).ok());
}

TEST(HugetlbTest, PartialPagesAndSizesTheHostLacksAreRefused) {
  if (const std::string why = WhyNoHugePages(0); !why.empty()) GTEST_SKIP() << why;
  auto partial = HostRegion::HugetlbMemfd(kHuge + 4096, kHuge);
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.error().message(),
            "guest RAM of 2101248 bytes is not a whole number of 2 MiB huge pages");
  auto odd = HostRegion::HugetlbMemfd(4 * kHuge, 3 << 20);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message(), "huge page size 3145728 is not a power of two");
  EXPECT_FALSE(HostRegion::HugetlbMemfd(0, kHuge).ok());
  struct stat st {};
  if (stat("/sys/kernel/mm/hugepages/hugepages-4096kB", &st) == 0) return;  // not x86
  auto missing = HostRegion::HugetlbMemfd(4 * kHuge, 4 << 20);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(missing.error().message().rfind(
                "the host has no huge pages of 4 MiB (its pools: hugepages-", 0),
            0u)
      << missing.error().message();
  EXPECT_NE(missing.error().message().find("hugepages-2048kB"), std::string::npos);
}

}  // namespace
}  // namespace petrel
