// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the virtio-blk device (devices/virtio/blk) against a hostile driver,
// on the synchronous engine over a 64 KiB memfd disk with a
// DeterministicEventLoop. The first four bytes choose the queue size,
// EVENT_IDX/INDIRECT, the disk mode (read-only or not), a rate limiter
// (bandwidth, ops, both or none: requests then wait for its timers on the
// virtual clock) and one of two modes:
//  - raw: the rest becomes guest RAM (descriptor table at 0, avail ring at
//    0x1000, used ring at 0x2000, buffers anywhere); doorbells, completions,
//    a reset and a second activation. Oracles: no crash or sanitizer report;
//    nothing outside guest RAM or the disk is touched; at most one Fail per
//    activation.
//  - structured: the rest describes at most kMaxRequests well-formed request
//    chains (IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES or an unknown
//    type; sectors, segment lengths, discard ranges and data from the input)
//    added through the guest-side VirtqDriver, over a disk filled with a
//    known non-zero pattern. Oracles: the device never fails; every request
//    comes back in the used ring exactly once; its status byte is the one
//    §5.2.6 prescribes (OK, IOERR or UNSUPP, predicted from the request and
//    the disk's limits); the used length is what the device wrote (§2.7.8:
//    data read + 1 status byte for a good IN, GET_ID's id bytes + 1, else
//    1); the data an IN read and the disk at the end match an in-memory
//    model of the disk (requests applied in avail order, as the synchronous
//    engine executes them: writes store, WRITE_ZEROES zeroes, DISCARD leaves
//    each byte or zeroes it, FLUSH changes nothing).
// Work per input: at most 2 activations x kNotifies doorbells (raw) or
// kMaxRequests chains of at most 6 descriptors (structured), each bounded by
// the device's per-turn budget.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/notifier.h"
#include "devices/block/disk_file.h"
#include "devices/block/sync_engine.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

constexpr uint64_t kMemSize = 64 << 10;
constexpr uint64_t kDiskSize = 64 << 10;
constexpr int kNotifies = 4;

int DiskFd() {
  static const int fd = [] {
    int f = memfd_create("petrel-blk-fuzz", MFD_CLOEXEC);
    Check(f >= 0 && ftruncate(f, kDiskSize) == 0);
    return f;  // kept open for the process
  }();
  return fd;
}

std::string DiskPath() {
  return "/proc/self/fd/" + std::to_string(DiskFd());
}

std::shared_ptr<petrel::GuestMemory> Memory(uint64_t size) {
  auto m = petrel::GuestMemory::CreateX86(size);
  Check(m.ok());
  return *m;
}

// Structured mode.

constexpr int kMaxRequests = 32;              // chains per input (at most 6 descriptors each)
constexpr uint64_t kStructMemSize = 2 << 20;  // VirtqDriver's rings and data area
constexpr uint64_t kCapacitySectors = kDiskSize / petrel::virtio::kSectorSize;
constexpr char kSerial[] = "fuzz";

using Input = petrel::fuzz::FuzzInput;

// What the disk must hold: bytes, and per byte whether a DISCARD may have
// zeroed it (§5.2.6.2: discarded data reads back as anything the device
// chooses; over a memfd it is the old bytes or zeroes).
class DiskModel {
 public:
  explicit DiskModel(std::vector<uint8_t> bytes)
      : bytes_(std::move(bytes)), maybe_zero_(bytes_.size(), 0) {}
  void Write(uint64_t off, const std::vector<uint8_t>& data) {
    std::copy(data.begin(), data.end(), bytes_.begin() + static_cast<ptrdiff_t>(off));
    std::fill_n(maybe_zero_.begin() + static_cast<ptrdiff_t>(off), data.size(), uint8_t{0});
  }
  void Zero(uint64_t off, uint64_t len) {
    std::fill_n(bytes_.begin() + static_cast<ptrdiff_t>(off), len, uint8_t{0});
    std::fill_n(maybe_zero_.begin() + static_cast<ptrdiff_t>(off), len, uint8_t{0});
  }
  void Discard(uint64_t off, uint64_t len) {
    std::fill_n(maybe_zero_.begin() + static_cast<ptrdiff_t>(off), len, uint8_t{1});
  }
  // Checks bytes the device read at `off`; what was read is then known.
  void CheckRead(uint64_t off, const std::vector<uint8_t>& got) {
    if (std::equal(got.begin(), got.end(), bytes_.begin() + static_cast<ptrdiff_t>(off))) {
      std::fill_n(maybe_zero_.begin() + static_cast<ptrdiff_t>(off), got.size(), uint8_t{0});
      return;  // the common case, without a per-byte loop
    }
    for (size_t i = 0; i < got.size(); ++i) {
      const size_t at = off + i;
      Check(got[i] == bytes_[at] || (maybe_zero_[at] && got[i] == 0));
      bytes_[at] = got[i];
      maybe_zero_[at] = 0;
    }
  }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> maybe_zero_;  // 0 or 1
};

