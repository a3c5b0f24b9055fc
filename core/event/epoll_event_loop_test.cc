// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for EpollEventLoop: notifiers, fds, timers, Remove, Post, Run/Stop.
#include "core/event/epoll_event_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace petrel {
namespace {

class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (pipe(fds) == 0) {
      r_ = fds[0];
      w_ = fds[1];
    }
  }
  ~Pipe() {
    if (r_ >= 0) close(r_);
    if (w_ >= 0) close(w_);
  }
  int r() const { return r_; }
  void Put(char c = 'x') { ASSERT_EQ(write(w_, &c, 1), 1); }
  void Drain() {
    char buf[64];
    [[maybe_unused]] ssize_t n = read(r_, buf, sizeof buf);
  }

 private:
  int r_ = -1;
  int w_ = -1;
};

class EpollEventLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EpollEventLoop::Create(clock_);
    ASSERT_TRUE(loop.ok()) << loop.error().message();
    loop_ = std::move(loop).value();
  }
  VirtualClock clock_{1000};
  std::unique_ptr<EpollEventLoop> loop_;
};

TEST_F(EpollEventLoopTest, RejectsNotifierWithoutFd) {
  auto id = loop_->WatchNotifier(std::make_shared<InProcessNotifier>(), [] {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code(), ErrorCode::kInvalidArgument);
  auto null_id = loop_->WatchNotifier(nullptr, [] {});
  ASSERT_FALSE(null_id.ok());
  EXPECT_EQ(null_id.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(EpollEventLoopTest, NotifierHandlerRunsOncePerWakeAndConsumes) {
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  int calls = 0;
  ASSERT_TRUE(loop_->WatchNotifier(*n, [&] { ++calls; }).ok());
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 0);
  (*n)->Signal();
  (*n)->Signal();
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ((*n)->Consume(), 0u);  // the loop consumed both signals
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(EpollEventLoopTest, WatchingTheSameNotifierTwiceFails) {
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(loop_->WatchNotifier(*n, [] {}).ok());
  EXPECT_FALSE(loop_->WatchNotifier(*n, [] {}).ok());
}

TEST_F(EpollEventLoopTest, FdWatchIsLevelTriggered) {
  Pipe p;
  ASSERT_GE(p.r(), 0);
  int calls = 0;
  auto id = loop_->WatchFd(p.r(), [&] { ++calls; });
  ASSERT_TRUE(id.ok());
  p.Put();
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 2);  // still readable: runs again
  p.Drain();
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 2);
  loop_->Remove(*id);
}

TEST_F(EpollEventLoopTest, WatchFdRejectsBadFds) {
  auto negative = loop_->WatchFd(-1, [] {});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code(), ErrorCode::kInvalidArgument);
  auto closed = loop_->WatchFd(100000, [] {});
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code(), ErrorCode::kSystem);
  EXPECT_EQ(closed.error().errnum(), EBADF);
}

TEST_F(EpollEventLoopTest, TimerFiresOnceWhenClockReachesDeadline) {
  int calls = 0;
  ASSERT_TRUE(loop_->AddTimer(1500, [&] { ++calls; }).ok());
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 0);
  clock_.Advance(499);
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 0);
  clock_.Advance(1);
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
  clock_.Advance(1000);
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(EpollEventLoopTest, DueTimersRunInDeadlineThenAddOrder) {
  std::string order;
  ASSERT_TRUE(loop_->AddTimer(300, [&] { order += 'c'; }).ok());
  ASSERT_TRUE(loop_->AddTimer(100, [&] { order += 'a'; }).ok());
  ASSERT_TRUE(loop_->AddTimer(200, [&] { order += 'b'; }).ok());
  ASSERT_TRUE(loop_->AddTimer(100, [&] { order += 'A'; }).ok());
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(order, "aAbc");
}

TEST_F(EpollEventLoopTest, RemovedTimerNeverRuns) {
  int calls = 0;
  auto id = loop_->AddTimer(0, [&] { ++calls; });
  ASSERT_TRUE(id.ok());
  loop_->Remove(*id);
  loop_->Remove(*id);      // twice: ignored
  loop_->Remove(123456);  // unknown: ignored
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 0);
}

TEST_F(EpollEventLoopTest, TimerAddedByTimerRunsOnNextCall) {
  std::string order;
  ASSERT_TRUE(loop_->AddTimer(0, [&] {
                     order += 'a';
                     ASSERT_TRUE(loop_->AddTimer(0, [&] { order += 'b'; }).ok());
                   }).ok());
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(order, "a");
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(order, "ab");
}

TEST_F(EpollEventLoopTest, HandlerCanRemoveItself) {
  Pipe p;
  int calls = 0;
  WatchId id = 0;
  auto token = std::make_shared<int>(7);
  auto watched = loop_->WatchFd(p.r(), [&, token] {
    ++calls;
    loop_->Remove(id);
    EXPECT_EQ(*token, 7);  // captures stay alive until the handler returns
  });
  ASSERT_TRUE(watched.ok());
  id = *watched;
  EXPECT_EQ(token.use_count(), 2);
  p.Put();
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(token.use_count(), 1);  // the handler was released
}

