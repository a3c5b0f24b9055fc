// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the snapshot memory file (memory_file.h): a sparse write that
// skips zero pages, a copy-on-write map back, the range checks, and the
// ranges' JSON.
#include "vmm/snapshot/memory_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace petrel::vmm::snapshot {
namespace {

constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;
constexpr uint64_t kPage = kMemoryFilePageSize;

// A directory removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    templ += "/petrel-memfile-XXXXXX";
    path_ = mkdtemp(templ.data()) ? templ : "";
  }
  ~TempDir() {
    for (const auto& f : files_) unlink(f.c_str());
    if (!path_.empty()) rmdir(path_.c_str());
  }
  std::string File(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

std::shared_ptr<GuestMemory> TwoRegions() {
  auto low = HostRegion::Anonymous(kMiB);
  auto high = HostRegion::Anonymous(kMiB);
  if (!low.ok() || !high.ok()) return nullptr;
  auto m = GuestMemory::Create({{0, kMiB, *low}, {4 * kGiB, kMiB, *high}});
  return m.ok() ? *m : nullptr;
}

// Writes a few pages: a whole page, one byte of another, the last byte of
// each region. Returns the non-zero page count.
uint64_t Scribble(GuestMemory& m) {
  std::vector<uint8_t> page(kPage);
  for (size_t i = 0; i < page.size(); ++i) page[i] = static_cast<uint8_t>(i % 251 + 1);
  EXPECT_TRUE(m.Write(0x3000, page).ok());
  EXPECT_TRUE(m.WriteObj<uint8_t>(0x10000 + 17, 0x42).ok());
  EXPECT_TRUE(m.WriteObj<uint8_t>(kMiB - 1, 0x99).ok());
  EXPECT_TRUE(m.WriteObj<uint64_t>(4 * kGiB + 0x8000, 0x0123456789abcdefULL).ok());
  EXPECT_TRUE(m.WriteObj<uint8_t>(4 * kGiB + kMiB - 1, 0x77).ok());
  return 5;
}

std::vector<uint8_t> ReadAll(const GuestMemory& m, uint64_t gpa, uint64_t size) {
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(m.Read(gpa, out).ok());
  return out;
}

TEST(MemoryFileTest, WritesASparseFileAndMapsItBack) {
  TempDir dir;
  const std::string path = dir.File("memory");
  auto memory = TwoRegions();
  ASSERT_NE(memory, nullptr);
  const uint64_t pages = Scribble(*memory);

  uint64_t written = 0;
  auto ranges = WriteMemoryFile(*memory, path, &written);
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  EXPECT_EQ(written, pages * kPage);
  const std::vector<MemoryRange> expected = {{0, kMiB, 0}, {4 * kGiB, kMiB, kMiB}};
  EXPECT_EQ(*ranges, expected);

  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 2 * kMiB);
  // Holes where the zero pages are (filesystems may allocate a little
  // more than written, e.g. in larger blocks; never most of the file).
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 2 * kMiB / 4);

  for (bool prefault : {false, true}) {
    auto mapped = MapMemoryFile(path, *ranges, prefault);
    ASSERT_TRUE(mapped.ok()) << mapped.error().message();
    ASSERT_EQ((*mapped)->regions().size(), 2u);
    for (const auto& r : *ranges) {
      EXPECT_EQ(ReadAll(**mapped, r.gpa, r.size), ReadAll(*memory, r.gpa, r.size));
    }
    // Copy-on-write: the guest's writes stay in memory, the file keeps its bytes.
    ASSERT_TRUE((*mapped)->WriteObj<uint32_t>(0x3000, 0xfeedface).ok());
    ASSERT_TRUE((*mapped)->WriteObj<uint32_t>(4 * kGiB + 0x20000, 0xfeedface).ok());
    EXPECT_EQ(*(*mapped)->ReadObj<uint32_t>(0x3000), 0xfeedfaceu);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    uint32_t in_file = 0;
    ASSERT_EQ(pread(fd, &in_file, sizeof in_file, 0x3000), 4);
    EXPECT_EQ(in_file, *memory->ReadObj<uint32_t>(0x3000));
    ASSERT_EQ(pread(fd, &in_file, sizeof in_file, kMiB + 0x20000), 4);
    EXPECT_EQ(in_file, 0u);
    close(fd);
  }
}

TEST(MemoryFileTest, AllZeroMemoryWritesNothing) {
  TempDir dir;
  const std::string path = dir.File("zero");
  auto memory = TwoRegions();
  ASSERT_NE(memory, nullptr);
  uint64_t written = 1;
  auto ranges = WriteMemoryFile(*memory, path, &written);
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  EXPECT_EQ(written, 0u);
  auto mapped = MapMemoryFile(path, *ranges, false);
  ASSERT_TRUE(mapped.ok()) << mapped.error().message();
  EXPECT_EQ(*(*mapped)->ReadObj<uint64_t>(4 * kGiB + kMiB - 8), 0u);
}

