// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The memory hot-plug controller's register block, as Cloud Hypervisor lays
// it out (its MemoryManager's BusDevice and AML, `\_SB_.MHPC`): shared by
// the DSDT's AML (core/acpi/dsdt.cc), which reads and writes the fields, and
// the device model (devices/acpi/memory_hotplug_controller.h), which
// implements them.
//
// kMemoryHotplugSize bytes of MMIO at AcpiConfig::memory_hotplug_mmio. The
// read side describes the selected slot (a DIMM-like range of guest RAM):
//   0x0   MHBL  DWord R  base, low 32 bits
//   0x4   MHBH  DWord R  base, high 32 bits
//   0x8   MHLL  DWord R  length, low 32 bits
//   0xC   MHLH  DWord R  length, high 32 bits
//   0x10  MHPX  DWord R  proximity domain (NUMA node)
//   0x14  status byte:
//           bit 0 MEN_  R     the slot holds memory (enabled)
//           bit 1 MINS  R/W1C an insertion the guest has not handled yet
//           bit 2 MRMV  R/W1C a removal request the guest has not handled yet
//           bit 3 MEJ0  W     eject: the guest has offlined the range, remove it
//           bits 4-7 reserved (0)
// The write side:
//   0x0   MSEL  DWord W  the slot the other fields refer to
//   0x14  the status byte above: writing MINS or MRMV acknowledges, MEJ0 ejects
// The AML's status field is WriteAsZeros, so every write of the status byte
// carries exactly the one bit the method stores. Cloud Hypervisor's AML also
// declares MOEV (0x4) and MOSC (0x8) on the write side; nothing uses them,
// and Petrel's DSDT leaves them out.
#pragma once

#include <cstdint>

namespace petrel::acpi {

inline constexpr uint64_t kMemoryHotplugSize = 0x18;      // MEMORY_MANAGER_ACPI_SIZE
inline constexpr uint64_t kMemoryBaseLowOffset = 0x0;     // MHBL (BASE_OFFSET_LOW)
inline constexpr uint64_t kMemoryBaseHighOffset = 0x4;    // MHBH (BASE_OFFSET_HIGH)
inline constexpr uint64_t kMemoryLengthLowOffset = 0x8;   // MHLL (LENGTH_OFFSET_LOW)
inline constexpr uint64_t kMemoryLengthHighOffset = 0xC;  // MHLH (LENGTH_OFFSET_HIGH)
inline constexpr uint64_t kMemoryProximityOffset = 0x10;  // MHPX (read as 0 by Cloud Hypervisor)
inline constexpr uint64_t kMemoryStatusOffset = 0x14;     // MEN_/MINS/MRMV/MEJ0 (STATUS_OFFSET)
inline constexpr uint64_t kMemorySelectOffset = 0x0;      // MSEL (SELECTION_OFFSET), written
inline constexpr uint64_t kMemoryHotplugFieldSize = 4;    // every field but the status is a DWord
inline constexpr uint8_t kMemoryEnabled = 1 << 0;         // MEN_ (ENABLE_FLAG)
inline constexpr uint8_t kMemoryInserting = 1 << 1;       // MINS (INSERTING_FLAG)
inline constexpr uint8_t kMemoryRemoving = 1 << 2;        // MRMV (REMOVING_FLAG)
inline constexpr uint8_t kMemoryEject = 1 << 3;           // MEJ0 (EJECT_FLAG)
// The number of slots (`\_SB_.MHPC.M000` ..), Cloud Hypervisor's HOTPLUG_COUNT.
inline constexpr uint32_t kMemoryHotplugSlots = 8;

}  // namespace petrel::acpi
