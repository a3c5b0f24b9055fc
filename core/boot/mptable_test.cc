// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the MP table: checksums, entry counts and the interrupt routing.
#include "core/boot/mptable.h"

#include <gtest/gtest.h>

#include <map>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"

namespace petrel::boot {
namespace {

struct ParsedTable {
  std::map<uint8_t, int> counts;   // entry type -> count
  std::vector<uint8_t> cpu_flags;  // per processor entry
  std::vector<uint8_t> cpu_apic_ids;
  std::map<uint8_t, uint8_t> isa_to_pin;  // ISA IRQ -> IOAPIC pin
  uint8_t ioapic_id = 0xff;
  uint32_t ioapic_addr = 0;
  uint16_t entry_count = 0;
};

uint8_t Sum(std::span<const uint8_t> bytes) {
  uint8_t s = 0;
  for (uint8_t b : bytes) s = static_cast<uint8_t>(s + b);
  return s;
}

ParsedTable ParseAndCheck(const GuestMemory& memory) {
  ParsedTable t;
  std::vector<uint8_t> mpf(16);
  EXPECT_TRUE(memory.Read(x86::kMptableStart, mpf).ok());
  EXPECT_EQ(std::string(mpf.begin(), mpf.begin() + 4), "_MP_");
  EXPECT_EQ(Sum(mpf), 0) << "floating pointer checksum";
  EXPECT_EQ(mpf[8], 1);  // length in paragraphs
  EXPECT_EQ(mpf[9], 4);  // spec 1.4
  const uint32_t table_addr = LoadLe<uint32_t>(mpf, 4);
  std::vector<uint8_t> hdr(44);
  EXPECT_TRUE(memory.Read(table_addr, hdr).ok());
  EXPECT_EQ(std::string(hdr.begin(), hdr.begin() + 4), "PCMP");
  const uint16_t length = LoadLe<uint16_t>(hdr, 4);
  std::vector<uint8_t> table(length);
  EXPECT_TRUE(memory.Read(table_addr, table).ok());
  EXPECT_EQ(Sum(table), 0) << "configuration table checksum";
  EXPECT_EQ(LoadLe<uint32_t>(hdr, 36), 0xfee00000u);
  EXPECT_LE(table_addr + length, x86::kEbdaStart);
  t.entry_count = LoadLe<uint16_t>(hdr, 34);
  uint64_t pos = 44;
  while (pos < table.size()) {
    const uint8_t type = table[pos];
    ++t.counts[type];
    if (type == 0) {
      t.cpu_apic_ids.push_back(table[pos + 1]);
      t.cpu_flags.push_back(table[pos + 3]);
      pos += 20;
      continue;
    }
    if (type == 2) {
      t.ioapic_id = table[pos + 1];
      t.ioapic_addr = LoadLe<uint32_t>(table, pos + 4);
    }
    if (type == 3) t.isa_to_pin[table[pos + 5]] = table[pos + 7];
    pos += 8;
  }
  EXPECT_EQ(pos, table.size());
  return t;
}

TEST(MptableTest, OneVcpu) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  ASSERT_TRUE(WriteMptable(*memory, 1).ok());
  const ParsedTable t = ParseAndCheck(*memory);
  EXPECT_EQ(t.counts.at(0), 1);
  EXPECT_EQ(t.counts.at(1), 1);
  EXPECT_EQ(t.counts.at(2), 1);
  EXPECT_EQ(t.counts.at(3), 16);
  EXPECT_EQ(t.counts.at(4), 2);
  EXPECT_EQ(t.entry_count, 1 + 1 + 1 + 16 + 2);
  EXPECT_EQ(t.cpu_flags[0], 0x3);  // enabled + BSP
  EXPECT_EQ(t.ioapic_id, 1);
  EXPECT_EQ(t.ioapic_addr, 0xfec00000u);
}

TEST(MptableTest, FourVcpus) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  ASSERT_TRUE(WriteMptable(*memory, 4).ok());
  const ParsedTable t = ParseAndCheck(*memory);
  EXPECT_EQ(t.counts.at(0), 4);
  EXPECT_EQ(t.entry_count, 4 + 1 + 1 + 16 + 2);
  EXPECT_EQ(t.cpu_apic_ids, (std::vector<uint8_t>{0, 1, 2, 3}));
  EXPECT_EQ(t.cpu_flags, (std::vector<uint8_t>{3, 1, 1, 1}));
  EXPECT_EQ(t.ioapic_id, 4);
}

TEST(MptableTest, IsaIrqRouting) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  ASSERT_TRUE(WriteMptable(*memory, 2).ok());
  const ParsedTable t = ParseAndCheck(*memory);
  // Identity routing, as KVM's default in-kernel GSI routing delivers them.
  for (uint8_t irq = 0; irq < 16; ++irq) {
    EXPECT_EQ(t.isa_to_pin.at(irq), irq);
  }
  EXPECT_EQ(MptableSize(2), 16 + 44 + 2 * 20 + 20 * 8u);
}

TEST(MptableTest, MaxVcpusFitsBelowEbda) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  ASSERT_TRUE(WriteMptable(*memory, kMaxMptableVcpus).ok());
  const ParsedTable t = ParseAndCheck(*memory);
  EXPECT_EQ(t.counts.at(0), static_cast<int>(kMaxMptableVcpus));
  EXPECT_LE(x86::kMptableStart + MptableSize(kMaxMptableVcpus), x86::kEbdaStart);
}

TEST(MptableTest, RejectsBadVcpuCounts) {
  auto memory = GuestMemory::CreateX86(64ULL << 20).value();
  EXPECT_FALSE(WriteMptable(*memory, 0).ok());
  auto r = WriteMptable(*memory, kMaxMptableVcpus + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace petrel::boot
