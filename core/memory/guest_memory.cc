// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestMemory and HostRegion (see guest_memory.h).
#include "core/memory/guest_memory.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/base/log.h"

namespace petrel {
namespace {

constexpr uint64_t kHugePageSize = 2ULL << 20;

// Guest RAM is the guest's data and as large as the VM: keep it out of the
// VMM's core dumps (madvise(2) MADV_DONTDUMP). Advisory: a failure costs a
// bigger dump, not the VM.
void ExcludeFromCoreDumps(void* p, uint64_t size) {
  if (madvise(p, size, MADV_DONTDUMP) != 0) {
    PETREL_LOG_ONCE(kWarn, "guest-ram-dontdump")
        << "madvise(MADV_DONTDUMP) on guest RAM: " << std::strerror(errno);
  }
}

// Where the host keeps its pool of huge pages of `page` bytes (hugetlbfs
// names each size's directory in KiB).
std::string HugePagePoolDir(uint64_t page) {
  return "/sys/kernel/mm/hugepages/hugepages-" + std::to_string(page >> 10) + "kB";
}

// "2 MiB", "1 GiB": a huge page size (a power of two) or a RAM size.
std::string SizeText(uint64_t bytes) {
  if (bytes != 0 && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes != 0 && bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes != 0 && bytes % (1ULL << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// The number in one of the pool's files, or -1 if it cannot be read (no
// such pool, or a Landlock confinement without a rule for it).
int64_t ReadPoolCount(const std::string& dir, const char* name) {
  std::ifstream in(dir + "/" + name);
  int64_t n = -1;
  return in >> n ? n : -1;
}

// The huge page sizes the host has pools of, as /sys lists them
// ("hugepages-2048kB, hugepages-1048576kB"), "none", or why it is not known.
std::string HostHugePageSizes() {
  std::vector<std::string> names;
  DIR* d = ::opendir("/sys/kernel/mm/hugepages");
  const int error = errno;
  if (d == nullptr && error != ENOENT) {
    return std::string("unknown: /sys/kernel/mm/hugepages: ") + std::strerror(error);
  }
  if (d != nullptr) {
    while (const dirent* e = ::readdir(d)) {
      if (std::strncmp(e->d_name, "hugepages-", 10) == 0) names.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// The error for a hugetlbfs mapping the kernel could not reserve (ENOMEM):
// how many pages it needs, how many the pool has free, and the command
// that reserves enough.
Error HugePagesShort(uint64_t size, uint64_t page) {
  const uint64_t needed = size / page;
  const std::string dir = HugePagePoolDir(page);
  const int64_t total = ReadPoolCount(dir, "nr_hugepages");
  const int64_t free = ReadPoolCount(dir, "free_hugepages");
  const int64_t reserved = ReadPoolCount(dir, "resv_hugepages");
  std::string message = "guest RAM of " + SizeText(size) + " needs " + std::to_string(needed) +
                        " free huge pages of " + SizeText(page);
  uint64_t enough = needed;
  if (total >= 0 && free >= 0 && reserved >= 0) {
    // Free pages already promised to another mapping are not free to us.
    const uint64_t available = free > reserved ? static_cast<uint64_t>(free - reserved) : 0;
    message += ", the host has " + std::to_string(available) + " (" + std::to_string(total) +
               " in its pool)";
    if (needed <= available) {  // the pool has them: something else said no
      return Error(ErrorCode::kSystem,
                   message + " and the host's pool has " + std::to_string(available) +
                       " free, yet mmap could not reserve them (a hugetlb cgroup limit?)",
                   ENOMEM);
    }
    enough = static_cast<uint64_t>(total) + needed - available;
  }
  return Error(ErrorCode::kSystem,
               message + "; reserve them first (as root): echo " + std::to_string(enough) + " > " +
                   dir + "/nr_hugepages",
               ENOMEM);
}

}  // namespace

Result<std::shared_ptr<HostRegion>> HostRegion::Anonymous(uint64_t size) {
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "empty memory region");
  // Over-allocate by one huge page so the usable part can start 2 MiB aligned.
  const bool align = size >= kHugePageSize;
  const uint64_t map_size = align ? size + kHugePageSize : size;
  if (map_size < size) return Error(ErrorCode::kOutOfRange, "memory region size overflows");
  void* p = mmap(nullptr, map_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return Error::FromErrno("mmap of " + std::to_string(size) + " bytes");
  ExcludeFromCoreDumps(p, map_size);
  auto* base = static_cast<uint8_t*>(p);
  uint8_t* data = base;
  if (align) {
    auto addr = reinterpret_cast<uintptr_t>(base);
    data = base + ((kHugePageSize - (addr % kHugePageSize)) % kHugePageSize);
    madvise(data, size, MADV_HUGEPAGE);  // advisory; failure is harmless
  }
  return std::shared_ptr<HostRegion>(new HostRegion(base, map_size, data, size));
}

Result<std::shared_ptr<HostRegion>> HostRegion::MapFile(int fd, uint64_t offset, uint64_t size,
                                                        bool populate) {
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "empty memory region");
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  if (offset % page != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "file offset " + std::to_string(offset) + " is not page aligned");
  }
  if (offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max()) ||
      size > std::numeric_limits<size_t>::max()) {
    return Error(ErrorCode::kOutOfRange, "file mapping out of range");
  }
  const int flags = MAP_PRIVATE | MAP_NORESERVE | (populate ? MAP_POPULATE : 0);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) {
    return Error::FromErrno("mmap of " + std::to_string(size) + " bytes of a file at offset " +
                            std::to_string(offset));
  }
  ExcludeFromCoreDumps(p, size);
  auto* data = static_cast<uint8_t*>(p);
  return std::shared_ptr<HostRegion>(new HostRegion(data, size, data, size));
}

Result<std::shared_ptr<HostRegion>> HostRegion::SharedMemfd(uint64_t size) {
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "empty memory region");
  if (size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return Error(ErrorCode::kOutOfRange, "memory region size overflows");
  }
  UniqueFd fd(memfd_create("petrel-guest-ram", MFD_CLOEXEC));
  if (fd.get() < 0) return Error::FromErrno("memfd_create for guest RAM");
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return Error::FromErrno("sizing a guest RAM memfd to " + std::to_string(size) + " bytes");
  }
  return MapShared(std::move(fd), size);
}

Result<std::shared_ptr<HostRegion>> HostRegion::HugetlbMemfd(uint64_t size, uint64_t page_size) {
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "empty memory region");
  if (size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return Error(ErrorCode::kOutOfRange, "memory region size overflows");
  }
  unsigned flags = MFD_CLOEXEC | MFD_HUGETLB;
  if (page_size != 0) {
    if (!std::has_single_bit(page_size)) {
      return Error(ErrorCode::kInvalidArgument,
                   "huge page size " + std::to_string(page_size) + " is not a power of two");
    }
    // memfd_create(2): log2 of the size in the bits from MFD_HUGE_SHIFT.
    flags |= static_cast<unsigned>(std::countr_zero(page_size)) << MFD_HUGE_SHIFT;
  }
  UniqueFd fd(memfd_create("petrel-guest-ram", flags));
  if (fd.get() < 0) {
    if (errno == EINVAL || errno == ENODEV) {  // no hugetlbfs, or no pool of that size
      return Error(ErrorCode::kUnsupported,
                   "the host has no huge pages of " +
                       (page_size != 0 ? SizeText(page_size) : std::string("its default size")) +
                       " (its pools: " + HostHugePageSizes() + ")",
                   errno);
    }
    return Error::FromErrno("memfd_create of hugetlbfs guest RAM");
  }
  struct statfs fs {};
  if (fstatfs(fd.get(), &fs) != 0) return Error::FromErrno("fstatfs of hugetlbfs guest RAM");
  const auto page = static_cast<uint64_t>(fs.f_bsize);  // hugetlbfs: the huge page size
  if (size % page != 0) {
    return Error(ErrorCode::kInvalidArgument, "guest RAM of " + std::to_string(size) +
                                                  " bytes is not a whole number of " +
                                                  SizeText(page) + " huge pages");
  }
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return Error::FromErrno("sizing a hugetlbfs guest RAM memfd to " + std::to_string(size) +
                            " bytes");
  }
  return MapShared(std::move(fd), size);
}

