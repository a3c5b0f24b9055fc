// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for PciConfigSpace: read-only header fields, W1C status, BAR sizing
// and move callbacks, capability list.
#include "devices/pci/pci_config_space.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

namespace petrel {
namespace {

PciIds TestIds() {
  return PciIds{.vendor_id = 0x1af4,
                .device_id = 0x1041,
                .revision = 0x01,
                .class_code = 0x020000,
                .subsystem_vendor_id = 0x1af4,
                .subsystem_id = 0x0001,
                .interrupt_pin = 1};
}

TEST(PciConfigSpaceTest, IdentityFieldsAreReadOnly) {
  PciConfigSpace c(TestIds());
  EXPECT_EQ(c.Read(kPciVendorId, 4), 0x10411af4u);
  EXPECT_EQ(c.Read(kPciRevisionId, 4), 0x02000001u);
  for (uint16_t off : {kPciVendorId, kPciRevisionId, uint16_t{0x0c}, kPciSubsystemVendorId,
                       kPciCapabilityPointer}) {
    const uint32_t before = c.Read(off, 4);
    c.Write(off, 4, 0xa5a5a5a5);
    // 0x0c: only the cache line size byte is RW.
    const uint32_t expect = off == 0x0c ? (before & 0xffffff00u) | 0xa5 : before;
    EXPECT_EQ(c.Read(off, 4), expect) << "offset " << off;
  }
  EXPECT_EQ(c.Read(kPciHeaderType, 1), 0u);
  EXPECT_EQ(c.Read(kPciInterruptPin, 1), 1u);
  c.Write(kPciInterruptPin, 1, 3);
  EXPECT_EQ(c.Read(kPciInterruptPin, 1), 1u);
  c.Write(kPciInterruptLine, 1, 11);
  EXPECT_EQ(c.Read(kPciInterruptLine, 1), 11u);
}

TEST(PciConfigSpaceTest, CommandMaskAndStatusW1c) {
  PciConfigSpace c(TestIds());
  c.Write(kPciCommand, 2, 0xffff);
  EXPECT_EQ(c.Read(kPciCommand, 2), 0x0547u);
  c.SetRaw(kPciStatus, 2, 0xf908 | kPciStatusCapabilities);
  c.Write(kPciStatus, 2, 0x0000);  // writing 0 leaves W1C bits
  EXPECT_EQ(c.Read(kPciStatus, 2), 0xf918u);
  c.Write(kPciStatus, 2, 0x2018);  // clears bit 13 only; 3 and 4 are RO
  EXPECT_EQ(c.Read(kPciStatus, 2), 0xd918u);
  // A dword write to 0x04 reaches both; command unaffected by status W1C.
  c.Write(kPciCommand, 4, 0xffff0002);
  EXPECT_EQ(c.Read(kPciCommand, 4), 0x00180002u);
}

TEST(PciConfigSpaceTest, UnusedBarsAndOutOfRange) {
  PciConfigSpace c(TestIds());
  c.Write(kPciBar0, 4, 0xffffffff);
  EXPECT_EQ(c.Read(kPciBar0, 4), 0u);
  EXPECT_EQ(c.BarAddress(0), std::nullopt);
  EXPECT_EQ(c.Read(0xfe, 4), 0u);  // past 0xff reads 0
  EXPECT_EQ(c.Read(0x100, 4), 0u);
  c.Write(0xff, 4, 0xffffffff);  // no crash, nothing written
  EXPECT_EQ(c.Read(0xfc, 4), 0u);
}

TEST(PciConfigSpaceTest, AddBarRejectsBadArguments) {
  PciConfigSpace c(TestIds());
  EXPECT_FALSE(c.AddBar(-1, 4096, PciBarKind::kMmio32, false).ok());
  EXPECT_FALSE(c.AddBar(6, 4096, PciBarKind::kMmio32, false).ok());
  EXPECT_FALSE(c.AddBar(5, 4096, PciBarKind::kMmio64, false).ok());
  EXPECT_FALSE(c.AddBar(0, 3000, PciBarKind::kMmio32, false).ok());
  EXPECT_FALSE(c.AddBar(0, 8, PciBarKind::kMmio32, false).ok());
  EXPECT_FALSE(c.AddBar(0, 512, PciBarKind::kIo, false).ok());
  EXPECT_FALSE(c.AddBar(0, 16, PciBarKind::kIo, true).ok());
  ASSERT_TRUE(c.AddBar(0, 4096, PciBarKind::kMmio64, false).ok());
  EXPECT_FALSE(c.AddBar(1, 4096, PciBarKind::kMmio32, false).ok());  // upper half of BAR0
  EXPECT_FALSE(c.AddBar(0, 4096, PciBarKind::kMmio32, false).ok());
  EXPECT_TRUE(c.AddBar(2, 4096, PciBarKind::kMmio32, false).ok());
}

TEST(PciConfigSpaceTest, Mmio32BarSizing) {
  PciConfigSpace c(TestIds());
  ASSERT_TRUE(c.AddBar(1, 0x2000, PciBarKind::kMmio32, true).ok());
  const uint16_t reg = kPciBar0 + 4;
  EXPECT_EQ(c.Read(reg, 4), 0x8u);  // prefetchable, 32-bit
  c.Write(reg, 4, 0xffffffff);
  EXPECT_EQ(c.Read(reg, 4), 0xffffe008u);
  c.Write(reg, 4, 0xc0001234);
  EXPECT_EQ(c.Read(reg, 4), 0xc0000008u);
  EXPECT_EQ(c.BarAddress(1), 0xc0000000u);
  EXPECT_EQ(c.BarSize(1), 0x2000u);
}

TEST(PciConfigSpaceTest, Mmio64BarSizingSpansTwoRegisters) {
  PciConfigSpace c(TestIds());
  ASSERT_TRUE(c.AddBar(2, 1ULL << 33, PciBarKind::kMmio64, false).ok());
  const uint16_t lo = kPciBar0 + 8, hi = kPciBar0 + 12;
  EXPECT_EQ(c.Read(lo, 4), 0x4u);
  c.Write(lo, 4, 0xffffffff);
  c.Write(hi, 4, 0xffffffff);
  EXPECT_EQ(c.Read(lo, 4), 0x4u);  // 8 GiB: no low address bits
  EXPECT_EQ(c.Read(hi, 4), 0xfffffffeu);
  c.Write(lo, 4, 0);
  c.Write(hi, 4, 0x4);
  EXPECT_EQ(c.BarAddress(2), 0x4'0000'0000u);
  EXPECT_EQ(c.BarAddress(3), std::nullopt);

  PciConfigSpace small(TestIds());
  ASSERT_TRUE(small.AddBar(0, 0x4000, PciBarKind::kMmio64, true).ok());
  small.Write(kPciBar0, 4, 0xffffffff);
  small.Write(kPciBar0 + 4, 4, 0xffffffff);
  EXPECT_EQ(small.Read(kPciBar0, 4), 0xffffc00cu);
  EXPECT_EQ(small.Read(kPciBar0 + 4, 4), 0xffffffffu);
}

TEST(PciConfigSpaceTest, IoBarSizing) {
  PciConfigSpace c(TestIds());
  ASSERT_TRUE(c.AddBar(4, 32, PciBarKind::kIo, false).ok());
  const uint16_t reg = kPciBar0 + 16;
  EXPECT_EQ(c.Read(reg, 4), 0x1u);
  c.Write(reg, 4, 0xffffffff);
  EXPECT_EQ(c.Read(reg, 4), 0xffffffe1u);
  c.Write(reg, 4, 0xc040);
  EXPECT_EQ(c.Read(reg, 4), 0xc041u);
  EXPECT_EQ(c.BarAddress(4), 0xc040u);
  EXPECT_EQ(c.BarKindAt(4), PciBarKind::kIo);
}

TEST(PciConfigSpaceTest, BarMoveCallbackFollowsDecoding) {
  PciConfigSpace c(TestIds());
  ASSERT_TRUE(c.AddBar(0, 0x1000, PciBarKind::kMmio64, false).ok());
  ASSERT_TRUE(c.AddBar(2, 16, PciBarKind::kIo, false).ok());
  std::vector<std::tuple<int, uint64_t, uint64_t>> moves;
  c.SetBarMovedCallback([&](int bar, uint64_t o, uint64_t n) { moves.emplace_back(bar, o, n); });

  // Decoding off: sizing and programming report nothing.
  c.Write(kPciBar0, 4, 0xffffffff);
  c.Write(kPciBar0 + 4, 4, 0xffffffff);
  c.Write(kPciBar0, 4, 0xe0000000);
  c.Write(kPciBar0 + 4, 4, 0x1);
  c.Write(kPciBar0 + 8, 4, 0x6000);
  EXPECT_TRUE(moves.empty());
  EXPECT_EQ(c.DecodedBarAddress(0), 0u);

  // Memory enable maps the MMIO BAR only.
  c.Write(kPciCommand, 2, kPciCommandMemorySpace);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0], std::make_tuple(0, 0u, 0x1'e000'0000u));
  c.Write(kPciCommand, 2, kPciCommandMemorySpace | kPciCommandIoSpace);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[1], std::make_tuple(2, 0u, 0x6000u));

  // Sizing while decoding (host-bridge style): the all-ones pattern unmaps,
  // restoring the value maps again.
  moves.clear();
  c.Write(kPciBar0 + 8, 4, 0xffffffff);
  c.Write(kPciBar0 + 8, 4, 0x6000);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0], std::make_tuple(2, 0x6000u, 0u));
  EXPECT_EQ(moves[1], std::make_tuple(2, 0u, 0x6000u));

  // A move while decoding, then disabling memory unmaps.
  moves.clear();
  c.Write(kPciBar0 + 4, 4, 0x2);
  c.Write(kPciCommand, 2, kPciCommandIoSpace);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0], std::make_tuple(0, 0x1'e000'0000u, 0x2'e000'0000u));
  EXPECT_EQ(moves[1], std::make_tuple(0, 0x2'e000'0000u, 0u));
  // Rewriting the same value reports nothing.
  moves.clear();
  c.Write(kPciBar0 + 8, 4, 0x6000);
  EXPECT_TRUE(moves.empty());
}

