// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the ACPI tables: lengths, checksums, field offsets, flags, MADT
// entries, DSDT pieces and the placement in guest memory.
#include "core/acpi/tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/acpi/dsdt.h"
#include "core/acpi/fadt.h"
#include "core/acpi/madt.h"
#include "core/acpi/memory_hotplug_registers.h"
#include "core/acpi/pm_registers.h"
#include "core/acpi/rsdp.h"
#include "core/acpi/sdt.h"
#include "core/acpi/table_test_util.h"
#include "core/acpi/tpm2.h"
#include "core/arch/x86_layout.h"

namespace petrel::acpi {
namespace {

using testing::Bytes;
using testing::ExpectSdt;
using testing::Le;
using testing::Str;



bool Contains(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

AcpiConfig TestConfig() {
  AcpiConfig c;
  c.ged_mmio = 0xFEB0'0000;
  return c;
}

TableBlobs Build(const AcpiConfig& c, uint64_t base = x86::kEbdaStart) {
  auto r = BuildAcpiTables(c, base);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : TableBlobs{};
}


TEST(SdtTest, ChecksumMakesTheSumZero) {
  const Bytes b = {1, 2, 3, 250};
  EXPECT_EQ(ByteSum(b), 0);
  EXPECT_EQ(Checksum(b), 0);
  const Bytes c = {0x10, 0x20};
  EXPECT_EQ(Checksum(c), 0xD0);
}

TEST(SdtTest, GenericAddressStructure) {
  const auto g = Gas(AddressSpace::kSystemIo, 8, AccessSize::kByte, 0x600);
  EXPECT_EQ(Bytes(g.begin(), g.end()), Bytes({1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0}));
}

TEST(RsdpTest, LayoutAndBothChecksums) {
  const TableBlobs t = Build(TestConfig());
  const Bytes& r = t.rsdp;
  ASSERT_EQ(r.size(), kRsdpSize);
  EXPECT_EQ(Str(r, 0, 8), "RSD PTR ");
  EXPECT_EQ(Str(r, kRsdpOemId, 6), "PETREL");
  EXPECT_EQ(r[kRsdpRevisionOffset], 2);
  EXPECT_EQ(Le(r, kRsdpRsdtAddress, 4), 0u);
  EXPECT_EQ(Le(r, kRsdpLength, 4), 36u);
  EXPECT_EQ(Le(r, kRsdpXsdtAddress, 8), t.xsdt_addr);
  EXPECT_EQ(ByteSum(Bytes(r.begin(), r.begin() + 20)), 0);
  EXPECT_EQ(ByteSum(r), 0);
}

TEST(XsdtTest, PointsAtFadtAndMadt) {
  const TableBlobs t = Build(TestConfig());
  ExpectSdt(t.xsdt, "XSDT", 1, "PTXSDT  ");
  ASSERT_EQ(t.xsdt.size(), 36u + 16u);
  EXPECT_EQ(Le(t.xsdt, 36, 8), t.fadt_addr);
  EXPECT_EQ(Le(t.xsdt, 44, 8), t.madt_addr);
}

TEST(LayoutTest, TablesFollowTheRsdpAlignedAndDisjoint) {
  const TableBlobs t = Build(TestConfig());
  EXPECT_EQ(t.rsdp_addr, x86::kEbdaStart);
  const std::pair<uint64_t, size_t> order[] = {{t.rsdp_addr, t.rsdp.size()},
                                               {t.xsdt_addr, t.xsdt.size()},
                                               {t.fadt_addr, t.fadt.size()},
                                               {t.dsdt_addr, t.dsdt.size()},
                                               {t.madt_addr, t.madt.size()}};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(order[i].first % 16, 0u);
    if (i > 0) {
      EXPECT_GE(order[i].first, order[i - 1].first + order[i - 1].second);
    }
  }
  EXPECT_EQ(t.end_addr, t.madt_addr + t.madt.size());
}

TEST(FadtTest, HardwareReducedWithSleepAndResetRegisters) {
  const TableBlobs t = Build(TestConfig());
  const Bytes& f = t.fadt;
  ExpectSdt(f, "FACP", 6, "PTFACP  ");
  ASSERT_EQ(f.size(), 276u);
  const uint32_t flags = static_cast<uint32_t>(Le(f, kFadtFlags, 4));
  EXPECT_EQ(flags, (1u << 20) | (1u << 10) | (1u << 8));  // HW_REDUCED, RESET_REG_SUP, TMR_VAL_EXT
  EXPECT_EQ(Le(f, kFadtDsdt, 4), 0u);
  EXPECT_EQ(Le(f, kFadtXDsdt, 8), t.dsdt_addr);
  EXPECT_EQ(Le(f, kFadtSciInt, 2), 0u);
  EXPECT_EQ(f[kFadtMinorVersion], 3);
  // RESET_REG: system I/O, 8 bits, byte access, 0x600; RESET_VALUE 1.
  EXPECT_EQ(Bytes(f.begin() + 116, f.begin() + 128),
            Bytes({1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(f[kFadtResetValue], 1);
  EXPECT_EQ(Bytes(f.begin() + 244, f.begin() + 256),
            Bytes({1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Bytes(f.begin() + 256, f.begin() + 268),
            Bytes({1, 8, 0, 1, 0x01, 0x06, 0, 0, 0, 0, 0, 0}));
  // PM timer: 32-bit GAS at 0x608 and the legacy block.
  EXPECT_EQ(Bytes(f.begin() + 208, f.begin() + 220),
            Bytes({1, 32, 0, 3, 0x08, 0x06, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Le(f, kFadtPmTmrBlk, 4), 0x608u);
  EXPECT_EQ(f[kFadtPmTmrLen], 4);
  EXPECT_EQ(Str(f, kFadtHypervisorVendor, 8), "PETRELVM");
  EXPECT_EQ(Le(f, kFadtIapcBootArch, 2), 1u << 2);
}

TEST(FadtTest, CenturyNamesTheRtcCenturyRegister) {
  // ACPI 6.4 5.2.9 Table 5.9: CENTURY, the CMOS index of the century (0x32).
  AcpiConfig c = TestConfig();
  EXPECT_EQ(Build(c).fadt[kFadtCentury], 0x32);
  // IAPC_BOOT_ARCH does not say "CMOS RTC not present" (bit 5).
  EXPECT_EQ(Le(Build(c).fadt, kFadtIapcBootArch, 2) & (1u << 5), 0u);
  c.rtc = false;
  EXPECT_EQ(Build(c).fadt[kFadtCentury], 0);
  EXPECT_EQ(Le(Build(c).fadt, kFadtIapcBootArch, 2) & (1u << 5), 1u << 5);
}

TEST(FadtTest, NoPmTimerAndCustomPorts) {
  AcpiConfig c = TestConfig();
  c.pm_timer_port = 0;
  c.pm_port = 0x700;
  c.reset_value = 0x42;
  const Bytes f = Build(c).fadt;
  EXPECT_EQ(Le(f, kFadtFlags, 4), (1u << 20) | (1u << 10));
  EXPECT_EQ(Le(f, kFadtPmTmrBlk, 4), 0u);
  EXPECT_EQ(Bytes(f.begin() + 208, f.begin() + 220), Bytes(12, 0));
  EXPECT_EQ(Le(f, kFadtSleepControlReg + 4, 8), 0x700u);
  EXPECT_EQ(Le(f, kFadtSleepStatusReg + 4, 8), 0x701u);
  EXPECT_EQ(Le(f, kFadtResetReg + 4, 8), 0x700u);
  EXPECT_EQ(f[kFadtResetValue], 0x42);
  EXPECT_EQ(ByteSum(f), 0);
}

struct MadtEntry {
  uint8_t type;
  Bytes bytes;
};

std::vector<MadtEntry> MadtEntries(const Bytes& m) {
  std::vector<MadtEntry> out;
  size_t off = kMadtEntries;
  while (off + 2 <= m.size()) {
    const uint8_t len = m[off + 1];
    EXPECT_GE(len, 2);
    EXPECT_LE(off + len, m.size());
    if (len < 2 || off + len > m.size()) break;
    out.push_back({m[off], Bytes(m.begin() + off, m.begin() + off + len)});
    off += len;
  }
  EXPECT_EQ(off, m.size());
  return out;
}

TEST(MadtTest, HeaderFields) {
  const Bytes m = Build(TestConfig()).madt;
  ExpectSdt(m, "APIC", 5, "PTAPIC  ");
  EXPECT_EQ(Le(m, kMadtLapicAddress, 4), 0xFEE00000u);
  EXPECT_EQ(Le(m, kMadtFlags, 4), 1u);  // PCAT_COMPAT
  AcpiConfig split = TestConfig();
  split.pcat_compat = false;  // the VMM's IOAPIC, no 8259s
  EXPECT_EQ(Le(Build(split).madt, kMadtFlags, 4), 0u);
}

TEST(MadtTest, OneVcpu) {
  const auto e = MadtEntries(Build(TestConfig()).madt);
  ASSERT_EQ(e.size(), 3u);  // LAPIC, IOAPIC, LAPIC NMI
  EXPECT_EQ(e[0].bytes, Bytes({0, 8, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(e[1].bytes, Bytes({1, 12, 0, 0, 0x00, 0x00, 0xC0, 0xFE, 0, 0, 0, 0}));
  EXPECT_EQ(e[2].bytes, Bytes({4, 6, 0xFF, 0, 0, 1}));
}

TEST(MadtTest, FourVcpusTwoBooted) {
  AcpiConfig c = TestConfig();
  c.boot_vcpus = 2;
  c.max_vcpus = 4;
  const auto e = MadtEntries(Build(c).madt);
  ASSERT_EQ(e.size(), 6u);
  for (uint8_t i = 0; i < 4; ++i) {
    EXPECT_EQ(e[i].type, kMadtLocalApic);
    EXPECT_EQ(e[i].bytes[2], i);  // UID
    EXPECT_EQ(e[i].bytes[3], i);  // APIC id
    EXPECT_EQ(Le(e[i].bytes, 4, 4), i < 2 ? 1u : 2u) << "enabled / online capable";
  }
  EXPECT_EQ(e[4].type, kMadtIoApic);
  EXPECT_EQ(e[5].type, kMadtLocalApicNmi);
  // No interrupt source overrides (type 2): see madt.h.
  for (const auto& entry : e) EXPECT_NE(entry.type, 2);
}

TEST(MadtTest, MaxVcpusUseX2ApicAbove254) {
  AcpiConfig c = TestConfig();
  c.boot_vcpus = 1;
  c.max_vcpus = kMaxAcpiVcpus;
  const auto e = MadtEntries(Build(c).madt);
  ASSERT_EQ(e.size(), kMaxAcpiVcpus + 3);  // + IOAPIC, LAPIC NMI, x2APIC NMI
  size_t xapic = 0, x2apic = 0;
  for (uint32_t i = 0; i < kMaxAcpiVcpus; ++i) {
    if (e[i].type == kMadtLocalApic) {
      ++xapic;
      EXPECT_EQ(e[i].bytes[3], i);
    } else {
      ASSERT_EQ(e[i].type, kMadtLocalX2Apic);
      ++x2apic;
      EXPECT_EQ(Le(e[i].bytes, 4, 4), i);   // x2APIC id
      EXPECT_EQ(Le(e[i].bytes, 12, 4), i);  // UID
      EXPECT_EQ(Le(e[i].bytes, 8, 4), kLapicOnlineCapable);
    }
  }
  EXPECT_EQ(xapic, 255u);  // ids 0..254
  EXPECT_EQ(x2apic, kMaxAcpiVcpus - 255);
  EXPECT_EQ(e.back().bytes, Bytes({10, 12, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0}));
}

TEST(DsdtTest, HeaderAndS5) {
  const Bytes d = Build(TestConfig()).dsdt;
  ExpectSdt(d, "DSDT", 6, "PTDSDT  ");
  // Name (_S5_, Package () {5, 0, 0, 0}) at the root.
  EXPECT_TRUE(Contains(d, {0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0A, 0x05, 0, 0, 0}));
  EXPECT_EQ(kS5SleepControlValue, 0x34);
}

TEST(DsdtTest, Com1OnlyWhenEnabled) {
  // _CRS: IO (Decode16, 0x3F8, 0x3F8, 0, 8), IRQNoFlags () {4}, end tag.
  const Bytes crs = {0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x00, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00};
  AcpiConfig c = TestConfig();
  EXPECT_TRUE(Contains(Build(c).dsdt, crs));
  EXPECT_TRUE(Contains(Build(c).dsdt, {'C', 'O', 'M', '1'}));
  c.serial = false;
  EXPECT_FALSE(Contains(Build(c).dsdt, {'C', 'O', 'M', '1'}));
}

TEST(DsdtTest, RtcIsAPnp0b00DeviceWithPortsAndIrq8) {
  // Device (RTC_) { Name (_HID, EisaId ("PNP0B00")) Name (_UID, Zero)
  //   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x70, 0x70, 1, 2) IRQNoFlags () {8} }) }
  // EISA id "PNP0B00" compressed: 0x41D00B00 -> bytes 41 D0 0B 00 (DWordConst 0x0C).
  const Bytes hid = {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0B, 0x00};
  const Bytes crs = {0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02, 0x22, 0x00, 0x01, 0x79, 0x00};
  AcpiConfig c = TestConfig();
  const Bytes d = Build(c).dsdt;
  EXPECT_TRUE(Contains(d, {'R', 'T', 'C', '_'}));
  EXPECT_TRUE(Contains(d, hid));
  EXPECT_TRUE(Contains(d, crs));
  c.rtc = false;
  EXPECT_FALSE(Contains(Build(c).dsdt, hid));
  c.rtc = true;
  c.rtc_irq = 16;
  EXPECT_FALSE(BuildAcpiTables(c, x86::kEbdaStart).ok());
}

TEST(DsdtTest, GedDevice) {
  const Bytes d = Build(TestConfig()).dsdt;
  EXPECT_TRUE(Contains(d, {0x0D, 'A', 'C', 'P', 'I', '0', '0', '1', '3', 0x00}));
  // Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {5}
  EXPECT_TRUE(Contains(d, {0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00, 0x79, 0x00}));
  // OperationRegion (GDST, SystemMemory, 0xFEB00000, One)
  EXPECT_TRUE(
      Contains(d, {0x5B, 0x80, 'G', 'D', 'S', 'T', 0x00, 0x0C, 0x00, 0x00, 0xB0, 0xFE, 0x01}));
  // Notify (\_SB_.PWRB, 0x80)
  EXPECT_TRUE(Contains(d, {0x86, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0A, 0x80}));
  // Without an address there is no GED.
  AcpiConfig c = TestConfig();
  c.ged_mmio = 0;
  EXPECT_FALSE(Contains(Build(c).dsdt, {'G', 'E', 'D', '_'}));
}

TEST(DsdtTest, GedAbove4GiBReservedWithQWordMemory) {
  AcpiConfig c = TestConfig();
  c.ged_mmio = 0x3FFF'FFF0'0000;
  const Bytes d = Build(c).dsdt;
  EXPECT_TRUE(Contains(d, {0x8A, 0x2B, 0x00, 0x00, 0x0D, 0x01}));  // QWordMemory consumer, RW
  EXPECT_TRUE(
      Contains(d, {0x0E, 0x00, 0x00, 0xF0, 0xFF, 0xFF, 0x3F, 0x00, 0x00}));  // OpRegion offset
}

TEST(DsdtTest, ProcessorDevices) {
  AcpiConfig c = TestConfig();
  c.boot_vcpus = 2;
  c.max_vcpus = 3;
  const Bytes d = Build(c).dsdt;
  EXPECT_EQ(CpuDeviceName(0), "C000");
  EXPECT_EQ(CpuDeviceName(0x1A), "C01A");
  for (uint8_t i = 0; i < 3; ++i) {
    const std::string name = CpuDeviceName(i);
    // Device (C00i) { Name (_HID, "ACPI0007") Name (_UID, i) Method (_STA) {Return (0x0F or Zero)}
    //                 Method (_MAT) { Return (Buffer (8) {0, 8, i, i, 1, 0, 0, 0}) } }
    const Bytes body_start = {static_cast<uint8_t>(name[0]),
                              static_cast<uint8_t>(name[1]),
                              static_cast<uint8_t>(name[2]),
                              static_cast<uint8_t>(name[3]),
                              0x08,
                              '_',
                              'H',
                              'I',
                              'D',
                              0x0D,
                              'A',
                              'C',
                              'P',
                              'I',
                              '0',
                              '0',
                              '0',
                              '7',
                              0x00,
                              0x08,
                              '_',
                              'U',
                              'I',
                              'D'};
    EXPECT_TRUE(Contains(d, body_start)) << name;
    const Bytes sta_present = {0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F};
    const Bytes sta_absent = {0x14, 0x08, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x00};
    EXPECT_TRUE(Contains(d, i < 2 ? sta_present : sta_absent)) << name;
    const Bytes mat = {0x11, 0x0B, 0x0A, 0x08, 0x00, 0x08, i, i, 0x01, 0x00, 0x00, 0x00};
    EXPECT_TRUE(Contains(d, mat)) << name;
  }
  EXPECT_FALSE(Contains(d, {'C', '0', '0', '3'}));
  EXPECT_TRUE(Contains(d, {0x0D, 'A', 'C', 'P', 'I', '0', '0', '1', '0', 0x00}));
}

TEST(DsdtTest, CpuHotplugControllerAndMethods) {
  AcpiConfig c = TestConfig();
  c.boot_vcpus = 1;
  c.max_vcpus = 3;
  c.cpu_hotplug_mmio = 0xFEB0'0010;
  const Bytes d = Build(c).dsdt;
  // Device (PRES) with _HID EisaId ("PNP0A06") and the mutex CPLK.
  EXPECT_TRUE(Contains(d, {'P', 'R', 'E', 'S', 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x06}));
  EXPECT_TRUE(Contains(d, {0x5B, 0x01, 'C', 'P', 'L', 'K', 0x00}));
  // OperationRegion (PRST, SystemMemory, 0xFEB00010, 0x0C)
  EXPECT_TRUE(Contains(d, {0x5B, 0x80, 'P', 'R', 'S', 'T', 0x00, 0x0C, 0x10, 0x00, 0xB0, 0xFE,
                           0x0A, 0x0C}));
  // The byte field: 32 reserved bits, then CPEN, CINS, CRMV, CEJ0 of 1 bit each.
  EXPECT_TRUE(Contains(d, {0x00, 0x20, 'C', 'P', 'E', 'N', 0x01, 'C', 'I', 'N', 'S', 0x01,
                           'C', 'R', 'M', 'V', 0x01, 'C', 'E', 'J', '0', 0x01}));
  // The methods, serialized: CSTA(1) CTFY(2) CEJ0(1) CSCN(0).
  for (const Bytes& m : {Bytes{'C', 'S', 'T', 'A', 0x09}, Bytes{'C', 'T', 'F', 'Y', 0x0A},
                         Bytes{'C', 'E', 'J', '0', 0x09}, Bytes{'C', 'S', 'C', 'N', 0x08}}) {
    EXPECT_TRUE(Contains(d, m)) << Str(m, 0, 4);
  }
  // C001's _STA returns CSTA (One); _EJ0 calls CEJ0 (One).
  EXPECT_TRUE(Contains(d, {'_', 'S', 'T', 'A', 0x00, 0xA4, 'C', 'S', 'T', 'A', 0x01}));
  EXPECT_TRUE(Contains(d, {'_', 'E', 'J', '0', 0x01, 'C', 'E', 'J', '0', 0x01}));
  // The GED's _EVT calls \_SB_.CPUS.CSCN on bit 0.
  EXPECT_TRUE(Contains(d, {0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'C', 'P', 'U', 'S', 'C', 'S',
                           'C', 'N'}));
  // No fixed _STA: the boot count is the controller's now.
  EXPECT_FALSE(Contains(d, {0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F}));
  // Without the controller none of it is there.
  c.cpu_hotplug_mmio = 0;
  const Bytes fixed = Build(c).dsdt;
  EXPECT_FALSE(Contains(fixed, {'P', 'R', 'E', 'S'}));
  EXPECT_FALSE(Contains(fixed, {'C', 'S', 'C', 'N'}));
  EXPECT_FALSE(Contains(fixed, {'_', 'E', 'J', '0'}));
}

TEST(DsdtTest, MotherboardReservesThePmPorts) {
  const Bytes d = Build(TestConfig()).dsdt;
  EXPECT_TRUE(Contains(d, {0x47, 0x01, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02}));  // IO 0x600, 2
  EXPECT_TRUE(Contains(d, {0x47, 0x01, 0x08, 0x06, 0x08, 0x06, 0x04, 0x04}));  // IO 0x608, 4
  EXPECT_TRUE(Contains(d, {0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xB0, 0xFE, 0x01, 0, 0, 0}));
}

PciHostConfig TestPci() {
  PciHostConfig p;
  p.ecam_base = 0xE800'0000;
  p.mmio32_start = 0xC000'0000;
  p.mmio32_end = 0xE7FF'FFFF;
  p.mmio64_start = 0x1'4000'0000;
  p.mmio64_end = 0x11'3FFF'FFFF;
  return p;
}

TEST(McfgTest, OneSegmentWithItsEcamWindowListedInTheXsdt) {
  AcpiConfig c = TestConfig();
  c.pci = TestPci();
  const TableBlobs t = Build(c);
  ExpectSdt(t.mcfg, "MCFG", 1, "PTMCFG  ");
  ASSERT_EQ(t.mcfg.size(), 60u);
  EXPECT_EQ(Le(t.mcfg, 44, 8), 0xE800'0000u);  // base address
  EXPECT_EQ(Le(t.mcfg, 52, 2), 0u);            // segment 0
  EXPECT_EQ(t.mcfg[54], 0);                    // start bus
  EXPECT_EQ(t.mcfg[55], 0);                    // end bus
  ASSERT_EQ(t.xsdt.size(), 36u + 24u);
  EXPECT_EQ(Le(t.xsdt, 52, 8), t.mcfg_addr);
  EXPECT_GE(t.mcfg_addr, t.madt_addr + t.madt.size());
  EXPECT_EQ(t.mcfg_addr % 16, 0u);
  EXPECT_TRUE(Build(TestConfig()).mcfg.empty());
}

TEST(DsdtTest, PciHostBridgeAndEcamReservation) {
  AcpiConfig c = TestConfig();
  c.pci = TestPci();
  const Bytes d = Build(c).dsdt;
  EXPECT_TRUE(Contains(d, {'P', 'C', 'I', '0'}));
  EXPECT_TRUE(Contains(d, {0x0C, 0x41, 0xD0, 0x0A, 0x08}));  // EisaId("PNP0A08")
  EXPECT_TRUE(Contains(d, {0x0C, 0x41, 0xD0, 0x0A, 0x03}));  // EisaId("PNP0A03")
  // Memory32Fixed(ReadOnly, 0xE8000000, 1 MiB) in the motherboard resources.
  EXPECT_TRUE(Contains(d, {0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE8, 0, 0, 0x10, 0}));
  // IO(Decode16, 0xCF8, 0xCF8, 1, 8) in the bridge's _CRS.
  EXPECT_TRUE(Contains(d, {0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08}));
  EXPECT_FALSE(Contains(Build(TestConfig()).dsdt, {'P', 'C', 'I', '0'}));
}

// The PCI hot-plug controller \_SB_.PHPR and the slot objects and PCNT in
// PCI0, as Cloud Hypervisor's (its DeviceManager and PciSegment AML).
TEST(DsdtTest, PciHotplugControllerSlotsAndScan) {
  AcpiConfig c = TestConfig();
  c.pci = TestPci();
  c.pci_hotplug_mmio = 0xFEB0'0020;
  const Bytes d = Build(c).dsdt;
  // Device (PHPR) with _HID EisaId ("PNP0A06"), _STA 0x0B and the mutex BLCK.
  EXPECT_TRUE(Contains(d, {'P', 'H', 'P', 'R', 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x06}));
  EXPECT_TRUE(Contains(d, {0x08, '_', 'S', 'T', 'A', 0x0A, 0x0B}));
  EXPECT_TRUE(Contains(d, {0x5B, 0x01, 'B', 'L', 'C', 'K', 0x00}));
  // OperationRegion (PCST, SystemMemory, 0xFEB00020, 0x10)
  EXPECT_TRUE(Contains(d, {0x5B, 0x80, 'P', 'C', 'S', 'T', 0x00, 0x0C, 0x20, 0x00, 0xB0, 0xFE,
                           0x0A, 0x10}));
  // Field (PCST, DWordAcc, NoLock, WriteAsZeros) { PCIU, PCID, B0EJ, PSEG: 32 bits each }
  EXPECT_TRUE(Contains(d, {'P', 'C', 'S', 'T', 0x43, 'P', 'C', 'I', 'U', 0x20, 'P', 'C', 'I', 'D',
                           0x20, 'B', '0', 'E', 'J', 0x20, 'P', 'S', 'E', 'G', 0x20}));
  // PCEJ (2 args, serialized): Acquire (BLCK), PSEG = Arg1, B0EJ = One << Arg0,
  // Release (BLCK), Return (Zero).
  EXPECT_TRUE(Contains(d, {'P', 'C', 'E', 'J', 0x0A, 0x5B, 0x23, 'B', 'L', 'C', 'K', 0xFF, 0xFF,
                           0x70, 0x69, 'P', 'S', 'E', 'G', 0x79, 0x01, 0x68, 'B', '0', 'E', 'J',
                           0x5B, 0x27, 'B', 'L', 'C', 'K', 0xA4, 0x00}));
  // PSCN calls \_SB_.PCI0.PCNT; the GED's _EVT calls \_SB_.PHPR.PSCN.
  EXPECT_TRUE(Contains(d, {'P', 'S', 'C', 'N', 0x08, 0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'P',
                           'C', 'I', '0', 'P', 'C', 'N', 'T'}));
  EXPECT_TRUE(Contains(d, {0x93, 0x7B, 0x60, 0x0A, 0x04, 0x00, 0x0A, 0x04, 0x5C, 0x2F, 0x03, '_',
                           'S', 'B', '_', 'P', 'H', 'P', 'R', 'P', 'S', 'C', 'N'}));
  // Slots 1..31: _SUN, _ADR = slot << 16 and a serialized _EJ0 calling
  // \_SB_.PHPR.PCEJ (_SUN, _SEG). No slot object for the host bridge.
  for (uint8_t slot = 1; slot < 32; ++slot) {
    const std::string name = PciSlotDeviceName(slot);
    ASSERT_EQ(name.size(), 4u);
    Bytes dev(name.begin(), name.end());
    const Bytes sun = slot == 1 ? Bytes{0x01} : Bytes{0x0A, slot};
    dev.insert(dev.end(), {0x08, '_', 'S', 'U', 'N'});
    dev.insert(dev.end(), sun.begin(), sun.end());
    dev.insert(dev.end(), {0x08, '_', 'A', 'D', 'R', 0x0C, 0x00, 0x00, slot, 0x00});
    dev.insert(dev.end(), {0x14, 0x1D, '_', 'E', 'J', '0', 0x09, 0x5C, 0x2F, 0x03, '_', 'S', 'B',
                           '_', 'P', 'H', 'P', 'R', 'P', 'C', 'E', 'J', '_', 'S', 'U', 'N', '_',
                           'S', 'E', 'G'});
    EXPECT_TRUE(Contains(d, dev)) << name;
    // DVNT: If ((Arg0 & mask) == mask) { Notify (Sxxx, Arg1) }
    const uint32_t mask = uint32_t{1} << slot;
    Bytes notify = {0x93, 0x7B, 0x68};
    const Bytes m = mask <= 0xFF     ? Bytes{0x0A, uint8_t(mask)}
                    : mask <= 0xFFFF ? Bytes{0x0B, uint8_t(mask), uint8_t(mask >> 8)}
                                     : Bytes{0x0C, uint8_t(mask), uint8_t(mask >> 8),
                                             uint8_t(mask >> 16), uint8_t(mask >> 24)};
    notify.insert(notify.end(), m.begin(), m.end());
    notify.push_back(0x00);
    notify.insert(notify.end(), m.begin(), m.end());
    notify.push_back(0x86);
    notify.insert(notify.end(), name.begin(), name.end());
    notify.push_back(0x69);
    EXPECT_TRUE(Contains(d, notify)) << name;
  }
  EXPECT_EQ(PciSlotDeviceName(1), "S001");  // Cloud Hypervisor's names: S + 3 decimal digits
  EXPECT_EQ(PciSlotDeviceName(31), "S031");
  EXPECT_FALSE(Contains(d, {'S', '0', '0', '0'}));
  EXPECT_FALSE(Contains(d, {'S', '0', '3', '2'}));
  // PCNT: Acquire (\_SB_.PHPR.BLCK), PSEG = _SEG, DVNT (PCIU, 1), DVNT (PCID, 3), Release.
  EXPECT_TRUE(Contains(d, {'P', 'C', 'N', 'T', 0x08, 0x5B, 0x23, 0x5C, 0x2F, 0x03, '_', 'S', 'B',
                           '_', 'P', 'H', 'P', 'R', 'B', 'L', 'C', 'K', 0xFF, 0xFF, 0x70, '_', 'S',
                           'E', 'G', 0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'P', 'H', 'P', 'R', 'P',
                           'S', 'E', 'G', 'D', 'V', 'N', 'T', 0x5C, 0x2F, 0x03, '_', 'S', 'B', '_',
                           'P', 'H', 'P', 'R', 'P', 'C', 'I', 'U', 0x01, 'D', 'V', 'N', 'T', 0x5C,
                           0x2F, 0x03, '_', 'S', 'B', '_', 'P', 'H', 'P', 'R', 'P', 'C', 'I', 'D',
                           0x0A, 0x03, 0x5B, 0x27, 0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'P', 'H',
                           'P', 'R', 'B', 'L', 'C', 'K'}));
  EXPECT_TRUE(Contains(d, {'D', 'V', 'N', 'T', 0x0A}));  // 2 args, serialized
}

TEST(DsdtTest, NoPciHotplugLeavesTheDsdtAsItWas) {
  AcpiConfig c = TestConfig();
  c.pci = TestPci();
  c.cpu_hotplug_mmio = 0xFEB0'0010;
  const Bytes d = Build(c).dsdt;
  for (const Bytes& name : {Bytes{'P', 'H', 'P', 'R'}, Bytes{'P', 'C', 'N', 'T'},
                            Bytes{'P', 'S', 'C', 'N'}, Bytes{'S', '0', '0', '1'},
                            Bytes{'_', 'S', 'U', 'N'}, Bytes{'B', 'L', 'C', 'K'}}) {
    EXPECT_FALSE(Contains(d, name)) << Str(name, 0, 4);
  }
  // Turning PCI hot-plug on only adds objects.
  c.pci_hotplug_mmio = 0xFEB0'0020;
  const Bytes h = Build(c).dsdt;
  EXPECT_GT(h.size(), d.size());
  for (const Bytes& name : {Bytes{'P', 'R', 'E', 'S'}, Bytes{'C', 'S', 'C', 'N'},
                            Bytes{'P', 'W', 'R', 'B'}, Bytes{'M', 'B', 'R', 'D'}}) {
    EXPECT_TRUE(Contains(h, name)) << Str(name, 0, 4);
  }
}

// The memory hot-plug controller \_SB_.MHPC with its methods and the slot
// devices M000.., as Cloud Hypervisor's MemoryManager AML, plus MDEJ.
TEST(DsdtTest, MemoryHotplugControllerMethodsAndSlots) {
  AcpiConfig c = TestConfig();
  c.memory_hotplug_mmio = 0xFEB0'0030;
  const Bytes d = Build(c).dsdt;
  // Device (MHPC) with _HID EisaId ("PNP0A06"), _UID and the mutex MLCK.
  EXPECT_TRUE(Contains(d, {'M', 'H', 'P', 'C', 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A,
                           0x06}));
  const std::string uid = "Memory Hotplug Controller";
  Bytes uid_name = {0x08, '_', 'U', 'I', 'D', 0x0D};
  uid_name.insert(uid_name.end(), uid.begin(), uid.end());
  uid_name.push_back(0x00);
  EXPECT_TRUE(Contains(d, uid_name));
  EXPECT_TRUE(Contains(d, {0x5B, 0x01, 'M', 'L', 'C', 'K', 0x00}));
  // _CRS: QWordMemory (consumer, non-cacheable, RW) 0xFEB00030 .. 0xFEB00047, length 0x18.
  EXPECT_TRUE(Contains(d, {0x8A, 0x2B, 0x00, 0x00, 0x0D, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
                           0x30, 0x00, 0xB0, 0xFE, 0, 0, 0, 0, 0x47, 0x00, 0xB0, 0xFE, 0, 0, 0, 0,
                           0, 0, 0, 0, 0, 0, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0}));
  // OperationRegion (MHPR, SystemMemory, 0xFEB00030, 0x18)
  EXPECT_TRUE(Contains(d, {0x5B, 0x80, 'M', 'H', 'P', 'R', 0x00, 0x0C, 0x30, 0x00, 0xB0, 0xFE,
                           0x0A, 0x18}));
  // Field (MHPR, DWordAcc, NoLock, Preserve) { MHBL, MHBH, MHLL, MHLH, MHPX: 32 bits each }
  EXPECT_TRUE(Contains(d, {'M', 'H', 'P', 'R', 0x03, 'M', 'H', 'B', 'L', 0x20, 'M', 'H', 'B', 'H',
                           0x20, 'M', 'H', 'L', 'L', 0x20, 'M', 'H', 'L', 'H', 0x20, 'M', 'H', 'P',
                           'X', 0x20}));
  // Field (MHPR, ByteAcc, NoLock, WriteAsZeros) { Offset (0x14), MEN_, MINS, MRMV, MEJ0: 1 bit }
  EXPECT_TRUE(Contains(d, {'M', 'H', 'P', 'R', 0x41, 0x00, 0x40, 0x0A, 'M', 'E', 'N', '_', 0x01,
                           'M', 'I', 'N', 'S', 0x01, 'M', 'R', 'M', 'V', 0x01, 'M', 'E', 'J', '0',
                           0x01}));
  // Field (MHPR, DWordAcc, NoLock, Preserve) { MSEL, 32 }
  EXPECT_TRUE(Contains(d, {'M', 'H', 'P', 'R', 0x03, 'M', 'S', 'E', 'L', 0x20}));
  // The methods, serialized: MTFY(2) MSCN(0) MSTA(1) MCRS(1) MDEJ(1).
  for (const Bytes& m : {Bytes{'M', 'T', 'F', 'Y', 0x0A}, Bytes{'M', 'S', 'C', 'N', 0x08},
                         Bytes{'M', 'S', 'T', 'A', 0x09}, Bytes{'M', 'C', 'R', 'S', 0x09},
                         Bytes{'M', 'D', 'E', 'J', 0x09}}) {
    EXPECT_TRUE(Contains(d, m)) << Str(m, 0, 4);
  }
  // MSCN's loop body: MSEL = Local0; If (MINS == One) { MTFY (Local0, One); MINS = One }
  // If (MRMV == One) { MTFY (Local0, 3); MRMV = One }; Local0++ -- over 8 slots.
  EXPECT_TRUE(Contains(d, {0x95, 0x60, 0x0A, 0x08, 0x70, 0x60, 'M', 'S', 'E', 'L', 0xA0, 0x13,
                           0x93, 'M', 'I', 'N', 'S', 0x01, 'M', 'T', 'F', 'Y', 0x60, 0x01, 0x70,
                           0x01, 'M', 'I', 'N', 'S', 0xA0, 0x14, 0x93, 'M', 'R', 'M', 'V', 0x01,
                           'M', 'T', 'F', 'Y', 0x60, 0x0A, 0x03, 0x70, 0x01, 'M', 'R', 'M', 'V',
                           0x75, 0x60}));
  // MSTA: MSEL = Arg0; Local0 = Zero; If (MEN_ == One) { Local0 = 0x0F }
  EXPECT_TRUE(Contains(d, {0x70, 0x68, 'M', 'S', 'E', 'L', 0x70, 0x00, 0x60, 0xA0, 0x0B, 0x93,
                           'M', 'E', 'N', '_', 0x01, 0x70, 0x0A, 0x0F, 0x60}));
  // MCRS: MR64 = QWordMemory (producer, cacheable, RW, 0 .. 0xFFFFFFFFFFFFFFFE), its
  // _MIN (14), _MAX (22) and _LEN (38) as MINL, MAXL and LENL;
  // MINL = MHBH << 32 | MHBL; LENL = MHLH << 32 | MHLL; MAXL = MINL + LENL; MAXL--.
  EXPECT_TRUE(Contains(d, {0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           0, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
                           0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x79, 0x00}));
  EXPECT_TRUE(Contains(d, {0x8F, 'M', 'R', '6', '4', 0x0A, 0x0E, 'M', 'I', 'N', 'L', 0x8F, 'M', 'R',
                           '6', '4', 0x0A, 0x16, 'M', 'A', 'X', 'L', 0x8F, 'M', 'R', '6', '4', 0x0A,
                           0x26, 'L', 'E', 'N', 'L', 0x7D, 0x79, 'M', 'H', 'B', 'H', 0x0A, 0x20,
                           0x00, 'M', 'H', 'B', 'L', 'M', 'I', 'N', 'L', 0x7D, 0x79, 'M', 'H', 'L',
                           'H', 0x0A, 0x20, 0x00, 'M', 'H', 'L', 'L', 'L', 'E', 'N', 'L', 0x72,
                           'M', 'I', 'N', 'L', 'L', 'E', 'N', 'L', 'M', 'A', 'X', 'L', 0x76, 'M',
                           'A', 'X', 'L'}));
  // MDEJ: Acquire (MLCK); MSEL = Arg0; MEJ0 = One; Release (MLCK)
  EXPECT_TRUE(Contains(d, {'M', 'D', 'E', 'J', 0x09, 0x5B, 0x23, 'M', 'L', 'C', 'K', 0xFF, 0xFF,
                           0x70, 0x68, 'M', 'S', 'E', 'L', 0x70, 0x01, 'M', 'E', 'J', '0', 0x5B,
                           0x27, 'M', 'L', 'C', 'K'}));
  // The GED's _EVT calls \_SB_.MHPC.MSCN on bit 1.
  EXPECT_TRUE(Contains(d, {0x93, 0x7B, 0x60, 0x0A, 0x02, 0x00, 0x0A, 0x02, 0x5C, 0x2F, 0x03, '_',
                           'S', 'B', '_', 'M', 'H', 'P', 'C', 'M', 'S', 'C', 'N'}));
  // Slots 0..7: PNP0C80 with _UID i, _STA = MSTA (i), _CRS = MCRS (i), _EJ0 = MDEJ (i).
  EXPECT_EQ(MemorySlotDeviceName(0), "M000");  // Cloud Hypervisor's names: M + 3 decimal digits
  EXPECT_EQ(MemorySlotDeviceName(7), "M007");
  EXPECT_EQ(MemorySlotDeviceName(123), "M123");
  for (uint8_t slot = 0; slot < kMemoryHotplugSlots; ++slot) {
    const std::string name = MemorySlotDeviceName(slot);
    const Bytes i = slot == 0 ? Bytes{0x00} : slot == 1 ? Bytes{0x01} : Bytes{0x0A, slot};
    Bytes dev(name.begin(), name.end());
    dev.insert(dev.end(), {0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0C, 0x80});
    dev.insert(dev.end(), {0x08, '_', 'U', 'I', 'D'});
    dev.insert(dev.end(), i.begin(), i.end());
    const uint8_t len = static_cast<uint8_t>(0x0B + i.size());
    dev.insert(dev.end(), {0x14, len, '_', 'S', 'T', 'A', 0x00, 0xA4, 'M', 'S', 'T', 'A'});
    dev.insert(dev.end(), i.begin(), i.end());
    dev.insert(dev.end(), {0x14, len, '_', 'C', 'R', 'S', 0x00, 0xA4, 'M', 'C', 'R', 'S'});
    dev.insert(dev.end(), i.begin(), i.end());
    dev.insert(dev.end(), {0x14, static_cast<uint8_t>(len - 1), '_', 'E', 'J', '0', 0x01, 'M',
                           'D', 'E', 'J'});
    dev.insert(dev.end(), i.begin(), i.end());
    EXPECT_TRUE(Contains(d, dev)) << name;
    // MTFY: If (Arg0 == i) { Notify (M00i, Arg1) }
    Bytes notify = {0x93, 0x68};
    notify.insert(notify.end(), i.begin(), i.end());
    notify.push_back(0x86);
    notify.insert(notify.end(), name.begin(), name.end());
    notify.push_back(0x69);
    EXPECT_TRUE(Contains(d, notify)) << name;
  }
  EXPECT_FALSE(Contains(d, {'M', '0', '0', '8'}));
}

TEST(DsdtTest, MemoryHotplugSlotCountSetsTheDevicesAndTheScan) {
  AcpiConfig c = TestConfig();
  c.memory_hotplug_mmio = 0xFEB0'0030;
  c.memory_hotplug_slots = 3;
  const Bytes d = Build(c).dsdt;
  EXPECT_TRUE(Contains(d, {'M', '0', '0', '2', 0x08, '_', 'H', 'I', 'D'}));
  EXPECT_FALSE(Contains(d, {'M', '0', '0', '3'}));
  EXPECT_TRUE(Contains(d, {0x95, 0x60, 0x0A, 0x03, 0x70, 0x60, 'M', 'S', 'E', 'L'}));  // While (Local0 < 3)
}

TEST(DsdtTest, NoMemoryHotplugLeavesTheDsdtAsItWas) {
  AcpiConfig c = TestConfig();
  c.pci = TestPci();
  c.cpu_hotplug_mmio = 0xFEB0'0010;
  c.pci_hotplug_mmio = 0xFEB0'0020;
  const Bytes d = Build(c).dsdt;
  for (const Bytes& name : {Bytes{'M', 'H', 'P', 'C'}, Bytes{'M', 'S', 'C', 'N'},
                            Bytes{'M', 'L', 'C', 'K'}, Bytes{'M', '0', '0', '0'},
                            Bytes{'M', 'D', 'E', 'J'}, Bytes{0x41, 0xD0, 0x0C, 0x80}}) {
    EXPECT_FALSE(Contains(d, name)) << Str(name, 0, 4);
  }
  EXPECT_FALSE(Contains(d, {0x7B, 0x60, 0x0A, 0x02, 0x00, 0x0A, 0x02}));  // no GED bit 1
  // Turning memory hot-plug on only adds objects.
  AcpiConfig m = c;
  m.memory_hotplug_mmio = 0xFEB0'0030;
  const Bytes h = Build(m).dsdt;
  EXPECT_GT(h.size(), d.size());
  for (const Bytes& name : {Bytes{'P', 'R', 'E', 'S'}, Bytes{'C', 'S', 'C', 'N'},
                            Bytes{'P', 'H', 'P', 'R'}, Bytes{'P', 'S', 'C', 'N'},
                            Bytes{'P', 'W', 'R', 'B'}, Bytes{'M', 'B', 'R', 'D'}}) {
    EXPECT_TRUE(Contains(h, name)) << Str(name, 0, 4);
  }
  // The default config has no memory hot-plug.
  EXPECT_FALSE(AcpiConfig{}.memory_hotplug_mmio.has_value());
  EXPECT_EQ(AcpiConfig{}.memory_hotplug_slots, kMemoryHotplugSlots);
}

TEST(ConfigTest, RejectsBadPciWindows) {
  AcpiConfig c = TestConfig();
  c.pci = TestPci();
  c.pci->ecam_base = 0xE800'1000;
  EXPECT_FALSE(ValidateAcpiConfig(c).ok());
  c.pci = TestPci();
  c.pci->ecam_base = 0xFFF0'0000;
  c.pci->end_bus = 1;
  EXPECT_FALSE(ValidateAcpiConfig(c).ok());
  c.pci = TestPci();
  c.pci->mmio32_end = c.pci->mmio32_start;
  EXPECT_FALSE(ValidateAcpiConfig(c).ok());
  c.pci = TestPci();
  EXPECT_TRUE(ValidateAcpiConfig(c).ok());
}

TEST(ConfigTest, RejectsBadValues) {
  auto bad = [](auto edit) {
    AcpiConfig c = TestConfig();
    edit(c);
    return !BuildAcpiTables(c, x86::kEbdaStart).ok();
  };
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.max_vcpus = 0; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.max_vcpus = kMaxAcpiVcpus + 1; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.boot_vcpus = 0; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.boot_vcpus = 2; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.serial_irq = 16; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.ged_irq = 24; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.ged_irq = 4; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.pm_port = 0; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.pm_port = 0xFFFF; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.pm_timer_port = 0xFFFE; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.pm_timer_port = 0x601; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.ged_mmio = ~uint64_t{0}; }));
  EXPECT_FALSE(bad([](AcpiConfig& c) {
    c.serial = false;
    c.serial_irq = 99;
  }));
  EXPECT_FALSE(BuildAcpiTables(TestConfig(), x86::kEbdaStart + 1).ok());
  EXPECT_TRUE(bad([](AcpiConfig& c) {  // hot-plug events need the GED
    c.ged_mmio = 0;
    c.cpu_hotplug_mmio = 0xFEB0'0010;
  }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.cpu_hotplug_mmio = c.ged_mmio; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.cpu_hotplug_mmio = ~uint64_t{0} - 4; }));
  EXPECT_FALSE(bad([](AcpiConfig& c) { c.cpu_hotplug_mmio = c.ged_mmio + 0x10; }));
  auto pci_hotplug = [](AcpiConfig& c) {
    c.pci = TestPci();
    c.cpu_hotplug_mmio = c.ged_mmio + 0x10;
    c.pci_hotplug_mmio = c.ged_mmio + 0x20;
  };
  EXPECT_FALSE(bad(pci_hotplug));
  EXPECT_TRUE(bad([&](AcpiConfig& c) {  // its events come through the GED
    pci_hotplug(c);
    c.ged_mmio = 0;
    c.cpu_hotplug_mmio = 0;
  }));
  EXPECT_TRUE(bad([&](AcpiConfig& c) {  // slots need the host bridge
    pci_hotplug(c);
    c.pci.reset();
  }));
  EXPECT_TRUE(bad([&](AcpiConfig& c) {
    pci_hotplug(c);
    c.pci_hotplug_mmio = c.ged_mmio;
  }));
  EXPECT_TRUE(bad([&](AcpiConfig& c) {
    pci_hotplug(c);
    c.pci_hotplug_mmio = c.cpu_hotplug_mmio + 8;
  }));
  EXPECT_TRUE(bad([&](AcpiConfig& c) {
    pci_hotplug(c);
    c.pci_hotplug_mmio = ~uint64_t{0} - 8;
  }));
}

TEST(ConfigTest, RejectsBadMemoryHotplug) {
  auto bad = [](auto edit) {
    AcpiConfig c = TestConfig();
    c.cpu_hotplug_mmio = c.ged_mmio + 0x10;
    c.pci = TestPci();
    c.pci_hotplug_mmio = c.ged_mmio + 0x20;
    c.memory_hotplug_mmio = c.ged_mmio + 0x30;
    edit(c);
    return !ValidateAcpiConfig(c).ok();
  };
  EXPECT_FALSE(bad([](AcpiConfig&) {}));
  EXPECT_FALSE(bad([](AcpiConfig& c) {  // alone, beside the GED
    c.cpu_hotplug_mmio = 0;
    c.pci_hotplug_mmio = 0;
    c.memory_hotplug_mmio = c.ged_mmio + 1;
  }));
  EXPECT_FALSE(bad([](AcpiConfig& c) { c.memory_hotplug_slots = 1; }));
  EXPECT_FALSE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = ~uint64_t{0} - 0x18; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) {  // its events come through the GED
    c.ged_mmio = 0;
    c.cpu_hotplug_mmio = 0;
    c.pci_hotplug_mmio = 0;
  }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_slots = 0; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_slots = kMemoryHotplugSlots + 1; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = 0; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = ~uint64_t{0} - 0x17; }));  // wraps
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = c.ged_mmio; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = c.ged_mmio - 0x17; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = c.cpu_hotplug_mmio + 8; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = c.pci_hotplug_mmio + 0xF; }));
  EXPECT_TRUE(bad([](AcpiConfig& c) { c.memory_hotplug_mmio = c.pci_hotplug_mmio - 0x17; }));
  // The slot count is only checked with the controller.
  EXPECT_FALSE(bad([](AcpiConfig& c) {
    c.memory_hotplug_mmio.reset();
    c.memory_hotplug_slots = 0;
  }));
}

// The XSDT's entries, resolved to the blobs at those addresses.
std::vector<const Bytes*> XsdtTables(const TableBlobs& t) {
  const std::pair<uint64_t, const Bytes*> blobs[] = {
      {t.fadt_addr, &t.fadt}, {t.madt_addr, &t.madt}, {t.mcfg_addr, &t.mcfg},
      {t.srat_addr, &t.srat}, {t.slit_addr, &t.slit}, {t.tpm2_addr, &t.tpm2}};
  std::vector<const Bytes*> out;
  for (size_t off = kSdtHeaderSize; off + 8 <= t.xsdt.size(); off += 8) {
    const uint64_t addr = Le(t.xsdt, off, 8);
    const Bytes* found = nullptr;
    for (const auto& [a, blob] : blobs) {
      if (!blob->empty() && a == addr) found = blob;
    }
    EXPECT_NE(found, nullptr) << "XSDT entry " << addr << " is no table's address";
    if (found != nullptr) out.push_back(found);
  }
  return out;
}

AcpiConfig TpmConfig() {
  AcpiConfig c = TestConfig();
  c.tpm_crb_mmio = x86::kTpmCrbStart;
  return c;
}

// TCG ACPI Specification v1.3 §8: the TPM2 table of a client platform's CRB
// TPM, as Cloud Hypervisor's create_tpm2_table builds it.
TEST(Tpm2Test, ListedInTheXsdtWithTheCrbControlAreaAndStartMethod) {
  const TableBlobs t = Build(TpmConfig());
  const std::vector<const Bytes*> listed = XsdtTables(t);
  ASSERT_EQ(listed.size(), 3u);  // FACP, APIC, TPM2
  EXPECT_EQ(listed.back(), &t.tpm2);
  const Bytes& tpm = t.tpm2;
  ExpectSdt(tpm, "TPM2", 3, "PTTPM2  ");
  ASSERT_EQ(tpm.size(), 52u);
  EXPECT_EQ(Le(tpm, kSdtLengthOffset, 4), 52u);
  EXPECT_EQ(ByteSum(tpm), 0);
  EXPECT_EQ(Le(tpm, 36, 2), 0u);            // platform class: client
  EXPECT_EQ(Le(tpm, 38, 2), 0u);            // reserved
  EXPECT_EQ(Le(tpm, 40, 8), 0xFED4'0040u);  // CRB control area
  EXPECT_EQ(Le(tpm, 48, 4), 7u);            // start method: CRB
  EXPECT_EQ(t.tpm2_addr % 16, 0u);
  EXPECT_GE(t.tpm2_addr, t.madt_addr + t.madt.size());
  EXPECT_EQ(t.end_addr, t.tpm2_addr + tpm.size());
  // The control area follows the configured page.
  AcpiConfig c = TpmConfig();
  c.tpm_crb_mmio = 0xFED4'5000;
  EXPECT_EQ(Le(Build(c).tpm2, 40, 8), 0xFED4'5040u);
}

TEST(Tpm2Test, AfterMcfgSratAndSlit) {
  AcpiConfig c = TpmConfig();
  c.pci = TestPci();
  c.max_vcpus = 2;
  c.boot_vcpus = 2;
  c.numa_nodes = {NumaNode{0, {{0, 0x8000'0000, false}}, {0}, {{1, 20}}},
                  NumaNode{1, {{0x1'0000'0000, 0x8000'0000, false}}, {1}, {}}};
  const TableBlobs t = Build(c);
  const std::vector<const Bytes*> listed = XsdtTables(t);
  EXPECT_EQ(listed,
            (std::vector<const Bytes*>{&t.fadt, &t.madt, &t.mcfg, &t.srat, &t.slit, &t.tpm2}));
  EXPECT_GE(t.tpm2_addr, t.slit_addr + t.slit.size());
}

TEST(Tpm2Test, NoTpmNoTableAndNoDevice) {
  const TableBlobs t = Build(TestConfig());
  EXPECT_TRUE(t.tpm2.empty());
  EXPECT_EQ(t.tpm2_addr, 0u);
  for (const Bytes* table : XsdtTables(t)) EXPECT_NE(Str(*table, 0, 4), "TPM2");
  EXPECT_FALSE(Contains(t.dsdt, {'M', 'S', 'F', 'T', '0', '1', '0', '1'}));
  EXPECT_FALSE(Contains(t.dsdt, {'T', 'P', 'M', '2'}));
  EXPECT_FALSE(AcpiConfig{}.tpm_crb_mmio.has_value());
}

TEST(DsdtTest, TpmDeviceIsMsft0101WithItsRegisterPage) {
  const Bytes d = Build(TpmConfig()).dsdt;
  // Device (TPM2) { Name (_HID, "MSFT0101") Name (_STA, 0x0F)
  //   Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, 0xFED40000, 0x1000) }) }
  EXPECT_TRUE(Contains(d, {'T', 'P', 'M', '2', 0x08, '_', 'H', 'I', 'D', 0x0D, 'M', 'S', 'F', 'T',
                           '0', '1', '0', '1', 0x00, 0x08, '_', 'S', 'T', 'A', 0x0A, 0x0F}));
  EXPECT_TRUE(Contains(
      d, {0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xD4, 0xFE, 0x00, 0x10, 0x00, 0x00, 0x79, 0x00}));
  // After the RTC, before the power button.
  const auto at = [&](const Bytes& name) {
    return std::search(d.begin(), d.end(), name.begin(), name.end()) - d.begin();
  };
  EXPECT_LT(at({'R', 'T', 'C', '_'}), at({'T', 'P', 'M', '2'}));
  EXPECT_LT(at({'T', 'P', 'M', '2'}), at({'P', 'W', 'R', 'B'}));
  // Turning the TPM on only adds the device.
  EXPECT_GT(d.size(), Build(TestConfig()).dsdt.size());
}

TEST(ConfigTest, RejectsBadTpmAddresses) {
  auto ok = [](auto edit) {
    AcpiConfig c = TpmConfig();
    c.cpu_hotplug_mmio = c.ged_mmio + 0x10;
    c.pci = TestPci();
    edit(c);
    return ValidateAcpiConfig(c).ok();
  };
  EXPECT_TRUE(ok([](AcpiConfig&) {}));
  EXPECT_TRUE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = 0xFFFF'F000; }));  // last page below 4 GiB
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = x86::kTpmCrbStart + 0x40; }));
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = x86::kTpmCrbStart + 0x800; }));
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = 0x1'0000'0000; }));
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = 0x10'FED4'0000; }));
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = ~uint64_t{0} & ~uint64_t{0xFFF}; }));
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = 0; }));
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = c.ged_mmio; }));  // the GED's page
  EXPECT_FALSE(ok([](AcpiConfig& c) { c.tpm_crb_mmio = c.pci->ecam_base; }));
  // BuildAcpiTables validates too.
  AcpiConfig c = TpmConfig();
  c.tpm_crb_mmio = 0xFED4'0001;
  EXPECT_FALSE(BuildAcpiTables(c, x86::kEbdaStart).ok());
}