Result<std::shared_ptr<HostRegion>> HostRegion::MapShared(UniqueFd fd, uint64_t size) {
  if (size == 0) return Error(ErrorCode::kInvalidArgument, "empty memory region");
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::FromErrno("fstat of a guest RAM fd");
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) < size) {
    return Error(ErrorCode::kInvalidArgument,
                 "guest RAM fd holds " + std::to_string(st.st_size) + " bytes, " +
                     std::to_string(size) + " needed");
  }
  struct statfs fs {};
  if (fstatfs(fd.get(), &fs) != 0) return Error::FromErrno("fstatfs of a guest RAM fd");
  const bool hugetlb = static_cast<uint64_t>(fs.f_type) == HUGETLBFS_MAGIC;
  const uint64_t hugepage_size = hugetlb ? static_cast<uint64_t>(fs.f_bsize) : 0;
  if (hugetlb && size % hugepage_size != 0) {
    return Error(ErrorCode::kInvalidArgument, "guest RAM of " + std::to_string(size) +
                                                  " bytes is not a whole number of " +
                                                  SizeText(hugepage_size) + " huge pages");
  }
  // Huge pages are reserved now (no MAP_NORESERVE): a short pool fails the
  // mmap with ENOMEM instead of a later fault with SIGBUS. Reservations are
  // per file, so a second mapping of the same fd reserves nothing more.
  const int flags = MAP_SHARED | (hugetlb ? 0 : MAP_NORESERVE);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, fd.get(), 0);
  if (p == MAP_FAILED) {
    if (hugetlb && errno == ENOMEM) return HugePagesShort(size, hugepage_size);
    return Error::FromErrno("mmap of " + std::to_string(size) + " bytes of shared guest RAM");
  }
  ExcludeFromCoreDumps(p, size);
  auto* data = static_cast<uint8_t*>(p);
  return std::shared_ptr<HostRegion>(
      new HostRegion(data, size, data, size, std::move(fd), hugepage_size));
}

