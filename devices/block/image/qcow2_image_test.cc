// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Qcow2Image on its own: header checks, features refused with what to do,
// corruption found at run time, crash safety, queues on several threads.
#include "devices/block/image/qcow2_image.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "core/base/bytes.h"
#include "devices/block/block_test_util.h"
#include "devices/block/image/open_image.h"
#include "devices/block/image/qcow2_header.h"
#include "devices/block/image/qemu_img_test_util.h"

namespace petrel {
namespace {

using image_test::RandomBytes;
using image_test::ReadWholeFile;
using image_test::RunCommand;
using image_test::TempDir;
using image_test::WriteWholeFile;

// A fresh qemu-img image; `options` as for qemu-img create -o.
std::string MakeImage(const TempDir& dir, const std::string& options, uint64_t size,
                      const std::string& name = "disk.qcow2") {
  const std::string path = dir.File(name);
  auto r = RunCommand("qemu-img create -q -f qcow2 -o " + options + " " + path + " " +
                      std::to_string(size));
  EXPECT_EQ(r.status, 0) << r.output;
  return path;
}

void PatchBe64(const std::string& path, uint64_t offset, uint64_t value) {
  auto bytes = ReadWholeFile(path);
  StoreBe<uint64_t>(bytes, offset, value);
  WriteWholeFile(path, bytes);
}

void PatchBe32(const std::string& path, uint64_t offset, uint32_t value) {
  auto bytes = ReadWholeFile(path);
  StoreBe<uint32_t>(bytes, offset, value);
  WriteWholeFile(path, bytes);
}

std::string OpenError(const std::string& path, bool readonly = false) {
  auto image = OpenDiskImage({.path = path, .readonly = readonly});
  return image.ok() ? "" : image.error().message();
}

TEST(Qcow2HeaderTest, RefusesMalformedHeadersWithTheFieldAtFault) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  struct Case {
    size_t offset;
    int width;
    uint64_t value;
    const char* message;
  } cases[] = {
      {qcow2::kOffVersion, 32, 4, "version 4"},
      {qcow2::kOffClusterBits, 32, 8, "cluster_bits 8"},
      {qcow2::kOffClusterBits, 32, 30, "cluster_bits 30"},
      {qcow2::kOffL1Size, 32, 0, "does not cover the virtual size"},
      {qcow2::kOffL1Size, 32, 0x10000000, "too large"},
      {qcow2::kOffL1TableOffset, 64, 0x10200, "L1 table offset"},
      {qcow2::kOffRefcountTableOffset, 64, 0, "refcount table offset"},
      {qcow2::kOffRefcountTableClusters, 32, 0x100000, "refcount table of"},
      {qcow2::kOffSize, 64, 1ull << 63, "virtual size"},
      {qcow2::kOffHeaderLength, 32, 4001, "header_length"},
      {qcow2::kOffRefcountOrder, 32, 7, "refcount_order 7"},
      {qcow2::kOffBackingFileOffset, 64, 65530, "backing file name"},
  };
  for (const Case& c : cases) {
    const std::string path = MakeImage(dir, "cluster_size=65536", 1 << 30);
    if (c.offset == qcow2::kOffBackingFileOffset) PatchBe32(path, qcow2::kOffBackingFileSize, 100);
    if (c.width == 64) PatchBe64(path, c.offset, c.value);
    else PatchBe32(path, c.offset, static_cast<uint32_t>(c.value));
    const std::string error = OpenError(path);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.message << ", got: " << error;
    EXPECT_NE(error.find("qcow2"), std::string::npos) << error;
  }
}

TEST(Qcow2HeaderTest, AFileShorterThanAHeaderIsRefused) {
  TempDir dir;
  WriteWholeFile(dir.File("short"), std::vector<uint8_t>{'Q', 'F', 'I', 0xfb, 0, 0, 0, 3});
  EXPECT_NE(OpenError(dir.File("short")).find("shorter than a header"), std::string::npos);
}

TEST(Qcow2FeaturesTest, RefusesWhatItCannotHandleAndSaysWhatToDo) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  struct Case {
    uint64_t incompatible;
    bool read_only_ok;
    const char* message;
  } cases[] = {
      {1ull << 1, true, "marked corrupt"},
      {1ull << 4, false, "extended L2"},
      {1ull << 2, false, "external data file"},
      {1ull << 9, false, "unknown incompatible features 0x200"},
  };
  for (const Case& c : cases) {
    const std::string path = MakeImage(dir, "compat=1.1", 1 << 20);
    PatchBe64(path, qcow2::kOffIncompatibleFeatures, c.incompatible);
    EXPECT_NE(OpenError(path).find(c.message), std::string::npos) << OpenError(path);
    EXPECT_EQ(OpenError(path, true).empty(), c.read_only_ok) << OpenError(path, true);
  }
  const std::string encrypted = MakeImage(dir, "compat=1.1", 1 << 20);
  PatchBe32(encrypted, qcow2::kOffCryptMethod, 1);
  EXPECT_NE(OpenError(encrypted, true).find("encrypted"), std::string::npos);
}

