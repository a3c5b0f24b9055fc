// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the PCI config access paths: the input decodes into reads and
// writes of any width at any offset of PciConfigIo (0xCF8-0xCFF) and
// PciConfigMmio (a 2-bus ECAM window) over a bus holding the host bridge and
// a device with 32-bit, 64-bit and I/O BARs and two capabilities. Oracles:
// identity fields never change, the capability list stays well formed, BAR
// move callbacks agree with DecodedBarAddress(), and every reachable state
// round-trips through Save/Restore.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host_bridge.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

class FuzzDevice final : public petrel::PciDevice {
 public:
  FuzzDevice() : config_(Ids()) {
    Check(config_.AddBar(0, 0x1000, petrel::PciBarKind::kMmio32, false).ok());
    Check(config_.AddBar(1, 1ULL << 32, petrel::PciBarKind::kMmio64, true).ok());
    Check(config_.AddBar(4, 64, petrel::PciBarKind::kIo, false).ok());
    const std::vector<uint8_t> cap{0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const std::vector<uint8_t> mask{0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0};
    Check(config_.AddCapability(cap, mask).ok());
    Check(config_.AddCapability(std::vector<uint8_t>{0x09, 0, 4, 0}).ok());
    config_.SetBarMovedCallback([this](int bar, uint64_t o, uint64_t n) {
      Check(o == mapped[bar]);
      Check(n == *config_.DecodedBarAddress(bar));
      mapped[bar] = n;
    });
  }
  static petrel::PciIds Ids() {
    return {.vendor_id = 0x1af4, .device_id = 0x1041, .class_code = 0x020000, .interrupt_pin = 1};
  }
  petrel::PciConfigSpace& config() override { return config_; }
  uint64_t mapped[petrel::kPciBarCount] = {};

 private:
  petrel::PciConfigSpace config_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bus = std::make_shared<petrel::PciBus>();
  auto dev = std::make_shared<FuzzDevice>();
  Check(bus->AddDevice(std::make_shared<petrel::PciHostBridge>(), 0).ok());
  Check(bus->AddDevice(dev, 3).ok());
  petrel::PciConfigIo io(bus);
  petrel::PciConfigMmio ecam(bus, 2 * petrel::PciConfigMmio::kBusSize);

  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const uint8_t op = next();
    const size_t width = size_t{1} << ((op >> 1) & 3);
    uint8_t buf[8] = {};
    const bool write = op & 1;
    if (write) {
      for (size_t k = 0; k < width; ++k) buf[k] = next();
    }
    if ((op & 0x80) == 0) {
      const uint64_t offset = (op >> 3) & 0xf;  // 0-15: past the 8 ports too
      if (write)
        io.Write(offset, std::span<const uint8_t>(buf, width));
      else
        io.Read(offset, std::span<uint8_t>(buf, width));
    } else {
      // Mostly device 0 or 3 function 0, sometimes anywhere in the window.
      uint64_t offset = uint64_t{next()} | uint64_t{next()} << 8;
      const uint8_t sel = (op >> 3) & 0xf;
      if (sel < 6)
        offset = (3u << 15) | (offset & 0xfff);
      else if (sel < 8)
        offset &= 0xfff;
      else
        offset |= uint64_t{next()} << 16;
      if (sel == 15) offset |= uint64_t{next()} << 24;
      if (write)
        ecam.Write(offset, std::span<const uint8_t>(buf, width));
      else
        ecam.Read(offset, std::span<uint8_t>(buf, width));
    }
  }

  auto& c = dev->config();
  Check(c.Read(petrel::kPciVendorId, 4) == 0x10411af4);
  Check(bus->ReadConfig(0, 0, petrel::kPciVendorId, 4) == 0x0d578086);
  Check(c.Read(petrel::kPciCapabilityPointer, 1) == 0x40);
  Check(c.Read(0x41, 1) == 0x4c && c.Read(0x4d, 1) == 0);
  for (int b = 0; b < petrel::kPciBarCount; ++b) {
    if (auto d = c.DecodedBarAddress(b)) Check(*d == dev->mapped[b]);
  }
  const auto state = c.Save();
  FuzzDevice copy;
  Check(copy.config().Restore(state).ok());
  Check(copy.config().Save() == state);
  for (uint16_t off = 0; off < petrel::PciConfigSpace::kSize; off += 4) {
    Check(copy.config().Read(off, 4) == c.Read(off, 4));
  }
  const auto io_state = io.Save();
  petrel::PciConfigIo io2(bus);
  Check(io2.Restore(io_state).ok());
  Check(io2.Save() == io_state);
  return 0;
}