Result<std::shared_ptr<HostRegion>> HostRegion::Create(RamBacking backing, uint64_t size) {
  if (backing.hugepages) return HugetlbMemfd(size, backing.hugepage_size);
  return backing.shared ? SharedMemfd(size) : Anonymous(size);
}

HostRegion::~HostRegion() { munmap(map_base_, map_size_); }

Result<void> HostRegion::BindToNode(uint32_t node) {
  // mbind(2): MPOL_BIND to the nodes in a bit mask; the kernel reads
  // maxnode - 1 bits of it (its documented off-by-one), hence the + 1.
  constexpr uint32_t kMaxNodes = 1024;  // Linux's MAX_NUMNODES ceiling (NODES_SHIFT 10)
  constexpr int kMpolBind = 2;          // include/uapi/linux/mempolicy.h
  constexpr unsigned kMpolMfStrict = 1 << 0, kMpolMfMove = 1 << 1;
  const std::string what = "host NUMA node " + std::to_string(node);
  if (node >= kMaxNodes) return Error(ErrorCode::kInvalidArgument, what + ": no such node");
  constexpr size_t kBitsPerWord = 8 * sizeof(unsigned long);
  std::vector<unsigned long> mask(node / kBitsPerWord + 1, 0);
  mask[node / kBitsPerWord] = 1UL << (node % kBitsPerWord);
  const long rc = ::syscall(SYS_mbind, map_base_, map_size_, kMpolBind, mask.data(),
                            static_cast<unsigned long>(mask.size() * kBitsPerWord + 1),
                            kMpolMfStrict | kMpolMfMove);
  if (rc != 0) {
    if (errno == EINVAL) {
      return Error(ErrorCode::kInvalidArgument,
                   what + ": the host has no such node (see /sys/devices/system/node)");
    }
    if (errno == ENOSYS) {
      return Error(ErrorCode::kUnsupported, what + ": the host kernel has no NUMA support");
    }
    return Error::FromErrno("mbind of guest RAM to " + what);
  }
  return Ok();
}