struct Range {
  uint64_t sector = 0;
  uint32_t num_sectors = 0;
  uint32_t flags = 0;
};

// One request as the fuzzer built it, and what the device must answer.
struct Expected {
  uint32_t type = 0;
  uint64_t sector = 0;
  std::vector<petrel::virtio::testing::VirtqDriver::Segment> data;  // IN/OUT/GET_ID data
  std::vector<uint8_t> out_bytes;                                   // OUT: what is written
  std::vector<Range> ranges;                                        // DISCARD/WRITE_ZEROES
  uint64_t status_gpa = 0;
  uint8_t status = petrel::virtio::kBlkSOk;
  uint32_t used_len = 1;
  uint64_t data_len = 0;  // GET_ID: writable bytes before the status
  bool seen = false;
};

struct Limits {
  bool readonly = false;
  bool discard = false;
  bool write_zeroes = false;
};

// §5.2.6 / §5.2.6.2 status the device owes a well-formed request.
uint8_t ExpectedStatus(const Expected& e, uint64_t data_len, const Limits& l) {
  using namespace petrel::virtio;
  switch (e.type) {
    case kBlkTIn:
    case kBlkTOut:
      if (e.type == kBlkTOut && l.readonly) return kBlkSIoErr;
      if (data_len % kSectorSize != 0) return kBlkSIoErr;
      if (e.sector > kCapacitySectors || data_len / kSectorSize > kCapacitySectors - e.sector)
        return kBlkSIoErr;
      return kBlkSOk;
    case kBlkTFlush:
    case kBlkTGetId: return kBlkSOk;
    case kBlkTDiscard:
    case kBlkTWriteZeroes: {
      const bool discard = e.type == kBlkTDiscard;
      if (l.readonly) return kBlkSIoErr;
      if (discard ? !l.discard : !l.write_zeroes) return kBlkSUnsupp;
      if (e.ranges.empty()) return kBlkSIoErr;
      for (const Range& r : e.ranges) {
        if ((r.flags & ~(discard ? 0u : kBlkDiscardFUnmap)) != 0) return kBlkSUnsupp;
        if (r.sector > kCapacitySectors || r.num_sectors > kCapacitySectors - r.sector)
          return kBlkSIoErr;
      }
      return kBlkSOk;
    }
    default: return kBlkSUnsupp;
  }
}

