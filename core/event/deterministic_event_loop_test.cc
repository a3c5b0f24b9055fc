// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for DeterministicEventLoop: (time, sequence) order, virtual time,
// notifier hooks, fd watches (level-triggered polls of a socketpair), Remove
// inside handlers, queued re-entrancy, determinism.
#include "core/event/deterministic_event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace petrel {
namespace {

class DeterministicEventLoopTest : public ::testing::Test {
 protected:
  VirtualClock clock_{0};
  DeterministicEventLoop loop_{clock_};
  std::string trace_;
  EventLoop::Handler Mark(char c) {
    return [this, c] { trace_ += c; };
  }
};

// A socketpair the test writes to: fd readiness under the test's control.
class SocketPair {
 public:
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
      watched_ = fds[0];
      peer_ = fds[1];
    }
  }
  ~SocketPair() {
    if (watched_ >= 0) close(watched_);
    if (peer_ >= 0) close(peer_);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  bool ok() const { return watched_ >= 0; }
  int fd() const { return watched_; }
  void Write(const std::string& s) const {
    ASSERT_EQ(write(peer_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  // Reads everything that is buffered (the fd is non-blocking).
  std::string Drain() const {
    std::string out;
    char buf[64];
    ssize_t n;
    while ((n = read(watched_, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int watched_ = -1;
  int peer_ = -1;
};

TEST_F(DeterministicEventLoopTest, WatchFdRejectsBadArguments) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  EXPECT_FALSE(loop_.WatchFd(-1, [] {}).ok());
  EXPECT_FALSE(loop_.WatchFd(sp.fd(), nullptr).ok());
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [] {}).ok());
  auto again = loop_.WatchFd(sp.fd(), [] {});  // like epoll's EEXIST
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(DeterministicEventLoopTest, ReadableFdRunsHandlerAtCurrentTime) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  std::string got;
  uint64_t ran_at = 0;
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [&] {
                     got += sp.Drain();
                     ran_at = clock_.NowNs();
                   }).ok());
  clock_.AdvanceTo(77);
  sp.Write("hi");
  ASSERT_TRUE(loop_.RunOnce(0).ok());
  EXPECT_EQ(got, "hi");
  EXPECT_EQ(ran_at, 77u);
  EXPECT_EQ(loop_.pending(), 0u);
}

TEST_F(DeterministicEventLoopTest, UnreadableFdDoesNotRunAndTimeStillPasses) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  int calls = 0;
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [&] { ++calls; }).ok());
  ASSERT_TRUE(loop_.AddTimer(100, Mark('t')).ok());
  ASSERT_TRUE(loop_.RunOnce(40).ok());  // as without the watch: waits 40 ns
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(clock_.NowNs(), 40u);
  ASSERT_TRUE(loop_.RunOnce(-1).ok());
  EXPECT_EQ(trace_, "t");
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(clock_.NowNs(), 100u);
}

TEST_F(DeterministicEventLoopTest, ReadableFdIsDueNowSoRunOnceDoesNotAdvance) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [&] { trace_ += sp.Drain(); }).ok());
  ASSERT_TRUE(loop_.AddTimer(100, Mark('t')).ok());
  clock_.AdvanceTo(10);
  sp.Write("x");
  ASSERT_TRUE(loop_.RunOnce(-1).ok());
  EXPECT_EQ(trace_, "x");
  EXPECT_EQ(clock_.NowNs(), 10u);  // the fd was due now; the timer waits
}

TEST_F(DeterministicEventLoopTest, TwoReadableFdsRunInWatchOrder) {
  SocketPair first, second;
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(loop_.WatchFd(second.fd(), [&] { trace_ += second.Drain(); }).ok());
  ASSERT_TRUE(loop_.WatchFd(first.fd(), [&] { trace_ += first.Drain(); }).ok());
  first.Write("1");  // written first, but watched second
  second.Write("2");
  loop_.RunUntilIdle();
  EXPECT_EQ(trace_, "21");
}

