// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the kick protocol on an anonymous stand-in for the kvm_run page.
#include "hv_kvm/kvm_kicker.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "core/hv/kick_signal.h"

namespace petrel::kvm {
namespace {

std::shared_ptr<KvmRunState> FakeRunState() {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  return KvmRunState::Adopt(p, 4096);
}

TEST(KvmKicker, KickOutsideRunIsRemembered) {
  auto state = FakeRunState();
  ASSERT_TRUE(state);
  KvmKicker kicker(state);
  EXPECT_EQ(state->immediate_exit(), 0);
  kicker.Kick();
  EXPECT_TRUE(state->kick_pending());
  EXPECT_EQ(state->immediate_exit(), 1);
  // The run loop clears immediate_exit after KVM_RUN, but the pending kick
  // re-arms it before the next KVM_RUN.
  state->AfterKvmRun();
  EXPECT_EQ(state->immediate_exit(), 0);
  state->BeforeKvmRun();
  EXPECT_EQ(state->immediate_exit(), 1);
  state->AfterKvmRun();
  EXPECT_TRUE(state->TakeKick());
  EXPECT_FALSE(state->TakeKick());
  state->BeforeKvmRun();
  EXPECT_EQ(state->immediate_exit(), 0);
}

TEST(KvmKicker, SignalInterruptsBlockingSyscallInRun) {
  ASSERT_TRUE(hv::VcpuKickSignal().ok());
  auto state = FakeRunState();
  ASSERT_TRUE(state);
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  std::atomic<bool> entered{false};
  std::atomic<int> read_errno{0};
  std::atomic<bool> done{false};
  std::thread vcpu([&] {
    state->EnterRun();
    entered = true;
    char c;
    // Stands in for KVM_RUN: a blocking syscall the kick must interrupt.
    ssize_t r = read(pipefd[0], &c, 1);
    read_errno = r < 0 ? errno : 0;
    state->LeaveRun();
    done = true;
  });
  while (!entered) std::this_thread::yield();
  KvmKicker kicker(state);
  // The first signal may land before the thread blocks in read(); kick until
  // it is out (each kick is idempotent) or 5 s pass.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    kicker.Kick();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!done) {
    ASSERT_EQ(write(pipefd[1], "x", 1), 1);  // unblock so the test can finish
  }
  vcpu.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(read_errno, EINTR);
  EXPECT_TRUE(state->TakeKick());
  close(pipefd[0]);
  close(pipefd[1]);
  // After LeaveRun, kicks no longer signal the (now exited) thread.
  kicker.Kick();
  EXPECT_TRUE(state->kick_pending());
}

}  // namespace
}  // namespace petrel::kvm