TEST(WriteTest, WritesTheTpm2TableIntoGuestMemory) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  const AcpiConfig c = TpmConfig();
  auto r = WriteAcpiTables(**mem, c);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const TableBlobs t = Build(c);
  ASSERT_FALSE(t.tpm2.empty());
  Bytes got(t.tpm2.size());
  ASSERT_TRUE((*mem)->Read(t.tpm2_addr, got).ok());
  EXPECT_EQ(got, t.tpm2);
}

TEST(WriteTest, WritesEveryTableIntoGuestMemory) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  AcpiConfig c = TestConfig();
  c.boot_vcpus = 2;
  c.max_vcpus = 8;
  auto r = WriteAcpiTables(**mem, c);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rsdp_addr, 0xA0000u);
  const TableBlobs t = Build(c);
  const std::pair<uint64_t, const Bytes*> parts[] = {{t.rsdp_addr, &t.rsdp},
                                                     {t.xsdt_addr, &t.xsdt},
                                                     {t.fadt_addr, &t.fadt},
                                                     {t.dsdt_addr, &t.dsdt},
                                                     {t.madt_addr, &t.madt}};
  for (const auto& [addr, blob] : parts) {
    Bytes got(blob->size());
    ASSERT_TRUE((*mem)->Read(addr, got).ok());
    EXPECT_EQ(got, *blob);
  }
  EXPECT_LE(t.end_addr, kAcpiAreaEnd);
}

