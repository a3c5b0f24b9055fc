// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Behaviour every IoEngine must have, run against each engine: sync,
// io_uring, and io_uring without IORING_OP_FALLOCATE (emulated). io_uring
// variants skip, saying why, where the host cannot create a ring.
#include "devices/block/io_engine.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <numeric>

#include "core/base/clock.h"
#include "core/event/epoll_event_loop.h"
#include "devices/block/block_test_util.h"
#include "devices/block/disk_file.h"
#include "devices/block/io_request_util.h"
#include "devices/block/sync_engine.h"
#include "devices/block/uring_engine.h"

namespace petrel {
namespace {

using block_test::Iov;
using block_test::Ranged;
using block_test::TempDisk;
using Op = IoRequest::Op;

enum class Variant { kSync, kUring, kUringEmulatedFallocate };

std::string VariantName(const testing::TestParamInfo<Variant>& info) {
  switch (info.param) {
    case Variant::kSync: return "Sync";
    case Variant::kUring: return "Uring";
    case Variant::kUringEmulatedFallocate: return "UringEmulatedFallocate";
  }
  return "Unknown";
}

std::vector<uint8_t> Pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> v(size);
  for (size_t i = 0; i < size; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return v;
}

class IoEngineTest : public testing::TestWithParam<Variant> {
 protected:
  // Opens `path` and makes the engine under test; skips if io_uring is unavailable.
  void Open(const std::string& path, bool readonly = false, bool direct = false,
            uint32_t depth = 64) {
    auto disk = DiskFile::Open({path, readonly, direct});
    ASSERT_TRUE(disk.ok()) << disk.error().message();
    disk_ = std::move(disk).value();
    if (GetParam() == Variant::kSync) {
      auto engine = SyncEngine::Create(*disk_, depth);
      ASSERT_TRUE(engine.ok()) << engine.error().message();
      engine_ = std::move(engine).value();
    } else {
      UringEngineOptions options;
      options.queue_depth = depth;
      options.emulate_fallocate = GetParam() == Variant::kUringEmulatedFallocate;
      auto engine = UringEngine::Create(*disk_, options);
      if (!engine.ok() && engine.error().code() == ErrorCode::kUnsupported)
        GTEST_SKIP() << "io_uring unavailable on this host: " << engine.error().message();
      ASSERT_TRUE(engine.ok()) << engine.error().message();
      engine_ = std::move(engine).value();
    }
  }

  int64_t RunOne(const IoRequest& request) {
    auto results = block_test::Run(*engine_, {request});
    auto it = results.find(request.user_data);
    return it == results.end() ? -ETIMEDOUT : it->second;
  }

  std::unique_ptr<DiskFile> disk_;
  std::unique_ptr<IoEngine> engine_;
};

TEST_P(IoEngineTest, WriteFlushReadRoundTrip) {
  TempDisk temp(1 << 20);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path()));
  if (IsSkipped()) return;
  std::vector<uint8_t> data = Pattern(3000, 5);
  // Written from three iovecs, read back through two of other sizes.
  std::vector<iovec> out = {Iov(data.data(), 1000), Iov(data.data() + 1000, 1500),
                            Iov(data.data() + 2500, 500)};
  EXPECT_EQ(RunOne(block_test::Write(4096 + 17, out, 7)), 3000);
  EXPECT_EQ(RunOne(Ranged(Op::kFlush, 0, 0, 8)), 0);
  std::vector<uint8_t> back(3000, 0xee);
  std::vector<iovec> in = {Iov(back.data(), 1), Iov(back.data() + 1, 2999)};
  EXPECT_EQ(RunOne(block_test::Read(4096 + 17, in, 9)), 3000);
  EXPECT_EQ(back, data);
  std::vector<uint8_t> file = temp.Contents();
  ASSERT_EQ(file.size(), 1u << 20);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), file.begin() + 4096 + 17));
  EXPECT_EQ(file[4096 + 16], 0);
  EXPECT_EQ(file[4096 + 17 + 3000], 0);
  EXPECT_STREQ(engine_->name(), GetParam() == Variant::kSync ? "sync" : "io_uring");
}

