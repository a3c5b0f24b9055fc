// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TpmCrb: a TPM 2.0 behind the CRB interface of the TCG PC Client Platform
// TPM Profile (crb_registers.h), locality 0 only, as Cloud Hypervisor's
// --tpm gives it (devices/src/tpm.rs). One MMIO page at x86::kTpmCrbStart;
// the ACPI TPM2 table (start method 7, CRB) and the DSDT device MSFT0101
// tell Linux's tpm_crb where it is. The commands themselves run in a
// TpmBackend (swtpm).
//
// The guest's side of a command (what Linux's tpm_crb does):
//   1. LOC_CTRL requestAccess: locality 0 is assigned and granted at once.
//   2. CTRL_REQ cmdReady: the device leaves idle (CTRL_STS tpmIdle = 0).
//   3. The command into the data buffer (0x80..0xFFF), CTRL_START = 1.
//   4. The device hands the command to its worker and returns: the vCPU
//      does not wait for the TPM. CTRL_START reads 1 until the response is
//      in the data buffer, then 0. The guest polls it.
//   5. CTRL_CANCEL = 1 asks the backend to cancel; the guest writes 0 later.
// Petrel's choices where Cloud Hypervisor differs: CH runs the swtpm round
// trip on the vCPU thread inside the MMIO write (a slow command, such as a
// key generation, stalls the vCPU and a pause); here it runs on the TPM's
// worker. The command and response buffer registers are read-only (the
// device has one buffer at a fixed place); CH lets the guest rewrite them.
//
// Guest mistakes: a command whose header size is below 10 bytes or beyond
// the data buffer is answered by the device with TPM_RC_COMMAND_SIZE and
// never reaches the backend; START without the locality, or while a
// command runs, is ignored; data buffer writes while a command runs are
// dropped; accesses past a register's bytes read 0 and write nothing. A
// backend failure (swtpm gone, a malformed response) sets CTRL_STS tpmSts,
// the PTP's fatal error, until the VM is reset; the VMM runs on.
//
// Threads: Read/Write from vCPU threads; commands run on `worker` (the
// owner stops that loop before destroying the device). Save/Restore with
// the vCPUs stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/bus/bus.h"
#include "core/event/event_loop.h"
#include "devices/tpm/crb_registers.h"
#include "devices/tpm/tpm_backend.h"

namespace petrel::tpm {

class TpmCrb final : public BusDevice {
 public:
  struct State {
    bool locality_assigned = false;
    bool been_seized = false;
    bool idle = true;
    bool error = false;            // CTRL_STS tpmSts
    uint32_t cancel = 0;           // CTRL_CANCEL as last written
    // A command was running when the state was saved: Restore runs it again.
    bool command_pending = false;
    std::vector<uint8_t> data;     // the data buffer, kDataBufferSize bytes
    bool operator==(const State&) const = default;
  };

  // `base`: the page's guest physical address (for the buffer address
  // registers). `backend` and `worker` must outlive the device.
  TpmCrb(uint64_t base, TpmBackend& backend, EventLoop& worker);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Commands handed to the backend so far, and those the device answered
  // itself (bad size) or that failed in the backend.
  uint64_t commands_run() const;
  uint64_t commands_refused() const;
  bool busy() const;
  // Waits up to `timeout` for the command with the worker (if any) to be
  // answered; true when none runs. Not from the worker's thread.
  bool WaitIdle(std::chrono::milliseconds timeout) const;

  State Save() const;
  // Refuses a data buffer of the wrong size and leaves the device as it was.
  Result<void> Restore(const State& state);

 private:
  uint32_t RegisterLocked(uint64_t reg) const;
  void RegisterWriteLocked(uint64_t reg, uint32_t value);
  void StartLocked();
  void Complete(std::vector<uint8_t> response, bool ok);

  const uint64_t base_;
  TpmBackend& backend_;
  EventLoop& worker_;
  const bool established_;  // the backend's, read once
  mutable std::mutex mu_;
  mutable std::condition_variable idle_;  // busy_ went false
  State s_;
  bool busy_ = false;
  uint64_t commands_run_ = 0, commands_refused_ = 0;
};

}  // namespace petrel::tpm
