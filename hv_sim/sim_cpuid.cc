// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The fixed CPUID table hv_sim offers (SimCpuidTable, see sim_hypervisor.h).
//
// Leaf and bit meanings: Intel SDM Vol. 2A, "CPUID", Table 3-8 (Information
// Returned by CPUID Instruction). A plausible x86_64 part with no AVX, so the
// VMM's CPUID editing code has something realistic to work on. The VMM adds
// the hypervisor bit (leaf 1 ECX bit 31) and the 0x4000_0000 leaves itself.
#include <cstring>

#include "hv_sim/sim_hypervisor.h"

namespace petrel::sim {

namespace {

constexpr uint32_t Bit(int n) {
  return 1u << n;
}

// Four ASCII characters as a register value, first character in the low byte.
uint32_t Chars(const char* s) {
  uint32_t v = 0;
  std::memcpy(&v, s, 4);
  return v;
}

// Leaf 0: highest basic leaf (EAX) and the 12-byte vendor in EBX, EDX, ECX.
constexpr uint32_t kMaxBasicLeaf = 0x7;
constexpr char kVendor[] = "PetrelSimCPU";
// Leaf 1 EAX: stepping 0, model 0xF, family 6, extended model 8.
constexpr uint32_t kLeaf1Signature = 0x000806f0;
// Leaf 1 EBX: CLFLUSH line size in 8-byte units (bits 15:8) = 8 (64 bytes);
// addressable logical processors (bits 23:16) = 1.
constexpr uint32_t kLeaf1Ebx = (8u << 8) | (1u << 16);
// Leaf 1 ECX: SSE3 0, PCLMULQDQ 1, SSSE3 9, CX16 13, SSE4.1 19, SSE4.2 20,
// x2APIC 21, MOVBE 22, POPCNT 23, TSC-deadline 24, AESNI 25, XSAVE 26.
constexpr uint32_t kLeaf1Ecx = Bit(0) | Bit(1) | Bit(9) | Bit(13) | Bit(19) | Bit(20) | Bit(21) |
                               Bit(22) | Bit(23) | Bit(24) | Bit(25) | Bit(26);
// Leaf 1 EDX: FPU 0, VME 1, DE 2, PSE 3, TSC 4, MSR 5, PAE 6, MCE 7, CX8 8,
// APIC 9, SEP 11, MTRR 12, PGE 13, MCA 14, CMOV 15, PAT 16, PSE-36 17,
// CLFSH 19, MMX 23, FXSR 24, SSE 25, SSE2 26.
constexpr uint32_t kLeaf1Edx = Bit(0) | Bit(1) | Bit(2) | Bit(3) | Bit(4) | Bit(5) | Bit(6) |
                               Bit(7) | Bit(8) | Bit(9) | Bit(11) | Bit(12) | Bit(13) | Bit(14) |
                               Bit(15) | Bit(16) | Bit(17) | Bit(19) | Bit(23) | Bit(24) | Bit(25) |
                               Bit(26);
// Leaf 7 subleaf 0 EBX: FSGSBASE 0, BMI1 3, SMEP 7, BMI2 8, ERMS 9.
constexpr uint32_t kLeaf7Ebx = Bit(0) | Bit(3) | Bit(7) | Bit(8) | Bit(9);
// Leaf 0x8000_0000 EAX: highest extended leaf.
constexpr uint32_t kMaxExtendedLeaf = 0x80000008;
// Leaf 0x8000_0001 ECX: LAHF/SAHF 0, LZCNT 5, PREFETCHW 8.
constexpr uint32_t kExt1Ecx = Bit(0) | Bit(5) | Bit(8);
// Leaf 0x8000_0001 EDX: SYSCALL 11, NX 20, 1-GByte pages 26, RDTSCP 27, LM 29.
constexpr uint32_t kExt1Edx = Bit(11) | Bit(20) | Bit(26) | Bit(27) | Bit(29);
// Leaves 0x8000_0002..4: the 48-byte processor brand string, NUL padded.
constexpr char kBrand[] = "Petrel Simulated CPU";
// Leaf 0x8000_0008 EAX: physical address bits (7:0) = 39, linear (15:8) = 48.
constexpr uint32_t kExt8Eax = 39u | (48u << 8);

hv::CpuidEntry Entry(uint32_t fn, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx) {
  hv::CpuidEntry e;
  e.function = fn;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  return e;
}

}  // namespace

std::vector<hv::CpuidEntry> SimCpuidTable() {
  std::vector<hv::CpuidEntry> t;
  t.push_back(Entry(0, kMaxBasicLeaf, Chars(kVendor), Chars(kVendor + 8), Chars(kVendor + 4)));
  t.push_back(Entry(1, kLeaf1Signature, kLeaf1Ebx, kLeaf1Ecx, kLeaf1Edx));
  hv::CpuidEntry leaf7 = Entry(7, 0, kLeaf7Ebx, 0, 0);
  leaf7.flags = hv::kCpuidFlagSignificantIndex;
  t.push_back(leaf7);
  t.push_back(Entry(0x80000000, kMaxExtendedLeaf, 0, 0, 0));
  t.push_back(Entry(0x80000001, 0, 0, kExt1Ecx, kExt1Edx));
  char brand[48] = {};
  std::memcpy(brand, kBrand, sizeof kBrand);
  for (uint32_t i = 0; i < 3; ++i) {
    const char* p = brand + 16 * i;
    t.push_back(Entry(0x80000002 + i, Chars(p), Chars(p + 4), Chars(p + 8), Chars(p + 12)));
  }
  t.push_back(Entry(0x80000008, kExt8Eax, 0, 0, 0));
  return t;
}

}  // namespace petrel::sim
