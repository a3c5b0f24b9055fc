// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// image_bench: the disk image format layer without a VM (Google Benchmark).
// qcow2 against raw on the same data: sequential and random reads, writes
// that allocate, copy-on-write from a backing file, compressed reads, and
// reads that miss the L2 cache. Requests go through the image's engine
// (the synchronous one, so the figures are the format's CPU cost over the
// host page cache; the images live in /tmp). Needs qemu-img to make images.
// docs/performance.md has the figures.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "devices/block/image/open_image.h"
#include "devices/block/io_engine.h"

namespace petrel {
namespace {

constexpr uint64_t kImageSize = 256ull << 20;

bool Run(const std::string& command) { return system((command + " >/dev/null 2>&1").c_str()) == 0; }

struct Scratch {
  Scratch() {
    char pattern[] = "/tmp/petrel-image-bench-XXXXXX";
    if (mkdtemp(pattern) != nullptr) dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
};

Scratch& Dir() {
  static Scratch scratch;
  return scratch;
}

// Made once: raw and qcow2 images holding the same allocated data, a
// compressed qcow2, a qcow2 over a raw backing file, a sparse qcow2 with
// data every 512 MiB (each in its own L2 table).
const std::string& Image(const std::string& name) {
  static std::map<std::string, std::string> made;
  if (auto it = made.find(name); it != made.end()) return it->second;
  const std::string d = Dir().dir;
  const std::string size = std::to_string(kImageSize);
  bool ok = true;
  if (made.empty()) {
    ok &= Run("qemu-img create -q -f raw " + d + "/data.raw " + size);
    ok &= Run("qemu-io -f raw -c 'write -P 0x5a 0 " + size + "' " + d + "/data.raw");
    ok &= Run("qemu-img convert -O qcow2 " + d + "/data.raw " + d + "/data.qcow2");
    ok &= Run("qemu-img convert -c -O qcow2 " + d + "/data.raw " + d + "/compressed.qcow2");
    std::string writes;
    for (int i = 0; i < 64; ++i)
      writes += " -c 'write -P 0x33 " + std::to_string(static_cast<uint64_t>(i) << 29) + " 64k'";
    ok &= Run("qemu-img create -q -f qcow2 " + d + "/sparse.qcow2 32G");
    ok &= Run("qemu-io -f qcow2" + writes + " " + d + "/sparse.qcow2");
    if (!ok) fprintf(stderr, "image_bench: qemu-img/qemu-io failed (Debian qemu-utils)\n");
  }
  return made[name] = d + "/" + name;
}

std::unique_ptr<DiskImage> OpenImage(const std::string& path, bool readonly,
                                     bool backing = false) {
  auto image = OpenDiskImage({.path = path, .readonly = readonly, .backing_files = backing});
  if (!image.ok()) {
    fprintf(stderr, "image_bench: %s\n", image.error().message().c_str());
    return nullptr;
  }
  return std::move(image).value();
}

// Reads `block` bytes at offsets from `next` through a sync engine.
template <class Next>
void ReadLoop(benchmark::State& state, DiskImage& image, uint64_t block, Next next) {
  auto engine = std::move(image.MakeEngine(IoEngineKind::kSync, 1)).value();
  std::vector<uint8_t> buf(block);
  IoRequest r;
  r.op = IoRequest::Op::kRead;
  r.iov = {{buf.data(), buf.size()}};
  for (auto _ : state) {
    r.offset = next();
    if (!engine->Submit({&r, 1}).ok()) state.SkipWithError("submit");
    auto done = engine->Reap();
    if (done.size() != 1 || done[0].result != static_cast<int64_t>(block))
      state.SkipWithError("read failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * block));
}

void BM_SequentialRead(benchmark::State& state, const char* name) {
  auto image = OpenImage(Image(name), true);
  if (!image) return state.SkipWithError("no image");
  uint64_t at = 0;
  ReadLoop(state, *image, 64 << 10, [&] {
    const uint64_t o = at;
    at = (at + (64 << 10)) % kImageSize;
    return o;
  });
}

void BM_RandomRead4K(benchmark::State& state, const char* name) {
  auto image = OpenImage(Image(name), true);
  if (!image) return state.SkipWithError("no image");
  std::mt19937_64 rng(1);
  ReadLoop(state, *image, 4096, [&] { return (rng() % (kImageSize / 4096)) * 4096; });
}

void BM_L2CacheMissRead4K(benchmark::State& state) {
  auto image = OpenImage(Image("sparse.qcow2"), true);
  if (!image) return state.SkipWithError("no image");
  std::mt19937_64 rng(2);
  // 64 L2 tables, 16 cached: most reads load a table first.
  ReadLoop(state, *image, 4096, [&] { return (rng() % 64) << 29; });
}

// 64 KiB writes to fresh clusters: each allocates (refcount, data, L2 entry).
void BM_AllocatingWrite64K(benchmark::State& state, bool backing) {
  const std::string d = Dir().dir;
  std::vector<uint8_t> buf(64 << 10, 0x77);
  uint64_t at = kImageSize;  // start over when full
  std::unique_ptr<DiskImage> image;
  std::unique_ptr<IoEngine> engine;
  const uint64_t block = backing ? 4096 : buf.size();  // COW: a partial cluster
  for (auto _ : state) {
    if (at + (64 << 10) > kImageSize) {
      state.PauseTiming();
      engine.reset();
      image.reset();
      std::filesystem::remove(d + "/write.qcow2");
      const std::string base = backing ? " -b " + Image("data.raw") + " -F raw" : "";
      if (!Run("qemu-img create -q -f qcow2" + base + " " + d + "/write.qcow2 " +
               std::to_string(kImageSize)))
        return state.SkipWithError("qemu-img create");
      image = OpenImage(d + "/write.qcow2", false, backing);
      if (!image) return state.SkipWithError("open");
      engine = std::move(image->MakeEngine(IoEngineKind::kSync, 1)).value();
      at = 0;
      state.ResumeTiming();
    }
    IoRequest r;
    r.op = IoRequest::Op::kWrite;
    r.offset = at;
    r.iov = {{buf.data(), block}};
    if (!engine->Submit({&r, 1}).ok()) state.SkipWithError("submit");
    auto done = engine->Reap();
    if (done.size() != 1 || done[0].result != static_cast<int64_t>(block))
      state.SkipWithError("write failed");
    at += 64 << 10;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * block));
}

BENCHMARK_CAPTURE(BM_SequentialRead, raw, "data.raw");
BENCHMARK_CAPTURE(BM_SequentialRead, qcow2, "data.qcow2");
BENCHMARK_CAPTURE(BM_SequentialRead, qcow2_compressed, "compressed.qcow2");
BENCHMARK_CAPTURE(BM_RandomRead4K, raw, "data.raw");
BENCHMARK_CAPTURE(BM_RandomRead4K, qcow2, "data.qcow2");
BENCHMARK_CAPTURE(BM_RandomRead4K, qcow2_compressed, "compressed.qcow2");
BENCHMARK(BM_L2CacheMissRead4K);
BENCHMARK_CAPTURE(BM_AllocatingWrite64K, qcow2, false);
BENCHMARK_CAPTURE(BM_AllocatingWrite64K, qcow2_cow_4k_over_raw_backing, true);

}  // namespace
}  // namespace petrel

BENCHMARK_MAIN();
