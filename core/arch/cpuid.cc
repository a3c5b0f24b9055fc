// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BuildGuestCpuid (see cpuid.h).
#include "core/arch/cpuid.h"

#include <algorithm>

namespace petrel::x86 {
namespace {

constexpr uint32_t kLeafVendor = 0x0;
constexpr uint32_t kLeafFeatures = 0x1;
constexpr uint32_t kLeafCacheParams = 0x4;
constexpr uint32_t kLeafExtendedFeatures = 0x7;      // SDM: leaf 07H
constexpr uint32_t kLeafArchPerfmon = 0xa;           // SDM: leaf 0AH
constexpr uint32_t kLeafArchLbr = 0x1c;              // SDM: leaf 1CH
constexpr uint32_t kLeafArchPerfmonExt = 0x23;       // SDM: leaf 23H
constexpr uint32_t kLeafAmdIbs = 0x8000'001b;        // APM Vol. 3 E.4.13
constexpr uint32_t kLeafAmdPerfMonV2 = 0x8000'0022;  // APM Vol. 3 E.4.18
constexpr uint32_t kLeafTopology = 0xb;
constexpr uint32_t kLeafTopologyV2 = 0x1f;
constexpr uint32_t kLeafExtFeatures = 0x8000'0001;
constexpr uint32_t kLeafExtAddrSize = 0x8000'0008;
constexpr uint32_t kLeafAmdCacheTopology = 0x8000'001d;
constexpr uint32_t kLeafAmdProcTopology = 0x8000'001e;

// Leaf 0 vendor strings as EBX, EDX, ECX (SDM Vol. 2A, CPUID leaf 00H).
constexpr uint32_t kAmd[3] = {0x68747541, 0x69746e65, 0x444d4163};    // "AuthenticAMD"
constexpr uint32_t kHygon[3] = {0x6f677948, 0x6e65476e, 0x656e6975};  // "HygonGenuine"
constexpr uint32_t kIntel[3] = {0x756e6547, 0x49656e69, 0x6c65746e};  // "GenuineIntel"

uint32_t SetField(uint32_t reg, int lo, int width, uint32_t value) {
  const uint32_t mask = (width >= 32 ? ~0u : ((1u << width) - 1)) << lo;
  return (reg & ~mask) | ((value << lo) & mask);
}

// 1 << bits, capped at `cap` (bits may be up to 32 in theory).
uint32_t PowerOfTwoCapped(uint32_t bits, uint32_t cap) {
  return bits >= 32 ? cap : std::min<uint32_t>(1u << bits, cap);
}

// v >> shift, 0 when shift >= 32.
uint32_t ShiftRight(uint32_t v, uint32_t shift) {
  return shift >= 32 ? 0 : v >> shift;
}

// EAX[25:14] of leaf 4 and AMD 0x8000'001D: ids sharing this cache - 1.
// EAX[4:0] cache type (0 = no more caches), EAX[7:5] cache level.
uint32_t SetCacheSharing(uint32_t eax, const CpuTopology& t) {
  if ((eax & 0x1f) == 0) return eax;
  const uint32_t level = (eax >> 5) & 0x7;
  const uint32_t bits = level >= 3 ? t.DieShift() : t.SmtBits();
  return SetField(eax, 14, 12, PowerOfTwoCapped(bits, 4096) - 1);
}

struct TopologyLevel {
  uint32_t shift, count, type;
};

// Leaf 0xB/0x1F subleaves (SDM Vol. 2A, CPUID leaves 0BH and 1FH): EAX[4:0]
// shift to the next level's id, EBX[15:0] logical processors at this level,
// ECX[7:0] subleaf, ECX[15:8] level type, EDX x2APIC id. `levels` ends with
// the invalid level.
void AddTopology(std::vector<hv::CpuidEntry>& out, uint32_t leaf, uint32_t apic_id,
                 std::span<const TopologyLevel> levels) {
  for (uint32_t sub = 0; sub < levels.size(); ++sub) {
    hv::CpuidEntry e;
    e.function = leaf;
    e.index = sub;
    e.flags = hv::kCpuidFlagSignificantIndex;
    e.eax = levels[sub].shift & 0x1f;
    e.ebx = std::min<uint32_t>(levels[sub].count, 0xffff);
    e.ecx = (sub & 0xff) | ((levels[sub].type & 0xff) << 8);
    e.edx = apic_id;
    out.push_back(e);
  }
}

}  // namespace

CpuVendor DetectVendor(std::span<const hv::CpuidEntry> cpuid) {
  for (const hv::CpuidEntry& e : cpuid) {
    if (e.function != kLeafVendor) continue;
    const uint32_t sig[3] = {e.ebx, e.edx, e.ecx};
    if (std::equal(sig, sig + 3, kAmd) || std::equal(sig, sig + 3, kHygon)) return CpuVendor::kAmd;
    if (std::equal(sig, sig + 3, kIntel)) return CpuVendor::kIntel;
    return CpuVendor::kOther;
  }
  return CpuVendor::kOther;
}

std::vector<hv::CpuidEntry> BuildGuestCpuid(std::span<const hv::CpuidEntry> supported,
                                            uint32_t vcpu_id, uint32_t vcpus) {
  return BuildGuestCpuid(supported, vcpu_id, CpuTopology::Flat(vcpus));
}

std::vector<hv::CpuidEntry> BuildGuestCpuid(std::span<const hv::CpuidEntry> supported,
                                            uint32_t cpu_index, const CpuTopology& topology) {
  const CpuTopology t = topology.Normalized();
  const uint32_t apic_id = t.ApicId(cpu_index);
  const uint32_t per_package = t.ThreadsPerPackage();
  const bool amd = DetectVendor(supported) == CpuVendor::kAmd;

  std::vector<hv::CpuidEntry> out;
  out.reserve(supported.size() + 8);
  bool has_topology = false;
  bool has_topology_v2 = false;
  for (const hv::CpuidEntry& in : supported) {
    if (in.function == kLeafTopology) {
      has_topology = true;
      continue;  // regenerated below
    }
    if (in.function == kLeafTopologyV2) {
      has_topology_v2 = true;
      continue;
    }
    hv::CpuidEntry e = in;
    switch (e.function) {
      case kLeafFeatures:
        // EBX[31:24] initial APIC id; EBX[23:16] addressable logical ids per
        // package, valid when EDX[28] HTT is set (SDM Vol. 2A, Table 3-8, leaf 01H).
        e.ebx = SetField(e.ebx, 24, 8, apic_id & 0xff);
        e.ebx = SetField(e.ebx, 16, 8, PowerOfTwoCapped(t.PackageShift(), 255));
        if (per_package > 1) {
          e.edx |= kCpuid1EdxHtt;
        } else {
          e.edx &= ~kCpuid1EdxHtt;
        }
        e.ecx |= kCpuid1EcxHypervisor;
        e.ecx &= ~(kCpuid1EcxVmx | kCpuid1EcxPdcm);
        break;
      case kLeafExtendedFeatures:
        if (e.index == 0) e.edx &= ~kCpuid7EdxArchLbr;
        break;
      case kLeafArchPerfmon:
      case kLeafArchLbr:
      case kLeafArchPerfmonExt:
      case kLeafAmdIbs:
      case kLeafAmdPerfMonV2:
        // No PMU (see cpuid.h): the leaf stays, all zero.
        e.eax = e.ebx = e.ecx = e.edx = 0;
        break;
      case kLeafCacheParams:
        // EAX[31:26] addressable core ids per package - 1 (SDM Table 3-8, leaf 04H).
        if ((e.eax & 0x1f) != 0) {
          e.eax = SetCacheSharing(e.eax, t);
          e.eax = SetField(e.eax, 26, 6, PowerOfTwoCapped(t.CoreBits() + t.DieBits(), 64) - 1);
        }
        break;
      case kLeafExtFeatures:
        e.ecx &= ~(kCpuidExt1EcxSvm | kCpuidExt1EcxIbs | kCpuidExt1EcxPerfCtrCore |
                   kCpuidExt1EcxPerfCtrNb | kCpuidExt1EcxPerfCtrLlc);
        break;
      case kLeafExtAddrSize:
        // AMD APM Vol. 3, E.4.7: ECX[7:0] NC = threads - 1, ECX[15:12] ApicIdSize.
        if (amd) {
          e.ecx = SetField(e.ecx, 0, 8, std::min<uint32_t>(per_package, 256) - 1);
          e.ecx = SetField(e.ecx, 12, 4, std::min<uint32_t>(t.PackageShift(), 15));
        }
        break;
      case kLeafAmdCacheTopology:
        // AMD APM Vol. 3, E.4.14: EAX[25:14] NumSharingCache - 1, as leaf 4.
        if (amd) e.eax = SetCacheSharing(e.eax, t);
        break;
      case kLeafAmdProcTopology:
        // AMD APM Vol. 3, E.4.15: EAX ExtendedApicId; EBX[15:8]
        // ThreadsPerComputeUnit - 1, EBX[7:0] ComputeUnitId; ECX[10:8]
        // NodesPerProcessor - 1, ECX[7:0] NodeId; EDX reserved.
        if (amd) {
          e.eax = apic_id;
          e.ebx = ((std::min<uint32_t>(t.threads_per_core, 256) - 1) << 8) |
                  (ShiftRight(apic_id, t.CoreShift()) & 0xff);
          e.ecx = ((std::min<uint32_t>(t.dies_per_package, 8) - 1) << 8) |
                  (ShiftRight(apic_id, t.DieShift()) & 0xff);
          e.edx = 0;
        }
        break;
      default: break;
    }
    out.push_back(e);
  }
  if (has_topology) {
    const TopologyLevel levels[] = {
        {t.SmtBits(), t.threads_per_core, kTopologyLevelSmt},
        {t.PackageShift(), per_package, kTopologyLevelCore},
        {0, 0, kTopologyLevelInvalid},
    };
    AddTopology(out, kLeafTopology, apic_id, levels);
  }
  if (has_topology_v2) {
    const TopologyLevel levels[] = {
        {t.SmtBits(), t.threads_per_core, kTopologyLevelSmt},
        {t.DieShift(), t.ThreadsPerDie(), kTopologyLevelCore},
        {t.PackageShift(), per_package, kTopologyLevelDie},
        {0, 0, kTopologyLevelInvalid},
    };
    AddTopology(out, kLeafTopologyV2, apic_id, levels);
  }
  return out;
}

}  // namespace petrel::x86