// Builds one request chain from the input; its head, or nullopt when the
// driver is out of descriptors or data space.
std::optional<uint16_t> AddRequest(petrel::virtio::testing::VirtqDriver& drv, Input& in,
                                   const Limits& limits, bool indirect,
                                   std::vector<Expected>& out) {
  using namespace petrel::virtio;
  const uint8_t op = in.Byte();
  const bool merged_status = op & 0x40;  // status shares the last writable buffer
  const bool split_header = op & 0x20;
  Expected e;
  static constexpr uint32_t kTypes[] = {kBlkTIn,      kBlkTOut,         kBlkTFlush, kBlkTGetId,
                                        kBlkTDiscard, kBlkTWriteZeroes, 2,          kBlkTIn};
  e.type = kTypes[op % 8];
  if (e.type == 2) e.type = 2 + in.Byte() % 64;  // unknown (UNSUPP) unless it hits a real one
  e.sector = in.U16() % (kCapacitySectors + 8);
  if (op & 0x80 && op & 0x10) e.sector = ~uint64_t{0} - in.Byte();  // overflow

  std::vector<std::vector<uint8_t>> readable;
  std::vector<uint32_t> writable;
  BlkReqHeader h{e.type, 0, e.sector};
  std::vector<uint8_t> hb(sizeof(h));
  std::memcpy(hb.data(), &h, sizeof(h));
  if (split_header) {
    readable.emplace_back(hb.begin(), hb.begin() + 8);
    readable.emplace_back(hb.begin() + 8, hb.end());
  } else {
    readable.push_back(hb);
  }
  uint64_t data_len = 0;
  const int nseg = in.Byte() % 4;
  std::vector<uint32_t> lens;
  for (int i = 0; i < nseg; ++i) {
    const uint8_t b = in.Byte();
    lens.push_back(b & 0x40 ? b % 64 : (b % 17) * 256u);
    data_len += lens.back();
  }
  if (e.type == kBlkTOut) {
    for (uint32_t len : lens) {
      readable.push_back(in.PaddedBytes(len));
      e.out_bytes.insert(e.out_bytes.end(), readable.back().begin(), readable.back().end());
    }
  } else if (e.type == kBlkTDiscard || e.type == kBlkTWriteZeroes) {
    for (int i = 0; i < nseg; ++i) {
      Range r;
      r.sector = in.U16() % (kCapacitySectors + 8);
      r.num_sectors = in.Byte() % 48;
      const uint8_t f = in.Byte();
      r.flags = f < 224 ? (e.type == kBlkTDiscard ? 0 : f & kBlkDiscardFUnmap) : f & 7;
      e.ranges.push_back(r);
      BlkDiscardSegment seg{r.sector, r.num_sectors, r.flags};
      std::vector<uint8_t> sb(sizeof(seg));
      std::memcpy(sb.data(), &seg, sizeof(seg));
      readable.push_back(std::move(sb));
    }
  }
  if (e.type == kBlkTIn) {
    writable = lens;
  } else if (e.type == kBlkTGetId) {
    data_len = in.Byte() % 32;
    writable.push_back(static_cast<uint32_t>(data_len));
  } else if (merged_status) {
    writable.push_back(in.Byte() % 16);  // writable bytes the device must not report
  }
  if (merged_status && !writable.empty()) {
    writable.back() += 1;
  } else {
    writable.push_back(1);
  }
  if (e.type != kBlkTIn && e.type != kBlkTGetId) data_len = e.out_bytes.size();

  auto req = drv.AddRequest(readable, writable, indirect);
  if (!req.ok()) return std::nullopt;
  const size_t first_writable = readable.size();
  for (size_t i = first_writable; i < req->segments.size(); ++i) {
    e.data.push_back(req->segments[i]);
  }
  e.status_gpa = e.data.back().gpa + e.data.back().len - 1;
  e.data.back().len -= 1;  // the status byte is not data
  if (e.type == kBlkTOut) e.data.clear();
  e.status = ExpectedStatus(e, data_len, limits);
  if (e.status == kBlkSOk && e.type == kBlkTIn) e.used_len = static_cast<uint32_t>(data_len + 1);
  e.data_len = data_len;
  if (e.type == kBlkTGetId)
    e.used_len = static_cast<uint32_t>(std::min<uint64_t>(data_len, kBlkIdBytes) + 1);
  if (req->head >= out.size()) out.resize(req->head + 1);
  out[req->head] = std::move(e);
  return req->head;
}

std::vector<uint8_t> GatherData(petrel::virtio::testing::VirtqDriver& drv, const Expected& e) {
  std::vector<uint8_t> bytes;
  for (const auto& seg : e.data) {
    auto b = drv.ReadBytes(seg.gpa, seg.len);
    Check(b.ok());
    bytes.insert(bytes.end(), b->begin(), b->end());
  }
  return bytes;
}

