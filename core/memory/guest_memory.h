// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestMemory: the guest's RAM, as host mappings behind bounds-checked access.
//
// Guest RAM is a set of non-overlapping regions, each backed by one mmap
// owned by a HostRegion: anonymous private memory, a memfd shared with
// whoever holds its fd (--memory shared=on; local migration hands the fds to
// the next VMM), a hugetlbfs memfd (--memory hugepages=on, shared the same
// way), or a file (a restored snapshot's memory). Every access checks that
// [gpa, gpa + len) lies inside one region, with overflow-safe arithmetic; a
// failed check is an error value, never a crash, because guests choose these
// addresses. Accesses spanning two adjacent regions are split.
//
// Dirty logging (live migration): between StartDirtyLog() and StopDirtyLog()
// every write the VMM makes through this object marks its 4 KiB pages
// (Write, Fill, WriteObj, StoreAtomic, HostPointerForWrite, MarkDirty);
// TakeDirtyLog() hands them over. The guest's own writes are the backend's
// to log (hv::Vm::TakeDirtyLog), and HostPointer() never marks.
//
// Thread-safety: the region list is fixed after construction; reads and writes
// of guest bytes are racy by nature (the guest runs concurrently), like DMA.
// The dirty log may be marked, started, stopped and taken from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "core/memory/dirty_bitmap.h"
#include "core/memory/ram_backing.h"

namespace petrel {

// One host mapping. Unmapped on destruction.
class HostRegion {
 public:
  // Anonymous private memory, 2 MiB aligned where the size allows (so the host
  // can back it with transparent huge pages), excluded from core dumps.
  static Result<std::shared_ptr<HostRegion>> Anonymous(uint64_t size);
  // `size` bytes of `fd` from `offset` (a multiple of the page size), mapped
  // MAP_PRIVATE: copy-on-write, a page is read from the file when first
  // touched and writes never reach the file. `populate` (MAP_POPULATE) reads
  // every page in now. Excluded from core dumps like Anonymous(). The
  // mapping keeps the file's pages: `fd` may be closed afterwards. Touching
  // a page past the file's end raises SIGBUS, so callers check the size.
  static Result<std::shared_ptr<HostRegion>> MapFile(int fd, uint64_t offset, uint64_t size,
                                                      bool populate);
  // `size` bytes of a new memfd (memfd_create(2)) mapped MAP_SHARED: another
  // process given fd() maps the same pages. Excluded from core dumps.
  static Result<std::shared_ptr<HostRegion>> SharedMemfd(uint64_t size);
  // `size` bytes of a new hugetlbfs memfd (memfd_create MFD_HUGETLB) of
  // `page_size` pages (a power of two; 0: the host's default size), mapped
  // MAP_SHARED like SharedMemfd(). `size` must be whole pages. The kernel
  // reserves every page at mmap (no MAP_NORESERVE), so a host without
  // enough free huge pages fails here, naming how many are needed and how to
  // reserve them, and never later with a SIGBUS on a fault. A size the host
  // has no pool of is an error naming the sizes it has.
  static Result<std::shared_ptr<HostRegion>> HugetlbMemfd(uint64_t size, uint64_t page_size);
  // The first `size` bytes of `fd` (a memfd another VMM made) mapped
  // MAP_SHARED; keeps `fd` as fd(). Fails if the file is shorter than `size`.
  // A hugetlbfs fd is mapped as HugetlbMemfd() maps its own (hugepage_size()).
  static Result<std::shared_ptr<HostRegion>> MapShared(UniqueFd fd, uint64_t size);
  // New zeroed memory of `size` bytes as `backing` says: Anonymous(),
  // SharedMemfd() or HugetlbMemfd().
  static Result<std::shared_ptr<HostRegion>> Create(RamBacking backing, uint64_t size);
  ~HostRegion();
  HostRegion(const HostRegion&) = delete;
  HostRegion& operator=(const HostRegion&) = delete;

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // The memfd behind a shared mapping (SharedMemfd, HugetlbMemfd,
  // MapShared), else -1.
  int fd() const { return fd_.get(); }
  // The huge page size of a hugetlbfs mapping, 0 for normal pages (which
  // transparent huge pages may still back).
  uint64_t hugepage_size() const { return hugepage_size_; }
  // Binds the mapping to host NUMA node `node` (mbind(2) MPOL_BIND,
  // moving pages already there): --memory-zone host_numa_node. Call it
  // before the memory is touched. A node the host does not have is an
  // error naming it.
  Result<void> BindToNode(uint32_t node);

