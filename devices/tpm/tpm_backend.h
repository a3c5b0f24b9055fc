// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TpmBackend: what runs the guest's TPM 2.0 commands for the CRB device
// (tpm_crb.h). In production that is swtpm over its control and data
// sockets (swtpm_backend.h); tests use a fake (testing/fake_tpm_backend.h).
//
// Threads: Execute() runs on the TPM device's worker, one command at a
// time; Cancel() may come from a vCPU thread while Execute() runs;
// established() from any thread (a value read when the backend started,
// no I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/base/result.h"

namespace petrel::tpm {

class TpmBackend {
 public:
  virtual ~TpmBackend() = default;
  // Runs the command in buffer[0, command_size) and puts the response at
  // the buffer's start: its size, at most buffer.size(). An error means no
  // response (the TPM is gone or answered nonsense).
  virtual Result<size_t> Execute(std::span<uint8_t> buffer, size_t command_size) = 0;
  // Asks the TPM to give up the command Execute() is running (it answers
  // TPM_RC_CANCELED, or the command's result if it finished first).
  virtual void Cancel() = 0;
  // The PTP's tpmEstablished flag: a TPM2_Startup from locality 3 or 4 ran
  // (only those localities may clear it, and the CRB device offers locality
  // 0 alone, so it does not change while the VM runs).
  virtual bool established() const = 0;
};

}  // namespace petrel::tpm
