// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// WalkPageTables: SDM 3A 4.5 (4-level paging), 4.6 (access rights), 4.7
// (#PF error code), 4.8 (accessed and dirty flags).
#include "core/x86emu/page_walk.h"

#include <cstring>

namespace petrel::x86emu {
namespace {

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kUserPage = 1ull << 2;
constexpr uint64_t kAccessed = 1ull << 5;
constexpr uint64_t kDirty = 1ull << 6;
constexpr uint64_t kPageSize = 1ull << 7;
constexpr uint64_t kNoExecute = 1ull << 63;

Translation PageFault(uint64_t gva, uint32_t error_code) {
  return Translation{std::nullopt, Fault{kVectorPf, error_code, gva}};
}

}  // namespace

Result<Translation> WalkPageTables(PhysicalMemory& memory, const PagingContext& paging,
                                   uint64_t gva, Access access) {
  if (!(paging.cr0 & kCr0Pg)) return Translation{gva, {}};
  if (!(paging.cr4 & kCr4Pae) || !(paging.efer & kEferLma)) {
    return Error(ErrorCode::kUnsupported, "page walk: only 4-level paging (CR4.PAE, EFER.LMA)");
  }
  if (paging.cr4 & kCr4La57) return Error(ErrorCode::kUnsupported, "page walk: 5-level paging");
  const bool write = access == Access::kWrite;
  const bool fetch = access == Access::kFetch;
  const bool nxe = (paging.efer & kEferNxe) != 0;
  // SDM 3A 4.7: the access-kind bits of every #PF error code.
  uint32_t error = (write ? kPfWrite : 0) | (paging.user ? kPfUser : 0);
  if (fetch && (nxe || (paging.cr4 & kCr4Smep))) error |= kPfFetch;

  // SDM 3A 4.5.4: bits M..51 of every entry are reserved; so is XD without NXE.
  const unsigned maxphy = paging.maxphyaddr < 52 && paging.maxphyaddr >= 32 ? paging.maxphyaddr : 52;
  const uint64_t address_mask = ((1ull << maxphy) - 1) & ~0xfffull;
  const uint64_t reserved_high = ((1ull << 52) - 1) & ~((1ull << maxphy) - 1);

  uint64_t table = paging.cr3 & address_mask;
  bool writable = true, user = true, no_execute = false;
  uint64_t entry_gpa[4] = {};
  uint64_t entries[4] = {};
  int levels = 0;
  uint64_t gpa = 0;
  for (int level = 4; level >= 1; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t slot = table + ((gva >> shift) & 0x1ff) * 8;
    uint8_t raw[8];
    PETREL_TRY(memory.Read(slot, raw).Wrap("page walk"));
    uint64_t entry;
    std::memcpy(&entry, raw, 8);
    entry_gpa[levels] = slot;
    entries[levels++] = entry;
    if (!(entry & kPresent)) return PageFault(gva, error);
    const bool large = level <= 3 && level >= 2 && (entry & kPageSize);
    uint64_t reserved = reserved_high | (nxe ? 0 : kNoExecute);
    if (level == 4) reserved |= kPageSize;  // PML4E bit 7 is reserved (SDM 3A Table 4-15)
    if (large) reserved |= ((1ull << shift) - 1) & ~0x1fffull;  // bits shift-1..13 of a large page
    if (entry & reserved) return PageFault(gva, error | kPfPresent | kPfReserved);
    writable = writable && (entry & kWritable);
    user = user && (entry & kUserPage);
    no_execute = no_execute || (nxe && (entry & kNoExecute));
    if (level == 1 || large) {
      const uint64_t page_mask = (1ull << shift) - 1;
      gpa = (entry & address_mask & ~page_mask) | (gva & page_mask);
      break;
    }
    table = entry & address_mask;
  }

  // SDM 3A 4.6: access rights.
  bool allowed = true;
  if (paging.user) {
    allowed = user && (!write || writable) && !(fetch && no_execute);
  } else {
    if (write && !writable && (paging.cr0 & kCr0Wp)) allowed = false;
    if (fetch && no_execute) allowed = false;
    if (fetch && user && (paging.cr4 & kCr4Smep)) allowed = false;
    if (!fetch && user && (paging.cr4 & kCr4Smap) && !paging.ac) allowed = false;
  }
  if (!allowed) return PageFault(gva, error | kPfPresent);

  // SDM 3A 4.8: accessed on every entry used, dirty on the leaf of a write.
  for (int i = 0; i < levels; ++i) {
    uint64_t updated = entries[i] | kAccessed;
    if (write && i == levels - 1) updated |= kDirty;
    if (updated != entries[i]) {
      uint8_t raw[8];
      std::memcpy(raw, &updated, 8);
      PETREL_TRY(memory.Write(entry_gpa[i], raw).Wrap("page walk: setting accessed/dirty"));
    }
  }
  return Translation{gpa, {}};
}

}  // namespace petrel::x86emu
