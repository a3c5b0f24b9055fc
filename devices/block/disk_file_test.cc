// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for DiskFile: opening, errors, size and capability probing.
#include "devices/block/disk_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "devices/block/block_test_util.h"

namespace petrel {
namespace {

using block_test::TempDisk;

TEST(DiskFileTest, OpensRegularFileWithItsSize) {
  TempDisk temp(3 * 4096 + 512);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), false, false});
  ASSERT_TRUE(disk.ok()) << disk.error().message();
  EXPECT_EQ((*disk)->size(), 3u * 4096 + 512);
  EXPECT_FALSE((*disk)->is_block_device());
  EXPECT_FALSE((*disk)->readonly());
  EXPECT_EQ((*disk)->logical_block_size(), 512u);
  EXPECT_EQ((*disk)->required_alignment(), 1u);
  EXPECT_GE((*disk)->fd(), 0);
  // ext4/xfs/btrfs/tmpfs all punch holes; the probe must have said so.
  EXPECT_EQ((*disk)->discard_support(), FallocateSupport::kSupported);
  // The probe punched past the end: the size is unchanged.
  struct stat st {};
  ASSERT_EQ(stat(temp.path().c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 3u * 4096 + 512);
}

TEST(DiskFileTest, MissingFileIsNotFound) {
  auto disk = DiskFile::Open({"/nonexistent/petrel/disk.img", false, false});
  ASSERT_FALSE(disk.ok());
  EXPECT_EQ(disk.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(disk.error().message().find("/nonexistent/petrel/disk.img"), std::string::npos);
}

TEST(DiskFileTest, DirectoryIsRejectedReadWriteAndReadOnly) {
  for (bool readonly : {false, true}) {
    auto disk = DiskFile::Open({"/tmp", readonly, false});
    ASSERT_FALSE(disk.ok());
    EXPECT_EQ(disk.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(disk.error().message().find("directory"), std::string::npos)
        << disk.error().message();
  }
}

TEST(DiskFileTest, FifoIsRejected) {
  std::string path = "/tmp/petrel-block-fifo-" + std::to_string(getpid());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  auto disk = DiskFile::Open({path, false, false});  // O_RDWR on a FIFO does not block
  unlink(path.c_str());
  ASSERT_FALSE(disk.ok());
  EXPECT_EQ(disk.error().code(), ErrorCode::kInvalidArgument);
}

TEST(DiskFileTest, PermissionDeniedIsClear) {
  std::string path;
  TempDisk temp(4096);
  if (geteuid() == 0) {
    // Root ignores mode bits, but sysfs refuses writes to a read-only attribute.
    path = "/sys/kernel/uevent_seqnum";
    if (access(path.c_str(), R_OK) != 0)
      GTEST_SKIP() << "running as root and " << path << " is absent";
  } else {
    ASSERT_TRUE(temp.ok());
    ASSERT_EQ(chmod(temp.path().c_str(), 0400), 0);
    path = temp.path();
  }
  auto disk = DiskFile::Open({path, false, false});
  ASSERT_FALSE(disk.ok());
  EXPECT_EQ(disk.error().code(), ErrorCode::kSystem);
  EXPECT_EQ(disk.error().errnum(), EACCES);
  EXPECT_NE(disk.error().message().find("permission denied"), std::string::npos)
      << disk.error().message();
  // Read-only access is allowed.
  EXPECT_TRUE(DiskFile::Open({path, true, false}).ok());
}

TEST(DiskFileTest, ReadOnlyDiskSupportsNoDiscard) {
  TempDisk temp(4096);
  ASSERT_TRUE(temp.ok());
  auto disk = DiskFile::Open({temp.path(), true, false});
  ASSERT_TRUE(disk.ok());
  EXPECT_TRUE((*disk)->readonly());
  EXPECT_FALSE((*disk)->discard_supported());
  EXPECT_EQ((*disk)->zero_range_support(), FallocateSupport::kUnsupported);
}

TEST(DiskFileTest, CharacterDeviceHasSizeZero) {
  auto disk = DiskFile::Open({"/dev/full", false, false});
  ASSERT_TRUE(disk.ok()) << disk.error().message();
  EXPECT_EQ((*disk)->size(), 0u);
}

TEST(DiskFileTest, DirectOpenEitherWorksAlignedOrFailsClearly) {
  // tmpfs refused O_DIRECT before Linux 6.6; ext4 in /tmp accepts it.
  for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm"}) {
    if (access(dir, W_OK) != 0) continue;
    TempDisk temp(8192, 0, dir);
    ASSERT_TRUE(temp.ok()) << dir;
    auto disk = DiskFile::Open({temp.path(), false, true});
    if (disk.ok()) {
      uint32_t lbs = (*disk)->logical_block_size();
      EXPECT_GE(lbs, 512u) << dir;
      EXPECT_EQ(lbs & (lbs - 1), 0u) << dir;
      EXPECT_EQ((*disk)->required_alignment(), lbs) << dir;
    } else {
      EXPECT_EQ(disk.error().code(), ErrorCode::kUnsupported) << dir;
      EXPECT_NE(disk.error().message().find("O_DIRECT"), std::string::npos);
    }
  }
}

TEST(DiskFileTest, EmptyPathIsInvalid) {
  auto disk = DiskFile::Open({"", false, false});
  ASSERT_FALSE(disk.ok());
  EXPECT_EQ(disk.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace petrel
