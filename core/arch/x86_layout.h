// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The guest physical memory map Petrel presents on x86_64.
//
// Follows Cloud Hypervisor's arch/src/x86_64/layout.rs (see
// docs/platform.md) so guests, firmware and tools see the same platform.
#pragma once

#include <cstdint>

namespace petrel::x86 {

// Low memory: boot structures written by the loaders.
inline constexpr uint64_t kEbdaPointer = 0x40e;
inline constexpr uint64_t kBootGdtStart = 0x500;
inline constexpr uint64_t kBootIdtStart = 0x520;
inline constexpr uint64_t kPvhInfoStart = 0x6000;     // struct hvm_start_info
inline constexpr uint64_t kPvhModlistStart = 0x6040;  // hvm_modlist_entry[] (initramfs)
inline constexpr uint64_t kZeroPageStart = 0x7000;    // Linux boot_params (bzImage)
inline constexpr uint64_t kPvhMemmapStart = 0x7000;   // hvm_memmap_table_entry[] (PVH only)
inline constexpr uint64_t kBootStackPointer = 0x8ff0;
inline constexpr uint64_t kPml4Start = 0x9000;
inline constexpr uint64_t kPdpteStart = 0xa000;
inline constexpr uint64_t kPdeStart = 0xb000;
inline constexpr uint64_t kCmdlineStart = 0x20000;
inline constexpr uint64_t kCmdlineMaxSize = 0x10000;
inline constexpr uint64_t kMptableStart = 0x9fc00;
inline constexpr uint64_t kEbdaStart = 0xa0000;  // end of low RAM; RSDP lives here
inline constexpr uint64_t kHighRamStart = 0x100000;  // kernel load address

// The 32-bit hole: RAM is split into [0, 3 GiB) and [4 GiB, ...).
inline constexpr uint64_t kMem32BitReservedStart = 0xc000'0000;
inline constexpr uint64_t kRam64BitStart = 0x1'0000'0000;
inline constexpr uint64_t kMem32BitDeviceStart = 0xc000'0000;
inline constexpr uint64_t kMem32BitDeviceSize = 640ULL << 20;
inline constexpr uint64_t kPciMmconfigStart = 0xe800'0000;  // ECAM, 1 MiB per bus
// 64-bit PCI BAR window: from the first 1 GiB boundary at or above the end
// of RAM (and >= 4 GiB), kPciMmio64Size bytes. 64 GiB keeps it inside a
// 40-bit guest physical address space for any RAM size below ~950 GiB.
inline constexpr uint64_t kPciMmio64Align = 1ULL << 30;
inline constexpr uint64_t kPciMmio64Size = 64ULL << 30;
inline constexpr uint64_t kKvmTssStart = 0xf800'0000;  // 3 pages
inline constexpr uint64_t kKvmIdentityMapStart = kKvmTssStart + 0x3000;
inline constexpr uint64_t kIoapicStart = 0xfec0'0000;
// ACPI GED event register (1 byte). Cloud Hypervisor puts its platform devices
// at the top of the physical address space; Petrel keeps them in the 32-bit
// hole, below the IOAPIC, so the address never depends on the host's
// physical address width.
inline constexpr uint64_t kAcpiGedStart = 0xfeb0'0000;
inline constexpr uint32_t kAcpiGedIrq = 5;
// The CPU hot-plug controller's registers (core/acpi/cpu_hotplug_registers.h),
// beside the GED; later hot-plug controllers follow it.
inline constexpr uint64_t kAcpiCpuHotplugStart = kAcpiGedStart + 0x10;
// The PCI hot-plug controller's registers (core/acpi/pci_hotplug_registers.h,
// 16 bytes), the next 16-byte slot after the CPU block's 12 bytes.
inline constexpr uint64_t kAcpiPciHotplugStart = kAcpiGedStart + 0x20;
// The memory hot-plug controller's registers
// (core/acpi/memory_hotplug_registers.h, 0x18 bytes: 0xFEB00030-0xFEB00047),
// after the PCI block's 16 bytes; the GED block's next free byte is 0x48.
inline constexpr uint64_t kAcpiMemoryHotplugStart = kAcpiGedStart + 0x30;
inline constexpr uint16_t kAcpiPmPort = 0x600;     // sleep control/status, reset
inline constexpr uint16_t kAcpiPmTimerPort = 0x608;
inline constexpr uint64_t kLapicStart = 0xfee0'0000;
// The TPM 2.0 CRB interface's registers: TCG PC Client Platform TPM Profile
// (PTP) Specification for TPM 2.0, locality 0's CRB register page at
// 0xFED40000, one 4 KiB page (the CRB control area starts at its offset
// 0x40). The same address as Cloud Hypervisor's TPM_START/TPM_SIZE. It lies
// between the IOAPIC's page and the LAPIC window, clear of every other range
// in this file.
inline constexpr uint64_t kTpmCrbStart = 0xfed4'0000;
inline constexpr uint64_t kTpmCrbSize = 0x1000;
static_assert(kTpmCrbStart >= kIoapicStart + 0x1000 && kTpmCrbStart + kTpmCrbSize <= kLapicStart,
              "the TPM CRB page lies between the IOAPIC page and the LAPIC window");
// The test guests' device (--test-device, devices/testdev): one page of MMIO
// below the GED, 8 ports and IOAPIC pin 10 (unused by the PC devices).
inline constexpr uint64_t kTestDeviceStart = 0xfea0'0000;
inline constexpr uint16_t kTestDevicePort = 0x0ef0;
inline constexpr uint32_t kTestDeviceIrq = 10;

// Legacy port I/O.
inline constexpr uint16_t kCom1Port = 0x3f8;
inline constexpr uint32_t kCom1Irq = 4;
inline constexpr uint16_t kI8042Port = 0x60;   // data 0x60, command/status 0x64
inline constexpr uint16_t kCmosPort = 0x70;    // index 0x70, data 0x71
inline constexpr uint32_t kRtcIrq = 8;         // PC/AT: the MC146818's IRQ is ISA IRQ 8
inline constexpr uint16_t kDebugPort = 0x80;   // POST codes, boot-time markers
inline constexpr uint16_t kPciConfigPort = 0xcf8;  // CONFIG_ADDRESS/CONFIG_DATA, 8 ports

}  // namespace petrel::x86
