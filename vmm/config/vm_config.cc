// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Parsing and checking of --cpus, --memory, --serial, --console and
// --landlock-rules values.
#include "vmm/config/vm_config.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/base/field_error.h"
#include "vmm/config/option_parser.h"

namespace petrel::config {
namespace {

Error OptionError(std::string_view option, const std::string& message) {
  return Error(ErrorCode::kInvalidArgument, std::string(option) + ": " + message);
}

// One vCPU count key: present, a number, and in [1, kMaxVcpus].
Result<std::optional<uint32_t>> GetVcpuCount(const OptionParser& parser, std::string_view key) {
  PETREL_ASSIGN_OR_RETURN(auto value, parser.GetU64(key));
  if (!value) return std::optional<uint32_t>();
  if (*value == 0) return parser.ValueError(key, *parser.Get(key), "a VM needs at least 1 vCPU");
  if (*value > kMaxVcpus) {
    return parser.ValueError(key, *parser.Get(key),
                             "at most " + std::to_string(kMaxVcpus) + " vCPUs are supported");
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(*value));
}

constexpr const char* kTopologyFormat =
    "expected <threads_per_core>:<cores_per_die>:<dies_per_package>:<packages>, e.g. 2:2:1:1";
constexpr const char* kTopologyPartNames[4] = {"threads_per_core", "cores_per_die",
                                               "dies_per_package", "packages"};

// topology=T:C:D:P: exactly four numbers, each in [1, kMaxTopologyPart].
Result<CpuTopology> ParseTopology(const OptionParser& parser, const std::string& value) {
  uint64_t parts[4] = {};
  size_t count = 0;
  size_t start = 0;
  while (true) {
    const size_t colon = value.find(':', start);
    const std::string_view part =
        std::string_view(value).substr(start, colon == std::string::npos ? colon : colon - start);
    if (count == 4) return parser.ValueError("topology", value, kTopologyFormat);
    const auto number = ParseU64(part);
    if (!number) return parser.ValueError("topology", value, kTopologyFormat);
    parts[count++] = *number;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (count != 4) return parser.ValueError("topology", value, kTopologyFormat);
  for (size_t i = 0; i < 4; ++i) {
    if (parts[i] == 0) {
      return parser.ValueError("topology", value,
                               std::string(kTopologyPartNames[i]) + " must be at least 1");
    }
    if (parts[i] > kMaxTopologyPart) {
      return parser.ValueError("topology", value,
                               std::string(kTopologyPartNames[i]) + " must be at most " +
                                   std::to_string(kMaxTopologyPart));
    }
  }
  CpuTopology t;
  t.threads_per_core = static_cast<uint8_t>(parts[0]);
  t.cores_per_die = static_cast<uint8_t>(parts[1]);
  t.dies_per_package = static_cast<uint8_t>(parts[2]);
  t.packages = static_cast<uint8_t>(parts[3]);
  return t;
}

struct ModeWord {
  const char* word;
  OutputMode mode;
};
constexpr std::array<ModeWord, 4> kValuelessModes = {{
    {"off", OutputMode::kOff},
    {"null", OutputMode::kNull},
    {"tty", OutputMode::kTty},
    {"pty", OutputMode::kPty},
}};

// --serial and --console: exactly one mode; file=/socket= carry a path.
// The modes are the option table's keys (option_table.h).
Result<OutputConfig> ParseOutput(std::string_view option, std::string_view text) {
  const OptionDoc& doc = Option(option);
  std::vector<std::string_view> modes;
  std::string expected = "expected ";
  for (const KeyDoc& k : doc.keys) {
    if (!modes.empty()) expected += &k == &doc.keys.back() ? " or " : ", ";
    expected += std::string(k.key) + (k.value.empty() ? "" : "=" + std::string(k.value));
    modes.push_back(k.key);
  }

  // The first word names the mode; say "unknown mode" rather than "unknown key".
  const std::string_view head = text.substr(0, text.find_first_of(",="));
  const bool known_head = std::find(modes.begin(), modes.end(), head) != modes.end();
  if (!text.empty() && !known_head) {
    return OptionError(option, "unknown mode '" + EscapeForMessage(head) + "' (" + expected + ")");
  }

  OptionParser parser(doc);
  PETREL_TRY(parser.Parse(text));
  const auto given = parser.GivenKeys();
  if (given.empty()) {  // only "file=" or "socket=": a mode that needs a path
    return OptionError(option, "'" + std::string(head) + "' needs a path, like " +
                                   std::string(head) + "=<path>");
  }
  if (given.size() > 1) {
    return OptionError(option, "give one mode, not both '" + given[0] + "' and '" + given[1] +
                                   "' (" + expected + ")");
  }
  OutputConfig out{OutputMode::kNull, {}};
  const std::string& key = given.front();
  for (const auto& m : kValuelessModes) {
    if (key == m.word) out.mode = m.mode;
  }
  if (key == "file" || key == "socket") {
    out.mode = key == "file" ? OutputMode::kFile : OutputMode::kSocket;
    out.path = *parser.Get(key);
  }
  return out;
}

}  // namespace

const char* OutputModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kOff: return "off";
    case OutputMode::kNull: return "null";
    case OutputMode::kTty: return "tty";
    case OutputMode::kPty: return "pty";
    case OutputMode::kFile: return "file";
    case OutputMode::kSocket: return "socket";
  }
  return "?";
}

