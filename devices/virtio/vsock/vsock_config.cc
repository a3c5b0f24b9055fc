// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockConfig checks (see vsock_config.h).
#include "devices/virtio/vsock/vsock_config.h"

#include "core/base/field_error.h"
#include "devices/virtio/vsock/vsock_spec.h"

namespace petrel::virtio {

Result<void> Validate(const VsockConfig& vsock) {
  if (vsock.cid < kVsockMinGuestCid || vsock.cid >= kVsockCidAny) {
    return FieldError("cid", std::to_string(vsock.cid),
                      "must be from 3 to 4294967294 (0, 1 and 2 are reserved, and 4294967295 "
                      "is VMADDR_CID_ANY)");
  }
  if (vsock.socket.empty()) return FieldError("socket", vsock.socket, "needs a path");
  if (vsock.socket.find('\0') != std::string::npos) {
    return FieldError("socket", vsock.socket, "must not contain a NUL byte");
  }
  if (vsock.socket.size() > kVsockMaxSocketPathLen) {
    return FieldError("socket", vsock.socket,
                      "is longer than " + std::to_string(kVsockMaxSocketPathLen) +
                          " bytes (a UNIX socket path holds 107, and \"_<port>\" is added for "
                          "guest-initiated connections)");
  }
  return Ok();
}

}  // namespace petrel::virtio
