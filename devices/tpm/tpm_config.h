// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TpmConfig: what a user chooses about the TPM (--tpm socket=<path>, the
// REST API's "tpm", vm.info). Cloud Hypervisor's TpmConfig: the control
// socket of a running `swtpm socket --tpm2`.
#pragma once

#include <string>

#include "core/base/result.h"

namespace petrel::tpm {

// A UNIX socket path holds 107 bytes and its NUL.
inline constexpr size_t kTpmMaxSocketPathLen = 107;

struct TpmConfig {
  std::string socket;  // swtpm's control socket (--ctrl type=unixio,path=...)

  bool operator==(const TpmConfig&) const = default;
};

// One line, "<field>=<value>: <problem>" (core/base/field_error.h).
Result<void> Validate(const TpmConfig& tpm);

}  // namespace petrel::tpm