TEST_F(DeterministicEventLoopTest, AtMostOneQueuedRunPerFdWatch) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  int calls = 0;
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [&] {
                     ++calls;
                     sp.Drain();
                   }).ok());
  std::vector<size_t> pending_seen;
  ASSERT_TRUE(loop_.Post([&] { pending_seen.push_back(loop_.pending()); }).ok());
  ASSERT_TRUE(loop_.Post([&] { pending_seen.push_back(loop_.pending()); }).ok());
  sp.Write("a");
  loop_.RunUntilIdle();  // polled before each of the three events
  EXPECT_EQ(pending_seen, (std::vector<size_t>{2, 1}));  // one fd run queued, not one per poll
  EXPECT_EQ(calls, 1);
}

TEST_F(DeterministicEventLoopTest, FdDrainedBeforeItsTurnSkipsTheHandler) {
  SocketPair first, second;
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(loop_.WatchFd(first.fd(), [&] {
                     trace_ += first.Drain();
                     trace_ += second.Drain();  // takes the second fd's bytes too
                   }).ok());
  int second_calls = 0;
  ASSERT_TRUE(loop_.WatchFd(second.fd(), [&] { ++second_calls; }).ok());
  first.Write("a");
  second.Write("b");
  loop_.RunUntilIdle();  // both were queued by one poll
  EXPECT_EQ(trace_, "ab");
  EXPECT_EQ(second_calls, 0);  // re-polled at its turn: not readable any more
}

TEST_F(DeterministicEventLoopTest, RemoveStopsAnFdWatch) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  int calls = 0;
  auto id = loop_.WatchFd(sp.fd(), [&] { ++calls; });
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(loop_.watched_fds(), 1u);
  loop_.Remove(*id);
  EXPECT_EQ(loop_.watched_fds(), 0u);
  sp.Write("z");
  loop_.RunUntilIdle();  // would spin if the (never drained) fd were still watched
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(loop_.WatchFd(sp.fd(), [] {}).ok());  // the fd may be watched again
}

TEST_F(DeterministicEventLoopTest, FdHandlerRemovingItselfRunsOnce) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  int calls = 0;
  WatchId self = 0;
  auto id = loop_.WatchFd(sp.fd(), [&] {
    ++calls;
    loop_.Remove(self);  // never drains: only the Remove ends the loop
  });
  ASSERT_TRUE(id.ok());
  self = *id;
  sp.Write("q");
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
}

TEST_F(DeterministicEventLoopTest, FdWatchAndTimersInterleaveDeterministically) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [&] {
                     trace_ += sp.Drain() + "@" + std::to_string(clock_.NowNs()) + " ";
                   }).ok());
  // Timers write to the socket: each write is seen before the next timer runs.
  ASSERT_TRUE(loop_.AddTimer(10, [&] {
                     trace_ += "t10 ";
                     sp.Write("a");
                   }).ok());
  ASSERT_TRUE(loop_.AddTimer(20, [&] {
                     trace_ += "t20 ";
                     sp.Write("b");
                     ASSERT_TRUE(loop_.Post(Mark('p')).ok());
                   }).ok());
  ASSERT_TRUE(loop_.AddTimer(20, Mark('u')).ok());
  sp.Write("0");
  loop_.RunUntilIdle();
  // The fd is polled after each handler, so it is queued behind what that
  // handler queued at the same time: at 20 the earlier timer 'u' and the post
  // 'p' run before the fd.
  EXPECT_EQ(trace_, "0@0 t10 a@10 t20 upb@20 ");
  EXPECT_EQ(clock_.NowNs(), 20u);
}

TEST_F(DeterministicEventLoopTest, RunUntilIdleReturnsOnceTheHandlerDrains) {
  SocketPair sp;
  ASSERT_TRUE(sp.ok());
  int calls = 0;
  ASSERT_TRUE(loop_.WatchFd(sp.fd(), [&] {
                     ++calls;
                     // Reads one byte per run: level-triggered, so it reruns.
                     char c;
                     ASSERT_EQ(read(sp.fd(), &c, 1), 1);
                     trace_ += c;
                   }).ok());
  sp.Write("abc");
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(trace_, "abc");
  EXPECT_EQ(loop_.pending(), 0u);
}

