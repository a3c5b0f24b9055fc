// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ThreadWorker: handlers run on the worker's own named thread with every
// signal blocked; a handler that throws is caught at the thread boundary,
// reported, and the loop goes on; Stop() joins, Start() runs it again.
#include "core/event/thread_worker.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/event/deterministic_event_loop.h"
#include "core/isolation/recording_sandbox.h"

namespace petrel {
namespace {

// Posts `fn` to `worker` and waits until it has run.
void RunOn(Worker& worker, std::function<void()> fn) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  ASSERT_TRUE(worker.loop()
                  .Post([&] {
                    fn();
                    std::lock_guard lock(mu);
                    done = true;
                    cv.notify_all();
                  })
                  .ok());
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; }));
}

TEST(ThreadWorkerTest, HandlersRunOnItsOwnNamedThreadWithSignalsBlocked) {
  MonotonicClock clock;
  ThreadWorkers factory(clock);
  auto worker = factory.Create("blk0", nullptr, {});
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE((*worker)->Start().ok());
  std::thread::id ran_on;
  char name[16] = {};
  bool sigterm_blocked = false;
  RunOn(**worker, [&] {
    ran_on = std::this_thread::get_id();
    pthread_getname_np(pthread_self(), name, sizeof name);
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    sigterm_blocked = sigismember(&mask, SIGTERM) == 1;
  });
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_STREQ(name, "petrel-blk0");
  EXPECT_TRUE(sigterm_blocked);
  // The caller's own mask is unchanged.
  sigset_t mine;
  pthread_sigmask(SIG_SETMASK, nullptr, &mine);
  EXPECT_EQ(sigismember(&mine, SIGTERM), 0);
}

TEST(ThreadWorkerTest, AThrowingHandlerIsReportedAndTheLoopGoesOn) {
  MonotonicClock clock;
  std::mutex mu;
  std::string fault;
  auto worker = ThreadWorker::Create("thrower", clock, [&](const std::string& what) {
    std::lock_guard lock(mu);
    fault = what;
  });
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE((*worker)->Start().ok());
  ASSERT_TRUE((*worker)->loop().Post([] { throw std::out_of_range("bad index"); }).ok());
  bool later_ran = false;
  RunOn(**worker, [&] { later_ran = true; });
  EXPECT_TRUE(later_ran);
  EXPECT_EQ((*worker)->faults(), 1u);
  std::lock_guard lock(mu);
  EXPECT_NE(fault.find("bad index"), std::string::npos);
}

TEST(ThreadWorkerTest, StopJoinsAndStartRunsTheLoopAgain) {
  MonotonicClock clock;
  auto worker = ThreadWorker::Create("restart", clock, nullptr);
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE((*worker)->Start().ok());
  ASSERT_TRUE((*worker)->Start().ok());  // idempotent
  (*worker)->Stop();
  (*worker)->Stop();  // idempotent
  // Work posted while stopped waits for the next Start().
  int runs = 0;
  ASSERT_TRUE((*worker)->loop().Post([&] { ++runs; }).ok());
  EXPECT_EQ(runs, 0);
  ASSERT_TRUE((*worker)->Start().ok());
  RunOn(**worker, [] {});
  EXPECT_EQ(runs, 1);
}

TEST(SharedLoopWorkersTest, EveryWorkerUsesTheOneLoopTheCallerRuns) {
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  SharedLoopWorkers factory(loop);
  auto a = factory.Create("a", nullptr, {});
  auto b = factory.Create("b", nullptr, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(&(*a)->loop(), &loop);
  EXPECT_EQ(&(*b)->loop(), &loop);
  EXPECT_EQ((*b)->name(), "b");
  ASSERT_TRUE((*a)->Start().ok());
  std::string order;
  ASSERT_TRUE((*a)->loop().Post([&] { order += "a"; }).ok());
  ASSERT_TRUE((*b)->loop().Post([&] { order += "b"; }).ok());
  EXPECT_EQ(order, "");  // nothing runs until the caller runs the loop
  loop.RunUntilIdle();
  EXPECT_EQ(order, "ab");
  (*a)->Stop();
}

// Confines its thread before the first handler: with the worker's name as
// the role, the device's rules and the event loop's.
class RefusingSandbox final : public isolation::ThreadSandbox {
 public:
  Result<void> Confine(const char*, const isolation::SyscallRules&) override {
    return Error(ErrorCode::kSystem, "no filter today");
  }
};

TEST(ThreadWorkerTest, EachStartConfinesTheNewThreadToItsRulesAndTheLoops) {
  MonotonicClock clock;
  isolation::RecordingSandbox sandbox;
  ThreadWorkers factory(clock, sandbox);
  auto worker = factory.Create("net0-q0", nullptr, isolation::SyscallRules{SYS_readv});
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE((*worker)->Start().ok());
  RunOn(**worker, [] {});
  (*worker)->Stop();
  ASSERT_TRUE((*worker)->Start().ok());
  RunOn(**worker, [] {});
  const auto confined = sandbox.confined();
  ASSERT_EQ(confined.size(), 2u);  // one per thread
  EXPECT_EQ(confined[0].first, "net0-q0");
  EXPECT_TRUE(confined[0].second.AllowsSyscall(SYS_readv));
  EXPECT_TRUE(confined[0].second.AllowsSyscall(SYS_epoll_pwait2));
  EXPECT_TRUE(confined[0].second.AllowsSyscall(SYS_eventfd2));
  EXPECT_FALSE(confined[0].second.AllowsSyscall(SYS_openat));
}

TEST(ThreadWorkerTest, AThreadThatCannotBeConfinedRunsNoHandlerAndReportsAFault) {
  MonotonicClock clock;
  RefusingSandbox sandbox;
  std::mutex mu;
  std::condition_variable cv;
  std::string fault;
  auto worker = ThreadWorker::Create(
      "blk1-q0", clock,
      [&](const std::string& what) {
        std::lock_guard lock(mu);
        fault = what;
        cv.notify_all();
      },
      sandbox);
  ASSERT_TRUE(worker.ok());
  bool ran = false;
  ASSERT_TRUE((*worker)->loop().Post([&] { ran = true; }).ok());
  ASSERT_TRUE((*worker)->Start().ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return !fault.empty(); }));
  }
  (*worker)->Stop();
  EXPECT_FALSE(ran);
  EXPECT_NE(fault.find("cannot confine the thread: no filter today"), std::string::npos) << fault;
}

}  // namespace
}  // namespace petrel
