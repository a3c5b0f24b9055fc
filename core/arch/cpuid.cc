// BuildGuestCpuid (see cpuid.h).
#include "core/arch/cpuid.h"

#include <algorithm>

namespace petrel::x86 {
namespace {

constexpr uint32_t kLeafFeatures = 0x1;
constexpr uint32_t kLeafCacheParams = 0x4;
constexpr uint32_t kLeafTopology = 0xb;
constexpr uint32_t kLeafTopologyV2 = 0x1f;
constexpr uint32_t kLeafExtFeatures = 0x8000'0001;
constexpr uint32_t kLeafExtAddrSize = 0x8000'0008;

uint32_t SetField(uint32_t reg, int lo, int width, uint32_t value) {
  const uint32_t mask = (width >= 32 ? ~0u : ((1u << width) - 1)) << lo;
  return (reg & ~mask) | ((value << lo) & mask);
}

// Leaf 0xB/0x1F subleaves for 1 thread/core, `vcpus` cores (SDM Vol. 2A,
// CPUID leaf 0BH): EAX[4:0] shift to the next level's id, EBX[15:0] logical
// processors at this level, ECX[7:0] subleaf, ECX[15:8] level type,
// EDX x2APIC id. Subleaf 2 is the terminating invalid level.
void AddTopology(std::vector<hv::CpuidEntry>& out, uint32_t leaf, uint32_t vcpu_id,
                 uint32_t vcpus) {
  const uint32_t levels[3][3] = {
      // shift, count, type
      {0, 1, kTopologyLevelSmt},
      {IdBits(vcpus), vcpus, kTopologyLevelCore},
      {0, 0, kTopologyLevelInvalid},
  };
  for (uint32_t sub = 0; sub < 3; ++sub) {
    hv::CpuidEntry e;
    e.function = leaf;
    e.index = sub;
    e.flags = hv::kCpuidFlagSignificantIndex;
    e.eax = levels[sub][0] & 0x1f;
    e.ebx = levels[sub][1] & 0xffff;
    e.ecx = (sub & 0xff) | ((levels[sub][2] & 0xff) << 8);
    e.edx = vcpu_id;
    out.push_back(e);
  }
}

}  // namespace

uint32_t IdBits(uint32_t count) {
  uint32_t bits = 0;
  while (bits < 32 && (uint64_t{1} << bits) < count) ++bits;
  return bits;
}

std::vector<hv::CpuidEntry> BuildGuestCpuid(std::span<const hv::CpuidEntry> supported,
                                            uint32_t vcpu_id, uint32_t vcpus) {
  vcpus = std::max<uint32_t>(vcpus, 1);
  std::vector<hv::CpuidEntry> out;
  out.reserve(supported.size() + 6);
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
        // EBX[31:24] initial APIC id; EBX[23:16] addressable logical ids,
        // valid when EDX[28] HTT is set (SDM Vol. 2A, Table 3-8, leaf 01H).
        e.ebx = SetField(e.ebx, 24, 8, vcpu_id);
        e.ebx = SetField(e.ebx, 16, 8, std::min<uint32_t>(vcpus, 255));
        if (vcpus > 1) {
          e.edx |= kCpuid1EdxHtt;
        } else {
          e.edx &= ~kCpuid1EdxHtt;
        }
        e.ecx |= kCpuid1EcxHypervisor;
        e.ecx &= ~kCpuid1EcxVmx;
        break;
      case kLeafCacheParams:
        // EAX[4:0] cache type (0 = no more caches), EAX[7:5] level,
        // EAX[25:14] sharing logical processors - 1, EAX[31:26] cores - 1.
        if ((e.eax & 0x1f) != 0) {
          const uint32_t level = (e.eax >> 5) & 0x7;
          const uint32_t sharing = level >= 3 ? vcpus : 1;
          e.eax = SetField(e.eax, 14, 12, std::min<uint32_t>(sharing, 4096) - 1);
          e.eax = SetField(e.eax, 26, 6, std::min<uint32_t>(vcpus, 64) - 1);
        }
        break;
      case kLeafExtFeatures: e.ecx &= ~kCpuidExt1EcxSvm; break;
      case kLeafExtAddrSize:
        // AMD APM Vol. 3, E.4.7: ECX[7:0] NC = cores - 1, ECX[15:12] ApicIdSize.
        e.ecx = SetField(e.ecx, 0, 8, std::min<uint32_t>(vcpus, 256) - 1);
        e.ecx = SetField(e.ecx, 12, 4, IdBits(vcpus));
        break;
      default: break;
    }
    out.push_back(e);
  }
  if (has_topology) AddTopology(out, kLeafTopology, vcpu_id, vcpus);
  if (has_topology_v2) AddTopology(out, kLeafTopologyV2, vcpu_id, vcpus);
  return out;
}

}  // namespace petrel::x86
