// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for PciBus, PciConfigIo (0xCF8/0xCFC) and PciConfigMmio (ECAM).
#include "devices/pci/pci_bus.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/pci/pci_host_bridge.h"

namespace petrel {
namespace {

class RecordingDevice final : public PciDevice {
 public:
  RecordingDevice()
      : config_(PciIds{.vendor_id = 0x1af4, .device_id = 0x1042, .class_code = 0x018000}) {
    (void)config_.AddBar(0, 0x1000, PciBarKind::kMmio32, false);
  }
  PciConfigSpace& config() override { return config_; }
  void ConfigWritten(uint16_t offset, size_t size) override { writes.push_back({offset, size}); }
  struct W {
    uint16_t offset;
    size_t size;
    bool operator==(const W&) const = default;
  };
  std::vector<W> writes;

 private:
  PciConfigSpace config_;
};

uint32_t Rd(BusDevice& d, uint64_t off, size_t w) {
  uint8_t b[8] = {};
  d.Read(off, std::span<uint8_t>(b, w));
  uint32_t v = 0;
  for (size_t i = 0; i < w && i < 4; ++i) v |= uint32_t{b[i]} << (8 * i);
  return v;
}
void Wr(BusDevice& d, uint64_t off, size_t w, uint32_t v) {
  uint8_t b[8] = {};
  for (size_t i = 0; i < w && i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  d.Write(off, std::span<const uint8_t>(b, w));
}
uint32_t CfgAddr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg) {
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

struct Fixture : ::testing::Test {
  std::shared_ptr<PciBus> bus = std::make_shared<PciBus>();
  std::shared_ptr<RecordingDevice> dev = std::make_shared<RecordingDevice>();
  PciConfigIo io{bus};
  PciConfigMmio ecam{bus, 2 * PciConfigMmio::kBusSize};
  void SetUp() override {
    ASSERT_EQ(*bus->AddDevice(std::make_shared<PciHostBridge>(), 0), 0);
    ASSERT_EQ(*bus->AddDevice(dev, std::nullopt), 1);
  }
};

using PciBusTest = Fixture;

TEST_F(PciBusTest, AddDeviceSlots) {
  EXPECT_FALSE(bus->AddDevice(dev, 0).ok());   // taken
  EXPECT_FALSE(bus->AddDevice(dev, 32).ok());  // out of range
  EXPECT_FALSE(bus->AddDevice(nullptr, 5).ok());
  EXPECT_EQ(*bus->AddDevice(std::make_shared<RecordingDevice>(), 7), 7);
  for (int i = 0; i < 29; ++i) ASSERT_TRUE(bus->AddDevice(dev, std::nullopt).ok()) << i;
  EXPECT_FALSE(bus->AddDevice(dev, std::nullopt).ok());  // full
}

TEST_F(PciBusTest, RemoveDeviceFreesTheSlot) {
  auto removed = bus->RemoveDevice(1);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->get(), dev.get());
  EXPECT_EQ(bus->ReadConfig(1, 0, kPciVendorId, 2), 0xffffu);  // gone: all-ones
  EXPECT_EQ(bus->RemoveDevice(1).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(bus->RemoveDevice(40).error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(bus->RemoveDevice(0).ok());  // the host bridge stays
  EXPECT_EQ(*bus->AddDevice(dev, std::nullopt), 1);  // the slot is free again
}

TEST_F(PciBusTest, HostBridgeIdentity) {
  EXPECT_EQ(bus->ReadConfig(0, 0, kPciVendorId, 4), 0x0d578086u);
  EXPECT_EQ(bus->ReadConfig(0, 0, kPciRevisionId, 4) >> 8, 0x060000u);
  EXPECT_EQ(bus->ReadConfig(0, 0, kPciHeaderType, 1), 0u);
}

TEST_F(PciBusTest, AbsentDevicesAndFunctionsReadAllOnes) {
  EXPECT_EQ(bus->ReadConfig(2, 0, kPciVendorId, 2), 0xffffu);
  EXPECT_EQ(bus->ReadConfig(1, 1, kPciVendorId, 2), 0xffffu);  // function 1
  EXPECT_EQ(bus->ReadConfig(31, 0, kPciVendorId, 4), 0xffffffffu);
  EXPECT_EQ(bus->ReadConfig(40, 0, kPciVendorId, 1), 0xffu);
  EXPECT_EQ(bus->ReadConfig(1, 0, 4095, 2), 0xffffu);  // crosses the end
  bus->WriteConfig(2, 0, kPciCommand, 2, 0xffff);      // dropped, no crash
}

TEST_F(PciBusTest, ConfigWrittenNotified) {
  bus->WriteConfig(1, 0, kPciCommand, 2, kPciCommandMemorySpace);
  ASSERT_EQ(dev->writes.size(), 1u);
  EXPECT_EQ(dev->writes[0], (RecordingDevice::W{kPciCommand, 2}));
  EXPECT_EQ(dev->config().command(), kPciCommandMemorySpace);
}

TEST_F(PciBusTest, ConfigAddressRegister) {
  Wr(io, 0, 4, 0xffffffff);
  EXPECT_EQ(Rd(io, 0, 4), 0x80fffffcu);  // reserved 30:24 and 1:0 read 0
  // Non-dword accesses to 0xCF8 are not claimed.
  Wr(io, 0, 1, 0);
  Wr(io, 2, 2, 0);
  EXPECT_EQ(Rd(io, 0, 4), 0x80fffffcu);
  EXPECT_EQ(Rd(io, 0, 1), 0xffu);
  EXPECT_EQ(Rd(io, 1, 2), 0xffffu);
}

TEST_F(PciBusTest, EnableBitGatesData) {
  Wr(io, 0, 4, CfgAddr(0, 1, 0, 0) & ~0x80000000u);
  EXPECT_EQ(Rd(io, 4, 4), 0xffffffffu);
  Wr(io, 4, 2, 0);  // dropped
  Wr(io, 0, 4, CfgAddr(0, 1, 0, 0));
  EXPECT_EQ(Rd(io, 4, 4), 0x10421af4u);
  EXPECT_TRUE(dev->writes.empty());
  Wr(io, 0, 4, CfgAddr(1, 1, 0, 0));  // bus 1: nothing there
  EXPECT_EQ(Rd(io, 4, 2), 0xffffu);
}

TEST_F(PciBusTest, EveryDataWidthAndOffset) {
  Wr(io, 0, 4, CfgAddr(0, 1, 0, kPciVendorId));
  EXPECT_EQ(Rd(io, 4, 1), 0xf4u);
  EXPECT_EQ(Rd(io, 5, 1), 0x1au);
  EXPECT_EQ(Rd(io, 6, 1), 0x42u);
  EXPECT_EQ(Rd(io, 7, 1), 0x10u);
  EXPECT_EQ(Rd(io, 4, 2), 0x1af4u);
  EXPECT_EQ(Rd(io, 6, 2), 0x1042u);
  EXPECT_EQ(Rd(io, 4, 4), 0x10421af4u);
  // Crossing 0xCFF or odd widths: not claimed.
  EXPECT_EQ(Rd(io, 6, 4), 0xffffffffu);
  EXPECT_EQ(Rd(io, 7, 2), 0xffffu);
  EXPECT_EQ(Rd(io, 4, 8), 0xffffffffu);

  // Writes: interrupt line (0x3C byte 0) via 0xCFC; BAR0 via each width.
  Wr(io, 0, 4, CfgAddr(0, 1, 0, kPciInterruptLine));
  Wr(io, 4, 1, 9);
  Wr(io, 5, 1, 4);  // interrupt pin: RO
  EXPECT_EQ(Rd(io, 4, 2), 0x0009u);
  Wr(io, 0, 4, CfgAddr(0, 1, 0, kPciBar0));
  Wr(io, 4, 4, 0xffffffff);
  EXPECT_EQ(Rd(io, 4, 4), 0xfffff000u);
  Wr(io, 6, 2, 0xfebc);
  Wr(io, 5, 1, 0x00);
  Wr(io, 4, 1, 0x00);
  EXPECT_EQ(Rd(io, 4, 4), 0xfebc0000u);
  EXPECT_EQ(dev->config().BarAddress(0), 0xfebc0000u);
  ASSERT_EQ(dev->writes.size(), 6u);  // the RO pin write is still notified
  EXPECT_EQ(dev->writes[4], (RecordingDevice::W{kPciBar0 + 1, 1}));
}

TEST_F(PciBusTest, EcamDecode) {
  const uint64_t dev1 = 1u << 15;
  EXPECT_EQ(Rd(ecam, 0, 4), 0x0d578086u);
  EXPECT_EQ(Rd(ecam, dev1, 4), 0x10421af4u);
  EXPECT_EQ(Rd(ecam, dev1 + 2, 2), 0x1042u);
  EXPECT_EQ(Rd(ecam, dev1 + 3, 1), 0x10u);
  EXPECT_EQ(Rd(ecam, dev1 + 0x100, 4), 0u);                      // extended space: no capabilities
  EXPECT_EQ(Rd(ecam, (2u << 15), 2), 0xffffu);                   // absent device
  EXPECT_EQ(Rd(ecam, dev1 | (1u << 12), 2), 0xffffu);            // function 1
  EXPECT_EQ(Rd(ecam, PciConfigMmio::kBusSize, 4), 0xffffffffu);  // bus 1
  EXPECT_EQ(Rd(ecam, 2 * PciConfigMmio::kBusSize, 4), 0xffffffffu);  // past window
  EXPECT_EQ(Rd(ecam, dev1 + 1, 2), 0xffffu);                         // misaligned
  EXPECT_EQ(Rd(ecam, dev1, 8), 0xffffffffu);                         // 8-byte

  Wr(ecam, dev1 + kPciBar0, 4, 0xfe000000);
  Wr(ecam, dev1 + kPciCommand, 2, kPciCommandMemorySpace);
  EXPECT_EQ(dev->config().DecodedBarAddress(0), 0xfe000000u);
  Wr(ecam, PciConfigMmio::kBusSize + dev1 + kPciBar0, 4, 0);  // bus 1: dropped
  EXPECT_EQ(dev->config().BarAddress(0), 0xfe000000u);
}

}  // namespace
}  // namespace petrel
