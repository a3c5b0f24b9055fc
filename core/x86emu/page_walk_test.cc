// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// WalkPageTables over hand-built 4-level tables: 4 KiB, 2 MiB and 1 GiB
// pages, the rights checks and the #PF error code of each failure, and
// the accessed/dirty bits.
#include "core/x86emu/page_walk.h"

#include <gtest/gtest.h>

#include "core/x86emu/testing/fake_platform.h"

namespace petrel::x86emu {
namespace {

constexpr uint64_t P = 1, W = 2, U = 4, PS = 0x80, A = 0x20, D = 0x40, NX = 1ull << 63;

// PML4 at 0x1000, PDPT at 0x2000, PD at 0x3000, PT at 0x4000.
// 0x0000_0000_0040_0000 + n*4K: 4 KiB pages through the PT (index 0 of PD is 2 MiB at 0).
struct Tables {
  testing::FakePlatform mem;
  PagingContext ctx{kCr0Pe | kCr0Pg | kCr0Wp, 0x1000, kCr4Pae, kEferLma | kEferNxe};
  Tables() {
    mem.Poke64(0x1000, 0x2000 | P | W | U);
    mem.Poke64(0x2000, 0x3000 | P | W | U);
    mem.Poke64(0x2000 + 8, 0x40000000 | P | W | PS);  // 1 GiB page for 0x4000_0000
    mem.Poke64(0x3000, 0x0 | P | W | PS);             // 2 MiB page for 0..2M, supervisor
    mem.Poke64(0x3000 + 8 * 2, 0x4000 | P | W | U);   // 0x40_0000..: the PT
    mem.Poke64(0x4000 + 8 * 0, 0x9000 | P | W | U);   // 0x400000: user RW
    mem.Poke64(0x4000 + 8 * 1, 0xa000 | P | U);       // 0x401000: user read-only
    mem.Poke64(0x4000 + 8 * 2, 0xb000 | P | W | U | NX);  // 0x402000: no-execute
    // 0x403000: not present
    mem.Poke64(0x4000 + 8 * 4, 0xc000 | P | W | U | (1ull << 51));  // reserved bit (MAXPHYADDR 46)
    ctx.maxphyaddr = 46;
  }
  Translation Walk(uint64_t gva, Access access) {
    auto r = WalkPageTables(mem, ctx, gva, access);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Translation{};
  }
};

TEST(X86EmuPageWalk, TranslatesAllPageSizes) {
  Tables t;
  EXPECT_EQ(t.Walk(0x400123, Access::kRead).gpa, 0x9123u);
  EXPECT_EQ(t.Walk(0x1234, Access::kRead).gpa, 0x1234u);                // 2 MiB
  EXPECT_EQ(t.Walk(0x40000000 + 0x123456, Access::kWrite).gpa, 0x40123456u);  // 1 GiB
}

TEST(X86EmuPageWalk, NotPresentHasAccessBitsOnly) {
  Tables t;
  const Translation r = t.Walk(0x403010, Access::kWrite);
  ASSERT_FALSE(r.gpa);
  EXPECT_EQ(r.fault.vector, kVectorPf);
  EXPECT_EQ(r.fault.error_code, kPfWrite);
  EXPECT_EQ(r.fault.cr2, 0x403010u);
  t.ctx.user = true;
  EXPECT_EQ(t.Walk(0x403000, Access::kRead).fault.error_code, kPfUser);
  // A non-present PML4 entry (the slot for 0x8000_0000_0000 is empty).
  EXPECT_EQ(t.Walk(0x00007f0000000000, Access::kRead).fault.error_code, kPfUser);
}

TEST(X86EmuPageWalk, RightsChecks) {
  Tables t;
  // Supervisor write to a read-only page: a fault with CR0.WP, allowed without.
  EXPECT_EQ(t.Walk(0x401000, Access::kWrite).fault.error_code, kPfPresent | kPfWrite);
  t.ctx.cr0 &= ~kCr0Wp;
  EXPECT_EQ(t.Walk(0x401000, Access::kWrite).gpa, 0xa000u);
  // User access to a supervisor page (the 2 MiB page at 0).
  t.ctx.user = true;
  EXPECT_EQ(t.Walk(0x1000, Access::kRead).fault.error_code, kPfPresent | kPfUser);
  // User write to a read-only page: always a fault.
  EXPECT_EQ(t.Walk(0x401000, Access::kWrite).fault.error_code, kPfPresent | kPfWrite | kPfUser);
  // Fetch from a no-execute page.
  EXPECT_EQ(t.Walk(0x402000, Access::kFetch).fault.error_code, kPfPresent | kPfUser | kPfFetch);
  EXPECT_EQ(t.Walk(0x402000, Access::kRead).gpa, 0xb000u);
}

TEST(X86EmuPageWalk, SmapAndSmep) {
  Tables t;
  t.ctx.cr4 |= kCr4Smap | kCr4Smep;
  EXPECT_EQ(t.Walk(0x400000, Access::kRead).fault.error_code, kPfPresent);
  EXPECT_EQ(t.Walk(0x400000, Access::kFetch).fault.error_code, kPfPresent | kPfFetch);
  t.ctx.ac = true;  // RFLAGS.AC lifts SMAP for data, not SMEP for fetches
  EXPECT_EQ(t.Walk(0x400000, Access::kRead).gpa, 0x9000u);
  EXPECT_FALSE(t.Walk(0x400000, Access::kFetch).gpa);
}

TEST(X86EmuPageWalk, ReservedBitsFault) {
  Tables t;
  EXPECT_EQ(t.Walk(0x404000, Access::kRead).fault.error_code, kPfPresent | kPfReserved);
  // XD is reserved without EFER.NXE.
  t.ctx.efer &= ~kEferNxe;
  EXPECT_EQ(t.Walk(0x402000, Access::kRead).fault.error_code, kPfPresent | kPfReserved);
}

TEST(X86EmuPageWalk, SetsAccessedAndDirty) {
  Tables t;
  ASSERT_TRUE(t.Walk(0x400000, Access::kRead).gpa);
  EXPECT_EQ(t.mem.Peek(0x1000, 8) & (A | D), A);
  EXPECT_EQ(t.mem.Peek(0x4000, 8) & (A | D), A);
  ASSERT_TRUE(t.Walk(0x400000, Access::kWrite).gpa);
  EXPECT_EQ(t.mem.Peek(0x4000, 8) & (A | D), A | D);
  EXPECT_EQ(t.mem.Peek(0x3000 + 16, 8) & D, 0u);  // only the leaf gets D
}

TEST(X86EmuPageWalk, PagingOffIsIdentityAndOtherModesRefused) {
  testing::FakePlatform mem;
  PagingContext ctx;
  EXPECT_EQ(WalkPageTables(mem, ctx, 0x1234, Access::kRead)->gpa, 0x1234u);
  ctx.cr0 = kCr0Pe | kCr0Pg;  // 32-bit paging
  auto r = WalkPageTables(mem, ctx, 0x1234, Access::kRead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace petrel::x86emu