Result<CpusConfig> ParseCpus(std::string_view text) {
  OptionParser parser(Option("--cpus"));
  PETREL_TRY(parser.Parse(text));
  CpusConfig cpus;
  PETREL_ASSIGN_OR_RETURN(auto boot, GetVcpuCount(parser, "boot"));
  PETREL_ASSIGN_OR_RETURN(auto max, GetVcpuCount(parser, "max"));
  cpus.boot_vcpus = boot.value_or(1);
  cpus.max_vcpus = max.value_or(cpus.boot_vcpus);
  if (cpus.max_vcpus < cpus.boot_vcpus) {
    return OptionError("--cpus", "max=" + std::to_string(cpus.max_vcpus) +
                                     " is less than boot=" + std::to_string(cpus.boot_vcpus));
  }
  if (const auto value = parser.Get("topology")) {
    PETREL_ASSIGN_OR_RETURN(cpus.topology, ParseTopology(parser, *value));
    const CpuTopology& t = *cpus.topology;
    // Each part <= 255, so the product fits easily in 64 bits.
    const uint64_t product =
        uint64_t{t.threads_per_core} * t.cores_per_die * t.dies_per_package * t.packages;
    if (product != cpus.max_vcpus) {
      return parser.ValueError(
          "topology", *value,
          "threads_per_core*cores_per_die*dies_per_package*packages = " + std::to_string(product) +
              " must equal max=" + std::to_string(cpus.max_vcpus) +
              (max ? "" : " (max defaults to boot; give max= as well)"));
    }
  }
  PETREL_TRY(Validate(cpus).Wrap("--cpus"));
  return cpus;
}

CpuTopology EffectiveTopology(const CpusConfig& cpus) {
  if (cpus.topology) return *cpus.topology;
  CpuTopology t;
  // max_vcpus <= kMaxVcpus (254) after ParseCpus; clamp for hand-built configs.
  t.cores_per_die = static_cast<uint8_t>(std::clamp<uint32_t>(cpus.max_vcpus, 1, 255));
  return t;
}

std::vector<MemoryZoneConfig> MemoryConfig::EffectiveZones() const {
  if (user_zones()) return zones;
  MemoryZoneConfig zone;
  zone.id = kDefaultMemoryZoneId;
  zone.size = size;
  zone.shared = shared;
  zone.hugepages = hugepages;
  zone.hugepage_size = hugepage_size;
  zone.hotplug_size = hotplug_size;
  zone.hotplugged_size = hotplugged_size;
  zone.prefault = prefault;
  zone.mergeable = mergeable;
  return {zone};
}

uint64_t MemoryConfig::boot_size() const {
  if (!user_zones()) return size;
  uint64_t total = 0;
  for (const MemoryZoneConfig& zone : zones) total += zone.size;
  return total;
}

RamBacking MemoryConfig::backing() const {
  if (!user_zones() || zones.empty()) {
    return {.shared = shared, .hugepages = hugepages, .hugepage_size = hugepage_size.value_or(0)};
  }
  const RamBacking first = zones.front().backing();
  for (const MemoryZoneConfig& zone : zones) {
    if (zone.backing() != first) return RamBacking::kPrivate;
  }
  return first;
}

bool MemoryConfig::memfds() const {
  for (const MemoryZoneConfig& zone : EffectiveZones()) {
    if (!zone.backing().memfds()) return false;
  }
  return true;
}

uint64_t MemoryConfig::hotplug_area_size() const {
  if (!user_zones()) return hotplug_size.value_or(0);
  uint64_t total = 0;
  for (const MemoryZoneConfig& zone : zones) total += zone.hotplug_size.value_or(0);
  return total;
}

Result<MemoryConfig> ParseMemory(std::string_view text) {
  return ParseMemory(text, {});
}

