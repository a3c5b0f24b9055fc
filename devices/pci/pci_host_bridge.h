// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciHostBridge: the root complex function at 00:00.0 (Cloud Hypervisor's
// PciRoot). Same ids as Cloud Hypervisor so guests and
// firmware see the same device: vendor 0x8086 (Intel), device 0x0d57
// (CH_VIRT_HOST_DEVICE_ID in EDK2's CloudHv platform), class 0x060000
// (PCI Code and ID Assignment Spec: bridge / host bridge). No BARs.
#pragma once

#include "devices/pci/pci_config_space.h"
#include "devices/pci/pci_device.h"

namespace petrel {

class PciHostBridge final : public PciDevice {
 public:
  static constexpr uint16_t kVendorId = 0x8086;
  static constexpr uint16_t kDeviceId = 0x0d57;
  static constexpr uint32_t kClassCode = 0x060000;

  PciHostBridge();
  PciConfigSpace& config() override { return config_; }

 private:
  PciConfigSpace config_;
};

}  // namespace petrel
