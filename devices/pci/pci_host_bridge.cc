// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciHostBridge: the 00:00.0 host bridge identity (see pci_host_bridge.h).
#include "devices/pci/pci_host_bridge.h"

namespace petrel {

PciHostBridge::PciHostBridge()
    : config_(PciIds{.vendor_id = kVendorId, .device_id = kDeviceId, .class_code = kClassCode}) {}

}  // namespace petrel
