// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "vmm/migration/receiver.h"

#include <utility>

#include "core/base/log.h"

namespace petrel::vmm::migration {
namespace {

// The work of one request, the protocol state already checked.
Result<void> Serve(MigrationChannel& channel, MigrationTarget& target, ReceivedRequest& received,
                   const ReceiveProgress& progress) {
  auto step = [&](std::string_view name) {
    if (progress) progress(name);
  };
  switch (received.request.command) {
    case Command::kStart:
      step("started");
      return Ok();
    case Command::kMemoryFd:
      return target.TakeMemoryFd(received.slot, std::move(received.fd));
    case Command::kConfig:
      PETREL_TRY(target.Configure(received.payload).Wrap("Config"));
      step("configured");
      return Ok();
    case Command::kMemory:
      PETREL_TRY(channel
                     .ReceiveMemoryData(received.table,
                                        [&](uint64_t gpa, std::span<const uint8_t> bytes) {
                                          return target.WriteMemory(gpa, bytes);
                                        })
                     .Wrap("Memory"));
      step("memory");
      return Ok();
    case Command::kState:
      PETREL_TRY(target.Restore(received.payload).Wrap("State"));
      step("state");
      return Ok();
    case Command::kComplete:
    case Command::kCompletePaused:
      PETREL_TRY(target.Complete(received.request.command == Command::kComplete).Wrap("Complete"));
      step("completed");
      return Ok();
    default:
      return Error(ErrorCode::kUnsupported,
                   std::string("the ") + std::string(CommandName(received.request.command)) +
                       " request is not supported");
  }
}

}  // namespace

Result<void> ReceiveMigration(MigrationChannel& channel, MigrationTarget& target,
                              const ReceiveProgress& progress) {
  ReceiveState state = ReceiveState::kEstablished;
  while (!IsFinished(state)) {
    Result<ReceivedRequest> received = channel.ReadRequest();
    if (!received.ok()) {
      target.Abandon();
      return std::move(received).error().Wrap("the migration stopped in state " +
                                              std::string(ReceiveStateName(state)));
    }
    Result<ReceiveState> next = NextReceiveState(state, received->request);
    Result<void> done = next.ok() ? Serve(channel, target, *received, progress)
                                  : Result<void>(std::move(next).error());
    if (!done.ok()) {
      // CH answers Error and aborts; the sender abandons on its side.
      (void)channel.SendResponse(Status::kError);
      target.Abandon();
      return std::move(done).error().Wrap("the migration failed");
    }
    state = *next;
    if (state == ReceiveState::kAborted) {
      (void)channel.SendResponse(Status::kOk);
      target.Abandon();
      return Error(ErrorCode::kFailedPrecondition, "the sender abandoned the migration");
    }
    Result<void> answered = channel.SendResponse(Status::kOk);
    if (!answered.ok()) {
      // Completed: the VM runs here already, whatever the sender heard.
      if (state != ReceiveState::kCompleted) target.Abandon();
      return std::move(answered).error().Wrap("answering the sender");
    }
  }
  return Ok();
}

}  // namespace petrel::vmm::migration