TEST_P(IoEngineTest, ReadAcrossEndOfFileIsShort) {
  TempDisk temp(1000, 0x5a);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path()));
  if (IsSkipped()) return;
  std::vector<uint8_t> buf(4096, 0);
  EXPECT_EQ(RunOne(block_test::Read(512, {Iov(buf.data(), buf.size())})), 488);
  EXPECT_EQ(buf[487], 0x5a);
  EXPECT_EQ(buf[488], 0);
  EXPECT_EQ(RunOne(block_test::Read(8192, {Iov(buf.data(), 512)}, 2)), 0);
}

TEST_P(IoEngineTest, ReadOnlyDiskRefusesModificationAndKeepsTheFile) {
  TempDisk temp(16384, 0x33);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path(), /*readonly=*/true));
  if (IsSkipped()) return;
  std::vector<uint8_t> data(4096, 0x44);
  auto results = block_test::Run(
      *engine_,
      {block_test::Write(0, {Iov(data.data(), data.size())}, 1), Ranged(Op::kDiscard, 0, 4096, 2),
       Ranged(Op::kWriteZeroes, 0, 4096, 3), block_test::Read(0, {Iov(data.data(), 4096)}, 4)});
  EXPECT_EQ(results[1], -EROFS);
  EXPECT_EQ(results[2], -EROFS);
  EXPECT_EQ(results[3], -EROFS);
  EXPECT_EQ(results[4], 4096);
  EXPECT_EQ(data[0], 0x33);
  EXPECT_EQ(temp.Contents(), std::vector<uint8_t>(16384, 0x33));
}

TEST_P(IoEngineTest, DiscardAndWriteZeroesReadBackAsZeroes) {
  TempDisk temp(64 * 1024, 0xaa);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path()));
  if (IsSkipped()) return;
  auto results = block_test::Run(
      *engine_, {Ranged(Op::kDiscard, 8192, 8192, 1), Ranged(Op::kWriteZeroes, 20000, 3000, 2)});
  EXPECT_EQ(results[1], 0);
  EXPECT_EQ(results[2], 0);
  std::vector<uint8_t> file = temp.Contents();
  ASSERT_EQ(file.size(), 64u * 1024);  // KEEP_SIZE
  for (size_t i = 0; i < file.size(); ++i) {
    bool zero = (i >= 8192 && i < 16384) || (i >= 20000 && i < 23000);
    ASSERT_EQ(file[i], zero ? 0 : 0xaa) << "byte " << i;
  }
  EXPECT_EQ(disk_->discard_support(), FallocateSupport::kSupported);
}

TEST_P(IoEngineTest, WriteZeroesFallsBackToWritingOnTmpfs) {
  // tmpfs punches holes but has no FALLOC_FL_ZERO_RANGE.
  if (access("/dev/shm", W_OK) != 0) GTEST_SKIP() << "/dev/shm is not writable here";
  TempDisk temp(32 * 1024, 0xaa, "/dev/shm");
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path()));
  if (IsSkipped()) return;
  EXPECT_EQ(RunOne(Ranged(Op::kWriteZeroes, 100, 10000)), 0);
  EXPECT_EQ(RunOne(Ranged(Op::kWriteZeroes, 20000, 100, 2)), 0);  // known now: straight to writes
  std::vector<uint8_t> file = temp.Contents();
  ASSERT_EQ(file.size(), 32u * 1024);
  for (size_t i = 0; i < file.size(); ++i) {
    bool zero = (i >= 100 && i < 10100) || (i >= 20000 && i < 20100);
    ASSERT_EQ(file[i], zero ? 0 : 0xaa) << "byte " << i;
  }
  EXPECT_NE(disk_->zero_range_support(), FallocateSupport::kSupported);
}

