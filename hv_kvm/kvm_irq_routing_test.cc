// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BuildGsiRoutes: KVM's default irqchip routes are kept and MSI routes are
// appended (KVM_SET_GSI_ROUTING replaces the whole table).
#include "hv_kvm/kvm_irq_routing.h"

#include <gtest/gtest.h>

namespace petrel::kvm {
namespace {

TEST(KvmIrqRoutingTest, DefaultRoutesMatchKvmsIrqchipDefaults) {
  const auto routes = BuildGsiRoutes({});
  // 16 PIC routes + 24 IOAPIC routes (irq_comm.c default_routing).
  ASSERT_EQ(routes.size(), 40u);
  int pic = 0, ioapic = 0;
  for (const auto& r : routes) {
    ASSERT_EQ(r.type, static_cast<uint32_t>(KVM_IRQ_ROUTING_IRQCHIP));
    if (r.u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
      EXPECT_EQ(r.u.irqchip.pin, r.gsi);
      ++ioapic;
    } else {
      ASSERT_LT(r.gsi, 16u);
      EXPECT_EQ(r.u.irqchip.irqchip,
                r.gsi < 8 ? static_cast<uint32_t>(KVM_IRQCHIP_PIC_MASTER)
                          : static_cast<uint32_t>(KVM_IRQCHIP_PIC_SLAVE));
      EXPECT_EQ(r.u.irqchip.pin, r.gsi % 8);
      ++pic;
    }
  }
  EXPECT_EQ(pic, 16);
  EXPECT_EQ(ioapic, 24);
}

TEST(KvmIrqRoutingTest, MsiRoutesCarryAddressAndData) {
  std::map<uint32_t, hv::MsiMessage> msis;
  msis[24] = hv::MsiMessage{0x1'fee0'1000ull, 0x4031};
  msis[30] = hv::MsiMessage{0xfee00000ull, 0x22};
  const auto routes = BuildGsiRoutes(msis);
  ASSERT_EQ(routes.size(), 42u);
  const auto& a = routes[40];
  EXPECT_EQ(a.gsi, 24u);
  EXPECT_EQ(a.type, static_cast<uint32_t>(KVM_IRQ_ROUTING_MSI));
  EXPECT_EQ(a.u.msi.address_lo, 0xfee01000u);
  EXPECT_EQ(a.u.msi.address_hi, 1u);
  EXPECT_EQ(a.u.msi.data, 0x4031u);
  EXPECT_EQ(routes[41].gsi, 30u);
  EXPECT_EQ(routes[41].u.msi.data, 0x22u);
}

TEST(KvmIrqRoutingTest, TheSplitIrqchipHasNoDefaultRoutesAndPinsAtTheirGsi) {
  std::map<uint32_t, hv::MsiMessage> msis;
  msis[4] = hv::MsiMessage{0xfee00000ull, 0x24};      // IOAPIC pin 4 (COM1)
  msis[24] = hv::MsiMessage{0xfee00000ull, 0x41};     // a PCI MSI-X vector
  const auto routes = BuildGsiRoutes(msis, /*kernel_irqchip=*/false);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].gsi, 4u);
  EXPECT_EQ(routes[0].type, static_cast<uint32_t>(KVM_IRQ_ROUTING_MSI));
  EXPECT_EQ(routes[0].u.msi.data, 0x24u);
  EXPECT_EQ(routes[1].gsi, 24u);
}

TEST(KvmIrqRoutingTest, PinRoutesNeedTheSplitIrqchip) {
  // Refused before any ioctl, so a closed fd is enough.
  auto fd = std::make_shared<const UniqueFd>();
  auto full = std::make_shared<KvmIrqRouting>(fd);
  EXPECT_EQ(full->CreateMsiAtPin(4).error().code(), ErrorCode::kFailedPrecondition);
  auto split = std::make_shared<KvmIrqRouting>(fd, kMaxGsiRoutes, /*kernel_irqchip=*/false);
  EXPECT_EQ(split->CreateMsiAtPin(24).error().code(), ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace petrel::kvm