Result<MemoryConfig> ParseMemory(std::string_view text, std::span<const std::string> zones) {
  OptionParser parser(Option("--memory"));
  PETREL_TRY(parser.Parse(text));
  MemoryConfig memory;
  PETREL_ASSIGN_OR_RETURN(auto shared, parser.GetBool("shared"));
  memory.shared = shared.value_or(false);
  PETREL_ASSIGN_OR_RETURN(auto prefault, parser.GetBool("prefault"));
  memory.prefault = prefault.value_or(false);
  PETREL_ASSIGN_OR_RETURN(auto mergeable, parser.GetBool("mergeable"));
  memory.mergeable = mergeable.value_or(false);
  PETREL_ASSIGN_OR_RETURN(auto thp, parser.GetBool("thp"));
  memory.thp = thp.value_or(true);
  if (auto method = parser.Get("hotplug_method")) {
    if (*method == "acpi") {
      memory.hotplug_method = HotplugMethod::kAcpi;
    } else if (*method == "virtio-mem") {
      memory.hotplug_method = HotplugMethod::kVirtioMem;
    } else {
      return parser.ValueError("hotplug_method", *method, "expected acpi or virtio-mem");
    }
  }
  PETREL_ASSIGN_OR_RETURN(memory.hotplug_size, parser.GetSize("hotplug_size"));
  PETREL_ASSIGN_OR_RETURN(memory.hotplugged_size, parser.GetSize("hotplugged_size"));
  PETREL_ASSIGN_OR_RETURN(auto hugepages, parser.GetBool("hugepages"));
  memory.hugepages = hugepages.value_or(false);
  PETREL_ASSIGN_OR_RETURN(memory.hugepage_size, parser.GetSize("hugepage_size"));
  PETREL_ASSIGN_OR_RETURN(auto size, parser.GetSize("size"));
  if (size && *size == 0) {
    memory.size = 0;  // the RAM is the zones' (Validate checks there are some)
  } else if (size) {
    const std::string given = *parser.Get("size");
    if (*size % kMemoryAlignment != 0) {
      return parser.ValueError("size", given, "must be a multiple of 4K");
    }
    if (*size < kMinMemorySize) return parser.ValueError("size", given, "must be at least 2M");
    if (*size > kMaxMemorySize) return parser.ValueError("size", given, "must be at most 64T");
    memory.size = *size;
  }
  for (const std::string& zone_text : zones) {
    PETREL_ASSIGN_OR_RETURN(MemoryZoneConfig zone, ParseMemoryZone(zone_text, memory));
    memory.zones.push_back(std::move(zone));
  }
  PETREL_TRY(Validate(memory).Wrap("--memory"));
  return memory;
}

Result<MemoryZoneConfig> ParseMemoryZone(std::string_view text, const MemoryConfig& memory) {
  OptionParser parser(Option("--memory-zone"));
  PETREL_TRY(parser.Parse(text));
  MemoryZoneConfig zone;
  const auto id = parser.Get("id");
  if (!id) return OptionError("--memory-zone", "id=<name> is required");
  zone.id = *id;
  PETREL_ASSIGN_OR_RETURN(auto size, parser.GetSize("size"));
  zone.size = size.value_or(kDefaultMemorySize);
  zone.file = parser.Get("file");  // refused by the option table, and by Validate
  for (const auto& [key, field] : {std::pair{"shared", &zone.shared},
                                   std::pair{"hugepages", &zone.hugepages},
                                   std::pair{"prefault", &zone.prefault},
                                   std::pair{"reserve", &zone.reserve}}) {
    PETREL_ASSIGN_OR_RETURN(auto value, parser.GetBool(key));
    *field = value.value_or(false);
  }
  PETREL_ASSIGN_OR_RETURN(auto mergeable, parser.GetBool("mergeable"));
  zone.mergeable = mergeable.value_or(memory.mergeable);  // CH: --memory's mergeable
  PETREL_ASSIGN_OR_RETURN(zone.hugepage_size, parser.GetSize("hugepage_size"));
  PETREL_ASSIGN_OR_RETURN(auto node, parser.GetU64("host_numa_node"));
  if (node) {
    if (*node > std::numeric_limits<uint32_t>::max()) {
      return parser.ValueError("host_numa_node", *parser.Get("host_numa_node"),
                               "must fit in 32 bits");
    }
    zone.host_numa_node = static_cast<uint32_t>(*node);
  }
  PETREL_ASSIGN_OR_RETURN(zone.hotplug_size, parser.GetSize("hotplug_size"));
  PETREL_ASSIGN_OR_RETURN(zone.hotplugged_size, parser.GetSize("hotplugged_size"));
  PETREL_TRY(Validate(zone, memory).Wrap("--memory-zone"));
  return zone;
}