TEST_P(IoEngineTest, WriteZeroesFallbackWithDirectIoOnTmpfs) {
  // The written zeroes go through the O_DIRECT bounce (read-modify-write).
  if (access("/dev/shm", W_OK) != 0) GTEST_SKIP() << "/dev/shm is not writable here";
  TempDisk temp(32 * 1024, 0xaa, "/dev/shm");
  ASSERT_TRUE(temp.ok());
  if (!DiskFile::Open({temp.path(), false, true}).ok())
    GTEST_SKIP() << "tmpfs refuses O_DIRECT on this kernel (before 6.6)";
  ASSERT_NO_FATAL_FAILURE(Open(temp.path(), false, /*direct=*/true));
  if (IsSkipped()) return;
  EXPECT_EQ(RunOne(Ranged(Op::kWriteZeroes, 1000, 5000)), 0);
  std::vector<uint8_t> file = temp.Contents();
  ASSERT_EQ(file.size(), 32u * 1024);
  for (size_t i = 0; i < file.size(); ++i)
    ASSERT_EQ(file[i], (i >= 1000 && i < 6000) ? 0 : 0xaa) << "byte " << i;
}

TEST_P(IoEngineTest, NoSpaceSurfacesAsEnospc) {
  ASSERT_NO_FATAL_FAILURE(Open("/dev/full"));
  if (IsSkipped()) return;
  std::vector<uint8_t> data(4096, 1);
  EXPECT_EQ(RunOne(block_test::Write(0, {Iov(data.data(), data.size())})), -ENOSPC);
}

TEST_P(IoEngineTest, CompletionNotifierIsSignalled) {
  TempDisk temp(8192);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path()));
  if (IsSkipped()) return;
  auto notifier = engine_->completion_notifier();
  ASSERT_NE(notifier, nullptr);
  ASSERT_GE(notifier->fd(), 0);
  notifier->Consume();
  uint8_t buf[512];
  std::vector<IoRequest> requests = {block_test::Read(0, {Iov(buf, sizeof buf)}, 42)};
  ASSERT_TRUE(engine_->Submit(requests).ok());
  EXPECT_EQ(engine_->in_flight(), 1u);
  pollfd pfd{notifier->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "notifier never became readable";
  EXPECT_GE(notifier->Consume(), 1u);
  auto completions = engine_->Reap();
  ASSERT_EQ(completions.size(), 1u);
  EXPECT_EQ(completions[0].user_data, 42u);
  EXPECT_EQ(completions[0].result, 512);
  EXPECT_EQ(engine_->in_flight(), 0u);
  EXPECT_TRUE(engine_->Reap().empty());
}

TEST_P(IoEngineTest, CompletionsArriveThroughTheEpollEventLoop) {
  TempDisk temp(65536, 0x11);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path()));
  if (IsSkipped()) return;
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  std::vector<IoCompletion> got;
  auto watch = (*loop)->WatchNotifier(engine_->completion_notifier(), [&] {
    for (const IoCompletion& c : engine_->Reap()) got.push_back(c);
  });
  ASSERT_TRUE(watch.ok());
  std::vector<std::vector<uint8_t>> bufs(8, std::vector<uint8_t>(4096));
  std::vector<IoRequest> requests;
  for (size_t i = 0; i < bufs.size(); ++i)
    requests.push_back(block_test::Read(i * 4096, {Iov(bufs[i].data(), 4096)}, i));
  ASSERT_TRUE(engine_->Submit(requests).ok());
  for (int i = 0; i < 100 && got.size() < requests.size(); ++i)
    ASSERT_TRUE((*loop)->RunOnce(100'000'000).ok());
  ASSERT_EQ(got.size(), requests.size());
  for (const IoCompletion& c : got) EXPECT_EQ(c.result, 4096) << c.user_data;
  EXPECT_EQ(bufs[7][4095], 0x11);
  (*loop)->Remove(*watch);
}

