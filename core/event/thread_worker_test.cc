// ThreadWorker: handlers run on the worker's own named thread with every
// signal blocked; a handler that throws is caught at the thread boundary,
// reported, and the loop goes on; Stop() joins, Start() runs it again.
#include "core/event/thread_worker.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/event/deterministic_event_loop.h"

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
  auto worker = factory.Create("blk0", nullptr);
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
  auto a = factory.Create("a", nullptr);
  auto b = factory.Create("b", nullptr);
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

}  // namespace
}  // namespace petrel
