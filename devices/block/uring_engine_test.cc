// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// UringEngine specifics: the fallocate emulation knob, and destruction with
// requests still in the kernel.
#include "devices/block/uring_engine.h"

#include <gtest/gtest.h>

#include "devices/block/block_test_util.h"
#include "devices/block/disk_file.h"

namespace petrel {
namespace {

using block_test::Iov;
using block_test::TempDisk;

TEST(UringEngineTest, ReportsFallocateEmulation) {
  TempDisk temp(4096);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  UringEngineOptions options;
  options.emulate_fallocate = true;
  auto engine = UringEngine::Create(**disk, options);
  if (!engine.ok()) GTEST_SKIP() << "io_uring unavailable: " << engine.error().message();
  EXPECT_TRUE((*engine)->fallocate_emulated());
}

TEST(UringEngineTest, DestructionWaitsForRequestsInTheKernel) {
  constexpr size_t kCount = 64;
  TempDisk temp(kCount * 65536, 0x3c);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok());
  UringEngineOptions options;
  options.queue_depth = kCount;
  auto engine = UringEngine::Create(**disk, options);
  if (!engine.ok()) GTEST_SKIP() << "io_uring unavailable: " << engine.error().message();
  auto buffers =
      std::make_unique<std::vector<std::vector<uint8_t>>>(kCount, std::vector<uint8_t>(65536));
  std::vector<IoRequest> reads;
  for (size_t i = 0; i < kCount; ++i)
    reads.push_back(block_test::Read(i * 65536, {Iov((*buffers)[i].data(), 65536)}, i));
  ASSERT_TRUE((*engine)->Submit(reads).ok());
  EXPECT_EQ((*engine)->in_flight(), kCount);
  engine->reset();  // must not return while the kernel may still write
  // Every read finished before the destructor returned.
  for (size_t i = 0; i < kCount; ++i) ASSERT_EQ((*buffers)[i][65535], 0x3c) << i;
}

}  // namespace
}  // namespace petrel