TEST_P(IoEngineTest, FullQueueIsBusyUntilReaped) {
  TempDisk temp(65536);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path(), false, false, /*depth=*/4));
  if (IsSkipped()) return;
  EXPECT_EQ(engine_->queue_depth(), 4u);
  uint8_t buf[5][512];
  std::vector<IoRequest> four;
  for (uint64_t i = 0; i < 4; ++i) four.push_back(block_test::Read(i * 512, {Iov(buf[i], 512)}, i));
  ASSERT_TRUE(engine_->Submit(four).ok());
  std::vector<IoRequest> one = {block_test::Read(0, {Iov(buf[4], 512)}, 4)};
  auto busy = engine_->Submit(one);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), ErrorCode::kBusy);
  four.push_back(one[0]);
  auto too_many = engine_->Submit(four);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(block_test::WaitFor(*engine_, 4).size(), 4u);
  EXPECT_TRUE(engine_->Submit(one).ok());
  EXPECT_EQ(block_test::WaitFor(*engine_, 1).count(4), 1u);
}

TEST_P(IoEngineTest, ManyRequestsInFlight) {
  constexpr size_t kCount = 128;
  constexpr size_t kBlock = 4096;
  TempDisk temp(kCount * kBlock);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path(), false, false, kCount));
  if (IsSkipped()) return;
  std::vector<std::vector<uint8_t>> data;
  std::vector<IoRequest> writes;
  for (size_t i = 0; i < kCount; ++i) {
    data.push_back(Pattern(kBlock, static_cast<uint8_t>(i)));
    // Reverse order, so completion order cannot follow the offsets by accident.
    writes.push_back(
        block_test::Write((kCount - 1 - i) * kBlock, {Iov(data[i].data(), kBlock)}, i));
  }
  auto written = block_test::Run(*engine_, writes);
  ASSERT_EQ(written.size(), kCount);
  for (auto& [id, result] : written) EXPECT_EQ(result, static_cast<int64_t>(kBlock)) << id;
  std::vector<std::vector<uint8_t>> back(kCount, std::vector<uint8_t>(kBlock));
  std::vector<IoRequest> reads;
  for (size_t i = 0; i < kCount; ++i)
    reads.push_back(
        block_test::Read((kCount - 1 - i) * kBlock, {Iov(back[i].data(), kBlock)}, 1000 + i));
  auto read = block_test::Run(*engine_, reads);
  ASSERT_EQ(read.size(), kCount);
  for (size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(read[1000 + i], static_cast<int64_t>(kBlock));
    EXPECT_EQ(back[i], data[i]) << "block " << i;
  }
}

// O_DIRECT: finds a directory whose file system accepts it.
std::string DirectIoDir() {
  for (const char* dir : {"/tmp", "/var/tmp"}) {
    TempDisk probe(4096, 0, dir);
    if (!probe.ok()) continue;
    if (DiskFile::Open({probe.path(), false, true}).ok()) return dir;
  }
  return "";
}

