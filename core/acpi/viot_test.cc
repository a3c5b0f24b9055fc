// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The VIOT table (viot.h): its layout as Linux's drivers/acpi/viot.c reads
// it, its place in the XSDT, and the config checks.
#include "core/acpi/viot.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/acpi/sdt.h"
#include "core/acpi/table_test_util.h"
#include "core/acpi/tables.h"
#include "core/arch/x86_layout.h"

namespace petrel::acpi {
namespace {

uint64_t Le(const std::vector<uint8_t>& b, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t{b.at(at + i)} << (8 * i);
  return v;
}

AcpiConfig IommuConfig() {
  AcpiConfig c;
  c.pci = PciHostConfig{.ecam_base = 0xE000'0000,
                        .end_bus = 0,
                        .mmio32_start = 0xC000'0000,
                        .mmio32_end = 0xDFFF'FFFF};
  c.iommu = AcpiConfig::Iommu{.bdf = 0x08, .endpoints = {0x10, 0x18}};  // 00:01.0; 00:02.0, 00:03.0
  return c;
}

TEST(ViotTest, OneVirtioPciIommuNodeThenARangeNodePerDevice) {
  const std::uint16_t eps[] = {0x10, 0x28};
  const std::vector<uint8_t> t = BuildViot(0x08, eps);
  testing::ExpectSdt(t, "VIOT", 0, "PTVIOT  ");
  ASSERT_EQ(t.size(), 48u + 16u + 2 * 24u);
  EXPECT_EQ(ByteSum(t), 0);
  EXPECT_EQ(Le(t, 36, 2), 3u) << "node count";
  EXPECT_EQ(Le(t, 38, 2), 48u) << "first node offset";
  // The virtio-pci IOMMU node at 48.
  EXPECT_EQ(Le(t, 48, 1), 3u);
  EXPECT_EQ(Le(t, 50, 2), 16u);
  EXPECT_EQ(Le(t, 52, 2), 0u) << "segment";
  EXPECT_EQ(Le(t, 54, 2), 0x08u) << "its BDF";
  // Range nodes: endpoint id = BDF, one device each, output to the IOMMU.
  for (size_t i = 0; i < 2; ++i) {
    const size_t n = 64 + 24 * i;
    EXPECT_EQ(Le(t, n, 1), 1u);
    EXPECT_EQ(Le(t, n + 2, 2), 24u);
    EXPECT_EQ(Le(t, n + 4, 4), eps[i]);
    EXPECT_EQ(Le(t, n + 8, 2), 0u);
    EXPECT_EQ(Le(t, n + 10, 2), 0u);
    EXPECT_EQ(Le(t, n + 12, 2), eps[i]);
    EXPECT_EQ(Le(t, n + 14, 2), eps[i]);
    EXPECT_EQ(Le(t, n + 16, 2), 48u) << "output node: the IOMMU's";
  }
}

TEST(ViotTest, ListedLastInTheXsdtWhenTheVmHasAnIommu) {
  auto with = BuildAcpiTables(IommuConfig(), x86::kEbdaStart);
  ASSERT_TRUE(with.ok()) << with.error().message();
  ASSERT_FALSE(with->viot.empty());
  EXPECT_EQ(with->viot_addr % 16, 0u);
  EXPECT_EQ(with->end_addr, with->viot_addr + with->viot.size());
  const std::vector<uint8_t>& xsdt = with->xsdt;
  EXPECT_EQ(Le(xsdt, xsdt.size() - 8, 8), with->viot_addr);
  AcpiConfig none = IommuConfig();
  none.iommu.reset();
  auto without = BuildAcpiTables(none, x86::kEbdaStart);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without->viot.empty());
  EXPECT_EQ(without->viot_addr, 0u);
  EXPECT_EQ(without->xsdt.size() + 8, with->xsdt.size());
}

TEST(ViotTest, ConfigMistakesAreRefused) {
  AcpiConfig c = IommuConfig();
  c.iommu->endpoints = {0x10, 0x10};
  EXPECT_FALSE(ValidateAcpiConfig(c).ok()) << "a device twice";
  c.iommu->endpoints = {0x08};
  EXPECT_FALSE(ValidateAcpiConfig(c).ok()) << "the IOMMU behind itself";
  c = IommuConfig();
  c.pci.reset();
  EXPECT_FALSE(ValidateAcpiConfig(c).ok()) << "no PCI";
  c = IommuConfig();
  c.iommu->endpoints.clear();
  EXPECT_TRUE(ValidateAcpiConfig(c).ok()) << "an IOMMU with nothing behind it yet";
}

}  // namespace
}  // namespace petrel::acpi
