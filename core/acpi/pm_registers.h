// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The hardware-reduced ACPI registers Petrel's FADT and DSDT describe: the
// sleep control/status and reset registers, the PM timer and the GED event
// bits. Shared by the table generator (core/acpi) and the device models that
// implement the registers (devices/acpi), so both agree on every offset.
#pragma once

#include <cstdint>

namespace petrel::acpi {

// --- The PM port block at AcpiConfig::pm_port (default 0x600, as Cloud Hypervisor) ---
// ACPI 6.4 4.8.3.7 Sleep Control Register (FADT SLEEP_CONTROL_REG), 1 byte:
// bits 2-4 SLP_TYPx, bit 5 SLP_EN. Linux (acpi_hw_extended_sleep) writes
// (SLP_TYPa << 2) | SLP_EN, with SLP_TYPa from the \_S5_ package for poweroff.
inline constexpr uint16_t kSleepControlOffset = 0;
// ACPI 6.4 4.8.3.7 Sleep Status Register (FADT SLEEP_STATUS_REG), 1 byte: bit 7 WAK_STS.
inline constexpr uint16_t kSleepStatusOffset = 1;
// ACPI 6.4 4.8.3.6 Reset Register (FADT RESET_REG), 1 byte. It shares the
// sleep control port, as in Cloud Hypervisor: a write of RESET_VALUE (1, see
// AcpiConfig::reset_value) has SLP_EN clear, so the device tells them apart.
inline constexpr uint16_t kResetRegOffset = 0;
inline constexpr uint16_t kPmPortCount = 2;  // ports pm_port .. pm_port + 1

inline constexpr uint8_t kSleepTypeShift = 2;  // 4.8.3.7: SLP_TYPx, bits 2-4
inline constexpr uint8_t kSleepTypeMask = 0x1C;
inline constexpr uint8_t kSleepEnable = 1 << 5;  // 4.8.3.7: SLP_EN
inline constexpr uint8_t kWakeStatus = 1 << 7;   // 4.8.3.7: WAK_STS
// The SLP_TYP value of \_S5_ in Petrel's DSDT (Package {5, 0, 0, 0}).
inline constexpr uint8_t kSleepTypeS5 = 5;
// The byte Linux writes to the sleep control register to power off: 0x34.
inline constexpr uint8_t kS5SleepControlValue = (kSleepTypeS5 << kSleepTypeShift) | kSleepEnable;

// --- The PM timer at AcpiConfig::pm_timer_port (default 0x608) ---------------------
// ACPI 6.4 4.8.3.3 Power Management Timer: 3.579545 MHz, 32 bits with
// TMR_VAL_EXT, read as one DWord.
inline constexpr uint32_t kPmTimerHz = 3'579'545;
inline constexpr uint16_t kPmTimerPortCount = 4;

// --- GED (ACPI0013, ACPI 6.4 5.6.9) event register: 1 byte of MMIO at AcpiConfig::ged_mmio ---
// The device sets bits and raises the GED interrupt; _EVT reads the byte
// (GDAT) and handles each set bit. Bit layout as in Cloud Hypervisor.
inline constexpr uint64_t kGedMmioSize = 1;
inline constexpr uint8_t kGedCpuHotplug = 1 << 0;     // \_SB_.CPUS.CSCN (cpu_hotplug_registers.h)
inline constexpr uint8_t kGedMemoryHotplug = 1 << 1;  // \_SB_.MHPC.MSCN (memory_hotplug_registers.h)
inline constexpr uint8_t kGedPciHotplug = 1 << 2;     // \_SB_.PHPR.PSCN (pci_hotplug_registers.h)
inline constexpr uint8_t kGedPowerButton = 1 << 3;    // Notify (\_SB_.PWRB, 0x80)

}  // namespace petrel::acpi