Result<std::shared_ptr<GuestMemory>> GuestMemory::Create(std::vector<GuestRegion> regions) {
  std::sort(regions.begin(), regions.end(),
            [](const GuestRegion& a, const GuestRegion& b) { return a.gpa < b.gpa; });
  for (size_t i = 0; i < regions.size(); ++i) {
    const auto& r = regions[i];
    if (r.size == 0 || !r.host || r.host->size() < r.size)
      return Error(ErrorCode::kInvalidArgument, "guest region without enough host memory");
    if (r.gpa + r.size < r.gpa) return Error(ErrorCode::kOutOfRange, "guest region wraps");
    if (i > 0 && regions[i - 1].end() > r.gpa)
      return Error(ErrorCode::kInvalidArgument, "guest regions overlap");
  }
  return std::shared_ptr<GuestMemory>(new GuestMemory(std::move(regions)));
}

Result<std::shared_ptr<GuestMemory>> GuestMemory::CreateX86(uint64_t size, RamBacking backing,
                                                            uint64_t hotplug_size) {
  return CreateX86(
      size,
      [backing](size_t, uint64_t region_size) { return HostRegion::Create(backing, region_size); },
      hotplug_size);
}

uint64_t GuestMemory::X86HotplugAreaStart(uint64_t size) {
  if (size <= x86::kMem32BitReservedStart) return x86::kRam64BitStart;
  const uint64_t ram_end = x86::kRam64BitStart + (size - x86::kMem32BitReservedStart);
  constexpr uint64_t kAlign = uint64_t{128} << 20;
  return (ram_end + kAlign - 1) / kAlign * kAlign;
}

std::vector<GuestRegion> GuestMemory::X86Layout(uint64_t size, uint64_t hotplug_size) {
  const X86Zone zone{size, hotplug_size};
  return X86Layout(std::span<const X86Zone>(&zone, 1));
}

std::vector<GuestRegion> GuestMemory::X86Layout(std::span<const X86Zone> zones) {
  std::vector<GuestRegion> regions;
  uint64_t cursor = 0;  // next free RAM address
  uint64_t ram = 0;
  for (uint32_t i = 0; i < zones.size(); ++i) {
    uint64_t left = zones[i].size;
    ram += left;
    while (left > 0) {
      // Below the hole: up to its start; above: everything that is left.
      const uint64_t room =
          cursor < x86::kMem32BitReservedStart ? x86::kMem32BitReservedStart - cursor : left;
      const uint64_t piece = std::min(left, room);
      regions.push_back({cursor, piece, nullptr, /*hotplug=*/false, /*zone=*/i});
      cursor += piece;
      left -= piece;
      if (cursor == x86::kMem32BitReservedStart) cursor = x86::kRam64BitStart;
    }
  }
  constexpr uint64_t kAlign = uint64_t{128} << 20;
  uint64_t area = X86HotplugAreaStart(ram);
  for (uint32_t i = 0; i < zones.size(); ++i) {
    if (zones[i].hotplug_size == 0) continue;
    regions.push_back({area, zones[i].hotplug_size, nullptr, /*hotplug=*/true, /*zone=*/i});
    area = (area + zones[i].hotplug_size + kAlign - 1) / kAlign * kAlign;
  }
  return regions;
}

Result<std::shared_ptr<GuestMemory>> GuestMemory::CreateX86(uint64_t size,
                                                            const HostRegionMaker& make,
                                                            uint64_t hotplug_size) {
  const X86Zone zone{size, hotplug_size};
  return CreateX86(std::span<const X86Zone>(&zone, 1), make);
}