TEST(WriteTest, MaxVcpusStillFit) {
  auto mem = GuestMemory::CreateX86(16 << 20);
  ASSERT_TRUE(mem.ok());
  AcpiConfig c = TestConfig();
  c.max_vcpus = kMaxAcpiVcpus;
  c.cpu_hotplug_mmio = 0xFEB0'0010;  // the largest DSDT: every vCPU hot-pluggable
  auto r = WriteAcpiTables(**mem, c);
  ASSERT_TRUE(r.ok()) << r.error().message();
}

TEST(WriteTest, FailsWithoutMemoryThere) {
  // RAM only from 1 MiB: 0xA0000 is not backed.
  auto host = HostRegion::Anonymous(1 << 20);
  ASSERT_TRUE(host.ok());
  auto mem = GuestMemory::Create({GuestRegion{0x100000, 1 << 20, *host}});
  ASSERT_TRUE(mem.ok());
  EXPECT_FALSE(WriteAcpiTables(**mem, TestConfig()).ok());
}

}  // namespace
}  // namespace petrel::acpi

namespace petrel::acpi {
namespace {

// MADT processor entries follow the APIC ids of a topology whose counts are
// not powers of two (1:3:1:2 -> ids 0,1,2,4,5,6), with UIDs 0..5.
TEST(MadtApicIdsTest, ProcessorEntriesCarryTheTopologyApicIds) {
  AcpiConfig config;
  config.boot_vcpus = 4;
  config.max_vcpus = 6;
  config.apic_ids = {0, 1, 2, 4, 5, 6};
  const std::vector<uint8_t> madt = BuildMadt(config);
  std::vector<std::pair<uint8_t, uint8_t>> uid_and_id;
  std::vector<bool> enabled;
  for (size_t off = 44; off + 2 <= madt.size(); off += madt[off + 1]) {
    ASSERT_GT(madt[off + 1], 0);
    if (madt[off] != 0) continue;  // 5.2.12.2 Processor Local APIC only
    uid_and_id.emplace_back(madt[off + 2], madt[off + 3]);
    enabled.push_back(madt[off + 4] & 1);
  }
  EXPECT_EQ(uid_and_id, (std::vector<std::pair<uint8_t, uint8_t>>{
                            {0, 0}, {1, 1}, {2, 2}, {3, 4}, {4, 5}, {5, 6}}));
  EXPECT_EQ(enabled, (std::vector<bool>{true, true, true, true, false, false}));
}

TEST(MadtApicIdsTest, WrongNumberOfApicIdsIsRejected) {
  AcpiConfig config;
  config.max_vcpus = 2;
  config.apic_ids = {0};
  EXPECT_FALSE(ValidateAcpiConfig(config).ok());
}

}  // namespace
}  // namespace petrel::acpi
