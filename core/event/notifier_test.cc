// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for EventFdNotifier and InProcessNotifier.
#include "core/event/notifier.h"

#include <poll.h>

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace petrel {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(EventFdNotifierTest, CountsSignalsAndResetsOnConsume) {
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_GE((*n)->fd(), 0);
  EXPECT_EQ((*n)->Consume(), 0u);  // nothing signalled: non-blocking, zero
  (*n)->Signal();
  (*n)->Signal();
  (*n)->Signal();
  EXPECT_EQ((*n)->Consume(), 3u);
  EXPECT_EQ((*n)->Consume(), 0u);
}

TEST(EventFdNotifierTest, FdIsReadableOnlyWhileSignalled) {
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(Readable((*n)->fd()));
  (*n)->Signal();
  EXPECT_TRUE(Readable((*n)->fd()));
  (*n)->Consume();
  EXPECT_FALSE(Readable((*n)->fd()));
}

TEST(EventFdNotifierTest, EachNotifierHasItsOwnFd) {
  auto a = EventFdNotifier::Create();
  auto b = EventFdNotifier::Create();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->fd(), (*b)->fd());
  (*a)->Signal();
  EXPECT_EQ((*b)->Consume(), 0u);
  EXPECT_EQ((*a)->Consume(), 1u);
}

TEST(InProcessNotifierTest, HasNoFdAndCounts) {
  InProcessNotifier n;
  EXPECT_EQ(n.fd(), -1);
  n.Signal();
  n.Signal();
  EXPECT_EQ(n.count(), 2u);
  EXPECT_EQ(n.Consume(), 2u);
  EXPECT_EQ(n.count(), 0u);
  EXPECT_EQ(n.Consume(), 0u);
}

TEST(InProcessNotifierTest, HookRunsAfterEachSignalWithCounterUpdated) {
  InProcessNotifier n;
  std::vector<uint64_t> seen;
  n.SetHook([&] { seen.push_back(n.count()); });
  n.Signal();
  n.Signal();
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2}));
  n.SetHook(nullptr);
  n.Signal();
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(n.Consume(), 3u);
}

TEST(InProcessNotifierTest, HookMayReplaceItselfWithoutDeadlock) {
  InProcessNotifier n;
  int calls = 0;
  n.SetHook([&] {
    ++calls;
    n.SetHook(nullptr);
  });
  n.Signal();
  n.Signal();
  EXPECT_EQ(calls, 1);
}

TEST(InProcessNotifierTest, ConcurrentSignalsAreAllCounted) {
  InProcessNotifier n;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) n.Signal();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(n.Consume(), 4000u);
}

}  // namespace
}  // namespace petrel