Result<std::shared_ptr<GuestMemory>> GuestMemory::CreateX86(std::span<const X86Zone> zones,
                                                            const HostRegionMaker& make) {
  if (zones.empty()) return Error(ErrorCode::kInvalidArgument, "guest memory needs a zone");
  for (const X86Zone& zone : zones) {
    if (zone.size == 0) return Error(ErrorCode::kInvalidArgument, "memory size must not be zero");
  }
  std::vector<GuestRegion> regions = X86Layout(zones);
  for (size_t slot = 0; slot < regions.size(); ++slot) {
    PETREL_ASSIGN_OR_RETURN(regions[slot].host, make(slot, regions[slot].size));
  }
  return Create(std::move(regions));
}

Result<std::shared_ptr<GuestMemory>> GuestMemory::WithX86Layout(uint64_t size,
                                                                uint64_t hotplug_size) const {
  const X86Zone zone{size, hotplug_size};
  return WithX86Layout(std::span<const X86Zone>(&zone, 1));
}

const GuestRegion* GuestMemory::hotplug_area(uint32_t zone) const {
  for (const GuestRegion& r : regions_) {
    if (r.hotplug && r.zone == zone) return &r;
  }
  return nullptr;
}

Result<std::shared_ptr<GuestMemory>> GuestMemory::WithX86Layout(
    std::span<const X86Zone> zones) const {
  std::vector<GuestRegion> want = X86Layout(zones);
  auto describe = [](const std::vector<GuestRegion>& regions) {
    std::string out;
    for (const GuestRegion& r : regions) {
      out += (out.empty() ? "" : ", ") + std::to_string(r.size) + " bytes at " +
             std::to_string(r.gpa);
    }
    return out;
  };
  bool same = want.size() == regions_.size();
  for (size_t i = 0; same && i < want.size(); ++i) {
    same = want[i].gpa == regions_[i].gpa && want[i].size == regions_[i].size;
  }
  if (!same) {
    return Error(ErrorCode::kInvalidArgument, "guest memory of " + describe(regions_) +
                                                  " for a VM whose RAM is " + describe(want));
  }
  for (size_t i = 0; i < want.size(); ++i) want[i].host = regions_[i].host;
  return Create(std::move(want));
}

GuestMemory::GuestMemory(std::vector<GuestRegion> regions) : regions_(std::move(regions)) {
  std::vector<DirtyRange> shape;
  for (const GuestRegion& r : regions_) shape.push_back({r.gpa, r.size});
  dirty_log_ = std::make_unique<DirtyLog>(shape);
}

uint64_t GuestMemory::total_size() const {
  uint64_t total = 0;
  for (const auto& r : regions_) total += r.size;
  return total;
}

const GuestRegion* GuestMemory::Find(uint64_t gpa) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), gpa,
                             [](uint64_t a, const GuestRegion& r) { return a < r.gpa; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return gpa < it->end() ? &*it : nullptr;
}

bool GuestMemory::Contains(uint64_t gpa, uint64_t len) const {
  while (true) {
    const GuestRegion* r = Find(gpa);
    if (r == nullptr) return false;
    uint64_t avail = r->end() - gpa;
    if (len <= avail) return true;
    len -= avail;
    gpa = r->end();
  }
}

uint8_t* GuestMemory::HostPointer(uint64_t gpa, uint64_t len) const {
  const GuestRegion* r = Find(gpa);
  if (r == nullptr || len > r->end() - gpa) return nullptr;
  return r->host->data() + (gpa - r->gpa);
}

uint8_t* GuestMemory::HostPointerForWrite(uint64_t gpa, uint64_t len) const {
  uint8_t* p = HostPointer(gpa, len);
  if (p != nullptr) MarkDirty(gpa, len);
  return p;
}

