// Fuzzes the virtio-blk device (devices/virtio/blk) against a hostile driver:
// the first bytes choose the queue size, EVENT_IDX/INDIRECT and the disk
// mode (read-only or not), the rest become guest RAM (descriptor table at
// 0, avail ring at 0x1000, used ring at 0x2000, buffers anywhere). The device
// runs on the synchronous engine over a 64 KiB memfd disk with a
// DeterministicEventLoop: doorbells, completions, a reset and a second
// activation. Oracles: no crash or sanitizer report; nothing outside guest
// RAM or the disk is touched; at most one Fail per activation.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/notifier.h"
#include "devices/block/disk_file.h"
#include "devices/block/sync_engine.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/testing/fake_virtio_context.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr uint64_t kMemSize = 64 << 10;
constexpr uint64_t kDiskSize = 64 << 10;
constexpr int kNotifies = 4;

std::string DiskPath() {
  int fd = memfd_create("petrel-blk-fuzz", MFD_CLOEXEC);
  Check(fd >= 0 && ftruncate(fd, kDiskSize) == 0);
  return "/proc/self/fd/" + std::to_string(fd);  // kept open for the process
}

std::shared_ptr<petrel::GuestMemory> Memory() {
  auto m = petrel::GuestMemory::CreateX86(kMemSize);
  Check(m.ok());
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace petrel;
  using namespace petrel::virtio;
  static const std::string path = DiskPath();
  static const std::shared_ptr<GuestMemory> mem = Memory();
  if (size < 4) return 0;
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
  auto dev = BlkDevice::Create({.serial = "fuzz", .queue_size = 256}, std::move(*disk),
                               std::move(*engine));
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