 private:
  HostRegion(uint8_t* map_base, uint64_t map_size, uint8_t* data, uint64_t size,
             UniqueFd fd = UniqueFd(), uint64_t hugepage_size = 0)
      : map_base_(map_base),
        map_size_(map_size),
        data_(data),
        size_(size),
        fd_(std::move(fd)),
        hugepage_size_(hugepage_size) {}
  uint8_t* map_base_;
  uint64_t map_size_;
  uint8_t* data_;
  uint64_t size_;
  UniqueFd fd_;
  uint64_t hugepage_size_;
};

// Makes the host memory of RAM slot `slot` (an index into the regions, in
// guest address order) of `size` bytes.
using HostRegionMaker =
    std::function<Result<std::shared_ptr<HostRegion>>(size_t slot, uint64_t size)>;

struct GuestRegion {
  uint64_t gpa;
  uint64_t size;
  std::shared_ptr<HostRegion> host;
  // The memory hot-plug area (--memory hotplug_size): mapped and given to
  // the hypervisor like RAM, but the guest's only where a hot-plug
  // mechanism (virtio-mem, an ACPI DIMM) has given it: not in the e820 map
  // or the CMOS memory size.
  bool hotplug = false;
  // The memory zone (an index into the X86Zone list the layout was made
  // from; 0 for a VM without --memory-zone) whose RAM or hot-plug area
  // this is.
  uint32_t zone = 0;
  uint64_t end() const { return gpa + size; }  // exclusive; construction checks no overflow
};

// One memory zone's part of an x86 layout: `size` bytes of RAM and a
// hot-plug area of `hotplug_size` bytes (none when 0).
struct X86Zone {
  uint64_t size = 0;
  uint64_t hotplug_size = 0;
};

class GuestMemory {
 public:
  // Regions must not overlap, must be non-empty and must not wrap past 2^64.
  static Result<std::shared_ptr<GuestMemory>> Create(std::vector<GuestRegion> regions);

  // x86 layout: `size` bytes of RAM, split around the 32-bit hole
  // ([0, 3 GiB) then from 4 GiB), per core/arch/x86_layout.h, then a
  // hot-plug area of `hotplug_size` bytes (none when 0) at
  // X86HotplugAreaStart(size). Slot 0 is the region below the hole, the
  // next the one above it, the last the hot-plug area.
  static Result<std::shared_ptr<GuestMemory>> CreateX86(uint64_t size,
                                                        RamBacking backing = RamBacking::kPrivate,
                                                        uint64_t hotplug_size = 0);
  static Result<std::shared_ptr<GuestMemory>> CreateX86(uint64_t size, const HostRegionMaker& make,
                                                        uint64_t hotplug_size = 0);
  // The regions CreateX86(size, ..., hotplug_size) makes, without memory.
  static std::vector<GuestRegion> X86Layout(uint64_t size, uint64_t hotplug_size);
  // Several zones (--memory-zone): their RAM one after the other in the
  // order given, from address 0, split around the 32-bit hole as above (a
  // zone may straddle it: two regions); then their hot-plug areas, in the
  // same order, from X86HotplugAreaStart(all RAM), each starting on a
  // 128 MiB boundary (Cloud Hypervisor's virtio-mem alignment). Each
  // region carries its zone's index. Zones of size 0 are an error for
  // CreateX86 (a zone has RAM).
  static std::vector<GuestRegion> X86Layout(std::span<const X86Zone> zones);
  static Result<std::shared_ptr<GuestMemory>> CreateX86(std::span<const X86Zone> zones,
                                                        const HostRegionMaker& make);
  // Where the hot-plug area of a VM with `size` bytes of RAM starts: the
  // first 128 MiB boundary past RAM, and never below 4 GiB (Cloud
  // Hypervisor's MemoryManager::start_addr).
  static uint64_t X86HotplugAreaStart(uint64_t size);
  // This memory with the regions of X86Layout(size, hotplug_size), sharing
  // its host memory (a snapshot's or a migration's memory, whose ranges say
  // nothing of hot-plug): an error naming the difference if its regions are
  // not exactly those.
  Result<std::shared_ptr<GuestMemory>> WithX86Layout(uint64_t size, uint64_t hotplug_size) const;
  Result<std::shared_ptr<GuestMemory>> WithX86Layout(std::span<const X86Zone> zones) const;

