// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SwtpmBackend: a TpmBackend served by swtpm (Stefan Berger's TPM emulator,
// Debian package swtpm), started by the user as
//   swtpm socket --tpm2 --tpmstate dir=DIR --ctrl type=unixio,path=SOCKET
// and named by --tpm socket=SOCKET, as with Cloud Hypervisor.
//
// Two channels (swtpm's man page swtpm_ioctls(3) states the control one):
//   control  the UNIX stream socket at SOCKET. Each message is a 32-bit
//            big-endian command number and its payload; each answer starts
//            with a 32-bit big-endian result, 0 for success.
//   data     one end of a socketpair Petrel makes; the other end goes to
//            swtpm with CMD_SET_DATAFD (SCM_RIGHTS). TPM commands go in
//            whole, responses come back whole (framed by the TPM header's
//            size field).
// Connect() does what a platform reset does: CMD_GET_CAPABILITY (the
// commands below must be there), CMD_STOP, CMD_SET_BUFFERSIZE (the CRB data
// buffer's size), CMD_INIT, CMD_GET_TPMESTABLISHED, then TPM2_Startup(CLEAR)
// on the data channel (TPM_RC_INITIALIZE, already started by swtpm's
// --flags startup-clear, is fine). A VM reset makes a new backend, so the
// TPM sees _TPM_Init and its PCRs start afresh, as on a real reboot.
//
// Every wait is bounded: control answers by Options::control_timeout_ms, responses by
// Options::command_timeout_ms (swtpm under load can take seconds for an
// RSA key). A silent, dead or babbling swtpm is an error, never a hang or
// a crash: Execute() fails and the CRB device reports a fatal TPM error.
//
// Threads: Connect on the VMM thread; Execute on the TPM worker; Cancel
// from a vCPU thread (it only writes an eventfd; Execute, which polls it,
// sends CMD_CANCEL_TPM_CMD).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "core/isolation/syscall_rules.h"
#include "devices/tpm/crb_registers.h"
#include "devices/tpm/tpm_backend.h"

namespace petrel::tpm {

// swtpm's control commands (swtpm_ioctls(3), "CMD_*" numbers).
enum class SwtpmCommand : uint32_t {
  kGetCapability = 1,
  kInit = 2,
  kShutdown = 3,
  kGetTpmEstablished = 4,
  kSetLocality = 5,
  kCancelTpmCmd = 9,
  kGetStateBlob = 12,
  kSetStateBlob = 13,
  kStop = 14,
  kSetDatafd = 16,
  kSetBufferSize = 17,
};

// PTM_CAP_* bits of CMD_GET_CAPABILITY's answer.
inline constexpr uint64_t kSwtpmCapInit = 1u << 0;
inline constexpr uint64_t kSwtpmCapGetTpmEstablished = 1u << 2;
inline constexpr uint64_t kSwtpmCapCancelTpmCmd = 1u << 5;
inline constexpr uint64_t kSwtpmCapStop = 1u << 10;
inline constexpr uint64_t kSwtpmCapSetDatafd = 1u << 12;
inline constexpr uint64_t kSwtpmCapSetBufferSize = 1u << 13;
inline constexpr uint64_t kSwtpmRequiredCaps = kSwtpmCapInit | kSwtpmCapGetTpmEstablished |
                                               kSwtpmCapStop | kSwtpmCapSetDatafd |
                                               kSwtpmCapSetBufferSize;

// swtpm's state, as CMD_GET_STATEBLOB gives it (PTM_BLOB_TYPE_*): the
// permanent state (keys, NV indices: what --tpmstate dir= keeps), the
// volatile state (PCRs, sessions, loaded objects) and the save state
// (TPM2_Shutdown(STATE) data; usually empty). A snapshot carries it; the
// restoring swtpm is loaded with it before CMD_INIT, so the guest's TPM
// goes on where it was, on this host or another.
struct SwtpmState {
  std::vector<uint8_t> permanent;
  std::vector<uint8_t> volatile_state;
  std::vector<uint8_t> savestate;
  bool operator==(const SwtpmState&) const = default;
};

// The largest blob Petrel takes from swtpm or a snapshot (libtpms' permanent
// state is some kilobytes; its NV space is bounded well below this).
inline constexpr size_t kSwtpmMaxBlobSize = 4u << 20;

class SwtpmBackend final : public TpmBackend {
 public:
  struct Options {
    size_t buffer_size = kDataBufferSize;  // the CRB data buffer's
    int control_timeout_ms = 10'000;
    int command_timeout_ms = 120'000;
  };

  // With `restore`, the TPM is loaded with that state and resumes: no
  // TPM2_Startup (the guest's TPM was started before the snapshot).
  static Result<std::unique_ptr<SwtpmBackend>> Connect(const std::string& socket_path,
                                                       const Options& options,
                                                       const SwtpmState* restore = nullptr);
  static Result<std::unique_ptr<SwtpmBackend>> Connect(const std::string& socket_path) {
    return Connect(socket_path, Options{});
  }

  // The TPM's state, taken while it runs (it goes on). Not while Execute()
  // runs: the caller waits for the device to be idle.
  Result<SwtpmState> SaveState();

  Result<size_t> Execute(std::span<uint8_t> buffer, size_t command_size) override;
  void Cancel() override;
  bool established() const override { return established_; }

  // What the worker that runs Execute() asks of the kernel.
  static isolation::SyscallRules WorkerSyscalls();

  size_t buffer_size() const { return buffer_size_; }
  uint64_t capabilities() const { return caps_; }

 private:
  SwtpmBackend() = default;
  // Sends `command` with `payload` (and `fd` as SCM_RIGHTS when >= 0) and
  // reads the answer: `answer_size` bytes, the first four the result.
  Result<std::vector<uint8_t>> Control(SwtpmCommand command, std::span<const uint8_t> payload,
                                       size_t answer_size, int fd = -1);
  // CMD_STOP, CMD_SET_BUFFERSIZE, [CMD_SET_STATEBLOB...,] CMD_INIT,
  // CMD_GET_TPMESTABLISHED and, without `restore`, TPM2_Startup(CLEAR).
  Result<void> Startup(size_t buffer_size, const SwtpmState* restore);
  Result<void> SendControlLocked(SwtpmCommand command, std::span<const uint8_t> payload,
                                int64_t deadline_ms);
  Result<bool> GetBlob(uint32_t type, std::vector<uint8_t>& blob);
  Result<void> SetBlob(uint32_t type, std::span<const uint8_t> blob);

  UniqueFd control_;
  UniqueFd data_;
  UniqueFd cancel_;  // eventfd: Cancel() -> Execute()
  std::mutex control_mu_;
  uint64_t caps_ = 0;
  size_t buffer_size_ = 0;
  int command_timeout_ms_ = 0;
  int control_timeout_ms_ = 0;
  bool established_ = false;
};

}  // namespace petrel::tpm