// A process that used lazy refcounts and died leaves a dirty image whose
// refcounts are too low; opened for writing, it is repaired first, as QEMU
// does (qemu-img check found 150 errors on such an image).
TEST(Qcow2FeaturesTest, ADirtyImageIsRepairedWhenOpenedForWriting) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=1.1,lazy_refcounts=on,cluster_size=4096", 16 << 20);
  // qemu-io's abort command dies without writing the refcounts back.
  RunCommand("qemu-io -f qcow2 -c 'write -P 0x61 0 1M' -c 'write -P 0x62 4M 300k' -c abort " + path);
  ASSERT_NE(LoadBe<uint64_t>(ReadWholeFile(path), qcow2::kOffIncompatibleFeatures) & 1, 0u);
  ASSERT_NE(RunCommand("qemu-img check " + path).status, 0);
  {
    auto image = OpenDiskImage({.path = path});
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::vector<uint8_t> data(200 << 10, 0x63);
    ASSERT_EQ((*image)->Write(8 << 20, data), 0);  // allocates: must not reuse a cluster in use
  }
  EXPECT_EQ(LoadBe<uint64_t>(ReadWholeFile(path), qcow2::kOffIncompatibleFeatures) & 1, 0u);
  auto check = RunCommand("qemu-img check " + path);
  EXPECT_EQ(check.status, 0) << check.output;
  auto read = RunCommand("qemu-io -f qcow2 -c 'read -P 0x61 0 1M' -c 'read -P 0x62 4M 300k' -c "
                         "'read -P 0x63 8M 200k' " + path);
  EXPECT_EQ(read.status, 0) << read.output;
  EXPECT_EQ(read.output.find("Pattern verification failed"), std::string::npos) << read.output;
}

TEST(Qcow2FeaturesTest, InternalSnapshotsAreReadOnly) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=1.1", 4 << 20);
  PETREL_RUN_OK("qemu-io -f qcow2 -c 'write -P 0x31 0 1M' " + path + " >/dev/null");
  PETREL_RUN_OK("qemu-img snapshot -c snap " + path);
  PETREL_RUN_OK("qemu-io -f qcow2 -c 'write -P 0x32 0 64k' " + path + " >/dev/null");
  EXPECT_NE(OpenError(path).find("internal snapshots"), std::string::npos) << OpenError(path);
  auto image = OpenDiskImage({.path = path, .readonly = true});
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> buf(128 << 10);
  ASSERT_EQ((*image)->Read(0, buf), 0);
  EXPECT_EQ(buf[0], 0x32);  // the active layer
  EXPECT_EQ(buf[64 << 10], 0x31);
}

TEST(Qcow2FeaturesTest, AutoclearBitsAreClearedWhenOpenedForWriting) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=1.1", 1 << 20);
  PatchBe64(path, qcow2::kOffAutoclearFeatures, 0x3);
  { ASSERT_TRUE(OpenDiskImage({.path = path, .readonly = true}).ok()); }
  EXPECT_EQ(LoadBe<uint64_t>(ReadWholeFile(path), qcow2::kOffAutoclearFeatures), 0x3u);
  { ASSERT_TRUE(OpenDiskImage({.path = path}).ok()); }
  EXPECT_EQ(LoadBe<uint64_t>(ReadWholeFile(path), qcow2::kOffAutoclearFeatures), 0u);
}

// The L2 entry of guest cluster `index` in a fresh single-L2 image.
uint64_t L2EntryOffset(const std::string& path, uint64_t index) {
  const auto bytes = ReadWholeFile(path);
  const uint64_t l1 = LoadBe<uint64_t>(bytes, qcow2::kOffL1TableOffset);
  const uint64_t l2 = LoadBe<uint64_t>(bytes, l1) & qcow2::kOffsetMask;
  return l2 + index * 8;
}

