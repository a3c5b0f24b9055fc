// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The receiver's state machine (receive_state.h): CH's remote and local
// sequences, Abandon from every unfinished state, and every command a state
// does not take.
#include "vmm/migration/receive_state.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace petrel::vmm::migration {
namespace {

using S = ReceiveState;

S RunSequence(std::initializer_list<Command> commands) {
  S state = S::kEstablished;
  for (Command c : commands) {
    const Request r = c == Command::kStart ? Request::Start() : Request::Of(c, 0);
    Result<S> next = NextReceiveState(state, r);
    EXPECT_TRUE(next.ok()) << CommandName(c) << " in " << ReceiveStateName(state) << ": "
                           << next.error().message();
    if (!next.ok()) return state;
    state = *next;
  }
  return state;
}

TEST(MigrationReceiveState, RemoteAndLocalSequencesComplete) {
  using C = Command;
  EXPECT_EQ(RunSequence({C::kStart, C::kConfig, C::kMemory, C::kMemory, C::kState, C::kComplete}), S::kCompleted);
  EXPECT_EQ(RunSequence({C::kStart, C::kMemoryFd, C::kMemoryFd, C::kConfig, C::kState, C::kCompletePaused}),
            S::kCompleted);
  EXPECT_EQ(RunSequence({C::kStart, C::kConfig, C::kState, C::kComplete}), S::kCompleted);
}

TEST(MigrationReceiveState, AbandonFromEveryUnfinishedState) {
  for (S s : {S::kEstablished, S::kStarted, S::kMemoryFdsReceived, S::kConfigured, S::kStateReceived}) {
    Result<S> next = NextReceiveState(s, Request::Of(Command::kAbandon, 0));
    ASSERT_TRUE(next.ok()) << ReceiveStateName(s);
    EXPECT_EQ(*next, S::kAborted);
  }
}

TEST(MigrationReceiveState, RefusesOutOfOrderCommands) {
  const struct {
    S state;
    Command command;
  } cases[] = {
      {S::kEstablished, Command::kConfig},      {S::kEstablished, Command::kInvalid},
      {S::kStarted, Command::kMemory},          {S::kStarted, Command::kStart},
      {S::kMemoryFdsReceived, Command::kState}, {S::kConfigured, Command::kMemoryFd},
      {S::kConfigured, Command::kComplete},     {S::kStateReceived, Command::kMemory},
      {S::kCompleted, Command::kAbandon},       {S::kAborted, Command::kStart},
      {S::kCompleted, Command::kPageFault},
  };
  for (const auto& c : cases) {
    Result<S> next = NextReceiveState(c.state, Request::Of(c.command, 0));
    ASSERT_FALSE(next.ok()) << CommandName(c.command) << " in " << ReceiveStateName(c.state);
    EXPECT_EQ(next.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(next.error().message(), "can't handle command " + std::string(CommandName(c.command)) +
                                          " in receive state " + std::string(ReceiveStateName(c.state)));
  }
}

TEST(MigrationReceiveState, StartWithAnUnsupportedVersionIsRefused) {
  Result<S> next = NextReceiveState(S::kEstablished, Request::Start(7));
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace petrel::vmm::migration
