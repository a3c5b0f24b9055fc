// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for FileImage: the whole file is read once, so later changes to the
// file (truncation by another process) cannot reach the VMM; errors for what
// cannot be a kernel or initramfs.
#include "vmm/file_image.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace petrel::vmm {
namespace {

class FileImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/petrel-file-image-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `bytes` to <dir>/<name> and returns the path.
  std::string WriteFile(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = dir_ + "/" + name;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    close(fd);
    return path;
  }

  std::string dir_;
};

std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> v(size);
  for (size_t i = 0; i < size; ++i) v[i] = static_cast<uint8_t>(i * 7 + (i >> 12));
  return v;
}

TEST_F(FileImageTest, HoldsTheWholeFile) {
  const auto bytes = Pattern((size_t{1} << 20) + 123);  // not a whole number of pages
  auto image = FileImage::Open(WriteFile("kernel", bytes), "kernel");
  ASSERT_TRUE(image.ok()) << image.error().message();
  ASSERT_EQ(image->bytes().size(), bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), image->bytes().begin()));
  FileImage moved = std::move(*image);
  EXPECT_EQ(moved.bytes().size(), bytes.size());
}

// Regression (issue 8): the image used to be a MAP_PRIVATE mapping of the
// file; another process truncating the file made the next access SIGBUS and
// killed the VMM. Run in a child so the old behaviour shows as a failure.
TEST_F(FileImageTest, TruncatingTheFileAfterOpenDoesNotReachTheImage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto bytes = Pattern(size_t{4} << 20);
  const std::string path = WriteFile("kernel", bytes);
  EXPECT_EXIT(
      {
        auto image = FileImage::Open(path, "kernel");
        if (!image.ok()) _exit(3);
        int other = open(path.c_str(), O_WRONLY | O_CLOEXEC);  // another writer
        if (other < 0 || ftruncate(other, 0) != 0) _exit(4);
        close(other);
        uint64_t sum = 0;
        for (uint8_t b : image->bytes()) sum += b;  // every byte
        uint64_t want = 0;
        for (uint8_t b : bytes) want += b;
        _exit(sum == want && image->bytes().size() == bytes.size() ? 0 : 5);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(FileImageTest, MissingEmptyAndNonRegularFilesAreErrors) {
  auto missing = FileImage::Open(dir_ + "/nope", "kernel");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("kernel"), std::string::npos);
  auto empty = FileImage::Open(WriteFile("empty", {}), "initramfs");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("empty"), std::string::npos);
  auto dir = FileImage::Open(dir_, "kernel");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message().find("not a regular file"), std::string::npos);
}

TEST_F(FileImageTest, FileOverTheSizeCapIsRefusedWithoutReadingIt) {
  const std::string path = dir_ + "/huge";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(kMaxFileImageBytes) + 1), 0);  // sparse
  close(fd);
  auto image = FileImage::Open(path, "initramfs");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("larger than"), std::string::npos)
      << image.error().message();
}

}  // namespace
}  // namespace petrel::vmm
