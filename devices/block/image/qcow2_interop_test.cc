// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// qcow2 against QEMU: images qemu-img makes read bit-exactly as `qemu-img
// convert -O raw` sees them; images Petrel writes pass `qemu-img check` and
// match the expected bytes under `qemu-img compare`.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "devices/block/block_test_util.h"
#include "core/base/hex.h"
#include "devices/block/image/open_image.h"
#include "devices/block/image/qcow2_image.h"
#include "devices/block/image/qemu_img_test_util.h"

namespace petrel {
namespace {

using image_test::RandomBytes;
using image_test::ReadWholeFile;
using image_test::RunCommand;
using image_test::TempDir;
using image_test::WriteWholeFile;

constexpr uint64_t kDiskSize = (16ull << 20) + (64 << 10) + 512;  // not a cluster multiple

// qemu-io commands that leave data, zero, discarded and untouched clusters
// at boundaries of every cluster size from 512 B to 2 MiB.
std::string PopulateCommands() {
  return "-c 'write -P 0x11 0 1M' -c 'write -P 0x22 3000 5000' "
         "-c 'write -P 0x33 2M 4M' -c 'write -z 3M 512k' -c 'discard 4M 2M' "
         "-c 'write -P 0x44 10M 4096' -c 'write -P 0x55 " + std::to_string(kDiskSize - 1024) +
         " 1024' -c 'write -P 0x66 12582400 300000'";
}

// The whole disk through Petrel, three ways: DiskImage::Read, and both engines.
void ExpectReadsAs(DiskImage& image, const std::vector<uint8_t>& want) {
  ASSERT_EQ(image.size(), want.size());
  std::vector<uint8_t> got(want.size());
  ASSERT_EQ(image.Read(0, got), 0);
  ASSERT_TRUE(got == want) << "DiskImage::Read differs";
  for (IoEngineKind kind : {IoEngineKind::kSync, IoEngineKind::kAuto}) {
    auto engine = image.MakeEngine(kind, 32);
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    std::fill(got.begin(), got.end(), 0xee);
    // Requests of 1 MiB, each in two iovecs split off any boundary.
    constexpr uint64_t kChunk = 1 << 20;
    for (uint64_t at = 0; at < got.size(); at += kChunk * 8) {
      std::vector<IoRequest> batch;
      for (uint64_t off = at; off < std::min<uint64_t>(got.size(), at + kChunk * 8); off += kChunk) {
        const uint64_t n = std::min<uint64_t>(kChunk, got.size() - off);
        const uint64_t split = std::min<uint64_t>(n, 1000);
        batch.push_back(block_test::Read(
            off, {{got.data() + off, split}, {got.data() + off + split, n - split}}, off));
      }
      auto results = block_test::Run(**engine, batch);
      ASSERT_EQ(results.size(), batch.size());
      for (auto& [off, result] : results)
        ASSERT_EQ(result, static_cast<int64_t>(std::min<uint64_t>(kChunk, got.size() - off)));
    }
    ASSERT_TRUE(got == want) << IoEngineKindName(kind) << " engine reads differ";
  }
}

struct ReadCase {
  uint64_t cluster_size;
  const char* compat;
  int refcount_bits;
};

class Qcow2ReadInteropTest : public ::testing::TestWithParam<ReadCase> {};

TEST_P(Qcow2ReadInteropTest, ReadsWhatQemuImgConvertSees) {
  PETREL_REQUIRE_QEMU_IMG();
  const ReadCase& p = GetParam();
  TempDir dir;
  const std::string image = dir.File("disk.qcow2"), raw = dir.File("disk.raw");
  PETREL_RUN_OK("qemu-img create -q -f qcow2 -o cluster_size=" + std::to_string(p.cluster_size) +
                ",compat=" + p.compat + ",refcount_bits=" + std::to_string(p.refcount_bits) + " " +
                image + " " + std::to_string(kDiskSize));
  PETREL_RUN_OK("qemu-io -f qcow2 " + PopulateCommands() + " " + image + " >/dev/null");
  PETREL_RUN_OK("qemu-img convert -O raw " + image + " " + raw);
  auto opened = OpenDiskImage({.path = image, .readonly = true});
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_EQ((*opened)->type(), ImageType::kQcow2);  // detected
  ExpectReadsAs(**opened, ReadWholeFile(raw));
}

INSTANTIATE_TEST_SUITE_P(
    ClusterSizesAndVersions, Qcow2ReadInteropTest,
    ::testing::Values(ReadCase{4096, "0.10", 16}, ReadCase{4096, "1.1", 16},
                      ReadCase{65536, "0.10", 16}, ReadCase{65536, "1.1", 16},
                      ReadCase{2 << 20, "0.10", 16}, ReadCase{2 << 20, "1.1", 16},
                      ReadCase{512, "1.1", 16}, ReadCase{16384, "1.1", 1},
                      ReadCase{32768, "0.10", 16}, ReadCase{131072, "1.1", 16},
                      ReadCase{262144, "0.10", 16}, ReadCase{524288, "1.1", 16},
                      ReadCase{1 << 20, "1.1", 8},
                      ReadCase{65536, "1.1", 64}, ReadCase{8192, "1.1", 4}),
    [](const auto& info) {
      return std::to_string(info.param.cluster_size) + "_v" +
             (std::string(info.param.compat) == "1.1" ? "3" : "2") + "_refcount" +
             std::to_string(info.param.refcount_bits);
    });

TEST(Qcow2InteropTest, ReadsCompressedClustersWithZlibAndZstd) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  std::mt19937_64 rng(7);
  // Compressible and incompressible data (qemu-img stores the latter plain).
  std::vector<uint8_t> bytes(8 << 20);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>((i / 4096) * 7 + i % 13);
  auto noise = RandomBytes(rng, 1 << 20);
  std::copy(noise.begin(), noise.end(), bytes.begin() + (3 << 20));
  WriteWholeFile(dir.File("src.raw"), bytes);
  for (const char* type : {"zlib", "zstd"}) {
    const std::string image = dir.File(std::string(type) + ".qcow2");
    PETREL_RUN_OK("qemu-img convert -c -O qcow2 -o compression_type=" + std::string(type) + " " +
                  (dir.File("src.raw")) + " " + image);
    auto opened = OpenDiskImage({.path = image, .readonly = true});
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    ExpectReadsAs(**opened, bytes);
  }
}

TEST(Qcow2InteropTest, ReadsABackingChainOnlyWithBackingFilesOn) {
  PETREL_REQUIRE_QEMU_IMG();
  TempDir dir;
  const std::string base = dir.File("base.raw"), mid = dir.File("mid.qcow2"), top = dir.File("top.qcow2");
  std::mt19937_64 rng(3);
  WriteWholeFile(base, RandomBytes(rng, 8 << 20));
  // mid is v2 with 4 KiB clusters, top v3 with 64 KiB, names relative.
  PETREL_RUN_OK("cd " + dir.path() + " && qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=4096 -b base.raw -F raw mid.qcow2");
  PETREL_RUN_OK("qemu-io -f qcow2 -c 'write -P 0x71 1000 70000' -c 'write -z 2M 100k' " + mid + " >/dev/null");
  PETREL_RUN_OK("cd " + dir.path() + " && qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 12M");
  PETREL_RUN_OK("qemu-io -f qcow2 -c 'write -P 0x72 40000 70000' -c 'discard 1M 1M' -c 'write -P 0x73 9M 1M' " + top + " >/dev/null");
  PETREL_RUN_OK("qemu-img convert -O raw " + top + " " + (dir.File("top.raw")));

  auto refused = OpenDiskImage({.path = top, .readonly = true});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("backing_files=on"), std::string::npos)
      << refused.error().message();
  auto opened = OpenDiskImage({.path = top, .readonly = true, .backing_files = true});
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  ExpectReadsAs(**opened, ReadWholeFile(dir.File("top.raw")));  // 12 MiB over an 8 MiB chain
}

