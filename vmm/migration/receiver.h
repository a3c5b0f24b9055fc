// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The receiving side of a live migration: reads requests from the sender
// until Complete or Abandon, checks each against the protocol's order
// (receive_state.h), hands the work of each to a MigrationTarget (the empty
// VMM that becomes the VM) and answers Ok, or Error and stops -- as Cloud
// Hypervisor's receive loop does.
//
// A failed step, an Abandon, a request out of order, a malformed message or
// a dropped connection all end in MigrationTarget::Abandon: whatever was
// built goes, and the VMM is empty again.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "vmm/migration/receive_state.h"
#include "vmm/migration/stream.h"

namespace petrel::vmm::migration {

// What the receiver builds. Called on the receiving thread only, in the
// protocol's order.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  // Local migration: the memory of `slot`, before Config.
  virtual Result<void> TakeMemoryFd(uint32_t slot, UniqueFd fd) {
    (void)slot;
    (void)fd;
    return Error(ErrorCode::kUnsupported, "this VMM does not take memory fds");
  }
  // The Config payload: checks it and makes the guest memory.
  virtual Result<void> Configure(std::span<const uint8_t> payload) = 0;
  // Guest bytes of a Memory request (Configure came first).
  virtual Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> bytes) = 0;
  // The State payload: builds the VM, paused.
  virtual Result<void> Restore(std::span<const uint8_t> payload) = 0;
  // Complete (`resume`) or CompletePaused.
  virtual Result<void> Complete(bool resume) = 0;
  // The migration failed or was abandoned: drop everything built.
  virtual void Abandon() = 0;
};

// Named steps for the event monitor and tests: "started", "configured",
// "memory", "state", "completed".
using ReceiveProgress = std::function<void(std::string_view step)>;

// Serves one migration over `channel`. Ok once the VM was completed; an
// error saying why otherwise (after target.Abandon()).
Result<void> ReceiveMigration(MigrationChannel& channel, MigrationTarget& target,
                              const ReceiveProgress& progress = {});

}  // namespace petrel::vmm::migration