TEST(MemoryFileTest, RewritingTruncatesTheOldFile) {
  TempDir dir;
  const std::string path = dir.File("memory");
  auto memory = TwoRegions();
  ASSERT_NE(memory, nullptr);
  Scribble(*memory);
  ASSERT_TRUE(WriteMemoryFile(*memory, path).ok());
  ASSERT_TRUE(memory->Fill(0, 0, kMiB).ok());
  ASSERT_TRUE(memory->Fill(4 * kGiB, 0, kMiB).ok());
  auto ranges = WriteMemoryFile(*memory, path);
  ASSERT_TRUE(ranges.ok());
  auto mapped = MapMemoryFile(path, *ranges, false);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(ReadAll(**mapped, 0, kMiB), std::vector<uint8_t>(kMiB, 0));
}

TEST(MemoryFileTest, UnalignedRegionsAreRefused) {
  TempDir dir;
  auto host = HostRegion::Anonymous(kPage + 512);
  ASSERT_TRUE(host.ok());
  auto memory = GuestMemory::Create({{0, kPage + 512, *host}});
  ASSERT_TRUE(memory.ok());
  auto r = WriteMemoryFile(**memory, dir.File("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not 4 KiB aligned"), std::string::npos)
      << r.error().message();
}

TEST(MemoryFileTest, ReadBackIntoAnonymousMemoryWithAndWithoutPrefault) {
  TempDir dir;
  const std::string path = dir.File("memory");
  auto memory = TwoRegions();
  ASSERT_NE(memory, nullptr);
  auto ranges = WriteMemoryFile(*memory, path);
  ASSERT_TRUE(ranges.ok());
  for (bool prefault : {false, true}) {
    auto read = ReadMemoryFile(path, *ranges, prefault);
    ASSERT_TRUE(read.ok()) << read.error().message();
    for (const auto& r : *ranges) {
      EXPECT_EQ(ReadAll(**read, r.gpa, r.size), ReadAll(*memory, r.gpa, r.size));
    }
  }
  // Nothing of the file is needed afterwards.
  auto read = ReadMemoryFile(path, *ranges, false);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(unlink(path.c_str()), 0);
  for (const auto& r : *ranges) {
    EXPECT_EQ(ReadAll(**read, r.gpa, r.size), ReadAll(*memory, r.gpa, r.size));
  }
}

TEST(MemoryFileTest, BadRangesAndShortFilesAreRefused) {
  TempDir dir;
  const std::string path = dir.File("memory");
  auto memory = TwoRegions();
  ASSERT_NE(memory, nullptr);
  auto ranges = WriteMemoryFile(*memory, path);
  ASSERT_TRUE(ranges.ok());

  // Both ways back (mapped and read in) check the same things the same way.
  auto error = [&](const std::vector<MemoryRange>& rs) {
    auto m = MapMemoryFile(path, rs, false);
    auto r = ReadMemoryFile(path, rs, false);
    const std::string mapped = m.ok() ? std::string("(accepted)") : m.error().message();
    const std::string read = r.ok() ? std::string("(accepted)") : r.error().message();
    return mapped == read ? mapped : mapped + " / read: " + read;
  };
  EXPECT_EQ(error({{0, kMiB, 0}, {kMiB - kPage, kMiB, kMiB}}),
            "memory ranges overlap in guest memory at 0xff000");
  EXPECT_EQ(error({{0, kMiB, 0}, {4 * kGiB, kMiB, kMiB - kPage}}),
            "memory ranges overlap in the file at 0xff000");
  EXPECT_EQ(error({{0x800, kPage, 0}}),
            "memory range 0 (gpa 0x800, size 0x1000, file offset 0x0): not 4 KiB aligned");
  EXPECT_EQ(error({{0, kPage, 0x10}}),
            "memory range 0 (gpa 0x0, size 0x1000, file offset 0x10): not 4 KiB aligned");
  EXPECT_EQ(error({{0, 100, 0}}),
            "memory range 0 (gpa 0x0, size 0x64, file offset 0x0): not 4 KiB aligned");
  EXPECT_EQ(error({{0, 0, 0}}), "memory range 0 (gpa 0x0, size 0x0, file offset 0x0): empty");
  EXPECT_EQ(error({{0xfffffffffffff000ULL, 2 * kPage, 0}}),
            "memory range 0 (gpa 0xfffffffffffff000, size 0x2000, file offset 0x0): wraps past 2^64");
  EXPECT_EQ(error({{0, kMiB, 0}, {4 * kGiB, kMiB, kMiB + kPage}}),
            "memory file " + path + " is 2097152 bytes, its ranges need 2101248");
  auto missing = MapMemoryFile(dir.File("absent"), *ranges, false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kSystem);
}

TEST(MemoryFileTest, RangesJson) {
  const std::vector<MemoryRange> ranges = {{0, kMiB, 0}, {4 * kGiB, kMiB, kMiB}};
  const nlohmann::json j = ToJson(ranges);
  EXPECT_EQ(j[1]["gpa"].get<uint64_t>(), 4 * kGiB);
  auto back = MemoryRangesFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, ranges);

  nlohmann::json bad = j;
  bad[1].erase("file_offset");
  auto r = MemoryRangesFromJson(bad, "memory.ranges");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "memory.ranges[1].file_offset: missing");
  auto one = MemoryRangeFromJson(nlohmann::json{{"gpa", -1}, {"size", 1}, {"file_offset", 0}});
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().message(), "gpa: expected an unsigned integer, got -1");
}

}  // namespace
}  // namespace petrel::vmm::snapshot
