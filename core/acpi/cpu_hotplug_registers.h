// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The CPU hot-plug controller's register block, as Cloud Hypervisor lays it
// out (its AcpiCpuHotplugController, `\_SB_.PRES`): shared by the DSDT's AML
// (core/acpi/dsdt.cc), which reads and writes the fields, and the device
// model (devices/acpi/cpu_hotplug_controller.h), which implements them.
//
// kCpuHotplugSize bytes of MMIO at AcpiConfig::cpu_hotplug_mmio:
//   0x0  CSEL  DWord, R/W: the vCPU index the other fields refer to
//   0x4  status byte:
//          bit 0 CPEN  R    the selected vCPU is present (enabled)
//          bit 1 CINS  R/W1C an insertion the guest has not handled yet
//          bit 2 CRMV  R/W1C a removal request the guest has not handled yet
//          bit 3 CEJ0  W    eject: the guest has offlined the vCPU, remove it
//          bits 4-7 reserved (0)
//   0x5  CCMD  byte, reserved (reads 0)
//   0x8  CDAT  DWord, reserved (reads 0)
// The AML's status field is WriteAsZeros, so every write of the status byte
// carries exactly the one bit the method stores.
#pragma once

#include <cstdint>

namespace petrel::acpi {

inline constexpr uint64_t kCpuHotplugSize = 0xC;
inline constexpr uint64_t kCpuSelectOffset = 0x0;  // CSEL
inline constexpr uint64_t kCpuStatusOffset = 0x4;  // CPEN/CINS/CRMV/CEJ0
inline constexpr uint8_t kCpuEnabled = 1 << 0;     // CPEN
inline constexpr uint8_t kCpuInserting = 1 << 1;   // CINS
inline constexpr uint8_t kCpuRemoving = 1 << 2;    // CRMV
inline constexpr uint8_t kCpuEject = 1 << 3;       // CEJ0

// ACPI 6.4 5.6.6 Table 5.169: device object notifications CSCN sends.
inline constexpr uint64_t kNotifyDeviceCheck = 0x01;  // a vCPU was inserted
inline constexpr uint64_t kNotifyEjectRequest = 0x03;  // please eject this vCPU

}  // namespace petrel::acpi