namespace {

// cpus= and pci_segments=: CH's IntegerList, each value at most `max`.
Result<std::vector<uint64_t>> GetIntegerList(const OptionParser& parser, std::string_view key,
                                             const std::string& value, uint64_t max) {
  auto list = ParseIntegerList(value, max, kMaxNumaListLength);
  if (!list.ok()) return parser.ValueError(key, value, list.error().message());
  return list;
}

// distances=[<destination>@<distance>,...] (CH's TupleList: the brackets
// are required).
Result<std::vector<NumaDistance>> GetDistances(const OptionParser& parser,
                                               const std::string& value) {
  const auto bad = [&](std::string_view problem) {
    return parser.ValueError("distances", value, problem);
  };
  constexpr const char* kForm = "expected [<node>@<distance>,...], e.g. [1@20,2@25]";
  if (value.size() < 2 || value.front() != '[' || value.back() != ']') return bad(kForm);
  std::string_view inner = std::string_view(value).substr(1, value.size() - 2);
  std::vector<NumaDistance> distances;
  while (true) {
    const size_t comma = inner.find(',');
    const std::string_view item = inner.substr(0, comma);
    const size_t at = item.find('@');
    if (at == std::string_view::npos) return bad(kForm);
    const std::string_view node_text = item.substr(0, at);
    const std::string_view distance_text = item.substr(at + 1);
    const auto digits = [](std::string_view t) {
      return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(node_text) || !digits(distance_text)) return bad(kForm);
    const auto node = ParseU64(node_text);
    const auto distance = ParseU64(distance_text);
    if (!node || *node > std::numeric_limits<uint32_t>::max()) {
      return bad("node " + std::string(node_text) + " does not fit in 32 bits");
    }
    if (!distance || *distance > std::numeric_limits<uint8_t>::max()) {
      return bad("distance " + std::string(distance_text) + " is above 255");
    }
    if (distances.size() == kMaxNumaListLength) {
      return bad("more than " + std::to_string(kMaxNumaListLength) + " distances");
    }
    distances.push_back({static_cast<uint32_t>(*node), static_cast<uint8_t>(*distance)});
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  return distances;
}

// memory_zones=[mem0,mem1] or memory_zones=mem0 (CH's StringList).
Result<std::vector<std::string>> GetZoneNames(const OptionParser& parser,
                                              const std::string& value) {
  std::string_view inner = value;
  if (!inner.empty() && inner.front() == '[') {
    if (inner.size() < 2 || inner.back() != ']') {
      return parser.ValueError("memory_zones", value, "expected [<zone id>,...]");
    }
    inner = inner.substr(1, inner.size() - 2);
  }
  std::vector<std::string> names;
  while (true) {
    const size_t comma = inner.find(',');
    const std::string_view name = inner.substr(0, comma);
    if (name.empty()) {
      return parser.ValueError("memory_zones", value, "an empty memory zone id");
    }
    if (names.size() == kMaxNumaListLength) {
      return parser.ValueError("memory_zones", value,
                               "more than " + std::to_string(kMaxNumaListLength) + " zones");
    }
    names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  return names;
}

}  // namespace

Result<NumaConfig> ParseNuma(std::string_view text) {
  OptionParser parser(Option("--numa"));
  PETREL_TRY(parser.Parse(text));
  NumaConfig node;
  PETREL_ASSIGN_OR_RETURN(auto id, parser.GetU64("guest_numa_id"));
  if (!id) return OptionError("--numa", "guest_numa_id=<n> is required for every NUMA node");
  if (*id > std::numeric_limits<uint32_t>::max()) {
    return parser.ValueError("guest_numa_id", *parser.Get("guest_numa_id"), "must fit in 32 bits");
  }
  node.guest_numa_id = static_cast<uint32_t>(*id);
  if (const auto cpus_text = parser.Get("cpus")) {
    PETREL_ASSIGN_OR_RETURN(
        auto cpus, GetIntegerList(parser, "cpus", *cpus_text, std::numeric_limits<uint32_t>::max()));
    node.cpus.emplace(cpus.begin(), cpus.end());
  }
  if (const auto distances = parser.Get("distances")) {
    PETREL_ASSIGN_OR_RETURN(node.distances, GetDistances(parser, *distances));
  }
  if (const auto zones = parser.Get("memory_zones")) {
    PETREL_ASSIGN_OR_RETURN(node.memory_zones, GetZoneNames(parser, *zones));
  }
  if (const auto segments_text = parser.Get("pci_segments")) {
    PETREL_ASSIGN_OR_RETURN(auto segments,
                            GetIntegerList(parser, "pci_segments", *segments_text,
                                           std::numeric_limits<uint16_t>::max()));
    node.pci_segments.emplace(segments.begin(), segments.end());
  }
  node.device_id = parser.Get("device_id");
  PETREL_TRY(Validate(node).Wrap("--numa"));
  return node;
}

Result<OutputConfig> ParseSerial(std::string_view text) {
  return ParseOutput("--serial", text);
}

Result<OutputConfig> ParseConsole(std::string_view text) {
  return ParseOutput("--console", text);
}

Result<LandlockRule> ParseLandlockRule(std::string_view text) {
  OptionParser parser(Option("--landlock-rules"));
  PETREL_TRY(parser.Parse(text));
  LandlockRule rule;
  const auto path = parser.Get("path");
  if (!path) return OptionError("--landlock-rules", "path=<file or directory> is required");
  rule.path = *path;
  const auto access = parser.Get("access");
  if (!access) return OptionError("--landlock-rules", "access=r|w|rw is required");
  const auto parsed = ParseLandlockAccess(*access);
  if (!parsed) return parser.ValueError("access", *access, "expected r, w or rw");
  rule.access = *parsed;
  return rule;
}

Result<ratelimit::RateLimitGroupConfig> ParseRateLimitGroup(std::string_view text) {
  OptionParser parser(Option("--rate-limit-group"));
  PETREL_TRY(parser.Parse(text));
  ratelimit::RateLimitGroupConfig group;
  if (const auto id = parser.Get("id")) group.id = *id;
  PETREL_ASSIGN_OR_RETURN(auto limiter, ParseRateLimiter(parser));
  if (limiter) group.rate_limiter_config = *limiter;
  PETREL_TRY(ratelimit::Validate(group).Wrap("--rate-limit-group"));
  return group;
}

Result<void> Validate(const CpusConfig& cpus) {
  for (const auto& [name, value] : {std::pair{"boot_vcpus", cpus.boot_vcpus},
                                    std::pair{"max_vcpus", cpus.max_vcpus}}) {
    if (value == 0) return FieldError(name, "0", "a VM needs at least 1 vCPU");
    if (value > kMaxVcpus) {
      return FieldError(name, std::to_string(value),
                        "at most " + std::to_string(kMaxVcpus) + " vCPUs are supported");
    }
  }
  if (cpus.max_vcpus < cpus.boot_vcpus) {
    return FieldError("max_vcpus", std::to_string(cpus.max_vcpus),
                      "less than boot_vcpus=" + std::to_string(cpus.boot_vcpus));
  }
  if (cpus.topology) {
    const CpuTopology& t = *cpus.topology;
    const uint8_t parts[4] = {t.threads_per_core, t.cores_per_die, t.dies_per_package, t.packages};
    const uint64_t product = uint64_t{parts[0]} * parts[1] * parts[2] * parts[3];
    const std::string text = std::to_string(parts[0]) + ":" + std::to_string(parts[1]) + ":" +
                             std::to_string(parts[2]) + ":" + std::to_string(parts[3]);
    for (size_t i = 0; i < 4; ++i) {
      if (parts[i] == 0) {
        return FieldError("topology", text,
                          std::string(kTopologyPartNames[i]) + " must be at least 1");
      }
    }
    if (product != cpus.max_vcpus) {
      return FieldError("topology", text,
                        "threads_per_core*cores_per_die*dies_per_package*packages = " +
                            std::to_string(product) + " must equal max_vcpus=" +
                            std::to_string(cpus.max_vcpus));
    }
  }
  return Ok();
}

const char* HotplugMethodName(HotplugMethod method) {
  return method == HotplugMethod::kVirtioMem ? "virtio-mem" : "acpi";
}

namespace {

// hotplug_size and hotplugged_size, of --memory or of one zone.
Result<void> ValidateHotplug(std::optional<uint64_t> hotplug_size,
                             std::optional<uint64_t> hotplugged_size, HotplugMethod method) {
  if (hotplug_size) {
    const std::string hotplug = std::to_string(*hotplug_size);
    if (*hotplug_size == 0) return FieldError("hotplug_size", hotplug, "must not be 0");
    if (*hotplug_size % kMemoryHotplugAlignment != 0) {
      return FieldError("hotplug_size", hotplug, "must be a multiple of 128M");
    }
    if (*hotplug_size > kMaxMemorySize) {
      return FieldError("hotplug_size", hotplug, "must be at most 64T");
    }
  }
  if (hotplugged_size) {
    const std::string plugged = std::to_string(*hotplugged_size);
    // Cloud Hypervisor's three refusals (MemoryManager::new).
    if (!hotplug_size) return FieldError("hotplugged_size", plugged, "needs hotplug_size");
    if (method != HotplugMethod::kVirtioMem) {
      return FieldError("hotplugged_size", plugged, "needs hotplug_method=virtio-mem");
    }
    if (*hotplugged_size > *hotplug_size) {
      return FieldError("hotplugged_size", plugged, "must be at most hotplug_size");
    }
    if (*hotplugged_size % kMemoryHotplugBlock != 0) {
      return FieldError("hotplugged_size", plugged, "must be a multiple of 2M");
    }
  }
  return Ok();
}

// hugepages with hotplug_size, and hugepage_size against `size`.
Result<void> ValidateHugepages(uint64_t size, bool hugepages,
                               std::optional<uint64_t> hugepage_size,
                               std::optional<uint64_t> hotplug_size) {
  if (hugepages && hotplug_size) {
    // The area would be reserved in huge pages up front, and unplugged
    // blocks could not go back (GuestMemory::Discard refuses huge pages).
    return FieldError("hotplug_size", std::to_string(*hotplug_size),
                      "not supported by Petrel yet with hugepages=on");
  }
  if (hugepage_size) {
    const uint64_t page = *hugepage_size;
    const std::string page_text = std::to_string(page);
    if (!hugepages) return FieldError("hugepage_size", page_text, "needs hugepages=on");
    if (page == 0 || (page & (page - 1)) != 0) {
      return FieldError("hugepage_size", page_text, "must be a power of two");
    }
    // Each RAM region is its own hugetlbfs file: whole pages only.
    if (size % page != 0) {
      return FieldError("size", std::to_string(size),
                        "must be a multiple of hugepage_size (" + page_text + ")");
    }
  }
  return Ok();
}

// --memory size=0: the zones are the RAM.
Result<void> ValidateUserZones(const MemoryConfig& memory) {
  if (memory.zones.empty()) {
    return FieldError("size", "0", "needs at least one memory zone (--memory-zone, JSON zones)");
  }
  // What the zones have each of their own (CH would ignore these).
  if (memory.hotplug_size) {
    return FieldError("hotplug_size", std::to_string(*memory.hotplug_size),
                      "with size=0 the hot-plug room is the memory zones' (their hotplug_size)");
  }
  if (memory.hotplugged_size) {
    return FieldError("hotplugged_size", std::to_string(*memory.hotplugged_size),
                      "with size=0 it is the memory zones' (their hotplugged_size)");
  }
  if (memory.hugepages) {
    return FieldError("hugepages", "on",
                      "with size=0 each memory zone has its own (their hugepages)");
  }
  if (memory.hugepage_size) {
    return FieldError("hugepage_size", std::to_string(*memory.hugepage_size),
                      "needs hugepages=on");
  }
  uint64_t start = 0;  // the zones sit one after the other from address 0
  for (size_t i = 0; i < memory.zones.size(); ++i) {
    const MemoryZoneConfig& zone = memory.zones[i];
    PETREL_TRY(Validate(zone, memory).Wrap("zones[" + std::to_string(i) + "]"));
    // Each zone is at most 64T (Validate), so this cannot overflow before
    // the check stops it.
    if (zone.size > kMaxMemorySize - start) {
      return FieldError("size", "0",
                        "the memory zones add up to more than 64T (zone " + zone.id + ")");
    }
    const uint64_t below_hole = x86::kMem32BitReservedStart;
    if (zone.hugepage_size && start < below_hole && start + zone.size > below_hole &&
        (below_hole - start) % *zone.hugepage_size != 0) {
      return FieldError("hugepage_size", std::to_string(*zone.hugepage_size),
                        "must divide the " + std::to_string(below_hole - start) +
                            " bytes of the zone below the 32-bit hole")
          .Wrap("zones[" + std::to_string(i) + "]");
    }
    start += zone.size;
  }
  if (start < kMinMemorySize) {
    return FieldError("size", "0",
                      "the memory zones add up to " + std::to_string(start) +
                          " bytes; the guest needs at least 2M");
  }
  return Ok();
}

}  // namespace

Result<void> Validate(const MemoryConfig& memory) {
  if (memory.user_zones()) return ValidateUserZones(memory);
  const std::string text = std::to_string(memory.size);
  if (memory.size % kMemoryAlignment != 0) return FieldError("size", text, "must be a multiple of 4K");
  if (memory.size < kMinMemorySize) return FieldError("size", text, "must be at least 2M");
  if (memory.size > kMaxMemorySize) return FieldError("size", text, "must be at most 64T");
  if (!memory.zones.empty()) {
    // CH: "User defined memory regions can't be provided if the memory
    // size is not 0".
    return FieldError("size", text, "memory zones (--memory-zone, JSON zones) need size=0");
  }
  PETREL_TRY(ValidateHotplug(memory.hotplug_size, memory.hotplugged_size, memory.hotplug_method));
  PETREL_TRY(ValidateHugepages(memory.size, memory.hugepages, memory.hugepage_size,
                               memory.hotplug_size));
  if (memory.hugepage_size) {
    const uint64_t page = *memory.hugepage_size;
    // GuestMemory::CreateX86 splits RAM at the 32-bit hole.
    if (memory.size > x86::kMem32BitReservedStart && x86::kMem32BitReservedStart % page != 0) {
      return FieldError("hugepage_size", std::to_string(page),
                        "must divide " + std::to_string(x86::kMem32BitReservedStart) +
                            ", the RAM below the 32-bit hole, when size is larger");
    }
  }
  return Ok();
}

Result<void> Validate(const MemoryZoneConfig& zone, const MemoryConfig& memory) {
  if (zone.id.empty()) return FieldError("id", "", "a memory zone needs an id");
  const std::string text = std::to_string(zone.size);
  if (zone.size == 0) return FieldError("size", text, "must not be 0");
  if (zone.size % kMemoryAlignment != 0) return FieldError("size", text, "must be a multiple of 4K");
  if (zone.size > kMaxMemorySize) return FieldError("size", text, "must be at most 64T");
  if (zone.file) {
    if (zone.shared && zone.host_numa_node) {
      // CH's InvalidSharedMemoryZoneWithHostNuma.
      return FieldError("host_numa_node", std::to_string(*zone.host_numa_node),
                        "cannot be set for a zone backed by a file and shared=on");
    }
    return FieldError("file", *zone.file, "not supported by Petrel yet");
  }
  if (zone.hotplug_size && memory.hotplug_method == HotplugMethod::kAcpi) {
    // CH's InvalidHotplugMethodWithMemoryZones: a zone's room is virtio-mem.
    return FieldError("hotplug_size", std::to_string(*zone.hotplug_size),
                      "memory zones hot-plug with virtio-mem only (--memory "
                      "hotplug_method=virtio-mem); ACPI hot-plug is not for zones");
  }
  PETREL_TRY(ValidateHotplug(zone.hotplug_size, zone.hotplugged_size, memory.hotplug_method));
  return ValidateHugepages(zone.size, zone.hugepages, zone.hugepage_size, zone.hotplug_size);
}

Result<void> Validate(const NumaConfig& node) {
  // CH's NumaConfig::validate.
  if (node.device_id) {
    if (node.cpus || node.memory_zones) {
      return FieldError("device_id", *node.device_id,
                        "a generic initiator node (device_id) cannot have cpus or memory_zones");
    }
    if (node.device_id->empty()) return FieldError("device_id", "", "must not be empty");
    return FieldError("device_id", *node.device_id,
                      "generic initiator nodes are not supported by Petrel yet");
  }
  if (!node.cpus && !node.memory_zones) {
    return FieldError("guest_numa_id", std::to_string(node.guest_numa_id),
                      "a NUMA node needs cpus or memory_zones");
  }
  if (node.cpus && node.cpus->empty()) return FieldError("cpus", "[]", "must not be empty");
  if (node.memory_zones && node.memory_zones->empty()) {
    return FieldError("memory_zones", "[]", "must not be empty");
  }
  if (node.memory_zones) {
    for (const std::string& zone : *node.memory_zones) {
      if (zone.empty()) return FieldError("memory_zones", "", "an empty memory zone id");
    }
  }
  if (node.distances) {
    for (const NumaDistance& d : *node.distances) {
      // ACPI §5.2.17: 0-9 reserved, 10 local, 255 "no connection", which
      // Petrel's SLIT does not offer (core/acpi/numa_tables.h).
      if (d.distance < kLocalNumaDistance || d.distance == 255) {
        return FieldError("distances",
                          std::to_string(d.destination) + "@" + std::to_string(d.distance),
                          "a distance is 10 (local) to 254");
      }
    }
  }
  if (node.pci_segments) {
    for (uint16_t segment : *node.pci_segments) {
      if (segment != 0) {
        return FieldError("pci_segments", std::to_string(segment),
                          "Petrel has one PCI segment, 0");
      }
    }
  }
  return Ok();
}

Result<void> ValidateNuma(const VmConfig& config) {
  std::vector<std::string> zone_ids;
  for (const MemoryZoneConfig& zone : config.memory.EffectiveZones()) zone_ids.push_back(zone.id);
  std::map<uint32_t, uint32_t> cpu_node;          // vCPU -> node
  std::map<std::string, uint32_t> zone_node;      // zone -> node
  std::set<uint32_t> node_ids;
  for (const NumaConfig& node : config.numa) {
    const std::string where = "numa node " + std::to_string(node.guest_numa_id);
    if (!node_ids.insert(node.guest_numa_id).second) {
      return FieldError("guest_numa_id", std::to_string(node.guest_numa_id),
                        "given to two NUMA nodes (ids must be unique)")
          .Wrap(where);
    }
    PETREL_TRY(Validate(node).Wrap(where));
  }
  for (uint32_t id : node_ids) {
    // The SLIT's locality i is proximity domain i (ACPI §5.2.17; Linux
    // reads it so): nodes {0, 2} would give node 2 the distances of a
    // third row. CH accepts any ids and builds that wrong table.
    if (id >= config.numa.size()) {
      return FieldError("guest_numa_id", std::to_string(id),
                        "NUMA node ids must be 0.." + std::to_string(config.numa.size() - 1) +
                            " (one per node, none skipped)");
    }
  }
  for (const NumaConfig& node : config.numa) {
    const std::string where = "numa node " + std::to_string(node.guest_numa_id);
    for (uint32_t cpu : node.cpus.value_or(std::vector<uint32_t>{})) {
      if (cpu >= config.cpus.max_vcpus) {
        return FieldError("cpus", std::to_string(cpu),
                          "no such vCPU (max_vcpus is " + std::to_string(config.cpus.max_vcpus) +
                              ")")
            .Wrap(where);
      }
      const auto [it, added] = cpu_node.emplace(cpu, node.guest_numa_id);
      if (!added) {
        return FieldError("cpus", std::to_string(cpu),
                          it->second == node.guest_numa_id
                              ? std::string("listed twice")
                              : "already in NUMA node " + std::to_string(it->second))
            .Wrap(where);
      }
    }
    for (const std::string& zone : node.memory_zones.value_or(std::vector<std::string>{})) {
      if (std::find(zone_ids.begin(), zone_ids.end(), zone) == zone_ids.end()) {
        return FieldError("memory_zones", zone, "no memory zone has that id").Wrap(where);
      }
      const auto [it, added] = zone_node.emplace(zone, node.guest_numa_id);
      if (!added) {
        // CH's MemoryZoneReused: a zone belongs to one node.
        return FieldError("memory_zones", zone,
                          it->second == node.guest_numa_id
                              ? std::string("listed twice")
                              : "already in NUMA node " + std::to_string(it->second))
            .Wrap(where);
      }
    }
    std::set<uint32_t> destinations;
    for (const NumaDistance& d : node.distances.value_or(std::vector<NumaDistance>{})) {
      const std::string text = std::to_string(d.destination) + "@" + std::to_string(d.distance);
      if (node_ids.count(d.destination) == 0) {
        return FieldError("distances", text,
                          "no NUMA node " + std::to_string(d.destination))
            .Wrap(where);
      }
      if (!destinations.insert(d.destination).second) {
        return FieldError("distances", text,
                          "a second distance to node " + std::to_string(d.destination))
            .Wrap(where);
      }
      // A distance to itself other than 10 is ignored, as CH does (the
      // SLIT's diagonal is 10).
    }
    const auto& segments = node.pci_segments.value_or(std::vector<uint16_t>{});
    if (!segments.empty() && node.guest_numa_id != 0) {
      // CH's DefaultPciSegmentInvalidNode (Validate allows segment 0 only).
      return FieldError("pci_segments", "0", "PCI segment 0 belongs to NUMA node 0").Wrap(where);
    }
    if (segments.size() > 1) {
      return FieldError("pci_segments", "0", "listed twice").Wrap(where);
    }
  }
  return Ok();
}

Result<void> ValidateBalloonSize(const VmConfig& config) {
  const uint64_t ram = config.memory.boot_size();
  if (config.balloon && config.balloon->size >= ram) {
    return FieldError("size", std::to_string(config.balloon->size),
                      "must be below the guest's memory (" + std::to_string(ram) + " bytes)")
        .Wrap("balloon");
  }
  return Ok();
}

Result<void> Validate(const LandlockRule& rule) {
  if (rule.path.empty()) return FieldError("path", "", "a landlock rule needs a path");
  if (rule.access == LandlockAccess::kBindSocket) {
    return FieldError("access", LandlockAccessName(rule.access), "expected r, w or rw");
  }
  return Ok();
}

Result<void> ValidateVmConfig(const VmConfig& config) {
  if (config.payload.kernel.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--kernel is required to boot a VM (see --help)");
  }
  if (config.serial.mode == OutputMode::kTty && config.console.mode == OutputMode::kTty) {
    return Error(ErrorCode::kInvalidArgument,
                 "--serial tty and --console tty cannot both use the terminal; "
                 "add --console off (or null)");
  }
  PETREL_TRY(ValidateBalloonSize(config));
  PETREL_TRY(ValidateNuma(config));
  return ValidateRateLimitGroups(config);
}

bool AnyDeviceBehindIommu(const VmConfig& config) {
  const auto on = [](const auto& device) { return device.iommu; };
  return config.rng.iommu || std::any_of(config.disks.begin(), config.disks.end(), on) ||
         std::any_of(config.nets.begin(), config.nets.end(), on) ||
         std::any_of(config.pmem.begin(), config.pmem.end(), on) ||
         (config.vsock && config.vsock->iommu);
}

Result<void> ValidateRateLimitGroups(const VmConfig& config) {
  for (const ratelimit::RateLimitGroupConfig& group : config.rate_limit_groups) {
    PETREL_TRY(ratelimit::Validate(group));
  }
  for (const DiskConfig& disk : config.disks) {
    if (!disk.rate_limit_group) continue;
    const bool known = std::any_of(
        config.rate_limit_groups.begin(), config.rate_limit_groups.end(),
        [&](const ratelimit::RateLimitGroupConfig& g) { return g.id == *disk.rate_limit_group; });
    if (!known) {
      return Error(ErrorCode::kInvalidArgument,
                   "disk " + disk.path + ": rate_limit_group=" + *disk.rate_limit_group +
                       ": no rate limit group has that id");
    }
  }
  return Ok();
}

}  // namespace petrel::config