TEST_F(DeterministicEventLoopTest, HangupCountsAsReadable) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  WatchId id = 0;
  int calls = 0;
  auto w = loop_.WatchFd(fds[0], [&] {
    ++calls;
    loop_.Remove(id);  // EOF stays readable; the owner stops watching
  });
  ASSERT_TRUE(w.ok());
  id = *w;
  close(fds[1]);
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
  close(fds[0]);
}

TEST_F(DeterministicEventLoopTest, WatchNotifierNeedsInProcessNotifier) {
  auto fd_notifier = EventFdNotifier::Create();
  ASSERT_TRUE(fd_notifier.ok());
  auto id = loop_.WatchNotifier(*fd_notifier, [] {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code(), ErrorCode::kInvalidArgument);
  auto null_id = loop_.WatchNotifier(nullptr, [] {});
  EXPECT_FALSE(null_id.ok());
}

TEST_F(DeterministicEventLoopTest, RunsByTimeThenSequence) {
  ASSERT_TRUE(loop_.AddTimer(50, Mark('d')).ok());
  ASSERT_TRUE(loop_.Post(Mark('a')).ok());
  ASSERT_TRUE(loop_.AddTimer(10, Mark('c')).ok());
  ASSERT_TRUE(loop_.Post(Mark('b')).ok());
  ASSERT_TRUE(loop_.AddTimer(50, Mark('e')).ok());
  EXPECT_EQ(loop_.pending(), 5u);
  loop_.RunUntilIdle();
  EXPECT_EQ(trace_, "abcde");
  EXPECT_EQ(loop_.pending(), 0u);
  EXPECT_EQ(clock_.NowNs(), 50u);
}

TEST_F(DeterministicEventLoopTest, TimersAdvanceTheClockToTheirDeadline) {
  std::vector<uint64_t> seen;
  ASSERT_TRUE(loop_.AddTimer(30, [&] { seen.push_back(clock_.NowNs()); }).ok());
  ASSERT_TRUE(loop_.AddTimer(7, [&] { seen.push_back(clock_.NowNs()); }).ok());
  loop_.RunUntilIdle();
  EXPECT_EQ(seen, (std::vector<uint64_t>{7, 30}));
}

TEST_F(DeterministicEventLoopTest, PastDeadlineRunsBeforeEventsQueuedNow) {
  clock_.AdvanceTo(100);
  ASSERT_TRUE(loop_.Post(Mark('p')).ok());
  ASSERT_TRUE(loop_.AddTimer(50, Mark('t')).ok());
  ASSERT_TRUE(loop_.RunOnce(0).ok());
  EXPECT_EQ(trace_, "tp");
  EXPECT_EQ(clock_.NowNs(), 100u);  // time never goes backwards
}

TEST_F(DeterministicEventLoopTest, RunOnceZeroRunsOnlyWhatIsDue) {
  ASSERT_TRUE(loop_.Post(Mark('a')).ok());
  ASSERT_TRUE(loop_.AddTimer(10, Mark('b')).ok());
  ASSERT_TRUE(loop_.RunOnce(0).ok());
  EXPECT_EQ(trace_, "a");
  EXPECT_EQ(clock_.NowNs(), 0u);
  ASSERT_TRUE(loop_.RunOnce(0).ok());  // nothing due: no waiting at timeout 0
  EXPECT_EQ(trace_, "a");
  EXPECT_EQ(clock_.NowNs(), 0u);
}

TEST_F(DeterministicEventLoopTest, RunOnceWaitsAtMostTheTimeout) {
  ASSERT_TRUE(loop_.AddTimer(100, Mark('t')).ok());
  ASSERT_TRUE(loop_.RunOnce(40).ok());  // timer too far: time passes, nothing runs
  EXPECT_EQ(trace_, "");
  EXPECT_EQ(clock_.NowNs(), 40u);
  ASSERT_TRUE(loop_.RunOnce(60).ok());  // exactly reachable
  EXPECT_EQ(trace_, "t");
  EXPECT_EQ(clock_.NowNs(), 100u);
}

TEST_F(DeterministicEventLoopTest, RunOnceUnlimitedJumpsToNextTimerOnly) {
  ASSERT_TRUE(loop_.AddTimer(5, Mark('a')).ok());
  ASSERT_TRUE(loop_.AddTimer(5, Mark('b')).ok());
  ASSERT_TRUE(loop_.AddTimer(9, Mark('c')).ok());
  ASSERT_TRUE(loop_.RunOnce(-1).ok());
  EXPECT_EQ(trace_, "ab");
  EXPECT_EQ(clock_.NowNs(), 5u);
  ASSERT_TRUE(loop_.RunOnce(-1).ok());
  EXPECT_EQ(trace_, "abc");
  ASSERT_TRUE(loop_.RunOnce(-1).ok());  // empty queue: returns, time stays
  EXPECT_EQ(clock_.NowNs(), 9u);
}

TEST_F(DeterministicEventLoopTest, RunUntilStopsAtTheGivenTime) {
  ASSERT_TRUE(loop_.AddTimer(10, Mark('a')).ok());
  ASSERT_TRUE(loop_.AddTimer(20, Mark('b')).ok());
  ASSERT_TRUE(loop_.AddTimer(21, Mark('c')).ok());
  loop_.RunUntil(20);
  EXPECT_EQ(trace_, "ab");
  EXPECT_EQ(clock_.NowNs(), 20u);
  EXPECT_EQ(loop_.pending(), 1u);
  loop_.RunUntil(15);  // already later: clock stays
  EXPECT_EQ(clock_.NowNs(), 20u);
}

TEST_F(DeterministicEventLoopTest, SignalQueuesHandlerAtCurrentTime) {
  auto n = std::make_shared<InProcessNotifier>();
  int calls = 0;
  ASSERT_TRUE(loop_.WatchNotifier(n, [&] { ++calls; }).ok());
  clock_.AdvanceTo(42);
  ASSERT_TRUE(loop_.AddTimer(42, Mark('t')).ok());
  n->Signal();
  n->Signal();
  n->Signal();
  EXPECT_EQ(calls, 0);  // never inline in Signal()
  EXPECT_EQ(loop_.pending(), 2u);  // the timer and one coalesced notifier run
  ASSERT_TRUE(loop_.RunOnce(0).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(trace_, "t");
  EXPECT_EQ(n->count(), 0u);  // consumed before the handler ran
  EXPECT_EQ(clock_.NowNs(), 42u);
}

TEST_F(DeterministicEventLoopTest, SignalBeforeWatchRunsHandler) {
  auto n = std::make_shared<InProcessNotifier>();
  n->Signal();
  int calls = 0;
  ASSERT_TRUE(loop_.WatchNotifier(n, [&] { ++calls; }).ok());
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
}

TEST_F(DeterministicEventLoopTest, WatchingTheSameNotifierTwiceFails) {
  auto n = std::make_shared<InProcessNotifier>();
  ASSERT_TRUE(loop_.WatchNotifier(n, [] {}).ok());
  EXPECT_FALSE(loop_.WatchNotifier(n, [] {}).ok());
}

TEST_F(DeterministicEventLoopTest, SignalInsideHandlerIsQueuedNotReentrant) {
  auto n = std::make_shared<InProcessNotifier>();
  bool inside = false;
  int calls = 0;
  ASSERT_TRUE(loop_.WatchNotifier(n, [&] {
                     EXPECT_FALSE(inside) << "handler re-entered";
                     inside = true;
                     ++calls;
                     if (calls < 3) n->Signal();
                     ASSERT_TRUE(loop_.Post(Mark('p')).ok());
                     trace_ += 'h';
                     inside = false;
                   }).ok());
  n->Signal();
  ASSERT_TRUE(loop_.RunOnce(0).ok());  // only what was queued before the call
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop_.pending(), 2u);
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(trace_, "hhphpp");  // signal queued before the post in each handler
}

TEST_F(DeterministicEventLoopTest, HandlerRemovesItselfAndAnotherEvent) {
  auto n = std::make_shared<InProcessNotifier>();
  WatchId self = 0, victim = 0;
  int calls = 0;
  auto w = loop_.WatchNotifier(n, [&] {
    ++calls;
    loop_.Remove(self);
    loop_.Remove(victim);
    n->Signal();  // the hook is gone: queues nothing
  });
  ASSERT_TRUE(w.ok());
  self = *w;
  n->Signal();
  auto t = loop_.AddTimer(0, Mark('v'));  // same time, queued after the signal
  ASSERT_TRUE(t.ok());
  victim = *t;
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(trace_, "");
  EXPECT_EQ(loop_.pending(), 0u);
  n->Signal();
  EXPECT_EQ(loop_.pending(), 0u);
}

TEST_F(DeterministicEventLoopTest, RemoveDropsQueuedEventAndIgnoresUnknownIds) {
  auto id = loop_.AddTimer(10, Mark('x'));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(loop_.pending(), 1u);
  loop_.Remove(*id);
  loop_.Remove(*id);
  loop_.Remove(9999);
  EXPECT_EQ(loop_.pending(), 0u);
  loop_.RunUntilIdle();
  EXPECT_EQ(trace_, "");
  EXPECT_EQ(clock_.NowNs(), 0u);
}

TEST_F(DeterministicEventLoopTest, StopInsideHandlerEndsRun) {
  ASSERT_TRUE(loop_.Post([&] {
                     trace_ += 'a';
                     loop_.Stop();
                   }).ok());
  ASSERT_TRUE(loop_.Post(Mark('b')).ok());
  ASSERT_TRUE(loop_.Run().ok());
  EXPECT_EQ(trace_, "a");
  ASSERT_TRUE(loop_.Run().ok());  // the Stop() was used up; runs to idle
  EXPECT_EQ(trace_, "ab");
}

TEST(DeterministicEventLoopLifetimeTest, DestroyedLoopUnhooksNotifiers) {
  auto n = std::make_shared<InProcessNotifier>();
  VirtualClock clock;
  {
    DeterministicEventLoop loop(clock);
    ASSERT_TRUE(loop.WatchNotifier(n, [] {}).ok());
  }
  n->Signal();  // must not reach the destroyed loop
  EXPECT_EQ(n->count(), 1u);
}

// Builds the same scenario on a fresh loop and returns its handler trace.
std::string RunScenario() {
  VirtualClock clock(1000);
  DeterministicEventLoop loop(clock);
  std::string trace;
  auto a = std::make_shared<InProcessNotifier>();
  auto b = std::make_shared<InProcessNotifier>();
  auto mark = [&](const char* what) {
    trace += what;
    trace += '@' + std::to_string(clock.NowNs()) + ' ';
  };
  (void)loop.WatchNotifier(a, [&] {
    mark("a");
    b->Signal();
  });
  (void)loop.WatchNotifier(b, [&] {
    mark("b");
    (void)loop.AddTimer(clock.NowNs() + 5, [&] { mark("t5"); });
  });
  (void)loop.AddTimer(1003, [&] {
    mark("t3");
    a->Signal();
  });
  a->Signal();
  (void)loop.Post([&] { mark("p"); });
  loop.RunUntilIdle();
  return trace;
}

TEST(DeterministicEventLoopReplayTest, SameOperationsGiveSameOrder) {
  std::string first = RunScenario();
  EXPECT_EQ(first, "a@1000 p@1000 b@1000 t3@1003 a@1003 b@1003 t5@1005 t5@1008 ");
  EXPECT_EQ(RunScenario(), first);
}

}  // namespace
}  // namespace petrel
