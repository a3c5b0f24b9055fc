// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The receiver's protocol state machine (see receive_state.h).
#include "vmm/migration/receive_state.h"

#include <optional>
#include <string>

namespace petrel::vmm::migration {
namespace {

// The transitions other than Abandon and Start's version check.
std::optional<ReceiveState> Transition(ReceiveState state, Command command) {
  using S = ReceiveState;
  switch (state) {
    case S::kEstablished:
      if (command == Command::kStart) return S::kStarted;
      break;
    case S::kStarted:
    case S::kMemoryFdsReceived:
      if (command == Command::kMemoryFd) return S::kMemoryFdsReceived;
      if (command == Command::kConfig) return S::kConfigured;
      break;
    case S::kConfigured:
      if (command == Command::kMemory) return S::kConfigured;
      if (command == Command::kState) return S::kStateReceived;
      break;
    case S::kStateReceived:
      if (command == Command::kComplete || command == Command::kCompletePaused) return S::kCompleted;
      break;
    case S::kCompleted:
    case S::kAborted: break;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ReceiveStateName(ReceiveState state) {
  switch (state) {
    case ReceiveState::kEstablished: return "Established";
    case ReceiveState::kStarted: return "Started";
    case ReceiveState::kMemoryFdsReceived: return "MemoryFdsReceived";
    case ReceiveState::kConfigured: return "Configured";
    case ReceiveState::kStateReceived: return "StateReceived";
    case ReceiveState::kCompleted: return "Completed";
    case ReceiveState::kAborted: return "Aborted";
  }
  return "Unknown";
}

bool IsFinished(ReceiveState state) {
  return state == ReceiveState::kCompleted || state == ReceiveState::kAborted;
}

Result<ReceiveState> NextReceiveState(ReceiveState state, const Request& request) {
  if (!IsFinished(state) && request.command == Command::kAbandon) return ReceiveState::kAborted;
  std::optional<ReceiveState> next = Transition(state, request.command);
  if (!next) {
    return Error(ErrorCode::kFailedPrecondition,
                 "can't handle command " + std::string(CommandName(request.command)) +
                     " in receive state " + std::string(ReceiveStateName(state)));
  }
  if (request.command == Command::kStart) PETREL_TRY(CheckSenderProtocolVersion(request));
  return *next;
}

}  // namespace petrel::vmm::migration
