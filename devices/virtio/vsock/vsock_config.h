// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockConfig: what a user chooses about the virtio-vsock device (--vsock,
// the REST API's "vsock", vm.info): Cloud Hypervisor's VsockConfig. A VM has
// a vsock device only when asked for one.
//
// The device is CH's hybrid vsock: the host side is a UNIX socket at
// `socket` (host programs connect to it and send "CONNECT <port>\n"), and a
// guest connection to host port P goes to the UNIX socket "<socket>_<P>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base/result.h"

namespace petrel::virtio {

// sun_path holds 108 bytes with the NUL; "<socket>_<port>" adds at most 11
// ("_" and 10 digits), so the socket path itself has at most 96.
inline constexpr size_t kVsockMaxSocketPathLen = 108 - 1 - 11;

struct VsockConfig {
  uint64_t cid = 0;          // the guest's context id: 3 .. 2^32-2
  std::string socket;        // the host UNIX socket the device listens on
  bool iommu = false;        // behind the virtual IOMMU
  std::string id;            // device id; empty until the VM names it
  uint16_t pci_segment = 0;  // PCI segment (the VM checks it exists)
  bool operator==(const VsockConfig&) const = default;
};

// One line, "<field>=<value>: <problem>": the cid is not a reserved one
// (0, 1, 2, VMADDR_CID_ANY) and fits 32 bits; the socket is a path that
// fits sun_path with its "_<port>" suffix.
Result<void> Validate(const VsockConfig& vsock);

}  // namespace petrel::virtio
