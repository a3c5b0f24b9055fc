// The shared snapshot suite (devices/testing/device_state_suite.h) for the
// PCI config space and the CONFIG_ADDRESS latch.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

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

using PciTraits = ::testing::Types<ConfigSpaceTraits, ConfigIoTraits>;

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Pci, DeviceStateTest, PciTraits);
}  // namespace testing
}  // namespace petrel