TEST(PciConfigSpaceTest, CallbackMayReenterConfigSpace) {
  PciConfigSpace c(TestIds());
  ASSERT_TRUE(c.AddBar(0, 0x1000, PciBarKind::kMmio32, false).ok());
  uint64_t seen = 0;
  c.SetBarMovedCallback([&](int bar, uint64_t, uint64_t) { seen = *c.BarAddress(bar); });
  c.Write(kPciBar0, 4, 0xd0000000);
  c.Write(kPciCommand, 2, kPciCommandMemorySpace);
  EXPECT_EQ(seen, 0xd0000000u);
}

TEST(PciConfigSpaceTest, CapabilityListWalks) {
  PciConfigSpace c(TestIds());
  EXPECT_EQ(c.Read(kPciStatus, 2) & kPciStatusCapabilities, 0u);
  const std::vector<uint8_t> a{0x09, 0xee, 0x10, 1, 2};  // vendor-specific, 5 bytes
  const std::vector<uint8_t> b{0x11, 0x00, 0x00, 0x00, 0, 0, 0, 0};
  const std::vector<uint8_t> b_mask{0, 0, 0x00, 0xc0, 0, 0, 0, 0};  // MSI-X style control bits
  auto oa = c.AddCapability(a);
  auto ob = c.AddCapability(b, b_mask);
  ASSERT_TRUE(oa.ok());
  ASSERT_TRUE(ob.ok());
  EXPECT_EQ(*oa, 0x40);
  EXPECT_EQ(*ob, 0x48);  // dword aligned after 5 bytes
  EXPECT_NE(c.Read(kPciStatus, 2) & kPciStatusCapabilities, 0u);

  std::vector<uint8_t> ids;
  uint8_t ptr = static_cast<uint8_t>(c.Read(kPciCapabilityPointer, 1));
  for (int guard = 0; ptr != 0 && guard < 48; ++guard) {
    ids.push_back(static_cast<uint8_t>(c.Read(ptr, 1)));
    ptr = static_cast<uint8_t>(c.Read(ptr + 1, 1));
  }
  EXPECT_EQ(ids, (std::vector<uint8_t>{0x09, 0x11}));
  EXPECT_EQ(c.Read(0x42, 2), 0x0110u);

  c.Write(*oa, 4, 0xffffffff);  // read-only capability
  EXPECT_EQ(c.Read(*oa, 4), 0x01104809u);
  c.Write(*ob, 4, 0xffffffff);  // only the masked bits of byte 3
  EXPECT_EQ(c.Read(*ob, 4), 0xc0000011u);

  EXPECT_FALSE(c.AddCapability(std::vector<uint8_t>(200, 0)).ok());
  EXPECT_FALSE(c.AddCapability(std::vector<uint8_t>{1}).ok());
  EXPECT_FALSE(c.AddCapability(a, b_mask).ok());
}

}  // namespace
}  // namespace petrel
