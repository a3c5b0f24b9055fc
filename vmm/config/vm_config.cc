// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Parsing and checking of --cpus, --memory, --serial, --console and
// --landlock-rules values.
#include "vmm/config/vm_config.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <string>
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
  if (size) {
    const std::string given = *parser.Get("size");
    if (*size % kMemoryAlignment != 0) {
      return parser.ValueError("size", given, "must be a multiple of 4K");
    }
    if (*size < kMinMemorySize) return parser.ValueError("size", given, "must be at least 2M");
    if (*size > kMaxMemorySize) return parser.ValueError("size", given, "must be at most 64T");
    memory.size = *size;
  }
  PETREL_TRY(Validate(memory).Wrap("--memory"));
  return memory;
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

Result<void> Validate(const MemoryConfig& memory) {
  const std::string text = std::to_string(memory.size);
  if (memory.size % kMemoryAlignment != 0) return FieldError("size", text, "must be a multiple of 4K");
  if (memory.size < kMinMemorySize) return FieldError("size", text, "must be at least 2M");
  if (memory.size > kMaxMemorySize) return FieldError("size", text, "must be at most 64T");
  if (memory.hotplug_size) {
    const std::string hotplug = std::to_string(*memory.hotplug_size);
    if (*memory.hotplug_size == 0) return FieldError("hotplug_size", hotplug, "must not be 0");
    if (*memory.hotplug_size % kMemoryHotplugAlignment != 0) {
      return FieldError("hotplug_size", hotplug, "must be a multiple of 128M");
    }
    if (*memory.hotplug_size > kMaxMemorySize) {
      return FieldError("hotplug_size", hotplug, "must be at most 64T");
    }
  }
  if (memory.hotplugged_size) {
    const std::string plugged = std::to_string(*memory.hotplugged_size);
    // Cloud Hypervisor's three refusals (MemoryManager::new).
    if (!memory.hotplug_size) {
      return FieldError("hotplugged_size", plugged, "needs hotplug_size");
    }
    if (memory.hotplug_method != HotplugMethod::kVirtioMem) {
      return FieldError("hotplugged_size", plugged, "needs hotplug_method=virtio-mem");
    }
    if (*memory.hotplugged_size > *memory.hotplug_size) {
      return FieldError("hotplugged_size", plugged, "must be at most hotplug_size");
    }
    if (*memory.hotplugged_size % kMemoryHotplugBlock != 0) {
      return FieldError("hotplugged_size", plugged, "must be a multiple of 2M");
    }
  }
  if (memory.hugepages && memory.hotplug_size) {
    // The area would be reserved in huge pages up front, and unplugged
    // blocks could not go back (GuestMemory::Discard refuses huge pages).
    return FieldError("hotplug_size", std::to_string(*memory.hotplug_size),
                      "not supported by Petrel yet with hugepages=on");
  }
  if (memory.hugepage_size) {
    const uint64_t page = *memory.hugepage_size;
    const std::string page_text = std::to_string(page);
    if (!memory.hugepages) return FieldError("hugepage_size", page_text, "needs hugepages=on");
    if (page == 0 || (page & (page - 1)) != 0) {
      return FieldError("hugepage_size", page_text, "must be a power of two");
    }
    // Each RAM region is its own hugetlbfs file: whole pages only
    // (GuestMemory::CreateX86 splits RAM at the 32-bit hole).
    if (memory.size % page != 0) {
      return FieldError("size", text, "must be a multiple of hugepage_size (" + page_text + ")");
    }
    if (memory.size > x86::kMem32BitReservedStart && x86::kMem32BitReservedStart % page != 0) {
      return FieldError("hugepage_size", page_text,
                        "must divide " + std::to_string(x86::kMem32BitReservedStart) +
                            ", the RAM below the 32-bit hole, when size is larger");
    }
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
  if (config.balloon && config.balloon->size >= config.memory.size) {
    return Error(ErrorCode::kInvalidArgument,
                 "--balloon size=" + std::to_string(config.balloon->size) +
                     ": must be below the guest's memory (" + std::to_string(config.memory.size) +
                     " bytes)");
  }
  return ValidateRateLimitGroups(config);
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
