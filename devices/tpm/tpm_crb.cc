// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TpmCrb: the CRB registers and the command hand-off (see tpm_crb.h).
#include "devices/tpm/tpm_crb.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/log.h"

namespace petrel::tpm {

namespace {

std::vector<uint8_t> ErrorResponse(uint32_t rc) {
  std::vector<uint8_t> r(kTpmHeaderSize);
  WriteTpmErrorResponse(r, rc);
  return r;
}

}  // namespace

TpmCrb::TpmCrb(uint64_t base, TpmBackend& backend, EventLoop& worker)
    : base_(base), backend_(backend), worker_(worker), established_(backend.established()) {
  s_.data.assign(kDataBufferSize, 0);
}

uint32_t TpmCrb::RegisterLocked(uint64_t reg) const {
  const uint64_t buffer = base_ + kDataBuffer;
  switch (reg) {
    case kLocState:
      // activeLocality (bits 2-4) is 0, the only one.
      return kLocStateRegValid | (s_.locality_assigned ? kLocStateAssigned : 0) |
             (established_ ? kLocStateEstablished : 0);
    case kLocSts:
      return (s_.locality_assigned ? kLocStsGranted : 0) |
             (s_.been_seized ? kLocStsBeenSeized : 0);
    case kIntfId:
      return kIntfTypeCrbActive | kIntfVersionCrb | kIntfCapLocality0Only | kIntfCapXferSize64 |
             kIntfCapCrb | kIntfSelectorCrb;
    case kIntfId2:
      return kIntfVidIbm;
    case kCtrlSts:
      return (s_.error ? kCtrlStsError : 0) | (s_.idle ? kCtrlStsIdle : 0);
    case kCtrlCancel:
      return s_.cancel;
    case kCtrlStart:
      return busy_ ? kCtrlStartInvoke : 0;
    case kCtrlCmdSize:
    case kCtrlRspSize:
      return static_cast<uint32_t>(kDataBufferSize);
    case kCtrlCmdLaddr:
    case kCtrlRspAddr:
      return static_cast<uint32_t>(buffer);
    case kCtrlCmdHaddr:
    case kCtrlRspAddr + 4:
      return static_cast<uint32_t>(buffer >> 32);
    default:
      return 0;  // CTRL_REQ (granted at once), reserved, interrupts (none)
  }
}

void TpmCrb::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    if (at >= kDataBuffer) {
      data[i] = at - kDataBuffer < s_.data.size() ? s_.data[at - kDataBuffer] : 0;
    } else {
      data[i] = static_cast<uint8_t>(RegisterLocked(at & ~uint64_t{3}) >> (8 * (at & 3)));
    }
  }
}

void TpmCrb::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return;
  std::lock_guard lock(mu_);
  if (offset >= kDataBuffer) {
    const uint64_t at = offset - kDataBuffer;
    if (busy_ || !RangeInBounds(s_.data.size(), at, data.size())) return;
    std::copy(data.begin(), data.end(), s_.data.begin() + static_cast<ptrdiff_t>(at));
    return;
  }
  // A register acts on a write to its first byte: the value is the access's
  // first (up to) four bytes.
  if (offset % 4 != 0) return;
  uint8_t bytes[4] = {};
  std::copy_n(data.begin(), std::min<size_t>(data.size(), 4), bytes);
  RegisterWriteLocked(offset, LoadLe<uint32_t>(bytes, 0));
}

void TpmCrb::RegisterWriteLocked(uint64_t reg, uint32_t value) {
  switch (reg) {
    case kLocCtrl:
      if (value == kLocCtrlRequestAccess) {
        s_.locality_assigned = true;
        s_.been_seized = false;
      } else if (value == kLocCtrlRelinquish) {
        s_.locality_assigned = false;
      }
      // Seize and resetEstablishmentBit belong to localities above 0.
      return;
    case kCtrlReq:
      if (value == kCtrlReqCmdReady) s_.idle = false;
      if (value == kCtrlReqGoIdle && !busy_) s_.idle = true;
      return;
    case kCtrlCancel:
      s_.cancel = value;
      if ((value & kCtrlCancelInvoke) != 0 && busy_) backend_.Cancel();
      return;
    case kCtrlStart:
      if ((value & kCtrlStartInvoke) != 0 && !busy_ && s_.locality_assigned) StartLocked();
      return;
    default:
      return;  // read-only or reserved
  }
}

void TpmCrb::StartLocked() {
  const uint32_t size = LoadBe<uint32_t>(s_.data, kTpmHeaderSizeOffset);
  if (size < kTpmHeaderSize || size > s_.data.size()) {
    ++commands_refused_;
    const std::vector<uint8_t> r = ErrorResponse(kTpmRcCommandSize);
    std::fill(s_.data.begin(), s_.data.end(), 0);
    std::copy(r.begin(), r.end(), s_.data.begin());
    return;  // answered at once: START reads 0 again
  }
  busy_ = true;
  std::vector<uint8_t> command(s_.data.begin(), s_.data.end());
  Result<void> posted = worker_.Post([this, command = std::move(command), size]() mutable {
    Result<size_t> n = backend_.Execute(command, size);
    if (!n.ok()) {
      PETREL_LOG_ONCE(kWarn, "tpm-command-failed")
          << "tpm: a command failed, the TPM now reports a fatal error (later failures are "
             "counted, not logged): "
          << n.error().message();
      Complete({}, false);
      return;
    }
    command.resize(*n);
    Complete(std::move(command), true);
  });
  if (!posted.ok()) {
    busy_ = false;
    s_.error = true;
    ++commands_refused_;
    PETREL_LOG(kError) << "tpm: " << posted.error().message();
  }
}

void TpmCrb::Complete(std::vector<uint8_t> response, bool ok) {
  std::lock_guard lock(mu_);
  std::fill(s_.data.begin(), s_.data.end(), 0);
  if (ok && response.size() <= s_.data.size()) {
    std::copy(response.begin(), response.end(), s_.data.begin());
    ++commands_run_;
  } else {
    s_.error = true;
    ++commands_refused_;
  }
  busy_ = false;
  idle_.notify_all();
}

bool TpmCrb::WaitIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return !busy_; });
}

uint64_t TpmCrb::commands_run() const {
  std::lock_guard lock(mu_);
  return commands_run_;
}

uint64_t TpmCrb::commands_refused() const {
  std::lock_guard lock(mu_);
  return commands_refused_;
}

bool TpmCrb::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

TpmCrb::State TpmCrb::Save() const {
  std::lock_guard lock(mu_);
  State s = s_;
  s.command_pending = busy_;
  return s;
}

Result<void> TpmCrb::Restore(const State& state) {
  if (state.data.size() != kDataBufferSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "tpm: the data buffer has " + std::to_string(state.data.size()) +
                     " bytes, not " + std::to_string(kDataBufferSize));
  }
  std::lock_guard lock(mu_);
  if (busy_) return Error(ErrorCode::kFailedPrecondition, "tpm: a command is running");
  s_ = state;
  s_.command_pending = false;
  if (state.command_pending) StartLocked();
  return Ok();
}

}  // namespace petrel::tpm
