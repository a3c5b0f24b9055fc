// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The I/O APIC's register map and redirection-entry bit layout, and the
// x86 MSI format its pins are delivered in. Constants only; the model is
// ioapic.h.
//
// Sources: Intel 82093AA I/O APIC datasheet (order no. 290566), section 3
// "Register Description" (3.1 memory-mapped registers, 3.2 IOAPIC
// registers); the EOI register of version-0x20 I/O APICs is from the Intel
// ICH/PCH datasheets' "I/O Advanced Programmable Interrupt Controller"
// chapter (the register Linux's io_apic_eoi() writes when the version is
// 0x20 or above); the MSI address/data format is Intel SDM Vol. 3A 10.11.1
// and 10.11.2 ("Message Address Register Format", "Message Data Register
// Format").
#pragma once

#include <cstdint>

namespace petrel::ioapic {

// 3.1: the memory-mapped registers, as offsets from the base (0xFEC00000).
inline constexpr uint64_t kMmioSize = 0x1000;         // one 4 KiB page
inline constexpr uint64_t kIoRegSelOffset = 0x00;     // IOREGSEL: register index, bits 7:0
inline constexpr uint64_t kIoWinOffset = 0x10;        // IOWIN: the selected register
inline constexpr uint64_t kEoiOffset = 0x40;          // EOI (version 0x20): vector, bits 7:0
inline constexpr uint64_t kRegisterAccessWidth = 4;   // 3.1: "accessed as dwords"
inline constexpr uint32_t kIoRegSelMask = 0xff;       // 3.1 IOREGSEL bits 31:8 reserved

// 3.2: the registers IOREGSEL selects.
inline constexpr uint8_t kRegId = 0x00;   // 3.2.1 IOAPICID: ID in bits 27:24
inline constexpr uint8_t kRegVer = 0x01;  // 3.2.2 IOAPICVER: read-only
inline constexpr uint8_t kRegArb = 0x02;  // 3.2.3 IOAPICARB: read-only
inline constexpr uint8_t kRegRedirectionBase = 0x10;  // 3.2.4 IOREDTBL[n]: 0x10 + 2n (low), +1 (high)

// 3.2.1: IOAPICID bits 27:24.
inline constexpr uint32_t kIdShift = 24;
inline constexpr uint32_t kIdMask = 0xf;

// 3.2.2: IOAPICVER = version (bits 7:0) | maximum redirection entry
// (bits 23:16, pins - 1). Version 0x20 is the ICH IOxAPIC with the EOI
// register (QEMU's default IOAPIC version); 0x11 is the original 82093AA.
inline constexpr uint32_t kVersion = 0x20;
inline constexpr uint32_t kMaxRedirectionEntryShift = 16;

inline constexpr uint32_t kNumPins = 24;
inline constexpr uint8_t kRegRedirectionLast = kRegRedirectionBase + 2 * kNumPins - 1;  // 0x3f

// 3.2.4: one 64-bit redirection table entry (IOREDTBL).
inline constexpr uint64_t kRteVectorMask = 0xff;            // bits 7:0, R/W
inline constexpr uint32_t kRteDeliveryModeShift = 8;        // bits 10:8, R/W
inline constexpr uint64_t kRteDeliveryModeMask = 0x7ULL << kRteDeliveryModeShift;
inline constexpr uint64_t kRteDestModeLogical = 1ULL << 11;  // R/W: 0 physical, 1 logical
inline constexpr uint64_t kRteDeliveryStatus = 1ULL << 12;   // RO: 1 = send pending
inline constexpr uint64_t kRtePolarityLow = 1ULL << 13;      // R/W: 0 active high, 1 active low
inline constexpr uint64_t kRteRemoteIrr = 1ULL << 14;        // RO: level interrupt accepted, no EOI yet
inline constexpr uint64_t kRteTriggerLevel = 1ULL << 15;     // R/W: 0 edge, 1 level
inline constexpr uint64_t kRteMasked = 1ULL << 16;           // R/W: 1 = masked (the reset value)
inline constexpr uint32_t kRteDestinationShift = 56;         // bits 63:56, R/W
inline constexpr uint64_t kRteDestinationMask = 0xffULL << kRteDestinationShift;
// Bits 55:17 are reserved: they read 0 here and writes to them are dropped.
inline constexpr uint64_t kRteWritable = kRteVectorMask | kRteDeliveryModeMask | kRteDestModeLogical |
                                         kRtePolarityLow | kRteTriggerLevel | kRteMasked |
                                         kRteDestinationMask;
inline constexpr uint64_t kRteReadOnly = kRteDeliveryStatus | kRteRemoteIrr;
inline constexpr uint64_t kRteReset = kRteMasked;  // 3.2.4: masked after reset, all else 0

// 3.2.4 Delivery Mode values.
inline constexpr uint8_t kDeliveryFixed = 0b000;
inline constexpr uint8_t kDeliveryLowestPriority = 0b001;
inline constexpr uint8_t kDeliverySmi = 0b010;
inline constexpr uint8_t kDeliveryReserved3 = 0b011;
inline constexpr uint8_t kDeliveryNmi = 0b100;
inline constexpr uint8_t kDeliveryInit = 0b101;
inline constexpr uint8_t kDeliveryReserved6 = 0b110;
inline constexpr uint8_t kDeliveryExtInt = 0b111;

// SDM Vol. 3A 10.11.1: MSI address. 0xFEE in bits 31:20, destination ID in
// bits 19:12, RH (redirection hint) bit 3, DM (destination mode) bit 2.
inline constexpr uint64_t kMsiAddressBase = 0xfee0'0000;
inline constexpr uint32_t kMsiAddressDestShift = 12;
inline constexpr uint64_t kMsiAddressDestModeLogical = 1ULL << 2;
// SDM Vol. 3A 10.11.2: MSI data. Vector bits 7:0, delivery mode bits 10:8,
// level (1 = assert) bit 14, trigger mode (1 = level) bit 15.
inline constexpr uint32_t kMsiDataDeliveryModeShift = 8;
inline constexpr uint32_t kMsiDataLevelAssert = 1u << 14;
inline constexpr uint32_t kMsiDataTriggerLevel = 1u << 15;

}  // namespace petrel::ioapic