TEST(Qcow2CorruptionTest, AMisalignedL2EntryFailsItsRequestMarksTheImageAndSparesTheRest) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=1.1,cluster_size=65536", 4 << 20);
  PETREL_RUN_OK("qemu-io -f qcow2 -c 'write -P 0x41 0 256k' " + path + " >/dev/null");
  const uint64_t at = L2EntryOffset(path, 1);
  PatchBe64(path, at, LoadBe<uint64_t>(ReadWholeFile(path), at) + 0x200);
  auto image = OpenDiskImage({.path = path});
  ASSERT_TRUE(image.ok()) << image.error().message();
  std::vector<uint8_t> buf(4096);
  EXPECT_EQ((*image)->Read(64 << 10, buf), -EIO);
  EXPECT_TRUE(static_cast<Qcow2Image&>(**image).corrupt());
  ASSERT_EQ((*image)->Read(0, buf), 0);  // sound clusters still read
  EXPECT_EQ(buf[0], 0x41);
  EXPECT_EQ((*image)->Write(2 << 20, buf), -EIO);  // no more writes
  image->reset();
  // The corrupt bit is on the disk now, as QEMU sets it.
  EXPECT_NE(LoadBe<uint64_t>(ReadWholeFile(path), qcow2::kOffIncompatibleFeatures) & 2, 0u);
  EXPECT_NE(OpenError(path).find("marked corrupt"), std::string::npos);
}

TEST(Qcow2CorruptionTest, AnL2TablePointingAtTheHeaderIsCorruptNotAHostRead) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=0.10,cluster_size=65536", 4 << 20);
  PETREL_RUN_OK("qemu-io -f qcow2 -c 'write -P 0x41 0 64k' " + path + " >/dev/null");
  PatchBe64(path, L2EntryOffset(path, 0), qcow2::kOflagCopied | 0);  // offset 0, COPIED
  PatchBe64(path, L2EntryOffset(path, 2), qcow2::kOflagCopied | 0x10000 * 0 | 0x200);
  auto image = OpenDiskImage({.path = path, .readonly = true});
  ASSERT_TRUE(image.ok());
  std::vector<uint8_t> buf(512);
  EXPECT_EQ((*image)->Read(0, buf), 0);  // offset 0 without flags: unallocated
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ((*image)->Read(2 << 16, buf), -EIO);
}

TEST(Qcow2ImageTest, ASecondWriterIsRefusedAndQemuImgCannotWriteEither) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=1.1", 1 << 20);
  auto first = OpenDiskImage({.path = path});
  ASSERT_TRUE(first.ok());
  EXPECT_NE(OpenError(path).find("locked by another process"), std::string::npos);
  auto qemu = RunCommand("qemu-io -f qcow2 -c 'write 0 512' " + path);
  EXPECT_NE(qemu.status, 0) << qemu.output;
}