TEST_P(IoEngineTest, DirectIoWithMisalignedBuffersAndOffsets) {
  std::string dir = DirectIoDir();
  if (dir.empty()) GTEST_SKIP() << "neither /tmp nor /var/tmp accepts O_DIRECT";
  TempDisk temp(256 * 1024, 0x77, dir);
  ASSERT_TRUE(temp.ok());
  ASSERT_NO_FATAL_FAILURE(Open(temp.path(), false, /*direct=*/true));
  if (IsSkipped()) return;
  uint32_t lbs = disk_->logical_block_size();
  AlignedBuffer raw(64 * 1024, 4096);
  ASSERT_NE(raw.data(), nullptr);
  std::vector<uint8_t> expect = temp.Contents();

  // 1. Aligned offset and length, misaligned address: one bounced write.
  std::vector<uint8_t> a = Pattern(2 * lbs, 1);
  std::memcpy(raw.data() + 1, a.data(), a.size());
  EXPECT_EQ(RunOne(block_test::Write(lbs, {Iov(raw.data() + 1, a.size())}, 1)), a.size());
  std::copy(a.begin(), a.end(), expect.begin() + lbs);
  // 2. Misaligned offset and length: read-modify-write.
  std::vector<uint8_t> b = Pattern(1000, 2);
  EXPECT_EQ(
      RunOne(block_test::Write(8 * lbs + 100, {Iov(b.data(), 300), Iov(b.data() + 300, 700)}, 2)),
      1000);
  std::copy(b.begin(), b.end(), expect.begin() + 8 * lbs + 100);
  // 3. Aligned everything: straight to the file.
  std::vector<uint8_t> c = Pattern(lbs, 3);
  std::memcpy(raw.data() + 8192, c.data(), c.size());
  EXPECT_EQ(RunOne(block_test::Write(16 * lbs, {Iov(raw.data() + 8192, lbs)}, 3)), lbs);
  std::copy(c.begin(), c.end(), expect.begin() + 16 * lbs);
  // 4. Zeroes at a misaligned range.
  EXPECT_EQ(RunOne(Ranged(Op::kWriteZeroes, 20 * lbs + 3, 700, 4)), 0);
  std::fill(expect.begin() + 20 * lbs + 3, expect.begin() + 20 * lbs + 703, 0);
  EXPECT_EQ(RunOne(Ranged(Op::kFlush, 0, 0, 5)), 0);
  EXPECT_EQ(temp.Contents(), expect);

  // Misaligned reads through the engine see the same bytes.
  std::vector<uint8_t> back(1000);
  EXPECT_EQ(
      RunOne(block_test::Read(8 * lbs + 100, {Iov(back.data(), 1), Iov(back.data() + 1, 999)}, 6)),
      1000);
  EXPECT_EQ(back, b);
  EXPECT_EQ(RunOne(block_test::Read(lbs, {Iov(raw.data() + 3, a.size())}, 7)), a.size());
  EXPECT_EQ(std::memcmp(raw.data() + 3, a.data(), a.size()), 0);
  // A misaligned read across the end of the file is short.
  std::vector<uint8_t> tail(2000);
  EXPECT_EQ(RunOne(block_test::Read(256 * 1024 - 300, {Iov(tail.data(), tail.size())}, 8)), 300);
  EXPECT_EQ(tail[299], expect[256 * 1024 - 1]);
}

INSTANTIATE_TEST_SUITE_P(Engines, IoEngineTest,
                         testing::Values(Variant::kSync, Variant::kUring,
                                         Variant::kUringEmulatedFallocate),
                         VariantName);

TEST(MakeIoEngineTest, ParsesKinds) {
  EXPECT_EQ(*ParseIoEngineKind("auto"), IoEngineKind::kAuto);
  EXPECT_EQ(*ParseIoEngineKind("sync"), IoEngineKind::kSync);
  EXPECT_EQ(*ParseIoEngineKind("io_uring"), IoEngineKind::kUring);
  EXPECT_EQ(*ParseIoEngineKind("uring"), IoEngineKind::kUring);
  auto bad = ParseIoEngineKind("aio");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_STREQ(IoEngineKindName(IoEngineKind::kUring), "io_uring");
}

TEST(MakeIoEngineTest, SyncIsSyncAndAutoPrefersIoUring) {
  TempDisk temp(4096);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  auto sync = MakeIoEngine(IoEngineKind::kSync, **disk);
  ASSERT_TRUE(sync.ok());
  EXPECT_STREQ((*sync)->name(), "sync");
  bool uring_works = UringEngine::Create(**disk).ok();
  auto automatic = MakeIoEngine(IoEngineKind::kAuto, **disk, 32);
  ASSERT_TRUE(automatic.ok()) << automatic.error().message();
  EXPECT_STREQ((*automatic)->name(), uring_works ? "io_uring" : "sync");
  EXPECT_EQ((*automatic)->queue_depth(), 32u);
  auto uring = MakeIoEngine(IoEngineKind::kUring, **disk);
  EXPECT_EQ(uring.ok(), uring_works);
}

TEST(MakeIoEngineTest, BadQueueDepthIsRefusedByEveryKind) {
  TempDisk temp(4096);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  for (IoEngineKind kind : {IoEngineKind::kAuto, IoEngineKind::kSync, IoEngineKind::kUring}) {
    auto engine = MakeIoEngine(kind, **disk, 0);
    ASSERT_FALSE(engine.ok()) << IoEngineKindName(kind);
    EXPECT_EQ(engine.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_FALSE(MakeIoEngine(kind, **disk, kMaxQueueDepth + 1).ok());
  }
}

}  // namespace
}  // namespace petrel