  const std::vector<GuestRegion>& regions() const { return regions_; }
  uint64_t total_size() const;  // every region's, the hot-plug area included
  // Zone `zone`'s hot-plug area, if it has one.
  const GuestRegion* hotplug_area(uint32_t zone = 0) const;
  // First byte past the last region.
  uint64_t end() const { return regions_.empty() ? 0 : regions_.back().end(); }

  // True if every byte of [gpa, gpa + len) is RAM. len 0 is in range if gpa is.
  bool Contains(uint64_t gpa, uint64_t len) const;

  Result<void> Read(uint64_t gpa, std::span<uint8_t> out) const;
  // Read() for RAM a running guest may be writing at the same moment (vCPUs
  // and device threads): live migration's pre-copy copies pages knowing they
  // may change, and the dirty log sends every changed page again, so a torn
  // copy is harmless. Word loads the compiler cannot merge away, kept out of
  // ThreadSanitizer's view because the race is by design.
  Result<void> ReadWhileRunning(uint64_t gpa, std::span<uint8_t> out) const;
  // True if every byte of [gpa, gpa + len) is zero, read as ReadWhileRunning().
  Result<bool> AllZeroWhileRunning(uint64_t gpa, uint64_t len) const;
  Result<void> Write(uint64_t gpa, std::span<const uint8_t> in);
  Result<void> Fill(uint64_t gpa, uint8_t value, uint64_t len);
  // Gives the host memory behind [gpa, gpa + len) back to the host (the
  // balloon's inflated pages, reported free pages): a shared memfd's pages
  // are punched out (fallocate PUNCH_HOLE), private ones dropped
  // (madvise MADV_DONTNEED). The range then reads as zeros (a private file
  // mapping: as the file). Both ends must be 4 KiB aligned. Marks the pages
  // dirty while logging: their contents changed for a migration.
  // Huge pages (hugepages=on) are never given back: a range touching one is
  // refused (kUnsupported) before anything changes. A huge page punched out
  // loses its reservation, and the guest touching it again would need a
  // free page from the host's pool, which by then may have none: a SIGBUS
  // in the VMM or a failed vCPU. Callers (balloon, virtio-mem) log and
  // carry on.
  Result<void> Discard(uint64_t gpa, uint64_t len);
  // Applies `advice` to every region: transparent huge pages on or off,
  // KSM merging, and populating every page (fresh memory only: it writes
  // nothing but makes each page resident; never the hot-plug area). An error names what the host
  // refused (e.g. KSM not built into the kernel). THP advice skips hugetlbfs
  // regions (they are huge pages already; CH skips them too).
  Result<void> Advise(const MemoryAdvice& advice);
  // Advise() for zone `zone`'s regions only (--memory-zone prefault=,
  // mergeable=).
  Result<void> Advise(const MemoryAdvice& advice, uint32_t zone);

