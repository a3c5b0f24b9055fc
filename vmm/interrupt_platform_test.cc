// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// InterruptPlatform on hv_sim: which IOAPIC a VM gets, the VMM's IOAPIC on
// the MMIO bus delivering MSIs, a local APIC's EOI reaching it through the
// IoDispatcher, and its state in and out.
#include "vmm/interrupt_platform.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/arch/x86_layout.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"

namespace petrel::vmm {
namespace {

std::shared_ptr<sim::SimVm> MakeVm(bool userspace_ioapic) {
  hv::VmConfig config;
  config.userspace_ioapic = userspace_ioapic;
  return sim::MakeSimHypervisor()->CreateSimVm(config).value();
}

void WriteRegister(IoDispatcher& io, uint8_t reg, uint32_t value) {
  uint8_t bytes[4] = {reg, 0, 0, 0};  // IOREGSEL takes 32-bit writes only
  io.MmioWrite(0, x86::kIoapicStart, bytes);
  std::memcpy(bytes, &value, 4);
  io.MmioWrite(0, x86::kIoapicStart + 0x10, bytes);
}

size_t MsisWithData(const sim::SimVm& vm, uint32_t data) {
  size_t n = 0;
  for (const auto& r : vm.trace().records()) {
    if (r.kind != sim::TraceKind::kMsi || r.bytes.size() != 4) continue;
    uint32_t d;
    std::memcpy(&d, r.bytes.data(), 4);
    n += d == data;
  }
  return n;
}

TEST(InterruptPlatformTest, ALevelPinIsDeliveredAgainAfterTheEoiWhileStillAsserted) {
  auto vm = MakeVm(true);
  IoDispatcher io;
  auto platform = InterruptPlatform::Create(*vm, io);
  ASSERT_TRUE(platform.ok()) << platform.error().message();
  ASSERT_NE((*platform)->ioapic(), nullptr);
  // Pin 9: vector 0x29, level-triggered (bit 15), unmasked.
  WriteRegister(io, 0x10 + 2 * 9, 0x8029);
  auto line = (*platform)->Line(9).value();
  line->SetLevel(true);
  // Level MSIs carry the trigger (bit 15) and assert (bit 14) bits.
  const uint32_t data = 0xc029;
  EXPECT_EQ(MsisWithData(*vm, data), 1u);
  io.EndOfInterrupt(0, 0x28);  // another vector: nothing
  EXPECT_EQ(MsisWithData(*vm, data), 1u);
  io.EndOfInterrupt(0, 0x29);  // the line is still high: delivered again
  EXPECT_EQ(MsisWithData(*vm, data), 2u);
  line->SetLevel(false);
  io.EndOfInterrupt(0, 0x29);
  EXPECT_EQ(MsisWithData(*vm, data), 2u);

  auto saved = (*platform)->Save();
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->redirection[9] & 0xffff, 0x8029u);
  EXPECT_TRUE((*platform)->Restore(saved).ok());
  EXPECT_FALSE((*platform)->Restore(std::nullopt).ok());
}

TEST(InterruptPlatformTest, TheBackendsIoapicLeavesTheBusAndTheStateAlone) {
  auto vm = MakeVm(false);
  IoDispatcher io;
  auto platform = InterruptPlatform::Create(*vm, io);
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ((*platform)->ioapic(), nullptr);
  auto line = (*platform)->Line(4);
  ASSERT_TRUE(line.ok());
  (*line)->SetLevel(true);
  EXPECT_TRUE(vm->PinLevel(4));
  EXPECT_EQ((*platform)->Save(), std::nullopt);
  EXPECT_TRUE((*platform)->Restore(std::nullopt).ok());
  EXPECT_FALSE((*platform)->Restore(Ioapic::State{}).ok());
  // Nothing answers at the IOAPIC's address: the default all-ones read.
  uint8_t b[4] = {};
  io.MmioRead(0, x86::kIoapicStart + 0x10, b);
  EXPECT_EQ(b[0], 0xff);
}

TEST(InterruptPlatformTest, PinsPastTheLastAreRefused) {
  auto vm = MakeVm(true);
  IoDispatcher io;
  auto platform = InterruptPlatform::Create(*vm, io).value();
  EXPECT_FALSE(platform->Line(24).ok());
}

}  // namespace
}  // namespace petrel::vmm
