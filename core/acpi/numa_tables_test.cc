// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the NUMA tables (numa_tables.h): SRAT and SLIT bytes, the node
// checks, and their place in the table set (tables.h).
#include "core/acpi/numa_tables.h"

#include <gtest/gtest.h>

#include <string>

#include "core/acpi/sdt.h"
#include "core/acpi/table_test_util.h"
#include "core/acpi/tables.h"
#include "core/arch/x86_layout.h"

namespace petrel::acpi {
namespace {

using testing::Bytes;
using testing::ExpectSdt;
using testing::Le;
using testing::Str;




// Two nodes: 0 with boot RAM below and above the 32-bit hole and vCPUs 0-1,
// 1 with RAM, a hot-plug area and vCPUs 2-3.
std::vector<NumaNode> TwoNodes() {
  return {
      NumaNode{0, {{0, 0xC000'0000, false}, {0x1'0000'0000, 0x4000'0000, false}}, {0, 1}, {{1, 21}}},
      NumaNode{1, {{0x1'4000'0000, 0x8000'0000, false}, {0x2'0000'0000, 0x4000'0000, true}},
               {2, 3}, {}},
  };
}

NumaTables BuildOk(const std::vector<NumaNode>& nodes) {
  auto r = BuildNumaTables(nodes);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : NumaTables{};
}

// The error message when `nodes` are refused ("" when they are accepted).
std::string Refusal(const std::vector<NumaNode>& nodes) {
  auto v = ValidateNumaNodes(nodes);
  auto b = BuildNumaTables(nodes);
  EXPECT_EQ(v.ok(), b.ok());
  if (v.ok()) return "";
  EXPECT_EQ(v.error().code(), ErrorCode::kInvalidArgument);
  return v.error().message();
}

// ---- SRAT ----

TEST(AcpiSratTest, HeaderAndReservedFields) {
  const Bytes srat = BuildOk(TwoNodes()).srat;
  ExpectSdt(srat, "SRAT", 3, "PTSRAT  ");
  EXPECT_EQ(Le(srat, 36, 4), 1u);  // reserved, 1 for backward compatibility
  EXPECT_EQ(Le(srat, 40, 8), 0u);
  EXPECT_EQ(srat.size(), 48u + 4 * 40 + 4 * 24);
}

TEST(AcpiSratTest, MemoryAffinityThenX2ApicAffinityPerNode) {
  const Bytes s = BuildOk(TwoNodes()).srat;
  ASSERT_EQ(s.size(), 48u + 4 * 40 + 4 * 24);
  struct Mem {
    uint32_t pd;
    uint64_t base, len;
    uint32_t flags;
  };
  // Node 0: two ranges, then two processors; node 1 likewise.
  const size_t mem_off[] = {48, 88, 176, 216};
  const Mem mem[] = {{0, 0, 0xC000'0000, 1},
                     {0, 0x1'0000'0000, 0x4000'0000, 1},
                     {1, 0x1'4000'0000, 0x8000'0000, 1},
                     {1, 0x2'0000'0000, 0x4000'0000, 3}};  // Enabled | Hot Pluggable
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const size_t o = mem_off[i];
    EXPECT_EQ(s[o], 1);       // Memory Affinity
    EXPECT_EQ(s[o + 1], 40);  // length
    EXPECT_EQ(Le(s, o + 2, 4), mem[i].pd);
    EXPECT_EQ(Le(s, o + 6, 2), 0u);
    EXPECT_EQ(Le(s, o + 8, 8), mem[i].base);
    EXPECT_EQ(Le(s, o + 16, 8), mem[i].len);
    EXPECT_EQ(Le(s, o + 24, 4), 0u);
    EXPECT_EQ(Le(s, o + 28, 4), mem[i].flags);
    EXPECT_EQ(Le(s, o + 32, 8), 0u);
  }
  const size_t cpu_off[] = {128, 152, 256, 280};
  const uint32_t cpu_pd[] = {0, 0, 1, 1};
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const size_t o = cpu_off[i];
    EXPECT_EQ(s[o], 2);       // Processor Local x2APIC Affinity
    EXPECT_EQ(s[o + 1], 24);  // length
    EXPECT_EQ(Le(s, o + 2, 2), 0u);
    EXPECT_EQ(Le(s, o + 4, 4), cpu_pd[i]);
    EXPECT_EQ(Le(s, o + 8, 4), i);   // x2APIC id
    EXPECT_EQ(Le(s, o + 12, 4), 1u);  // Enabled
    EXPECT_EQ(Le(s, o + 16, 4), 0u);  // clock domain
    EXPECT_EQ(Le(s, o + 20, 4), 0u);
  }
}

TEST(AcpiSratTest, NodesComeInProximityDomainOrderWithTheirApicIds) {
  // Given out of order, with x2APIC-only ids and a node with no memory.
  const std::vector<NumaNode> nodes = {NumaNode{1, {}, {300, 7}, {}},
                                       NumaNode{0, {{0, 1 << 20, false}}, {}, {}}};
  const Bytes s = BuildOk(nodes).srat;
  ASSERT_EQ(s.size(), 48u + 40 + 2 * 24);
  EXPECT_EQ(s[48], 1);
  EXPECT_EQ(Le(s, 50, 4), 0u);
  EXPECT_EQ(s[88], 2);
  EXPECT_EQ(Le(s, 92, 4), 1u);
  EXPECT_EQ(Le(s, 96, 4), 300u);
  EXPECT_EQ(s[112], 2);
  EXPECT_EQ(Le(s, 116, 4), 1u);
  EXPECT_EQ(Le(s, 120, 4), 7u);
}

// ---- SLIT ----

TEST(AcpiSlitTest, HeaderCountAndMatrix) {
  const Bytes t = BuildOk(TwoNodes()).slit;
  ExpectSdt(t, "SLIT", 1, "PTSLIT  ");
  ASSERT_EQ(t.size(), 44u + 4);
  EXPECT_EQ(Le(t, 36, 8), 2u);
  // 0 -> 1 is given (21); 1 -> 0 is not, so the reverse distance is used.
  EXPECT_EQ(Bytes(t.begin() + 44, t.end()), (Bytes{10, 21, 21, 10}));
}

TEST(AcpiSlitTest, GivenThenReverseThenTwenty) {
  // 0 -> 1 = 15 and 1 -> 0 = 25 (asymmetric, both kept); 2 -> 0 = 30 only
  // (0 -> 2 falls back to it); nothing between 1 and 2 (20 both ways).
  const std::vector<NumaNode> nodes = {NumaNode{0, {}, {}, {{1, 15}}},
                                       NumaNode{1, {}, {}, {{0, 25}}},
                                       NumaNode{2, {}, {}, {{0, 30}}}};
  const Bytes expected = {10, 15, 30,  //
                          25, 10, 20,  //
                          30, 20, 10};
  EXPECT_EQ(NumaDistanceMatrix(nodes).value(), expected);
  const Bytes t = BuildOk(nodes).slit;
  EXPECT_EQ(Le(t, 36, 8), 3u);
  EXPECT_EQ(Bytes(t.begin() + 44, t.end()), expected);
}

TEST(AcpiSlitTest, RowsFollowTheProximityDomainNotTheListOrder) {
  const std::vector<NumaNode> nodes = {NumaNode{1, {}, {}, {{0, 40}}}, NumaNode{0, {}, {}, {}}};
  EXPECT_EQ(NumaDistanceMatrix(nodes).value(), (Bytes{10, 40, 40, 10}));
}

TEST(AcpiSlitTest, SelfDistanceIsIgnoredAndTheDiagonalIsTen) {
  // As Cloud Hypervisor: a node's distance to itself, whatever its value.
  const std::vector<NumaNode> nodes = {NumaNode{0, {}, {}, {{0, 30}}},
                                       NumaNode{1, {}, {}, {{1, 0}, {0, 12}}}};
  EXPECT_EQ(Refusal(nodes), "");
  EXPECT_EQ(NumaDistanceMatrix(nodes).value(), (Bytes{10, 12, 12, 10}));
}

TEST(AcpiSlitTest, TheMatrixChecksTheNodesToo) {
  const auto r = NumaDistanceMatrix(std::vector<NumaNode>{NumaNode{3, {}, {}, {}}});
  EXPECT_FALSE(r.ok());
}

TEST(AcpiSlitTest, OneNode) {
  const Bytes t = BuildOk({NumaNode{0, {{0, 1 << 30, false}}, {0}, {}}}).slit;
  ASSERT_EQ(t.size(), 45u);
  EXPECT_EQ(Le(t, 36, 8), 1u);
  EXPECT_EQ(t[44], 10);
  EXPECT_EQ(ByteSum(t), 0);
}

// ---- the node checks ----

TEST(AcpiNumaValidationTest, AcceptsTheBoundaryDistances) {
  EXPECT_EQ(Refusal({NumaNode{0, {}, {}, {{1, 10}}}, NumaNode{1, {}, {}, {{0, 254}}}}), "");
}

TEST(AcpiNumaValidationTest, RefusesNoNodesAndTooMany) {
  EXPECT_NE(Refusal({}), "");
  std::vector<NumaNode> many(kMaxNumaNodes + 1);
  for (uint32_t i = 0; i < many.size(); ++i) many[i].proximity_domain = i;
  EXPECT_NE(Refusal(many).find("nodes"), std::string::npos) << Refusal(many);
  many.pop_back();
  EXPECT_EQ(Refusal(many), "");
}

TEST(AcpiNumaValidationTest, RefusesDuplicateAndMissingProximityDomains) {
  const std::string dup = Refusal({NumaNode{0, {}, {}, {}}, NumaNode{0, {}, {}, {}}});
  EXPECT_NE(dup.find("proximity domain 0"), std::string::npos) << dup;
  // SLIT locality i is proximity domain i: {0, 2} would leave a hole.
  const std::string gap = Refusal({NumaNode{0, {}, {}, {}}, NumaNode{2, {}, {}, {}}});
  EXPECT_NE(gap.find("proximity domain 2"), std::string::npos) << gap;
  EXPECT_NE(Refusal({NumaNode{1, {}, {}, {}}}), "");
}

TEST(AcpiNumaValidationTest, RefusesBadDistances) {
  auto with = [](uint32_t dest, uint8_t d) {
    return std::vector<NumaNode>{NumaNode{0, {}, {}, {{dest, d}}}, NumaNode{1, {}, {}, {}}};
  };
  const std::string low = Refusal(with(1, 9));
  EXPECT_NE(low.find("distance 9"), std::string::npos) << low;
  EXPECT_NE(Refusal(with(1, 0)), "");
  EXPECT_NE(Refusal(with(1, 255)), "");  // unreachable is not offered
  const std::string dest = Refusal(with(5, 20));
  EXPECT_NE(dest.find("destination 5"), std::string::npos) << dest;
  const std::string twice =
      Refusal({NumaNode{0, {}, {}, {{1, 20}, {1, 30}}}, NumaNode{1, {}, {}, {}}});
  EXPECT_NE(twice.find("twice"), std::string::npos) << twice;
}

TEST(AcpiNumaValidationTest, RefusesBadMemoryRanges) {
  EXPECT_NE(Refusal({NumaNode{0, {{0x1000, 0, false}}, {}, {}}}), "");  // empty
  EXPECT_NE(Refusal({NumaNode{0, {{~uint64_t{0} - 0xFFF, 0x2000, false}}, {}, {}}}), "");  // wraps
  EXPECT_EQ(Refusal({NumaNode{0, {{~uint64_t{0} - 0xFFF, 0x1000, false}}, {}, {}}}), "");  // ends at 2^64
  // Overlapping ranges, in one node or in two.
  EXPECT_NE(Refusal({NumaNode{0, {{0, 0x2000, false}, {0x1000, 0x1000, true}}, {}, {}}}), "");
  const std::string across = Refusal(
      {NumaNode{0, {{0x10000, 0x2000, false}}, {}, {}}, NumaNode{1, {{0x8000, 0x9000, false}}, {}, {}}});
  EXPECT_NE(across.find("overlap"), std::string::npos) << across;
  // Adjacent is fine.
  EXPECT_EQ(Refusal({NumaNode{0, {{0, 0x1000, false}}, {}, {}},
                     NumaNode{1, {{0x1000, 0x1000, false}}, {}, {}}}),
            "");
}

TEST(AcpiNumaValidationTest, RefusesAnApicIdInTwoNodes) {
  const std::string twice = Refusal({NumaNode{0, {}, {0, 1}, {}}, NumaNode{1, {}, {1}, {}}});
  EXPECT_NE(twice.find("APIC id 1"), std::string::npos) << twice;
  EXPECT_NE(Refusal({NumaNode{0, {}, {3, 3}, {}}}), "");
}

// ---- in the table set ----

AcpiConfig NumaConfig() {
  AcpiConfig c;
  c.ged_mmio = 0xFEB0'0000;
  c.boot_vcpus = 4;
  c.max_vcpus = 4;
  c.numa_nodes = TwoNodes();
  return c;
}

TableBlobs Build(const AcpiConfig& c) {
  auto r = BuildAcpiTables(c, x86::kEbdaStart);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : TableBlobs{};
}

TEST(AcpiNumaTablesTest, NoNodesNoSratNorSlit) {
  AcpiConfig c = NumaConfig();
  c.numa_nodes.clear();
  const TableBlobs t = Build(c);
  EXPECT_TRUE(t.srat.empty());
  EXPECT_TRUE(t.slit.empty());
  EXPECT_EQ(t.srat_addr, 0u);
  EXPECT_EQ(t.slit_addr, 0u);
  EXPECT_EQ(t.xsdt.size(), 36u + 2 * 8);  // FADT, MADT
  EXPECT_EQ(t.end_addr, t.madt_addr + t.madt.size());
}

TEST(AcpiNumaTablesTest, SratThenSlitListedInTheXsdtAfterTheMadt) {
  const TableBlobs t = Build(NumaConfig());
  const NumaTables n = BuildOk(TwoNodes());
  EXPECT_EQ(t.srat, n.srat);
  EXPECT_EQ(t.slit, n.slit);
  ASSERT_EQ(t.xsdt.size(), 36u + 4 * 8);
  EXPECT_EQ(ByteSum(t.xsdt), 0);
  EXPECT_EQ(Le(t.xsdt, 36, 8), t.fadt_addr);
  EXPECT_EQ(Le(t.xsdt, 44, 8), t.madt_addr);
  EXPECT_EQ(Le(t.xsdt, 52, 8), t.srat_addr);
  EXPECT_EQ(Le(t.xsdt, 60, 8), t.slit_addr);
  EXPECT_EQ(t.srat_addr % 16, 0u);
  EXPECT_EQ(t.slit_addr % 16, 0u);
  EXPECT_GE(t.srat_addr, t.madt_addr + t.madt.size());
  EXPECT_GE(t.slit_addr, t.srat_addr + t.srat.size());
  EXPECT_EQ(t.end_addr, t.slit_addr + t.slit.size());
}

TEST(AcpiNumaTablesTest, AfterTheMcfgWithPci) {
  AcpiConfig c = NumaConfig();
  c.pci = PciHostConfig{0xE800'0000, 0, 0xC000'0000, 0xE7FF'FFFF, 0, 0};
  const TableBlobs t = Build(c);
  ASSERT_EQ(t.xsdt.size(), 36u + 5 * 8);
  EXPECT_EQ(Le(t.xsdt, 52, 8), t.mcfg_addr);
  EXPECT_EQ(Le(t.xsdt, 60, 8), t.srat_addr);
  EXPECT_EQ(Le(t.xsdt, 68, 8), t.slit_addr);
  EXPECT_GE(t.srat_addr, t.mcfg_addr + t.mcfg.size());
  EXPECT_EQ(t.end_addr, t.slit_addr + t.slit.size());
}

TEST(AcpiNumaTablesTest, BadNodesFailTheConfig) {
  AcpiConfig c = NumaConfig();
  c.numa_nodes[1].proximity_domain = 0;
  EXPECT_FALSE(ValidateAcpiConfig(c).ok());
  EXPECT_FALSE(BuildAcpiTables(c, x86::kEbdaStart).ok());
}

TEST(AcpiNumaTablesTest, ApicIdsMustBeThoseOfPossibleVcpus) {
  AcpiConfig c = NumaConfig();
  c.numa_nodes[1].apic_ids = {2, 4};  // vCPUs have ids 0-3
  const auto r = ValidateAcpiConfig(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("APIC id 4"), std::string::npos) << r.error().message();
  // With a topology's ids, those are the ones.
  c.apic_ids = {0, 1, 2, 4};
  EXPECT_TRUE(ValidateAcpiConfig(c).ok());
  // Possible vCPUs that are not booted count; vCPUs in no node are allowed.
  c.boot_vcpus = 1;
  c.numa_nodes[0].apic_ids = {0};
  EXPECT_TRUE(ValidateAcpiConfig(c).ok());
}

TEST(AcpiNumaTablesTest, WrittenIntoGuestMemory) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  const AcpiConfig c = NumaConfig();
  auto r = WriteAcpiTables(**mem, c);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const TableBlobs t = Build(c);
  for (const auto& [addr, blob] : {std::pair{t.srat_addr, &t.srat}, std::pair{t.slit_addr, &t.slit}}) {
    Bytes got(blob->size());
    ASSERT_TRUE((*mem)->Read(addr, got).ok());
    EXPECT_EQ(got, *blob);
  }
}

// kMaxNumaNodes nodes with the most vCPUs still fit in the reserved area...
TEST(AcpiNumaTablesTest, MaxNodesAndVcpusFit) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  AcpiConfig c;
  c.ged_mmio = 0xFEB0'0000;
  c.max_vcpus = kMaxAcpiVcpus;
  c.cpu_hotplug_mmio = 0xFEB0'0010;
  c.numa_nodes.resize(kMaxNumaNodes);
  const uint32_t per_node = kMaxAcpiVcpus / kMaxNumaNodes;
  for (uint32_t i = 0; i < kMaxNumaNodes; ++i) {
    NumaNode& n = c.numa_nodes[i];
    n.proximity_domain = i;
    n.memory = {{uint64_t{i} << 30, 1 << 30, false}, {(uint64_t{i} + 1024) << 30, 1 << 30, true}};
    for (uint32_t k = 0; k < per_node; ++k) n.apic_ids.push_back(i * per_node + k);
    for (uint32_t j = 0; j < kMaxNumaNodes; ++j) {
      if (j != i) n.distances.emplace_back(j, static_cast<uint8_t>(11 + (i + j) % 200));
    }
  }
  auto r = WriteAcpiTables(**mem, c);
  ASSERT_TRUE(r.ok()) << r.error().message();
}

// ...but tables past kAcpiAreaEnd are refused, not written over the BIOS area.
TEST(AcpiNumaTablesTest, TablesPastTheAreaAreRefused) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  AcpiConfig c;
  c.numa_nodes.resize(1);
  // 10000 Memory Affinity structures: 400 000 bytes, more than the 384 KiB.
  for (uint64_t i = 0; i < 10000; ++i) c.numa_nodes[0].memory.push_back({i << 20, 1 << 20, false});
  ASSERT_TRUE(BuildAcpiTables(c, x86::kEbdaStart).ok());
  auto r = WriteAcpiTables(**mem, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace petrel::acpi