// Random writes, discards and write-zeroes through Petrel, mirrored in a
// byte vector; then qemu-img must find the image sound and equal to it.
struct WriteCase {
  uint64_t cluster_size;
  const char* compat;
  bool backing;
  bool compressed;
  int refcount_bits;
};

class Qcow2WriteInteropTest : public ::testing::TestWithParam<WriteCase> {};

TEST_P(Qcow2WriteInteropTest, QemuImgChecksAndComparesWhatPetrelWrote) {
  PETREL_REQUIRE_QEMU_IMG();
  const WriteCase& p = GetParam();
  TempDir dir;
  const uint64_t size = 24 << 20;
  const std::string image = dir.File("disk.qcow2");
  std::mt19937_64 rng(p.cluster_size * 31 + p.backing * 2 + p.compressed);
  std::vector<uint8_t> want(size, 0);
  std::string opts = "-o cluster_size=" + std::to_string(p.cluster_size) + ",compat=" + p.compat +
                     ",refcount_bits=" + std::to_string(p.refcount_bits);
  if (p.backing) {
    want = RandomBytes(rng, size - (4 << 20));  // a shorter backing image
    want.resize(size, 0);
    WriteWholeFile(dir.File("base.raw"), std::vector<uint8_t>(want.begin(), want.end() - (4 << 20)));
    PETREL_RUN_OK("cd " + dir.path() + " && qemu-img create -q -f qcow2 " + opts +
                  " -b base.raw -F raw disk.qcow2 " + std::to_string(size));
  } else if (p.compressed) {
    for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<uint8_t>(i / 1000);
    WriteWholeFile(dir.File("src.raw"), want);
    PETREL_RUN_OK("qemu-img convert -c -O qcow2 " + opts + " " + (dir.File("src.raw")) + " " + image);
  } else {
    PETREL_RUN_OK("qemu-img create -q -f qcow2 " + opts + " " + image + " " + std::to_string(size));
  }
  {
    auto opened = OpenDiskImage({.path = image, .backing_files = true});
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    DiskImage& disk = **opened;
    auto engine = disk.MakeEngine(IoEngineKind::kAuto, 16);
    ASSERT_TRUE(engine.ok());
    for (int i = 0; i < 300; ++i) {
      const int what = static_cast<int>(rng() % 10);
      const uint64_t len = what < 2 ? (rng() % 4 + 1) * p.cluster_size : rng() % 200000 + 1;
      const uint64_t off = rng() % (size - len);
      if (what < 6) {  // write
        auto data = RandomBytes(rng, len);
        auto r = block_test::Run(**engine, {block_test::Write(off, {{data.data(), data.size()}})});
        ASSERT_EQ(r[1], static_cast<int64_t>(len)) << "write " << Hex(off) << "+" << len;
        std::copy(data.begin(), data.end(), want.begin() + off);
      } else if (what < 8) {  // write zeroes
        auto r = block_test::Run(**engine, {block_test::Ranged(IoRequest::Op::kWriteZeroes, off, len)});
        ASSERT_EQ(r[1], 0) << "write zeroes " << Hex(off) << "+" << len;
        std::fill_n(want.begin() + off, len, 0);
      } else {  // discard: whole clusters may now read as zeros, or keep their data
        auto r = block_test::Run(**engine, {block_test::Ranged(IoRequest::Op::kDiscard, off, len)});
        ASSERT_EQ(r[1], 0);
        std::vector<uint8_t> now(len);
        ASSERT_EQ(disk.Read(off, now), 0);
        for (uint64_t k = 0; k < len; ++k) {
          const bool whole = ((off + k) / p.cluster_size) * p.cluster_size >= off &&
                             ((off + k) / p.cluster_size + 1) * p.cluster_size <= off + len;
          if (!whole) ASSERT_EQ(now[k], want[off + k]) << "discard touched a partial cluster";
          else ASSERT_TRUE(now[k] == 0 || now[k] == want[off + k]);
          want[off + k] = now[k];
        }
      }
    }
    std::vector<uint8_t> got(size);
    ASSERT_EQ(disk.Read(0, got), 0);
    ASSERT_TRUE(got == want) << "Petrel does not read back what it wrote";
    ASSERT_FALSE(static_cast<Qcow2Image&>(disk).corrupt());
  }
  WriteWholeFile(dir.File("want.raw"), want);
  auto check = RunCommand("qemu-img check " + image);
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("No errors were found"), std::string::npos) << check.output;
  auto compare = RunCommand("qemu-img compare -f qcow2 -F raw " + image + " " + (dir.File("want.raw")));
  EXPECT_EQ(compare.status, 0) << compare.output;
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, Qcow2WriteInteropTest,
    ::testing::Values(WriteCase{65536, "1.1", false, false, 16},
                      WriteCase{4096, "0.10", false, false, 16},
                      WriteCase{65536, "1.1", true, false, 16},
                      WriteCase{4096, "0.10", true, false, 16},
                      WriteCase{65536, "1.1", false, true, 16},
                      WriteCase{2 << 20, "1.1", false, false, 16},
                      // Small refcount blocks and table: new blocks and a
                      // growing table as the image grows.
                      WriteCase{512, "1.1", false, false, 64},
                      WriteCase{4096, "1.1", false, false, 1}),
    [](const auto& info) {
      const WriteCase& c = info.param;
      return std::to_string(c.cluster_size) + "_v" + (std::string(c.compat) == "1.1" ? "3" : "2") +
             (c.backing ? "_backing" : "") + (c.compressed ? "_compressed" : "") + "_refcount" +
             std::to_string(c.refcount_bits);
    });

}  // namespace
}  // namespace petrel