template <class Fn>
void GuestMemory::ForEachPiece(uint64_t gpa, uint64_t len, Fn&& fn) const {
  uint64_t done = 0;
  while (done < len) {
    const GuestRegion* r = Find(gpa + done);
    const uint64_t off = gpa + done - r->gpa;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len - done, r->size - off));
    if (!fn(r->host->data() + off, static_cast<size_t>(done), n)) return;
    done += n;
  }
}

Result<void> GuestMemory::Read(uint64_t gpa, std::span<uint8_t> out) const {
  if (!Contains(gpa, out.size()))
    return Error(ErrorCode::kOutOfRange, "guest read outside RAM");
  ForEachPiece(gpa, out.size(), [&](const uint8_t* host, size_t done, size_t n) {
    std::memcpy(out.data() + done, host, n);
    return true;
  });
  return Ok();
}

namespace {

// Racy by design (see ReadWhileRunning); volatile so each word is one load
// the compiler neither elides nor turns into an intercepted memcpy.
#if defined(__clang__) || defined(__GNUC__)
#define PETREL_NO_TSAN __attribute__((no_sanitize("thread")))
#else
#define PETREL_NO_TSAN
#endif

PETREL_NO_TSAN void CopyRacy(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i < n && (reinterpret_cast<uintptr_t>(src + i) % 8) != 0; ++i)
    dst[i] = *static_cast<const volatile uint8_t*>(src + i);
  for (; i + 8 <= n; i += 8) {
    const uint64_t w = *reinterpret_cast<const volatile uint64_t*>(src + i);
    std::memcpy(dst + i, &w, 8);
  }
  for (; i < n; ++i) dst[i] = *static_cast<const volatile uint8_t*>(src + i);
}

PETREL_NO_TSAN bool AllZeroRacy(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i < n && (reinterpret_cast<uintptr_t>(p + i) % 8) != 0; ++i)
    if (*static_cast<const volatile uint8_t*>(p + i) != 0) return false;
  for (; i + 8 <= n; i += 8)
    if (*reinterpret_cast<const volatile uint64_t*>(p + i) != 0) return false;
  for (; i < n; ++i)
    if (*static_cast<const volatile uint8_t*>(p + i) != 0) return false;
  return true;
}

#undef PETREL_NO_TSAN

}  // namespace

Result<void> GuestMemory::ReadWhileRunning(uint64_t gpa, std::span<uint8_t> out) const {
  if (!Contains(gpa, out.size()))
    return Error(ErrorCode::kOutOfRange, "guest read outside RAM");
  ForEachPiece(gpa, out.size(), [&](const uint8_t* host, size_t done, size_t n) {
    CopyRacy(out.data() + done, host, n);
    return true;
  });
  return Ok();
}

Result<bool> GuestMemory::AllZeroWhileRunning(uint64_t gpa, uint64_t len) const {
  if (!Contains(gpa, len)) return Error(ErrorCode::kOutOfRange, "guest read outside RAM");
  bool zero = true;
  ForEachPiece(gpa, len, [&](const uint8_t* host, size_t, size_t n) {
    zero = AllZeroRacy(host, n);
    return zero;
  });
  return zero;
}

Result<void> GuestMemory::Write(uint64_t gpa, std::span<const uint8_t> in) {
  if (!Contains(gpa, in.size()))
    return Error(ErrorCode::kOutOfRange, "guest write outside RAM");
  ForEachPiece(gpa, in.size(), [&](uint8_t* host, size_t done, size_t n) {
    std::memcpy(host, in.data() + done, n);
    return true;
  });
  MarkDirty(gpa, in.size());
  return Ok();
}

