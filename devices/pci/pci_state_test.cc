// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The shared snapshot suite (devices/testing/device_state_suite.h) for the
// PCI config space, the CONFIG_ADDRESS latch and MSI-X (with its config space).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/pci/msix.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_config_space.h"
#include "devices/testing/device_state_suite.h"

namespace petrel {
namespace {

struct ConfigSpaceTraits {
  std::unique_ptr<PciConfigSpace> Make() {
    auto c = std::make_unique<PciConfigSpace>(PciIds{
        .vendor_id = 0x1af4, .device_id = 0x1041, .class_code = 0x020000, .interrupt_pin = 1});
    EXPECT_TRUE(c->AddBar(0, 0x4000, PciBarKind::kMmio64, true).ok());
    EXPECT_TRUE(c->AddBar(2, 32, PciBarKind::kIo, false).ok());
    const std::vector<uint8_t> cap{0x11, 0, 0, 0, 0, 0, 0, 0};
    const std::vector<uint8_t> mask{0, 0, 0, 0xc0, 0, 0, 0, 0};
    EXPECT_TRUE(c->AddCapability(cap, mask).ok());
    return c;
  }
  void Drive(PciConfigSpace& c) {
    c.Write(kPciBar0, 4, 0xe0000000);
    c.Write(kPciBar0 + 4, 4, 0x1);
    c.Write(kPciBar0 + 8, 4, 0xc000);
    c.Write(kPciCommand, 2, kPciCommandMemorySpace | kPciCommandBusMaster);
    c.Write(kPciInterruptLine, 1, 10);
    c.Write(0x43, 1, 0x80);
    c.SetRaw(kPciStatus, 2, c.Read(kPciStatus, 2) | 0x2000 | kPciStatusInterrupt);
  }
  std::vector<uint32_t> Observe(PciConfigSpace& c) {
    std::vector<uint32_t> v;
    for (uint16_t off = 0; off < PciConfigSpace::kSize; off += 4) v.push_back(c.Read(off, 4));
    for (int i = 0; i < kPciBarCount; ++i)
      v.push_back(static_cast<uint32_t>(c.DecodedBarAddress(i).value_or(7)));
    return v;
  }
  std::vector<PciConfigSpace::State> Invalid(const PciConfigSpace::State& good) {
    std::vector<PciConfigSpace::State> bad(5, good);
    bad[0].regs[kPciVendorId] ^= 1;
    bad[1].regs[kPciBar0] ^= 0x8;  // BAR type bits
    bad[2].regs[kPciCapabilityPointer] = 0x50;
    bad[3].regs[kPciBar0 + 8] |= 0x10;     // below the I/O BAR size
    bad[4].regs[kPciCommand + 1] |= 0x80;  // reserved command bit
    return bad;
  }
};

struct ConfigIoTraits {
  std::shared_ptr<PciBus> bus = std::make_shared<PciBus>();
  std::unique_ptr<PciConfigIo> Make() { return std::make_unique<PciConfigIo>(bus); }
  void Drive(PciConfigIo& io) {
    const uint8_t a[4] = {0x3c, 0x08, 0x00, 0x80};
    io.Write(0, a);
  }
  std::vector<uint8_t> Observe(PciConfigIo& io) {
    std::vector<uint8_t> v(4);
    io.Read(0, v);
    return v;
  }
  std::vector<PciConfigIo::State> Invalid(const PciConfigIo::State& good) {
    std::vector<PciConfigIo::State> bad(2, good);
    bad[0].config_address |= 0x1;
    bad[1].config_address |= 0x0100'0000;
    return bad;
  }
};

// A function with one 64-bit BAR holding the MSI-X table and PBA, restored the
// way a PciDevice owner does it: check both states, then config, then table.
class MsixFunction {
 public:
  struct State {
    PciConfigSpace::State config;
    MsixTable::State msix;
    bool operator==(const State&) const = default;
  };
  MsixFunction() : config_(PciIds{.vendor_id = 0x1af4, .device_id = 0x1041}) {
    EXPECT_TRUE(config_.AddBar(0, 0x4000, PciBarKind::kMmio64, false).ok());
    auto t = MsixTable::Create(
        config_, {.vectors = 70, .table_offset = 0x2000, .pba_offset = 0x3000}, nullptr);
    EXPECT_TRUE(t.ok());
    msix_ = std::move(t).value();
  }
  PciConfigSpace& config() { return config_; }
  MsixTable& msix() { return *msix_; }
  void ConfigWrite(uint16_t offset, size_t size, uint32_t value) {
    config_.Write(offset, size, value);
    msix_->ConfigWritten(offset, size);
  }
  State Save() const { return {config_.Save(), msix_->Save()}; }
  Result<void> Restore(const State& s) {
    PETREL_TRY(msix_->CheckState(s.msix, s.config));
    PETREL_TRY(config_.Restore(s.config));
    return msix_->Restore(s.msix);
  }

 private:
  PciConfigSpace config_;
  std::unique_ptr<MsixTable> msix_;
};

struct MsixTraits {
  std::unique_ptr<MsixFunction> Make() { return std::make_unique<MsixFunction>(); }
  void Drive(MsixFunction& f) {
    const uint16_t control = f.msix().cap_offset() + kMsixCapControl;
    f.ConfigWrite(control, 2, kMsixControlEnable | kMsixControlFunctionMask);
    const uint8_t entry[16] = {0x00, 0x10, 0xe0, 0xfe, 0, 0, 0, 0, 0x41, 0, 0, 0, 0, 0, 0, 0};
    f.msix().WriteTable(65 * kMsixEntrySize, std::span<const uint8_t>(entry, 8));
    f.msix().WriteTable(65 * kMsixEntrySize + 8, std::span<const uint8_t>(entry + 8, 8));
    f.msix().Notify(65);
    f.msix().Notify(3);
  }
  std::vector<uint32_t> Observe(MsixFunction& f) {
    std::vector<uint32_t> v;
    uint8_t b[4];
    for (uint64_t off = 0; off < f.msix().layout().table_size(); off += 4) {
      f.msix().ReadTable(off, b);
      v.push_back(b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24);
    }
    for (uint64_t off = 0; off < f.msix().layout().pba_size(); off += 4) {
      f.msix().ReadPba(off, b);
      v.push_back(b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24);
    }
    v.push_back(f.config().Read(f.msix().cap_offset() + kMsixCapControl, 2));
    v.push_back(f.msix().enabled());
    return v;
  }
  std::vector<MsixFunction::State> Invalid(const MsixFunction::State& good) {
    std::vector<MsixFunction::State> bad(5, good);
    bad[0].msix.table.pop_back();
    bad[1].msix.pba[1] |= uint64_t{1} << 10;   // vector 74 >= N
    bad[2].msix.control = kMsixControlEnable;  // config says enabled + function masked
    bad[3].msix.table[0].vector_control = 0x80000001;
    bad[4].config.regs[good.config.regs[kPciCapabilityPointer] + kMsixCapControl] ^= 1;  // N-1
    return bad;
  }
};

using PciTraits = ::testing::Types<ConfigSpaceTraits, ConfigIoTraits, MsixTraits>;

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Pci, DeviceStateTest, PciTraits);
}  // namespace testing
}  // namespace petrel
