// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TpmConfig's checks (see tpm_config.h).
#include "devices/tpm/tpm_config.h"

#include "core/base/field_error.h"

namespace petrel::tpm {

Result<void> Validate(const TpmConfig& tpm) {
  if (tpm.socket.empty()) return FieldError("socket", tpm.socket, "needs a path");
  if (tpm.socket.find('\0') != std::string::npos) {
    return FieldError("socket", tpm.socket, "must not contain a NUL byte");
  }
  if (tpm.socket.size() > kTpmMaxSocketPathLen) {
    return FieldError("socket", tpm.socket,
                      "is longer than " + std::to_string(kTpmMaxSocketPathLen) +
                          " bytes (what a UNIX socket path holds)");
  }
  return Ok();
}

}  // namespace petrel::tpm
