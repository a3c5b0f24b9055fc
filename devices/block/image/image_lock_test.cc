// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// OFD image locks: a writer excludes everyone, readers share.
#include "devices/block/image/image_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "devices/block/block_test_util.h"

namespace petrel {
namespace {

using block_test::TempDisk;

class Fd {
 public:
  explicit Fd(const std::string& path) : fd_(open(path.c_str(), O_RDWR | O_CLOEXEC)) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

TEST(ImageLockTest, ParsesCloudHypervisorsGranularities) {
  EXPECT_EQ(*ParseLockGranularity("byte-range"), LockGranularity::kByteRange);
  EXPECT_EQ(*ParseLockGranularity("full"), LockGranularity::kFull);
  EXPECT_FALSE(ParseLockGranularity("whole").ok());
}

TEST(ImageLockTest, AWriterExcludesASecondWriterAndReaders) {
  for (LockGranularity g : {LockGranularity::kByteRange, LockGranularity::kFull}) {
    TempDisk disk(1 << 20);
    Fd first(disk.path()), second(disk.path());
    ASSERT_TRUE(LockImage(first.get(), disk.path(), true, 1 << 20, g).ok());
    auto again = LockImage(second.get(), disk.path(), true, 1 << 20, g);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code(), ErrorCode::kBusy);
    EXPECT_NE(again.error().message().find("locked by another process"), std::string::npos);
    EXPECT_FALSE(LockImage(second.get(), disk.path(), false, 1 << 20, g).ok());
  }
}

TEST(ImageLockTest, ReadersShareAndExcludeAWriter) {
  TempDisk disk(4096);
  Fd a(disk.path()), b(disk.path()), c(disk.path());
  ASSERT_TRUE(LockImage(a.get(), disk.path(), false, 4096, LockGranularity::kByteRange).ok());
  EXPECT_TRUE(LockImage(b.get(), disk.path(), false, 4096, LockGranularity::kByteRange).ok());
  EXPECT_FALSE(LockImage(c.get(), disk.path(), true, 4096, LockGranularity::kByteRange).ok());
}

TEST(ImageLockTest, ClosingTheFileReleasesTheLock) {
  TempDisk disk(4096);
  {
    Fd first(disk.path());
    ASSERT_TRUE(LockImage(first.get(), disk.path(), true, 4096, LockGranularity::kFull).ok());
  }
  Fd second(disk.path());
  EXPECT_TRUE(LockImage(second.get(), disk.path(), true, 4096, LockGranularity::kFull).ok());
}

}  // namespace
}  // namespace petrel
