// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The virtio memory device's wire format (virtio 1.2 §5.15): its device id,
// feature bits, the configuration space, and the guest-request queue's
// request and response layouts, types and block states.
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §5.15.1 device id (kept here rather than in virtio_device.h while the
// device is not wired into the VMM).
inline constexpr uint16_t kDeviceIdMem = 24;

// §5.15.2: one virtqueue, the guest-request queue.
inline constexpr uint16_t kMemQueueGuestRequest = 0;

// §5.15.3 feature bits. ACPI_PXM: node_id is valid (an ACPI PXM).
// UNPLUGGED_INACCESSIBLE: the driver never reads unplugged memory.
inline constexpr unsigned kMemFAcpiPxm = 0;
inline constexpr unsigned kMemFUnpluggedInaccessible = 1;
// Added after 1.2 (the 1.3 draft's §5.15.3): the guest may suspend to RAM
// with memory plugged. Not offered (Petrel has no guest suspend).
inline constexpr unsigned kMemFPersistentSuspend = 2;

// §5.15.4 struct virtio_mem_config, little-endian, read-only for the driver.
inline constexpr uint64_t kMemConfigBlockSize = 0;          // le64
inline constexpr uint64_t kMemConfigNodeId = 8;             // le16 (valid with ACPI_PXM)
inline constexpr uint64_t kMemConfigPadding = 10;           // u8[6]
inline constexpr uint64_t kMemConfigAddr = 16;              // le64
inline constexpr uint64_t kMemConfigRegionSize = 24;        // le64
inline constexpr uint64_t kMemConfigUsableRegionSize = 32;  // le64
inline constexpr uint64_t kMemConfigPluggedSize = 40;       // le64
inline constexpr uint64_t kMemConfigRequestedSize = 48;     // le64
inline constexpr uint64_t kMemConfigSize = 56;

// §5.15.6 struct virtio_mem_req: le16 type; le16 padding[3]; then the
// request-specific part (§5.15.6.3-§5.15.6.6: le64 addr; le16 nb_blocks;
// le16 padding[3]). Every request is 24 bytes.
inline constexpr uint32_t kMemReqType = 0;
inline constexpr uint32_t kMemReqAddr = 8;
inline constexpr uint32_t kMemReqNbBlocks = 16;
inline constexpr uint32_t kMemReqSize = 24;

// §5.15.6 struct virtio_mem_resp: le16 type; le16 padding[3]; then (STATE
// only, §5.15.6.6) le16 state. Every response is 10 bytes.
inline constexpr uint32_t kMemRespType = 0;
inline constexpr uint32_t kMemRespState = 8;
inline constexpr uint32_t kMemRespSize = 10;

// §5.15.6 request types.
inline constexpr uint16_t kMemReqPlug = 0;       // §5.15.6.3
inline constexpr uint16_t kMemReqUnplug = 1;     // §5.15.6.4
inline constexpr uint16_t kMemReqUnplugAll = 2;  // §5.15.6.5
inline constexpr uint16_t kMemReqState = 3;      // §5.15.6.6

// §5.15.6 response types.
inline constexpr uint16_t kMemRespAck = 0;
inline constexpr uint16_t kMemRespNack = 1;   // e.g. a plug beyond requested_size
inline constexpr uint16_t kMemRespBusy = 2;   // never sent by Petrel
inline constexpr uint16_t kMemRespError = 3;  // a bad range, or blocks in the wrong state

// §5.15.6.6 block states in a STATE response.
inline constexpr uint16_t kMemStatePlugged = 0;
inline constexpr uint16_t kMemStateUnplugged = 1;
inline constexpr uint16_t kMemStateMixed = 2;

}  // namespace petrel::virtio