Result<void> GuestMemory::Discard(uint64_t gpa, uint64_t len) {
  constexpr uint64_t kPage = 4096;
  if (gpa % kPage != 0 || len % kPage != 0) {
    return Error(ErrorCode::kInvalidArgument, "guest discard not 4 KiB aligned");
  }
  if (!Contains(gpa, len)) return Error(ErrorCode::kOutOfRange, "guest discard outside RAM");
  Result<void> hugetlb = Ok();
  ForEachPiece(gpa, len, [&](const uint8_t*, size_t done, size_t) {
    const uint64_t page = Find(gpa + done)->host->hugepage_size();
    if (page == 0) return true;
    // See guest_memory.h: a huge page given back loses its reservation.
    hugetlb = Error(ErrorCode::kUnsupported,
                    "guest RAM on " + SizeText(page) +
                        " huge pages (--memory hugepages=on) is not given back to the host");
    return false;
  });
  PETREL_TRY(hugetlb);
  uint64_t done = 0;
  while (done < len) {
    const GuestRegion* r = Find(gpa + done);
    const uint64_t off = gpa + done - r->gpa;
    const uint64_t n = std::min<uint64_t>(len - done, r->size - off);
    uint8_t* host = r->host->data() + off;
    if (r->host->fd() >= 0) {
      // The region maps its memfd from offset 0 (SharedMemfd, MapShared).
      if (::fallocate(r->host->fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      static_cast<off_t>(off), static_cast<off_t>(n)) != 0) {
        return Error::FromErrno("punching out guest memory");
      }
    } else if (::madvise(host, n, MADV_DONTNEED) != 0) {
      return Error::FromErrno("madvise(MADV_DONTNEED) on guest memory");
    }
    done += n;
  }
  MarkDirty(gpa, len);
  return Ok();
}

Result<void> GuestMemory::Advise(const MemoryAdvice& advice) {
  uint32_t zones = 0;
  for (const GuestRegion& r : regions_) zones = std::max(zones, r.zone + 1);
  for (uint32_t zone = 0; zone < zones; ++zone) PETREL_TRY(Advise(advice, zone));
  return Ok();
}

Result<void> GuestMemory::Advise(const MemoryAdvice& advice, uint32_t zone) {
#ifndef MADV_POPULATE_WRITE
  constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14
#endif
  for (const GuestRegion& r : regions_) {
    if (r.zone != zone) continue;
    uint8_t* base = r.host->data();
    const uint64_t hugepage_size = r.host->hugepage_size();
    // Huge pages already: transparent huge pages do not apply (CH skips
    // them too).
    if (hugepage_size == 0 &&
        ::madvise(base, r.size, advice.thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0 &&
        errno != EINVAL) {  // EINVAL: a kernel without THP; nothing to ask for
      return Error::FromErrno("madvise(MADV_HUGEPAGE) on guest memory (--memory thp)");
    }
    if (advice.mergeable && ::madvise(base, r.size, MADV_MERGEABLE) != 0) {
      return Error::FromErrno("madvise(MADV_MERGEABLE) on guest memory (--memory mergeable=on; "
                              "is the kernel built with KSM?)");
    }
    // The hot-plug area is the guest's only once plugged: populating it
    // would spend host memory on what the guest may never get.
    const bool populate = advice.prefault && !r.hotplug;
    if (populate && ::madvise(base, r.size, MADV_POPULATE_WRITE) != 0) {
      if (errno != EINVAL) {
        return Error::FromErrno("populating guest memory (--memory prefault=on)");
      }
      // Before Linux 5.14: touch each page (the memory is fresh, all zero).
      const uint64_t page =
          hugepage_size != 0 ? hugepage_size : static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
      for (uint64_t off = 0; off < r.size; off += page) {
        reinterpret_cast<volatile uint8_t*>(base)[off] = 0;
      }
    }
  }
  return Ok();
}

Result<void> GuestMemory::Fill(uint64_t gpa, uint8_t value, uint64_t len) {
  if (!Contains(gpa, len)) return Error(ErrorCode::kOutOfRange, "guest fill outside RAM");
  ForEachPiece(gpa, len, [&](uint8_t* host, size_t, size_t n) {
    std::memset(host, value, n);
    return true;
  });
  MarkDirty(gpa, len);
  return Ok();
}

}  // namespace petrel
