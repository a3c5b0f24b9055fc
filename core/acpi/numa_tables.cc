// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SRAT and SLIT builders and the node checks (see numa_tables.h).
#include "core/acpi/numa_tables.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/acpi/sdt.h"
#include "core/base/hex.h"

namespace petrel::acpi {
namespace {

Error Invalid(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "acpi: NUMA " + what);
}

std::string Node(uint32_t proximity_domain) {
  return "node " + std::to_string(proximity_domain);
}

// The nodes of a valid list in proximity domain order: node i is domain i.
std::vector<const NumaNode*> ByDomain(std::span<const NumaNode> nodes) {
  std::vector<const NumaNode*> v(nodes.size(), nullptr);
  for (const NumaNode& n : nodes) v[n.proximity_domain] = &n;
  return v;
}

// The distance `from` gives to domain `to`, if it gives one.
std::optional<uint8_t> GivenDistance(const NumaNode& from, uint32_t to) {
  for (const auto& [dest, distance] : from.distances) {
    if (dest == to) return distance;
  }
  return std::nullopt;
}

// NumaDistanceMatrix for nodes ValidateNumaNodes accepted.
std::vector<uint8_t> DistanceMatrix(std::span<const NumaNode> nodes) {
  const std::vector<const NumaNode*> by_domain = ByDomain(nodes);
  const size_t n = by_domain.size();
  std::vector<uint8_t> m(n * n, kLocalDistance);
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < n; ++j) {
      if (i == j) continue;
      // i -> j as given, else j -> i (a symmetric default), else Cloud
      // Hypervisor's default.
      m[i * n + j] = GivenDistance(*by_domain[i], j)
                         .value_or(GivenDistance(*by_domain[j], i).value_or(kDefaultRemoteDistance));
    }
  }
  return m;
}

std::vector<uint8_t> BuildSrat(std::span<const NumaNode> nodes) {
  Sdt t("SRAT", kSratRevision, "PTSRAT", kSratEntries - kSdtHeaderSize);
  t.Put32(kSratLegacyReserved, kSratLegacyReservedValue);
  for (const NumaNode* node : ByDomain(nodes)) {
    for (const NumaMemoryRange& m : node->memory) {
      std::vector<uint8_t> e(kSratMemoryAffinitySize, 0);
      e[0] = kSratMemoryAffinity;
      e[1] = static_cast<uint8_t>(kSratMemoryAffinitySize);
      PutLe(e, 2, node->proximity_domain, 4);
      PutLe(e, 8, m.base, 8);   // Base Address Low, High
      PutLe(e, 16, m.size, 8);  // Length Low, High
      PutLe(e, 28, kSratMemoryEnabled | (m.hotpluggable ? kSratMemoryHotPluggable : 0), 4);
      t.Append(e);
    }
    for (const uint32_t id : node->apic_ids) {
      std::vector<uint8_t> e(kSratX2ApicAffinitySize, 0);
      e[0] = kSratX2ApicAffinity;
      e[1] = static_cast<uint8_t>(kSratX2ApicAffinitySize);
      PutLe(e, 4, node->proximity_domain, 4);
      PutLe(e, 8, id, 4);
      PutLe(e, 12, kSratProcessorEnabled, 4);
      PutLe(e, 16, 0, 4);  // clock domain
      t.Append(e);
    }
  }
  return std::move(t).Finish();
}

std::vector<uint8_t> BuildSlit(std::span<const NumaNode> nodes) {
  const std::vector<uint8_t> matrix = DistanceMatrix(nodes);
  Sdt t("SLIT", kSlitRevision, "PTSLIT", kSlitEntries - kSdtHeaderSize);
  t.Put64(kSlitLocalityCount, nodes.size());
  t.Append(matrix);
  return std::move(t).Finish();
}

}  // namespace

Result<void> ValidateNumaNodes(std::span<const NumaNode> nodes) {
  if (nodes.empty()) return Invalid("has no nodes");
  if (nodes.size() > kMaxNumaNodes) {
    return Invalid("has " + std::to_string(nodes.size()) + " nodes, more than " +
                   std::to_string(kMaxNumaNodes));
  }
  const size_t n = nodes.size();
  std::vector<bool> seen(n, false);
  for (const NumaNode& node : nodes) {
    const uint32_t pd = node.proximity_domain;
    if (pd >= n) {
      return Invalid("proximity domain " + std::to_string(pd) + " out of range: " +
                     std::to_string(n) + " nodes must have domains 0.." + std::to_string(n - 1) +
                     " (SLIT locality i is proximity domain i)");
    }
    if (seen[pd]) return Invalid("proximity domain " + std::to_string(pd) + " given twice");
    seen[pd] = true;
  }

  // Memory ranges as [first, last] (inclusive, so a range may end at 2^64).
  struct Range {
    uint64_t first, last;
    uint32_t pd;
  };
  std::vector<Range> ranges;
  std::map<uint32_t, uint32_t> apic_node;  // APIC id -> proximity domain
  for (const NumaNode& node : nodes) {
    const uint32_t pd = node.proximity_domain;
    std::set<uint32_t> destinations;
    for (const auto& [dest, distance] : node.distances) {
      if (dest >= n) {
        return Invalid(Node(pd) + ": distance destination " + std::to_string(dest) +
                       " is not a node");
      }
      if (!destinations.insert(dest).second) {
        return Invalid(Node(pd) + ": distance destination " + std::to_string(dest) +
                       " given twice");
      }
      if (dest == pd) continue;  // the diagonal is always kLocalDistance
      if (distance < kLocalDistance || distance > kMaxRemoteDistance) {
        return Invalid(Node(pd) + ": distance " + std::to_string(distance) + " to " + Node(dest) +
                       " not in " + std::to_string(kLocalDistance) + ".." +
                       std::to_string(kMaxRemoteDistance));
      }
    }
    for (const NumaMemoryRange& m : node.memory) {
      if (m.size == 0) return Invalid(Node(pd) + ": empty memory range at " + Hex(m.base));
      if (m.size - 1 > ~uint64_t{0} - m.base) {
        return Invalid(Node(pd) + ": memory range " + Hex(m.base) + " + " + Hex(m.size) +
                       " wraps");
      }
      ranges.push_back({m.base, m.base + (m.size - 1), pd});
    }
    for (const uint32_t id : node.apic_ids) {
      const auto [it, inserted] = apic_node.emplace(id, pd);
      if (!inserted) {
        return Invalid("APIC id " + std::to_string(id) + " in " + Node(it->second) + " and " +
                       Node(pd));
      }
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first <= ranges[i - 1].last) {
      return Invalid("memory ranges overlap: " + Hex(ranges[i - 1].first) + ".." +
                     Hex(ranges[i - 1].last) + " (" + Node(ranges[i - 1].pd) + ") and " +
                     Hex(ranges[i].first) + ".." + Hex(ranges[i].last) + " (" +
                     Node(ranges[i].pd) + ")");
    }
  }
  return Ok();
}

Result<std::vector<uint8_t>> NumaDistanceMatrix(std::span<const NumaNode> nodes) {
  PETREL_TRY(ValidateNumaNodes(nodes));
  return DistanceMatrix(nodes);
}

Result<NumaTables> BuildNumaTables(std::span<const NumaNode> nodes) {
  PETREL_TRY(ValidateNumaNodes(nodes));
  return NumaTables{BuildSrat(nodes), BuildSlit(nodes)};
}

}  // namespace petrel::acpi