TEST(Qcow2ImageTest, QueuesOnSeveralThreadsAllocateWithoutLosingAWrite) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  constexpr uint64_t kSize = 32 << 20;
  const std::string path = MakeImage(dir, "compat=1.1,cluster_size=4096", kSize);
  std::vector<uint8_t> want(kSize, 0);
  {
    auto image = OpenDiskImage({.path = path});
    ASSERT_TRUE(image.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        auto engine = (*image)->MakeEngine(IoEngineKind::kAuto, 8);
        ASSERT_TRUE(engine.ok());
        std::mt19937_64 rng(t);
        // Each thread owns every fourth MiB; writes straddle clusters.
        for (int i = 0; i < 200; ++i) {
          const uint64_t mib = (rng() % 8) * 4 + t;
          const uint64_t len = rng() % 20000 + 1;
          const uint64_t off = (mib << 20) + rng() % ((1 << 20) - len);
          auto data = RandomBytes(rng, len);
          auto r = block_test::Run(**engine, {block_test::Write(off, {{data.data(), len}})});
          ASSERT_EQ(r[1], static_cast<int64_t>(len));
          std::copy(data.begin(), data.end(), want.begin() + off);
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  WriteWholeFile(dir.File("want.raw"), want);
  auto check = RunCommand("qemu-img check " + path);
  EXPECT_EQ(check.status, 0) << check.output;
  auto compare = RunCommand("qemu-img compare -f qcow2 -F raw " + path + " " + (dir.File("want.raw")));
  EXPECT_EQ(compare.status, 0) << compare.output;
}

// O_DIRECT (direct=on): metadata I/O is byte-granular, so it goes through
// aligned buffers; data through the engines' own bounce buffers.
TEST(Qcow2ImageTest, WorksWithDirectIo) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string path = MakeImage(dir, "compat=1.1,cluster_size=4096", 8 << 20);
  std::vector<uint8_t> want(8 << 20, 0);
  {
    auto image = OpenDiskImage({.path = path, .direct = true});
    if (!image.ok() && image.error().code() == ErrorCode::kUnsupported)
      GTEST_SKIP() << "no O_DIRECT here: " << image.error().message();
    ASSERT_TRUE(image.ok()) << image.error().message();
    ASSERT_TRUE((*image)->data_file().direct());
    auto engine = (*image)->MakeEngine(IoEngineKind::kAuto, 8);
    ASSERT_TRUE(engine.ok());
    std::mt19937_64 rng(5);
    for (int i = 0; i < 100; ++i) {
      const uint64_t len = rng() % 10000 + 1;
      const uint64_t off = rng() % (want.size() - len);
      auto data = RandomBytes(rng, len);
      auto r = block_test::Run(**engine, {block_test::Write(off, {{data.data(), len}})});
      ASSERT_EQ(r[1], static_cast<int64_t>(len));
      std::copy(data.begin(), data.end(), want.begin() + off);
    }
    std::vector<uint8_t> got(want.size());
    ASSERT_EQ((*image)->Read(0, got), 0);
    EXPECT_TRUE(got == want);
  }
  WriteWholeFile(dir.File("want.raw"), want);
  auto check = RunCommand("qemu-img check " + path);
  EXPECT_EQ(check.status, 0) << check.output;
  auto compare = RunCommand("qemu-img compare -f qcow2 -F raw " + path + " " + (dir.File("want.raw")));
  EXPECT_EQ(compare.status, 0) << compare.output;
}

// A process writing allocating clusters (and growing the refcount table:
// 512-byte clusters, 64-bit refcounts) is killed with SIGKILL at random
// moments; qemu-img check must find no corruption (leaks are allowed: exit
// code 3), and every write that completed must read back.
TEST(Qcow2CrashTest, SigkillDuringAllocatingWritesLeavesNoCorruption) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  for (int round = 0; round < 6; ++round) {
    const std::string path = MakeImage(dir, "compat=1.1,cluster_size=512,refcount_bits=64",
                                       64 << 20, "crash" + std::to_string(round) + ".qcow2");
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipefd[0]);
      auto image = OpenDiskImage({.path = path});
      if (!image.ok()) _exit(2);
      std::mt19937_64 rng(round);
      for (uint64_t i = 0;; ++i) {
        const uint64_t off = (rng() % ((64 << 20) / 512)) * 512;
        std::vector<uint8_t> data(1536, static_cast<uint8_t>(i % 251 + 1));
        // Tell the parent what is about to be written, then that it was.
        uint64_t record[3] = {off, i % 251 + 1, 0};
        if (write(pipefd[1], record, sizeof record) != sizeof record) _exit(4);
        if ((*image)->Write(off, data) != 0) _exit(3);
        record[2] = 1;
        if (write(pipefd[1], record, sizeof record) != sizeof record) _exit(4);
      }
    }
    close(pipefd[1]);
    std::vector<std::pair<uint64_t, uint64_t>> done;
    bool torn = false;  // the write the kill interrupted, at torn_at
    uint64_t torn_at = 0;
    uint64_t record[3];  // 24 bytes: each write(2) of one is atomic (PIPE_BUF)
    auto take = [&] {
      if (record[2] == 0) {
        torn = true;
        torn_at = record[0];
      } else {
        done.emplace_back(record[0], record[1]);
        torn = false;
      }
    };
    // The kill comes at a random moment once the writer is under way: under
    // a sanitizer on a loaded machine, opening the image alone can take
    // longer than the delay (CI once saw no write done in 20 ms).
    for (int waited_ms = 0; done.size() <= 10 && waited_ms < 30'000;) {
      pollfd p{pipefd[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) {
        waited_ms += 100;
        continue;
      }
      if (read(pipefd[0], record, sizeof record) != sizeof record) break;
      take();
    }
    usleep(20000 + round * 30000);
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    while (read(pipefd[0], record, sizeof record) == sizeof record) take();
    close(pipefd[0]);
    ASSERT_GT(done.size(), 10u) << "the writer made no progress";
    auto check = RunCommand("qemu-img check " + path);
    EXPECT_TRUE(check.status == 0 || check.status == 3) << check.output;
    EXPECT_EQ(check.output.find("ERROR"), std::string::npos) << check.output;
    // The last write to each offset wins; later writes may overlap earlier
    // ones, so check only the final byte each record's range ends with.
    auto image = OpenDiskImage({.path = path, .readonly = true});
    ASSERT_TRUE(image.ok());
    std::map<uint64_t, uint8_t> last;  // byte offset -> value, replayed in order
    for (auto& [off, value] : done)
      for (uint64_t b = off; b < off + 1536; b += 512) last[b] = static_cast<uint8_t>(value);
    if (torn)
      for (uint64_t b = torn_at; b < torn_at + 1536; b += 512) last.erase(b);
    for (auto& [off, value] : last) {
      uint8_t byte;
      ASSERT_EQ((*image)->Read(off, std::span(&byte, 1)), 0);
      ASSERT_EQ(byte, value) << "offset " << off;
    }
  }
}

}  // namespace
}  // namespace petrel