  template <class T>
  Result<T> ReadObj(uint64_t gpa) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    PETREL_TRY(Read(gpa, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof v)));
    return v;
  }
  template <class T>
  Result<void> WriteObj(uint64_t gpa, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Write(gpa, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v));
  }

  // One naturally aligned 2-, 4- or 8-byte access done as a single load or
  // store, for fields a running guest changes concurrently (virtqueue
  // indices). Read()/ReadObj() copy with memcpy, which may split a 2-byte
  // copy into two loads (glibc reads the last byte again): a racing guest
  // write can then be seen torn, e.g. 0x55FA -> 0x5600 read as 0x56FA.
  // Loads acquire and stores release (plain moves on x86): what the other
  // side wrote before publishing an index (ring entries, descriptors; virtio
  // 1.2 §2.7.13 puts a barrier there) is visible once the index is.
  // Fails on a misaligned or out-of-RAM address.
  template <class T>
  Result<T> LoadAtomic(uint64_t gpa) const {
    static_assert(std::is_integral_v<T> && (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8));
    if (gpa % sizeof(T) != 0) return Error(ErrorCode::kInvalidArgument, "misaligned guest load");
    const uint8_t* p = HostPointer(gpa, sizeof(T));
    if (p == nullptr) return Error(ErrorCode::kOutOfRange, "guest read outside RAM");
    return __atomic_load_n(reinterpret_cast<const T*>(p), __ATOMIC_ACQUIRE);
  }
  template <class T>
  Result<void> StoreAtomic(uint64_t gpa, T value) {
    static_assert(std::is_integral_v<T> && (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8));
    if (gpa % sizeof(T) != 0) return Error(ErrorCode::kInvalidArgument, "misaligned guest store");
    uint8_t* p = HostPointer(gpa, sizeof(T));
    if (p == nullptr) return Error(ErrorCode::kOutOfRange, "guest write outside RAM");
    __atomic_store_n(reinterpret_cast<T*>(p), value, __ATOMIC_RELEASE);
    MarkDirty(gpa, sizeof(T));  // after the store, as Write() (see HostPointerForWrite)
    return Ok();
  }

  // Host pointer to [gpa, gpa + len) if it lies within one region, else null.
  // Marks nothing: for reading, or for writes the caller marks itself.
  uint8_t* HostPointer(uint64_t gpa, uint64_t len) const;
  // HostPointer() for a range the caller is about to write (a device
  // filling a guest buffer): marks its pages dirty while logging. The mark
  // comes before the write, so a TakeDirtyLog() in between would hand the
  // page over before its bytes land: a writer that may race a take (any
  // device worker during a live migration) calls MarkDirty() again once its
  // write is done. Const like HostPointer(): the log is bookkeeping, not
  // guest bytes.
  uint8_t* HostPointerForWrite(uint64_t gpa, uint64_t len) const;

  // Clears the dirty log and starts marking (again, if it was on).
  void StartDirtyLog() { dirty_log_->Start(); }
  // Stops marking; what was marked stays for a last TakeDirtyLog().
  void StopDirtyLog() { dirty_log_->Stop(); }
  bool dirty_logging() const { return dirty_log_->logging(); }
  // The pages the VMM wrote since StartDirtyLog() or the last take (shaped
  // like regions()); clears them.
  DirtyBitmap TakeDirtyLog() { return dirty_log_->Take(); }
  // Marks the pages of [gpa, gpa + len) dirty while logging (bytes outside
  // RAM are ignored): for writes made through a pointer taken earlier.
  void MarkDirty(uint64_t gpa, uint64_t len) const { dirty_log_->Mark(gpa, len); }

 private:
  explicit GuestMemory(std::vector<GuestRegion> regions);
  const GuestRegion* Find(uint64_t gpa) const;
  // Calls fn(host, done, n) for each piece of [gpa, gpa + len) that lies in
  // one region (host: its first byte; done: bytes before it), in order,
  // until fn returns false. The caller checked Contains(gpa, len).
  // Defined in guest_memory.cc, its only user.
  template <class Fn>
  void ForEachPiece(uint64_t gpa, uint64_t len, Fn&& fn) const;
  std::vector<GuestRegion> regions_;  // sorted by gpa
  std::unique_ptr<DirtyLog> dirty_log_;  // shaped like regions_; never null
};

}  // namespace petrel
