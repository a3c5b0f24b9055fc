// PciDevice: what the PCI bus needs from a function on it -- its
// configuration space and a notification after each guest config write.
#pragma once

#include <cstddef>
#include <cstdint>

#include "devices/pci/pci_config_space.h"

namespace petrel {

class PciDevice {
 public:
  virtual ~PciDevice() = default;
  virtual PciConfigSpace& config() = 0;
  // Runs after a guest write of `size` bytes at `offset` was applied to
  // config() (and after any BarMoved callback), on the writing vCPU thread.
  virtual void ConfigWritten(uint16_t offset, size_t size) {
    (void)offset;
    (void)size;
  }
};

}  // namespace petrel
