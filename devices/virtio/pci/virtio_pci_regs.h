// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Virtio over PCI register constants (virtio 1.2 §4.1): PCI ids, the
// vendor-specific capability layout, the common configuration structure
// offsets, and the BAR0 layout Petrel uses for every virtio-pci device.
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §4.1.2.1 PCI Device Discovery.
inline constexpr uint16_t kVirtioPciVendorId = 0x1af4;      // §4.1.2: vendor 0x1AF4
inline constexpr uint16_t kVirtioPciDeviceIdBase = 0x1040;  // §4.1.2.1: 0x1040 + device type
inline constexpr uint8_t kVirtioPciRevision = 1;            // §4.1.2.2: non-transitional, >= 1
inline constexpr uint16_t kVirtioPciSubsystemId = 0x40;     // §4.1.2.2: subsystem id >= 0x40

// §4.1.4 Virtio Structure PCI Capabilities: struct virtio_pci_cap.
inline constexpr uint8_t kPciCapIdVendor = 0x09;      // PCI 3.0 §6.7 / §4.1.4: cap_vndr
inline constexpr uint8_t kVirtioPciCapCommonCfg = 1;  // §4.1.4: VIRTIO_PCI_CAP_COMMON_CFG
inline constexpr uint8_t kVirtioPciCapNotifyCfg = 2;  // §4.1.4: VIRTIO_PCI_CAP_NOTIFY_CFG
inline constexpr uint8_t kVirtioPciCapIsrCfg = 3;     // §4.1.4: VIRTIO_PCI_CAP_ISR_CFG
inline constexpr uint8_t kVirtioPciCapDeviceCfg = 4;  // §4.1.4: VIRTIO_PCI_CAP_DEVICE_CFG
inline constexpr uint8_t kVirtioPciCapPciCfg = 5;     // §4.1.4: VIRTIO_PCI_CAP_PCI_CFG
// §4.1.4 field offsets inside struct virtio_pci_cap.
inline constexpr uint8_t kVirtioCapLen = 2;
inline constexpr uint8_t kVirtioCapCfgType = 3;
inline constexpr uint8_t kVirtioCapBar = 4;
inline constexpr uint8_t kVirtioCapOffset = 8;
inline constexpr uint8_t kVirtioCapLength = 12;
inline constexpr uint8_t kVirtioCapSize = 16;  // sizeof(struct virtio_pci_cap)
// §4.1.4.4 struct virtio_pci_notify_cap: cap + le32 notify_off_multiplier.
inline constexpr uint8_t kVirtioNotifyCapMultiplier = 16;
inline constexpr uint8_t kVirtioNotifyCapSize = 20;
// §4.1.4.9 struct virtio_pci_cfg_cap: cap + u8 pci_cfg_data[4].
inline constexpr uint8_t kVirtioPciCfgCapData = 16;
inline constexpr uint8_t kVirtioPciCfgCapSize = 20;

// §4.1.4.3 struct virtio_pci_common_cfg offsets.
inline constexpr uint64_t kCommonDeviceFeatureSelect = 0x00;  // le32 RW
inline constexpr uint64_t kCommonDeviceFeature = 0x04;        // le32 RO
inline constexpr uint64_t kCommonDriverFeatureSelect = 0x08;  // le32 RW
inline constexpr uint64_t kCommonDriverFeature = 0x0c;        // le32 RW
inline constexpr uint64_t kCommonConfigMsixVector = 0x10;     // le16 RW
inline constexpr uint64_t kCommonNumQueues = 0x12;            // le16 RO
inline constexpr uint64_t kCommonDeviceStatus = 0x14;         // u8 RW
inline constexpr uint64_t kCommonConfigGeneration = 0x15;     // u8 RO
inline constexpr uint64_t kCommonQueueSelect = 0x16;          // le16 RW
inline constexpr uint64_t kCommonQueueSize = 0x18;            // le16 RW
inline constexpr uint64_t kCommonQueueMsixVector = 0x1a;      // le16 RW
inline constexpr uint64_t kCommonQueueEnable = 0x1c;          // le16 RW
inline constexpr uint64_t kCommonQueueNotifyOff = 0x1e;       // le16 RO
inline constexpr uint64_t kCommonQueueDesc = 0x20;            // le64 RW
inline constexpr uint64_t kCommonQueueDriver = 0x28;          // le64 RW
inline constexpr uint64_t kCommonQueueDevice = 0x30;          // le64 RW
inline constexpr uint64_t kCommonCfgSize = 0x38;  // up to queue_device (no notify_data/reset)

// §4.1.4.5 ISR status bits.
inline constexpr uint8_t kIsrQueue = 1;   // bit 0: queue interrupt
inline constexpr uint8_t kIsrConfig = 2;  // bit 1: device configuration change

// Petrel's BAR0 layout: each region 4 KiB aligned (§4.1.4.1 allows any
// placement; 4 KiB lets a guest map each region with its own attributes).
inline constexpr uint64_t kVirtioRegionAlign = 0x1000;
inline constexpr uint64_t kVirtioCommonOffset = 0x0000;
inline constexpr uint64_t kVirtioIsrOffset = 0x1000;
inline constexpr uint64_t kVirtioIsrSize = 4;
inline constexpr uint64_t kVirtioDeviceCfgOffset = 0x2000;
inline constexpr uint64_t kVirtioDeviceCfgSize = 0x1000;
inline constexpr uint64_t kVirtioNotifyOffset = 0x3000;
// §4.1.4.4: queue i's doorbell is at notify base + queue_notify_off *
// notify_off_multiplier; Petrel uses queue_notify_off = i, multiplier 4.
inline constexpr uint32_t kVirtioNotifyOffMultiplier = 4;

// Named cap on a device's queue count (one MSI-X vector each plus config
// must fit the 2048-entry table, PCI 3.0 §6.8.2.3).
inline constexpr uint16_t kVirtioPciMaxQueues = 1024;

}  // namespace petrel::virtio