TEST_F(EpollEventLoopTest, HandlerCanRemoveAnotherReadyWatch) {
  Pipe a, b;
  int calls = 0;
  WatchId ida = 0, idb = 0;
  auto wa = loop_->WatchFd(a.r(), [&] {
    ++calls;
    loop_->Remove(idb);
  });
  auto wb = loop_->WatchFd(b.r(), [&] {
    ++calls;
    loop_->Remove(ida);
  });
  ASSERT_TRUE(wa.ok() && wb.ok());
  ida = *wa;
  idb = *wb;
  a.Put();
  b.Put();  // both ready in the same wait; only the first to run survives
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(EpollEventLoopTest, TimerHandlerCanRemoveAnotherDueTimer) {
  std::string order;
  WatchId second = 0;
  ASSERT_TRUE(loop_->AddTimer(10, [&] {
                     order += 'a';
                     loop_->Remove(second);
                   }).ok());
  auto id = loop_->AddTimer(20, [&] { order += 'b'; });
  ASSERT_TRUE(id.ok());
  second = *id;
  ASSERT_TRUE(loop_->RunOnce(0).ok());
  EXPECT_EQ(order, "a");
}

TEST_F(EpollEventLoopTest, PostedHandlerRunsOnNextRunOnce) {
  std::string order;
  ASSERT_TRUE(loop_->Post([&] {
                     order += 'a';
                     ASSERT_TRUE(loop_->Post([&] { order += 'b'; }).ok());
                   }).ok());
  EXPECT_EQ(order, "");
  ASSERT_TRUE(loop_->RunOnce(-1).ok());  // a post makes the wait return at once
  EXPECT_EQ(order, "a");
  ASSERT_TRUE(loop_->RunOnce(-1).ok());
  EXPECT_EQ(order, "ab");
  EXPECT_FALSE(loop_->Post(nullptr).ok());
}

TEST_F(EpollEventLoopTest, StopBeforeRunMakesRunReturn) {
  loop_->Stop();
  EXPECT_TRUE(loop_->Run().ok());
}

TEST(EpollEventLoopThreadTest, StopFromAnotherThreadWakesRun) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  auto done = std::async(std::launch::async, [&] { return (*loop)->Run().ok(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  (*loop)->Stop();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(done.get());
}

TEST(EpollEventLoopThreadTest, PostRunsHandlerOnLoopThread) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  std::promise<std::thread::id> loop_tid;
  std::promise<std::thread::id> handler_tid;
  std::thread t([&] {
    loop_tid.set_value(std::this_thread::get_id());
    EXPECT_TRUE((*loop)->Run().ok());
  });
  auto handler_future = handler_tid.get_future();
  ASSERT_TRUE((*loop)->Post([&] {
                       handler_tid.set_value(std::this_thread::get_id());
                       (*loop)->Stop();
                     }).ok());
  bool ran = handler_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!ran) (*loop)->Stop();
  t.join();
  ASSERT_TRUE(ran);
  EXPECT_EQ(handler_future.get(), loop_tid.get_future().get());
}

TEST(EpollEventLoopThreadTest, TimerAddedFromAnotherThreadWakesWaitingLoop) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  std::promise<void> fired;
  auto fired_future = fired.get_future();
  std::thread t([&] { EXPECT_TRUE((*loop)->Run().ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let Run() block
  const uint64_t deadline = clock.NowNs() + 5'000'000;
  ASSERT_TRUE((*loop)->AddTimer(deadline, [&] {
                       EXPECT_GE(clock.NowNs(), deadline);
                       fired.set_value();
                       (*loop)->Stop();
                     }).ok());
  bool ok = fired_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!ok) (*loop)->Stop();
  t.join();
  EXPECT_TRUE(ok);
}

TEST(EpollEventLoopThreadTest, TimerBoundsTheWait) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  const uint64_t start = clock.NowNs();
  bool fired = false;
  ASSERT_TRUE((*loop)->AddTimer(start + 3'000'000, [&] { fired = true; }).ok());
  // An unlimited wait returns once the timer is due.
  for (int i = 0; i < 100 && !fired; ++i) ASSERT_TRUE((*loop)->RunOnce(-1).ok());
  EXPECT_TRUE(fired);
  EXPECT_GE(clock.NowNs() - start, 3'000'000u);
}

TEST(EpollEventLoopThreadTest, RunOnceTimeoutReturnsWithoutEvents) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  const uint64_t start = clock.NowNs();
  ASSERT_TRUE((*loop)->RunOnce(2'000'000).ok());
  EXPECT_GE(clock.NowNs() - start, 2'000'000u);
}

TEST(EpollEventLoopThreadTest, NotifierSignalledFromAnotherThreadRunsHandler) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(loop.ok() && n.ok());
  std::promise<void> ran;
  auto ran_future = ran.get_future();
  ASSERT_TRUE((*loop)->WatchNotifier(*n, [&] {
                       ran.set_value();
                       (*loop)->Stop();
                     }).ok());
  std::thread t([&] { EXPECT_TRUE((*loop)->Run().ok()); });
  (*n)->Signal();
  bool ok = ran_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!ok) (*loop)->Stop();
  t.join();
  EXPECT_TRUE(ok);
}

// WatchFdWritable: the handler runs while the fd has room, not while it is
// full (a pipe whose reader stalls), and again once the reader drains it.
TEST(EpollEventLoopFdTest, WritableWatchRunsOnlyWhenThereIsRoom) {
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::vector<char> chunk(65536, 'x');
  while (write(fds[1], chunk.data(), chunk.size()) > 0) {
  }
  int runs = 0;
  auto id = (*loop)->WatchFdWritable(fds[1], [&] { ++runs; });
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE((*loop)->RunOnce(1'000'000).ok());
  EXPECT_EQ(runs, 0);  // full
  while (read(fds[0], chunk.data(), chunk.size()) > 0) {
  }
  ASSERT_TRUE((*loop)->RunOnce(1'000'000).ok());
  EXPECT_EQ(runs, 1);
  (*loop)->Remove(*id);
  ASSERT_TRUE((*loop)->RunOnce(1'000'000).ok());
  EXPECT_EQ(runs, 1);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace petrel
