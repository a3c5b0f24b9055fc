// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The PCI hot-plug controller's register block, as Cloud Hypervisor lays it
// out (its DeviceManager's PCIU/PCID/B0EJ/PSEG fields, `\_SB_.PHPR`): shared
// by the DSDT's AML (core/acpi/dsdt.cc), which reads and writes the fields,
// and the device model (devices/acpi/pci_hotplug_controller.h), which
// implements them.
//
// kPciHotplugSize bytes of MMIO at AcpiConfig::pci_hotplug_mmio, four DWords
// (the AML field is DWord-accessed, WriteAsZeros); bit n of a bitmap is PCI
// device (slot) n on bus 0 of the selected segment:
//   0x0  PCIU  R   slots added since the last read; the read clears it
//   0x4  PCID  R   slots the VMM asks the guest to eject; the read clears it
//   0x8  B0EJ  W   the guest ejects these slots (reads 0)
//   0xC  PSEG  R/W the PCI segment the other fields refer to
// The guest scans with PCNT (Device Check for each PCIU bit, Eject Request
// for each PCID bit) and ejects a slot through its _EJ0, which writes PSEG
// and then B0EJ under the PHPR's mutex.
#pragma once

#include <cstdint>

namespace petrel::acpi {

inline constexpr uint64_t kPciHotplugSize = 0x10;  // Cloud Hypervisor's DEVICE_MANAGER_ACPI_SIZE
inline constexpr uint64_t kPciUpOffset = 0x0;       // PCIU (PCIU_FIELD_OFFSET)
inline constexpr uint64_t kPciDownOffset = 0x4;     // PCID (PCID_FIELD_OFFSET)
inline constexpr uint64_t kPciEjectOffset = 0x8;    // B0EJ (B0EJ_FIELD_OFFSET)
inline constexpr uint64_t kPciSegmentOffset = 0xC;  // PSEG (PSEG_FIELD_OFFSET)
inline constexpr uint64_t kPciHotplugFieldSize = 4;  // every field is one DWord (*_FIELD_SIZE)
// PCI Local Bus 3.0 §3.2.2.3.1: 32 devices on a bus, one bit each. Device 0
// of bus 0 is the host bridge (devices/pci/pci_host_bridge.h): never
// hot-plugged, never ejected, and without a slot object in the DSDT.
inline constexpr uint32_t kPciHotplugSlots = 32;

}  // namespace petrel::acpi
