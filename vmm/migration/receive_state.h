// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The receiver's protocol state machine: which request may come next.
// Mirrors Cloud Hypervisor's receive-migration states and transitions (the
// receive loop in its VMM), without the work each step does (configuring the
// VM, placing memory, restoring state): the caller does that work, then
// answers Ok, or answers Error and stops (CH moves to Aborted on any failed
// step).
//
//   Established --Start--> Started
//   Started --MemoryFd--> MemoryFdsReceived --MemoryFd--> MemoryFdsReceived
//   Started | MemoryFdsReceived --Config--> Configured
//   Configured --Memory--> Configured
//   Configured --State--> StateReceived
//   StateReceived --Complete | CompletePaused--> Completed
//   any unfinished state --Abandon--> Aborted
//
// The sender's order: Start, [MemoryFd per memory slot, local migration],
// Config, Memory rounds (none for local migration), State, Complete (or
// CompletePaused when the source VM was paused); each answered before the next.
#pragma once

#include <string_view>

#include "core/base/result.h"
#include "vmm/migration/protocol.h"

namespace petrel::vmm::migration {

enum class ReceiveState {
  kEstablished,
  kStarted,
  kMemoryFdsReceived,
  kConfigured,
  kStateReceived,
  kCompleted,
  kAborted,
};

std::string_view ReceiveStateName(ReceiveState state);
// Completed or Aborted: the receive loop ends.
bool IsFinished(ReceiveState state);

// The state after `request` in `state`. kFailedPrecondition for a command the
// state does not take (and for any request once finished); a Start whose
// protocol version is unsupported is kUnsupported.
Result<ReceiveState> NextReceiveState(ReceiveState state, const Request& request);

}  // namespace petrel::vmm::migration
