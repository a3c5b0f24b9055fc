// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SyncEngine specifics: an injected InProcessNotifier drives the
// deterministic event loop (hv_sim), and completions exist before Reap().
#include "devices/block/sync_engine.h"

#include <gtest/gtest.h>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/block/block_test_util.h"
#include "devices/block/disk_file.h"

namespace petrel {
namespace {

using block_test::Iov;
using block_test::TempDisk;

TEST(SyncEngineTest, InProcessNotifierRunsTheDeterministicLoopHandler) {
  TempDisk temp(8192, 0x21);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  auto notifier = std::make_shared<InProcessNotifier>();
  auto engine = SyncEngine::Create(**disk, 8, notifier);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->completion_notifier(), notifier);

  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  std::vector<IoCompletion> got;
  ASSERT_TRUE(loop.WatchNotifier(notifier,
                                 [&] {
                                   for (const IoCompletion& c : (*engine)->Reap()) got.push_back(c);
                                 })
                  .ok());
  uint8_t buf[100];
  std::vector<IoRequest> requests = {block_test::Read(10, {Iov(buf, sizeof buf)}, 5),
                                     block_test::Read(8150, {Iov(buf, sizeof buf)}, 6)};
  ASSERT_TRUE((*engine)->Submit(requests).ok());
  EXPECT_EQ((*engine)->in_flight(), 2u);  // done, waiting to be reaped
  loop.RunUntilIdle();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].user_data, 5u);
  EXPECT_EQ(got[0].result, 100);
  EXPECT_EQ(got[1].result, 42);  // 8192 - 8150
  EXPECT_EQ(buf[0], 0x21);
}

TEST(SyncEngineTest, EmptySubmitSignalsNothing) {
  TempDisk temp(512);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  auto notifier = std::make_shared<InProcessNotifier>();
  auto engine = SyncEngine::Create(**disk, 8, notifier);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->Submit({}).ok());
  EXPECT_EQ(notifier->count(), 0u);
  EXPECT_TRUE((*engine)->Reap().empty());
}

}  // namespace
}  // namespace petrel
