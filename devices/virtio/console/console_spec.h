// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Virtio console constants (virtio 1.2 §5.3): queue numbering, feature bits
// and the layout of struct virtio_console_config. Little-endian on the wire.
#pragma once

#include <cstdint>

namespace petrel::virtio {

// §5.3.2 Virtqueues: 0 receiveq(port0), 1 transmitq(port0); the control
// queues (2, 3) and further ports exist only with VIRTIO_CONSOLE_F_MULTIPORT,
// which Petrel does not offer.
inline constexpr uint16_t kConsoleReceiveQueue = 0;   // §5.3.2: receiveq(port0), device -> driver
inline constexpr uint16_t kConsoleTransmitQueue = 1;  // §5.3.2: transmitq(port0), driver -> device
inline constexpr uint16_t kConsoleQueueCount = 2;

// §5.3.3 Feature bits (bit numbers).
inline constexpr unsigned kConsoleFSize = 0;        // §5.3.3: VIRTIO_CONSOLE_F_SIZE
inline constexpr unsigned kConsoleFMultiport = 1;   // §5.3.3: VIRTIO_CONSOLE_F_MULTIPORT
inline constexpr unsigned kConsoleFEmergWrite = 2;  // §5.3.3: VIRTIO_CONSOLE_F_EMERG_WRITE

// §5.3.4 Device configuration layout: struct virtio_console_config
// { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; }.
inline constexpr uint64_t kConsoleConfigColsOffset = 0;        // §5.3.4: cols
inline constexpr uint64_t kConsoleConfigRowsOffset = 2;        // §5.3.4: rows
inline constexpr uint64_t kConsoleConfigMaxNrPortsOffset = 4;  // §5.3.4: max_nr_ports
inline constexpr uint64_t kConsoleConfigEmergWrOffset = 8;     // §5.3.4: emerg_wr
inline constexpr uint64_t kConsoleConfigSize = 12;

}  // namespace petrel::virtio