// The rate limiter of a fuzzed device: none, or buckets of 4 KiB per 10 ms
// and 2 requests per 10 ms, with a small one-time burst.
std::optional<petrel::ratelimit::RateLimiterConfig> FuzzRateLimit(bool bandwidth, bool ops) {
  if (!bandwidth && !ops) return std::nullopt;
  petrel::ratelimit::RateLimiterConfig c;
  if (bandwidth) c.bandwidth = petrel::ratelimit::TokenBucketConfig{4096, 1024, 10};
  if (ops) c.ops = petrel::ratelimit::TokenBucketConfig{2, 1, 10};
  return c;
}

int Structured(const uint8_t* data, size_t size, bool readonly, bool indirect, uint8_t flags) {
  using namespace petrel;
  using namespace petrel::virtio;
  static const std::shared_ptr<GuestMemory> mem = Memory(kStructMemSize);
  Input in(data, size);

  static const std::vector<uint8_t> pattern = [] {
    std::vector<uint8_t> p(kDiskSize);  // never 0, so a zeroed byte shows
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(0x80 | (i * 37 + (i >> 9)));
    return p;
  }();
  Check(pwrite(DiskFd(), pattern.data(), pattern.size(), 0) == static_cast<ssize_t>(kDiskSize));
  DiskModel model(pattern);

  auto disk = DiskFile::Open({.path = DiskPath(), .readonly = readonly});
  Check(disk.ok());
  auto notifier = std::make_shared<InProcessNotifier>();
  auto engine = SyncEngine::Create(**disk, 16, notifier);
  Check(engine.ok());
  // flags 8/16: a bandwidth / ops limit small enough that requests wait for
  // the limiter's timers (RunUntilIdle advances the virtual clock to them);
  // every oracle below must hold the same.
  DiskConfig options{.serial = kSerial, .queue_size = 256};
  options.rate_limiter_config = FuzzRateLimit(flags & 8, flags & 16);
  auto dev = BlkDevice::Create(options, std::move(*disk), std::move(*engine));
  Check(dev.ok());
  const uint64_t offered = (*dev)->device_features();
  Limits limits{.readonly = readonly,
                .discard = (offered & FeatureBit(kBlkFDiscard)) != 0,
                .write_zeroes = (offered & FeatureBit(kBlkFWriteZeroes)) != 0};
  uint64_t features = offered & ~(FeatureBit(kBlkFFlush) | FeatureBit(kBlkFConfigWce));
  if (flags & 1) features |= FeatureBit(kBlkFFlush);
  if (flags & 2) features |= FeatureBit(kBlkFFlush) | FeatureBit(kBlkFConfigWce);
  if (flags & 4) {
    const uint8_t wt = 0;  // §5.2.4 writeback = 0: writethrough
    (*dev)->WriteConfig(offsetof(BlkConfig, writeback), {&wt, 1});
  }

  auto drv = testing::VirtqDriver::Create(mem, {.size = 256, .indirect = indirect});
  Check(drv.ok());
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  testing::FakeVirtioContext ctx(mem, loop, 1, features);
  ctx.set_device(dev->get());
  Check(ctx.ActivateQueue(0, drv->QueueConfig()).ok());
  Check((*dev)->Activate(ctx).ok());

  std::vector<Expected> expected;  // by head
  std::vector<uint16_t> order;     // heads in avail order
  for (int r = 0; r < kMaxRequests && !in.empty(); ++r) {
    auto head = AddRequest(*drv, in, limits, indirect && (in.Byte() & 1), expected);
    if (!head) break;
    order.push_back(*head);
  }
  Check(drv->Kick().ok());
  (*dev)->QueueNotified(0);
  loop.RunUntilIdle();
  Check(ctx.failures().empty());

  size_t used = 0;
  for (;;) {
    auto elem = drv->PopUsed();
    Check(elem.ok());
    if (!*elem) break;
    ++used;
    Check((*elem)->id < expected.size());
    Expected& e = expected[(*elem)->id];
    Check(!e.seen);
    e.seen = true;
    auto status = mem->ReadObj<uint8_t>(e.status_gpa);
    Check(status.ok());
    Check(*status == e.status);  // also one of OK/IOERR/UNSUPP
    Check((*elem)->len == (e.status == kBlkSOk ? e.used_len : 1));
  }
  Check(used == order.size());

  // The model, in avail order.
  for (uint16_t head : order) {
    const Expected& e = expected[head];
    if (e.status != kBlkSOk) continue;
    const uint64_t off = e.sector * kSectorSize;
    switch (e.type) {
      case kBlkTIn: model.CheckRead(off, GatherData(*drv, e)); break;
      case kBlkTOut: model.Write(off, e.out_bytes); break;
      case kBlkTGetId: {
        // §5.2.6: the id string, NUL padded, in the first min(room, 20) bytes.
        std::vector<uint8_t> want(e.data_len, 0);
        std::copy_n(kSerial, std::min(want.size(), sizeof(kSerial) - 1), want.begin());
        Check(GatherData(*drv, e) == want);
        break;
      }
      case kBlkTDiscard:
      case kBlkTWriteZeroes:
        for (const Range& r : e.ranges) {
          if (e.type == kBlkTDiscard) {
            model.Discard(r.sector * kSectorSize, uint64_t{r.num_sectors} * kSectorSize);
          } else {
            model.Zero(r.sector * kSectorSize, uint64_t{r.num_sectors} * kSectorSize);
          }
        }
        break;
      default: break;
    }
  }
  (*dev)->Reset();
  Check((*dev)->in_flight() == 0);
  std::vector<uint8_t> final_disk(kDiskSize);
  Check(pread(DiskFd(), final_disk.data(), final_disk.size(), 0) ==
        static_cast<ssize_t>(kDiskSize));
  model.CheckRead(0, final_disk);
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace petrel;
  using namespace petrel::virtio;
  static const std::string path = DiskPath();
  static const std::shared_ptr<GuestMemory> mem = Memory(kMemSize);
  if (size < 4) return 0;
  if (data[1] & 16) return Structured(data + 4, size - 4, data[1] & 4, data[1] & 2, data[3]);
  SplitQueue::Config c;
  c.size = static_cast<uint16_t>(1u << (data[0] % 9));  // 1..256: rings fit below 0x3000
  c.event_idx = data[1] & 1;
  c.indirect = data[1] & 2;
  c.desc_gpa = 0;
  c.avail_gpa = 0x1000;
  c.used_gpa = 0x2000;
  const bool readonly = data[1] & 4;
  const bool tame = data[1] & 8;  // descriptors point into RAM
  const uint16_t avail_idx = data[2];
  const bool limit_bw = data[3] & 32, limit_ops = data[3] & 64;  // as Structured's flags 8/16
  data += 4;
  size -= 4;

  uint8_t* ram = mem->HostPointer(0, kMemSize);
  Check(ram != nullptr);
  std::memset(ram, 0, kMemSize);
  std::memcpy(ram, data, std::min<size_t>(size, kMemSize));
  if (tame) {
    // Every descriptor: addr below 64 KiB, len below 64 KiB.
    for (uint64_t off = 0; off < 0x1000; off += 16) {
      std::memset(ram + off + 2, 0, 6);
      std::memset(ram + off + 10, 0, 2);
    }
  }
  // avail.idx from the header so that chains are actually offered.
  std::memcpy(ram + 0x1000 + kAvailIdxOffset, &avail_idx, 2);

  auto disk = DiskFile::Open({.path = path, .readonly = readonly});
  Check(disk.ok());
  auto notifier = std::make_shared<InProcessNotifier>();
  auto engine = SyncEngine::Create(**disk, 16, notifier);
  Check(engine.ok());
  DiskConfig options{.serial = "fuzz", .queue_size = 256};
  options.rate_limiter_config = FuzzRateLimit(limit_bw, limit_ops);
  auto dev = BlkDevice::Create(options, std::move(*disk), std::move(*engine));
  Check(dev.ok());

  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  for (int activation = 0; activation < 2; ++activation) {
    testing::FakeVirtioContext ctx(mem, loop, 1);
    if (!ctx.ActivateQueue(0, c).ok()) return 0;
    Check((*dev)->Activate(ctx).ok());
    for (int i = 0; i < kNotifies; ++i) {
      (*dev)->QueueNotified(0);
      loop.RunUntilIdle();
    }
    Check(ctx.failures().size() <= 1);
    (*dev)->Reset();
    Check((*dev)->in_flight() == 0);
  }
  return 0;
}
