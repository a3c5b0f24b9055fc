// Tests for PciPlatform's BAR mappings: a BAR that lost its bus mapping to an
// overlap is mapped again once the overlap goes away (found by
// pci_platform_fuzz).
#include "vmm/pci_platform.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <span>

#include "core/io/io_dispatcher.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"

namespace petrel::vmm {
namespace {

// One 4 KiB MMIO BAR whose bytes read as `tag`.
class TaggedDevice final : public PciDevice {
 public:
  explicit TaggedDevice(uint8_t tag)
      : config_({.vendor_id = 0x1af4, .device_id = 0x10f0, .class_code = 0xff0000}), tag_(tag) {
    EXPECT_TRUE(config_.AddBar(0, 0x1000, PciBarKind::kMmio32, false).ok());
  }
  PciConfigSpace& config() override { return config_; }
  void BarRead(int, uint64_t, std::span<uint8_t> data) override {
    std::fill(data.begin(), data.end(), tag_);
  }

 private:
  PciConfigSpace config_;
  uint8_t tag_;
};

class PciPlatformTest : public ::testing::Test {
 protected:
  // A guest config write through 0xCF8/0xCFC (PCI 3.0 §3.2.2.3.2).
  void ConfigWrite(uint8_t slot, uint8_t reg, uint32_t value) {
    const uint32_t addr = 0x8000'0000u | uint32_t{slot} << 11 | reg;
    io_.PioWrite(0, 0xcf8, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&addr), 4));
    io_.PioWrite(0, 0xcfc, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), 4));
  }
  uint8_t MmioByte(uint64_t gpa) {
    uint8_t b = 0;
    io_.MmioRead(0, gpa, {&b, 1});
    return b;
  }

  IoDispatcher io_;
};

TEST_F(PciPlatformTest, BarLostToAnOverlapIsMappedWhenTheOverlapEnds) {
  auto platform = PciPlatform::Create(io_, PciHostWindows(256ull << 20));
  ASSERT_TRUE(platform.ok());
  auto a = std::make_shared<TaggedDevice>(0xaa);
  auto b = std::make_shared<TaggedDevice>(0xbb);
  auto slot_a = (*platform)->AddDevice(a);
  auto slot_b = (*platform)->AddDevice(b);
  ASSERT_TRUE(slot_a.ok() && slot_b.ok());
  const uint64_t addr_a = *a->config().BarAddress(0);
  const uint64_t addr_b = *b->config().BarAddress(0);
  ConfigWrite(*slot_a, kPciCommand, kPciCommandMemorySpace);
  ConfigWrite(*slot_b, kPciCommand, kPciCommandMemorySpace);
  EXPECT_EQ(MmioByte(addr_a), 0xaa);
  EXPECT_EQ(MmioByte(addr_b), 0xbb);

  // B onto A: A keeps the range, B is off the bus.
  ConfigWrite(*slot_b, kPciBar0, static_cast<uint32_t>(addr_a));
  EXPECT_EQ(MmioByte(addr_a), 0xaa);
  EXPECT_EQ(MmioByte(addr_b), 0xff);  // unclaimed

  // A moves away: B now decodes alone at addr_a and must answer there.
  ConfigWrite(*slot_a, kPciBar0, static_cast<uint32_t>(addr_b));
  EXPECT_EQ(MmioByte(addr_b), 0xaa);
  EXPECT_EQ(MmioByte(addr_a), 0xbb);
}

}  // namespace
}  // namespace petrel::vmm
