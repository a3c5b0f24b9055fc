// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmConfig <-> Cloud Hypervisor's VmConfig JSON (see vm_config_json.h).
#include "vmm/config/vm_config_json.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/base/field_error.h"
#include "core/ratelimit/rate_limiter_config.h"
#include "devices/net/ipv4_address.h"
#include "devices/net/mac_address.h"
#include "vmm/config/device_ids.h"

namespace petrel::config {
namespace {

using nlohmann::json;

// Compact text of a JSON value for a message (invalid UTF-8 cannot occur in
// parsed input, but replace rather than throw all the same).
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Walks one JSON object: each Read* takes a field if present and not null,
// checks its type and range, and remembers it was read; Finish() refuses the
// fields nobody read. Errors are "<path>: <field>=<value>: <problem>".
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  static Result<ObjectReader> Open(const json& value, std::string path) {
    if (!value.is_object()) {
      return Error(ErrorCode::kInvalidArgument,
                   (path.empty() ? std::string("the body") : path) + ": expected a JSON object");
    }
    return ObjectReader(value, std::move(path));
  }

  // The field's value, or nullptr when absent or null.
  const json* Find(std::string_view key) {
    read_.insert(std::string(key));
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Result<void> Bool(std::string_view key, bool& out) {
    std::optional<bool> value;
    PETREL_TRY(Bool(key, value));
    if (value) out = *value;
    return Ok();
  }

  // nullopt when absent or null (the caller's default may depend on others).
  Result<void> Bool(std::string_view key, std::optional<bool>& out) {
    const json* v = Find(key);
    if (v == nullptr) return Ok();
    if (!v->is_boolean()) return Fail(key, *v, "expected true or false");
    out = v->get<bool>();
    return Ok();
  }

  // A string without NUL bytes (paths and names reach C APIs).
  Result<void> String(std::string_view key, std::string& out) {
    const json* v = Find(key);
    if (v == nullptr) return Ok();
    if (!v->is_string()) return Fail(key, *v, "expected a string");
    const auto& text = v->get_ref<const std::string&>();
    if (text.find('\0') != std::string::npos) return Fail(key, *v, "contains a NUL character");
    out = text;
    return Ok();
  }

  template <class T>
  Result<void> Unsigned(std::string_view key, T& out) {
    std::optional<T> value;
    PETREL_TRY(Unsigned(key, value));
    if (value) out = *value;
    return Ok();
  }

  template <class T>
  Result<void> Unsigned(std::string_view key, std::optional<T>& out) {
    const json* v = Find(key);
    if (v == nullptr) return Ok();
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0)) {
      return Fail(key, *v, "expected an unsigned integer");
    }
    const uint64_t n = v->get<uint64_t>();
    if (n > std::numeric_limits<T>::max()) {
      return Fail(key, *v, "must be at most " + std::to_string(std::numeric_limits<T>::max()));
    }
    out = static_cast<T>(n);
    return Ok();
  }

  // CH's NetConfig "fds": integers whose numbers belong to the process that
  // wrote them, so each reads as kNetStaleFd (CH's deserializer does the same).
  Result<void> StaleFds(std::string_view key, std::optional<std::vector<int>>& out) {
    const json* v = Find(key);
    if (v == nullptr) return Ok();
    if (!v->is_array() ||
        !std::all_of(v->begin(), v->end(), [](const json& e) { return e.is_number_integer(); })) {
      return Fail(key, *v, "expected a list of fd numbers");
    }
    out = std::vector<int>(v->size(), virtio::kNetStaleFd);
    return Ok();
  }

  // A nested object, or nullptr when absent or null.
  Result<const json*> Object(std::string_view key) {
    const json* v = Find(key);
    if (v != nullptr && !v->is_object()) return Fail(key, *v, "expected a JSON object");
    return v;
  }

  Result<const json*> Array(std::string_view key) {
    const json* v = Find(key);
    if (v != nullptr && !v->is_array()) return Fail(key, *v, "expected a JSON array");
    return v;
  }

  // A field Cloud Hypervisor has and Petrel does not implement: fine when
  // absent, null, or equal to one of `allowed` (what Petrel does anyway).
  Result<void> OnlyDefault(std::string_view key, std::initializer_list<json> allowed) {
    const json* v = Find(key);
    if (v == nullptr) return Ok();
    for (const json& ok : allowed) {
      if (*v == ok) return Ok();
    }
    return Fail(key, *v, "not supported by Petrel yet");
  }

  Result<void> Finish() const {
    for (const auto& [key, value] : object_.items()) {
      if (read_.count(key) == 0) {
        return Error(ErrorCode::kInvalidArgument,
                     Prefix() + "unknown field '" + EscapeForMessage(key) + "'");
      }
    }
    return Ok();
  }

  Error Fail(std::string_view key, const json& value, std::string_view problem) const {
    Error e = FieldError(key, Dump(value), problem);
    return path_.empty() ? e : std::move(e).Wrap(path_);
  }

  // Wraps a Validate() error with this object's path.
  Result<void> Checked(Result<void> result) const {
    if (result.ok() || path_.empty()) return result;
    Error e = result.error();
    return std::move(e).Wrap(path_);
  }

  const std::string& path() const { return path_; }

 private:
  std::string Prefix() const { return path_.empty() ? "" : path_ + ": "; }

  const json& object_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// The fields every CH PCI device config has (PciDeviceCommonConfig):
// "iommu" into `iommu` (nullptr: a device never behind the IOMMU, only
// false), and those Petrel has only at their defaults: segment 0, slot
// chosen by the VM.
Result<void> PciCommon(ObjectReader& r, bool* iommu) {
  if (iommu != nullptr) {
    PETREL_TRY(r.Bool("iommu", *iommu));
  } else {
    PETREL_TRY(r.OnlyDefault("iommu", {false}));
  }
  PETREL_TRY(r.OnlyDefault("pci_segment", {0}));
  PETREL_TRY(r.OnlyDefault("pci_device_id", {}));
  return Ok();
}

Result<CpusConfig> ReadCpus(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  CpusConfig cpus;
  // CH's CpusConfig has no defaults for these two: both are required.
  for (const char* key : {"boot_vcpus", "max_vcpus"}) {
    if (r.Find(key) == nullptr) {
      return Error(ErrorCode::kInvalidArgument, path + ": " + key + " is required");
    }
  }
  PETREL_TRY(r.Unsigned("boot_vcpus", cpus.boot_vcpus));
  PETREL_TRY(r.Unsigned("max_vcpus", cpus.max_vcpus));
  PETREL_ASSIGN_OR_RETURN(const json* topology, r.Object("topology"));
  if (topology != nullptr) {
    PETREL_ASSIGN_OR_RETURN(ObjectReader t, ObjectReader::Open(*topology, Child(path, "topology")));
    CpuTopology parts;
    uint8_t* fields[4] = {&parts.threads_per_core, &parts.cores_per_die, &parts.dies_per_package,
                          &parts.packages};
    const char* names[4] = {"threads_per_core", "cores_per_die", "dies_per_package", "packages"};
    for (int i = 0; i < 4; ++i) {
      if (t.Find(names[i]) == nullptr) {
        return Error(ErrorCode::kInvalidArgument, t.path() + ": " + names[i] + " is required");
      }
      PETREL_TRY(t.Unsigned(names[i], *fields[i]));
    }
    PETREL_TRY(t.Finish());
    cpus.topology = parts;
  }
  PETREL_TRY(r.OnlyDefault("kvm_hyperv", {false}));
  PETREL_TRY(r.OnlyDefault("max_phys_bits", {46}));
  PETREL_TRY(r.OnlyDefault("affinity", {json::array()}));
  PETREL_TRY(r.OnlyDefault("features", {json::object(), json{{"amx", false}}}));
  PETREL_TRY(r.OnlyDefault("nested", {true}));
  PETREL_TRY(r.OnlyDefault("core_scheduling", {"Vm"}));
  PETREL_TRY(r.OnlyDefault("profile", {"Host"}));
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(Validate(cpus)));
  return cpus;
}

// An array of unsigned integers, each at most T's maximum; nullopt when
// absent or null.
template <class T>
Result<std::optional<std::vector<T>>> UnsignedList(ObjectReader& r, std::string_view key) {
  PETREL_ASSIGN_OR_RETURN(const json* list, r.Array(key));
  if (list == nullptr) return std::optional<std::vector<T>>();
  std::vector<T> out;
  out.reserve(list->size());
  for (const json& e : *list) {
    const bool non_negative = e.is_number_unsigned() || (e.is_number_integer() && e.get<int64_t>() >= 0);
    if (!non_negative || e.get<uint64_t>() > std::numeric_limits<T>::max()) {
      return r.Fail(key, *list,
                    "expected a list of integers from 0 to " +
                        std::to_string(std::numeric_limits<T>::max()));
    }
    out.push_back(static_cast<T>(e.get<uint64_t>()));
  }
  return std::optional<std::vector<T>>(std::move(out));
}

// A string field that may be absent (nullopt) rather than empty.
Result<std::optional<std::string>> OptionalString(ObjectReader& r, std::string_view key) {
  if (r.Find(key) == nullptr) return std::optional<std::string>();
  std::string text;
  PETREL_TRY(r.String(key, text));
  return std::optional<std::string>(std::move(text));
}

// CH's MemoryZoneConfig: id and size required, the rest optional (serde
// defaults: false, none). Checked against its --memory (`memory`: the
// hotplug_method) by Validate.
Result<MemoryZoneConfig> ReadMemoryZone(const json& value, const std::string& path,
                                        const MemoryConfig& memory) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  MemoryZoneConfig zone;
  for (const char* key : {"id", "size"}) {
    if (r.Find(key) == nullptr) {
      return Error(ErrorCode::kInvalidArgument, path + ": " + key + " is required");
    }
  }
  PETREL_TRY(r.String("id", zone.id));
  PETREL_TRY(r.Unsigned("size", zone.size));
  PETREL_ASSIGN_OR_RETURN(zone.file, OptionalString(r, "file"));
  PETREL_TRY(r.Bool("shared", zone.shared));
  PETREL_TRY(r.Bool("hugepages", zone.hugepages));
  PETREL_TRY(r.Unsigned("hugepage_size", zone.hugepage_size));
  PETREL_TRY(r.Unsigned("host_numa_node", zone.host_numa_node));
  PETREL_TRY(r.Unsigned("hotplug_size", zone.hotplug_size));
  PETREL_TRY(r.Unsigned("hotplugged_size", zone.hotplugged_size));
  PETREL_TRY(r.Bool("prefault", zone.prefault));
  PETREL_TRY(r.Bool("reserve", zone.reserve));
  PETREL_TRY(r.Bool("mergeable", zone.mergeable));
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(Validate(zone, memory)));
  return zone;
}

// CH's NumaConfig: guest_numa_id required; distances as
// [{"destination", "distance"}] (both required, as CH's schema has them).
Result<NumaConfig> ReadNuma(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  NumaConfig node;
  if (r.Find("guest_numa_id") == nullptr) {
    return Error(ErrorCode::kInvalidArgument, path + ": guest_numa_id is required");
  }
  PETREL_TRY(r.Unsigned("guest_numa_id", node.guest_numa_id));
  PETREL_ASSIGN_OR_RETURN(node.cpus, UnsignedList<uint32_t>(r, "cpus"));
  PETREL_ASSIGN_OR_RETURN(const json* distances, r.Array("distances"));
  if (distances != nullptr) {
    node.distances.emplace();
    for (size_t i = 0; i < distances->size(); ++i) {
      PETREL_ASSIGN_OR_RETURN(
          ObjectReader d,
          ObjectReader::Open((*distances)[i], Child(path, "distances") + "[" + std::to_string(i) + "]"));
      NumaDistance distance;
      for (const char* key : {"destination", "distance"}) {
        if (d.Find(key) == nullptr) {
          return Error(ErrorCode::kInvalidArgument, d.path() + ": " + key + " is required");
        }
      }
      PETREL_TRY(d.Unsigned("destination", distance.destination));
      PETREL_TRY(d.Unsigned("distance", distance.distance));
      PETREL_TRY(d.Finish());
      node.distances->push_back(distance);
    }
  }
  PETREL_ASSIGN_OR_RETURN(const json* zones, r.Array("memory_zones"));
  if (zones != nullptr) {
    node.memory_zones.emplace();
    for (const json& zone : *zones) {
      if (!zone.is_string()) return r.Fail("memory_zones", *zones, "expected a list of zone ids");
      node.memory_zones->push_back(zone.get<std::string>());
    }
  }
  PETREL_ASSIGN_OR_RETURN(node.pci_segments, UnsignedList<uint16_t>(r, "pci_segments"));
  PETREL_ASSIGN_OR_RETURN(node.device_id, OptionalString(r, "device_id"));
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(Validate(node)));
  return node;
}

Result<MemoryConfig> ReadMemory(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  MemoryConfig memory;
  if (r.Find("size") == nullptr) {
    return Error(ErrorCode::kInvalidArgument, path + ": size is required");
  }
  PETREL_TRY(r.Unsigned("size", memory.size));
  PETREL_TRY(r.Bool("mergeable", memory.mergeable));
  std::string method = "Acpi";
  PETREL_TRY(r.String("hotplug_method", method));
  if (method == "Acpi") {
    memory.hotplug_method = HotplugMethod::kAcpi;
  } else if (method == "VirtioMem") {
    memory.hotplug_method = HotplugMethod::kVirtioMem;
  } else {
    return r.Fail("hotplug_method", json(method), "expected Acpi or VirtioMem");
  }
  PETREL_TRY(r.Unsigned("hotplug_size", memory.hotplug_size));
  PETREL_TRY(r.Unsigned("hotplugged_size", memory.hotplugged_size));
  PETREL_TRY(r.Bool("shared", memory.shared));
  PETREL_TRY(r.Bool("hugepages", memory.hugepages));
  PETREL_TRY(r.Unsigned("hugepage_size", memory.hugepage_size));
  PETREL_TRY(r.Bool("prefault", memory.prefault));
  PETREL_TRY(r.OnlyDefault("reserve", {false}));
  PETREL_TRY(r.Bool("thp", memory.thp));  // absent: on, as CH
  // Last: each zone is checked against the fields above.
  PETREL_ASSIGN_OR_RETURN(const json* zones, r.Array("zones"));
  if (zones != nullptr) {
    for (size_t i = 0; i < zones->size(); ++i) {
      PETREL_ASSIGN_OR_RETURN(
          MemoryZoneConfig zone,
          ReadMemoryZone((*zones)[i], Child(path, "zones") + "[" + std::to_string(i) + "]", memory));
      memory.zones.push_back(std::move(zone));
    }
  }
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(Validate(memory)));
  return memory;
}

Result<PayloadConfig> ReadPayload(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  PayloadConfig payload;
  PETREL_TRY(r.String("kernel", payload.kernel));
  PETREL_TRY(r.String("initramfs", payload.initramfs));
  PETREL_TRY(r.String("cmdline", payload.cmdline));
  PETREL_TRY(r.OnlyDefault("firmware", {}));
  PETREL_TRY(r.OnlyDefault("igvm", {}));
  PETREL_TRY(r.OnlyDefault("host_data", {}));
  PETREL_TRY(r.Finish());
  // Petrel boots a kernel directly; firmware boot comes later.
  if (payload.kernel.empty()) {
    return Error(ErrorCode::kInvalidArgument, path + ": kernel is required");
  }
  return payload;
}

struct ModeName {
  OutputMode mode;
  const char* name;
};
constexpr ModeName kModeNames[] = {
    {OutputMode::kOff, "Off"},   {OutputMode::kPty, "Pty"},       {OutputMode::kTty, "Tty"},
    {OutputMode::kFile, "File"}, {OutputMode::kSocket, "Socket"}, {OutputMode::kNull, "Null"},
};

// SerialConfig and ConsoleConfig: {mode, file, socket} (+ PCI fields for the
// virtio console).
Result<OutputConfig> ReadOutput(const json& value, const std::string& path, bool pci) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  std::string mode_name;
  PETREL_TRY(r.String("mode", mode_name));
  if (mode_name.empty()) return Error(ErrorCode::kInvalidArgument, path + ": mode is required");
  OutputConfig out{OutputMode::kNull, {}};
  bool known = false;
  for (const auto& m : kModeNames) {
    if (mode_name == m.name) out.mode = m.mode, known = true;
  }
  if (!known) {
    return r.Fail("mode", mode_name, "expected Off, Pty, Tty, File, Socket or Null");
  }
  std::string file, socket;
  PETREL_TRY(r.String("file", file));
  PETREL_TRY(r.String("socket", socket));
  if (pci) {
    PETREL_TRY(PciCommon(r, nullptr));
    PETREL_TRY(r.OnlyDefault("id", {}));
  }
  PETREL_TRY(r.Finish());
  if (out.mode == OutputMode::kFile) {
    if (file.empty()) return Error(ErrorCode::kInvalidArgument, path + ": mode File needs file");
    out.path = file;
  } else if (out.mode == OutputMode::kSocket) {
    if (socket.empty()) {
      return Error(ErrorCode::kInvalidArgument, path + ": mode Socket needs socket");
    }
    out.path = socket;
  }
  return out;
}

// CH's TokenBucketConfig {"size", "one_time_burst" (optional), "refill_time"}
// (size and refill_time required, as serde has them). Both 0 is CH's
// "disabled" bucket, read as no bucket (ratelimit::BucketFromValues).
Result<std::optional<ratelimit::TokenBucketConfig>> ReadTokenBucket(const json& value,
                                                                    const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  for (const char* key : {"size", "refill_time"}) {
    if (r.Find(key) == nullptr) {
      return Error(ErrorCode::kInvalidArgument, path + ": " + key + " is required");
    }
  }
  uint64_t size = 0, burst = 0, refill = 0;
  PETREL_TRY(r.Unsigned("size", size));
  PETREL_TRY(r.Unsigned("one_time_burst", burst));
  PETREL_TRY(r.Unsigned("refill_time", refill));
  PETREL_TRY(r.Finish());
  return ratelimit::BucketFromValues(size, burst, refill);
}

// CH's RateLimiterConfig {"bandwidth", "ops"}, each optional. No bucket at
// all reads as no rate limiter, as the CLI has it; the disk's Validate()
// checks the buckets.
Result<std::optional<ratelimit::RateLimiterConfig>> ReadRateLimiter(ObjectReader& parent,
                                                                    std::string_view key) {
  PETREL_ASSIGN_OR_RETURN(const json* value, parent.Object(key));
  if (value == nullptr) return std::optional<ratelimit::RateLimiterConfig>();
  const std::string path = Child(parent.path(), key);
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(*value, path));
  ratelimit::RateLimiterConfig config;
  PETREL_ASSIGN_OR_RETURN(const json* bandwidth, r.Object("bandwidth"));
  PETREL_ASSIGN_OR_RETURN(const json* ops, r.Object("ops"));
  PETREL_TRY(r.Finish());
  if (bandwidth != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.bandwidth,
                            ReadTokenBucket(*bandwidth, Child(path, "bandwidth")));
  }
  if (ops != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.ops, ReadTokenBucket(*ops, Child(path, "ops")));
  }
  if (!config.bandwidth && !config.ops) return std::optional<ratelimit::RateLimiterConfig>();
  return std::optional<ratelimit::RateLimiterConfig>(config);
}

json ToJson(const ratelimit::TokenBucketConfig& bucket) {
  return {{"size", bucket.size},
          {"one_time_burst", bucket.one_time_burst},
          {"refill_time", bucket.refill_time}};
}

json ToJson(const ratelimit::RateLimiterConfig& config) {
  json j = json::object();
  if (config.bandwidth) j["bandwidth"] = ToJson(*config.bandwidth);
  if (config.ops) j["ops"] = ToJson(*config.ops);
  return j;
}

Result<DiskConfig> ReadDisk(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  DiskConfig disk;
  PETREL_TRY(r.String("path", disk.path));
  PETREL_TRY(r.Bool("readonly", disk.readonly));
  PETREL_TRY(r.Bool("direct", disk.direct));
  PETREL_TRY(r.Unsigned("num_queues", disk.num_queues));
  PETREL_TRY(r.Unsigned("queue_size", disk.queue_size));
  PETREL_TRY(r.String("serial", disk.serial));
  PETREL_TRY(r.String("id", disk.id));
  std::string engine;
  PETREL_TRY(r.String("io_engine", engine));
  if (!engine.empty()) {
    auto kind = ParseIoEngineKind(engine);
    if (!kind.ok()) return r.Fail("io_engine", engine, "expected auto, sync or io_uring");
    disk.io_engine = *kind;
  }
  // CH's testing switches: disable_io_uring means the synchronous engine;
  // Petrel has no AIO engine, so disable_aio changes nothing.
  bool no_uring = false, no_aio = false;
  PETREL_TRY(r.Bool("disable_io_uring", no_uring));
  PETREL_TRY(r.Bool("disable_aio", no_aio));
  if (no_uring) {
    if (disk.io_engine == IoEngineKind::kUring) {
      return r.Fail("io_engine", "io_uring", "contradicts disable_io_uring=true");
    }
    disk.io_engine = IoEngineKind::kSync;
  }
  PETREL_TRY(PciCommon(r, &disk.iommu));
  PETREL_TRY(r.OnlyDefault("vhost_user", {false}));
  PETREL_TRY(r.OnlyDefault("vhost_socket", {}));
  PETREL_ASSIGN_OR_RETURN(disk.rate_limiter_config, ReadRateLimiter(r, "rate_limiter_config"));
  std::string group;
  PETREL_TRY(r.String("rate_limit_group", group));
  if (!group.empty()) disk.rate_limit_group = group;
  PETREL_TRY(r.OnlyDefault("queue_affinity", {json::array()}));
  PETREL_TRY(r.Bool("backing_files", disk.backing_files));
  PETREL_TRY(r.Bool("sparse", disk.sparse));
  std::string image_type;
  PETREL_TRY(r.String("image_type", image_type));
  if (!image_type.empty()) {
    auto parsed = ParseImageTypeJson(image_type);
    if (!parsed.ok()) return r.Fail("image_type", image_type, parsed.error().message());
    disk.image_type = *parsed;
  }
  std::string lock;
  PETREL_TRY(r.String("lock_granularity", lock));
  if (!lock.empty()) {
    auto parsed = ParseLockGranularityJson(lock);
    if (!parsed.ok()) return r.Fail("lock_granularity", lock, parsed.error().message());
    disk.lock_granularity = *parsed;
  }
  PETREL_TRY(r.Finish());
  if (disk.path.empty()) return Error(ErrorCode::kInvalidArgument, path + ": path is required");
  PETREL_TRY(r.Checked(virtio::Validate(disk)));
  return disk;
}

Result<net::Ipv4Address> ReadIpv4(ObjectReader& r, std::string_view key,
                                  net::Ipv4Address fallback) {
  std::string text;
  PETREL_TRY(r.String(key, text));
  if (text.empty()) return fallback;
  auto address = net::ParseIpv4(text);
  if (!address.ok()) return r.Fail(key, text, address.error().message());
  return *address;
}

Result<std::optional<net::MacAddress>> ReadMac(ObjectReader& r, std::string_view key) {
  std::string text;
  PETREL_TRY(r.String(key, text));
  if (text.empty()) return std::optional<net::MacAddress>();
  auto mac = net::ParseMac(text);
  if (!mac.ok()) return r.Fail(key, text, "expected xx:xx:xx:xx:xx:xx (hex)");
  return std::optional<net::MacAddress>(*mac);
}

Result<NetConfig> ReadNet(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  NetConfig net;
  PETREL_TRY(r.String("tap", net.tap));
  PETREL_ASSIGN_OR_RETURN(net.ip, ReadIpv4(r, "ip", net.ip));
  PETREL_ASSIGN_OR_RETURN(net.mask, ReadIpv4(r, "mask", net.mask));
  PETREL_ASSIGN_OR_RETURN(net.mac, ReadMac(r, "mac"));
  PETREL_ASSIGN_OR_RETURN(net.host_mac, ReadMac(r, "host_mac"));
  PETREL_TRY(r.Unsigned("mtu", net.mtu));
  PETREL_TRY(r.Unsigned("num_queues", net.num_queues));
  PETREL_TRY(r.Unsigned("queue_size", net.queue_size));
  std::optional<bool> tso, ufo;
  bool csum = true;
  PETREL_TRY(r.Bool("offload_csum", csum));
  PETREL_TRY(r.Bool("offload_tso", tso));
  PETREL_TRY(r.Bool("offload_ufo", ufo));
  // As on the command line: without checksum offload the segmentation
  // offloads default to off too.
  net.offload_csum = csum;
  net.offload_tso = tso.value_or(csum);
  net.offload_ufo = ufo.value_or(csum);
  PETREL_TRY(r.String("id", net.id));
  PETREL_TRY(PciCommon(r, &net.iommu));
  PETREL_TRY(r.OnlyDefault("vhost_user", {false}));
  PETREL_TRY(r.OnlyDefault("vhost_socket", {}));
  PETREL_TRY(r.OnlyDefault("vhost_mode", {"Client"}));
  PETREL_TRY(r.StaleFds("fds", net.fds));
  PETREL_TRY(r.OnlyDefault("rate_limiter_config", {}));
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(virtio::Validate(net)));
  return net;
}

Result<RngConfig> ReadRng(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  RngConfig rng;
  PETREL_TRY(r.String("src", rng.src));
  PETREL_TRY(r.OnlyDefault("id", {kRngDeviceId}));  // vm.info shows it
  PETREL_TRY(PciCommon(r, &rng.iommu));
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(virtio::Validate(rng)));
  return rng;
}

// CH's BalloonConfig: {"size" (required), "deflate_on_oom", "free_page_reporting"}.
Result<BalloonConfig> ReadBalloon(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  BalloonConfig balloon;
  if (r.Find("size") == nullptr) {
    return Error(ErrorCode::kInvalidArgument, path + ": size is required");
  }
  PETREL_TRY(r.Unsigned("size", balloon.size));
  PETREL_TRY(r.Bool("deflate_on_oom", balloon.deflate_on_oom));
  PETREL_TRY(r.Bool("free_page_reporting", balloon.free_page_reporting));
  PETREL_TRY(r.OnlyDefault("id", {kBalloonDeviceId}));  // vm.info shows it
  PETREL_TRY(PciCommon(r, nullptr));
  PETREL_TRY(r.Finish());
  PETREL_TRY(r.Checked(virtio::Validate(balloon)));
  return balloon;
}

// CH's PmemConfig: {"file" (required), "size" (null: the file's),
// "discard_writes", "id", "iommu", "pci_segment"}.
Result<PmemConfig> ReadPmem(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  PmemConfig pmem;
  PETREL_TRY(r.String("file", pmem.file));
  PETREL_TRY(r.Unsigned("size", pmem.size));
  PETREL_TRY(r.Bool("discard_writes", pmem.discard_writes));
  PETREL_TRY(r.String("id", pmem.id));
  PETREL_TRY(PciCommon(r, &pmem.iommu));
  PETREL_TRY(r.Finish());
  if (pmem.file.empty()) return Error(ErrorCode::kInvalidArgument, path + ": file is required");
  PETREL_TRY(r.Checked(virtio::Validate(pmem)));
  return pmem;
}

// CH's VsockConfig: {"cid", "socket" (both required), "iommu", "id",
// "pci_segment"}.
Result<VsockConfig> ReadVsock(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  VsockConfig vsock;
  if (r.Find("cid") == nullptr) return Error(ErrorCode::kInvalidArgument, path + ": cid is required");
  PETREL_TRY(r.Unsigned("cid", vsock.cid));
  PETREL_TRY(r.String("socket", vsock.socket));
  PETREL_TRY(r.String("id", vsock.id));
  PETREL_TRY(PciCommon(r, &vsock.iommu));
  PETREL_TRY(r.Finish());
  if (vsock.socket.empty()) return Error(ErrorCode::kInvalidArgument, path + ": socket is required");
  PETREL_TRY(r.Checked(virtio::Validate(vsock)));
  return vsock;
}

// CH's TpmConfig: {"socket" (required)}.
Result<TpmConfig> ReadTpm(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  TpmConfig tpm;
  PETREL_TRY(r.String("socket", tpm.socket));
  PETREL_TRY(r.Finish());
  if (tpm.socket.empty()) return Error(ErrorCode::kInvalidArgument, path + ": socket is required");
  PETREL_TRY(r.Checked(tpm::Validate(tpm)));
  return tpm;
}

// CH's LandlockConfig: {"path": "...", "access": "r" | "w" | "rw"}.
Result<LandlockRule> ReadLandlockRule(const json& value, const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  LandlockRule rule;
  PETREL_TRY(r.String("path", rule.path));
  std::string access;
  PETREL_TRY(r.String("access", access));
  PETREL_TRY(r.Finish());
  if (rule.path.empty()) return Error(ErrorCode::kInvalidArgument, path + ": path is required");
  if (access.empty()) return Error(ErrorCode::kInvalidArgument, path + ": access is required");
  const auto parsed = ParseLandlockAccess(access);
  if (!parsed) return r.Fail("access", access, "expected r, w or rw");
  rule.access = *parsed;
  PETREL_TRY(r.Checked(Validate(rule)));
  return rule;
}

// CH's RateLimitGroupConfig {"id", "rate_limiter_config"}, both required.
Result<ratelimit::RateLimitGroupConfig> ReadRateLimitGroup(const json& value,
                                                           const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(value, path));
  ratelimit::RateLimitGroupConfig group;
  PETREL_TRY(r.String("id", group.id));
  PETREL_ASSIGN_OR_RETURN(auto limiter, ReadRateLimiter(r, "rate_limiter_config"));
  PETREL_TRY(r.Finish());
  if (group.id.empty()) return Error(ErrorCode::kInvalidArgument, path + ": id is required");
  if (limiter) group.rate_limiter_config = *limiter;
  PETREL_TRY(r.Checked(ratelimit::Validate(group)));
  return group;
}

// Reads an array field with `read` for each element ("disks[0]", ...).
template <class T, class Read>
Result<void> ReadList(ObjectReader& r, std::string_view key, std::vector<T>& out, Read read) {
  PETREL_ASSIGN_OR_RETURN(const json* list, r.Array(key));
  if (list == nullptr) return Ok();
  for (size_t i = 0; i < list->size(); ++i) {
    PETREL_ASSIGN_OR_RETURN(T item, read((*list)[i], std::string(key) + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(item));
  }
  return Ok();
}

json PciCommonJson(bool iommu) { return {{"iommu", iommu}, {"pci_segment", 0}}; }

json ToJson(const OutputConfig& out, bool pci) {
  json j = {{"mode", OutputModeJsonName(out.mode)}};
  if (out.mode == OutputMode::kFile) j["file"] = out.path;
  if (out.mode == OutputMode::kSocket) j["socket"] = out.path;
  if (pci) j["iommu"] = false;
  return j;
}

// CH's PmemConfig.
json ToJson(const PmemConfig& pmem) {
  json j = {{"file", pmem.file},
            {"size", pmem.size ? json(*pmem.size) : json(nullptr)},
            {"discard_writes", pmem.discard_writes},
            {"iommu", pmem.iommu},
            {"pci_segment", 0}};
  if (!pmem.id.empty()) j["id"] = pmem.id;
  return j;
}

json ToJson(const DiskConfig& disk) {
  json j = {{"path", disk.path},
            {"readonly", disk.readonly},
            {"direct", disk.direct},
            {"num_queues", disk.num_queues},
            {"queue_size", disk.queue_size},
            {"vhost_user", false},
            {"backing_files", disk.backing_files},
            {"sparse", disk.sparse},
            {"image_type", ImageTypeJsonName(disk.image_type)},
            {"lock_granularity", LockGranularityJsonName(disk.lock_granularity)},
            {"disable_io_uring", disk.io_engine == IoEngineKind::kSync},
            {"disable_aio", false},
            {"io_engine", IoEngineKindName(disk.io_engine)}};
  j.update(PciCommonJson(disk.iommu));
  if (!disk.serial.empty()) j["serial"] = disk.serial;
  if (!disk.id.empty()) j["id"] = disk.id;
  if (disk.rate_limiter_config) j["rate_limiter_config"] = ToJson(*disk.rate_limiter_config);
  if (disk.rate_limit_group) j["rate_limit_group"] = *disk.rate_limit_group;
  return j;
}

json ToJson(const NetConfig& net) {
  json j = {{"ip", net::FormatIpv4(net.ip)},
            {"mask", net::FormatIpv4(net.mask)},
            {"num_queues", net.num_queues},
            {"queue_size", net.queue_size},
            {"vhost_user", false},
            {"vhost_mode", "Client"},
            {"offload_tso", net.offload_tso},
            {"offload_ufo", net.offload_ufo},
            {"offload_csum", net.offload_csum}};
  j.update(PciCommonJson(net.iommu));
  if (!net.tap.empty()) j["tap"] = net.tap;
  if (net.mac) j["mac"] = net::FormatMac(*net.mac);
  if (net.host_mac) j["host_mac"] = net::FormatMac(*net.host_mac);
  if (net.mtu) j["mtu"] = *net.mtu;
  if (!net.id.empty()) j["id"] = net.id;
  if (net.fds) j["fds"] = *net.fds;  // as CH: the numbers, stale anywhere else
  return j;
}

json ToJson(const MemoryZoneConfig& zone) {
  json j = {{"id", zone.id},
            {"size", zone.size},
            {"shared", zone.shared},
            {"hugepages", zone.hugepages},
            {"prefault", zone.prefault},
            {"reserve", zone.reserve},
            {"mergeable", zone.mergeable}};
  if (zone.file) j["file"] = *zone.file;
  if (zone.hugepage_size) j["hugepage_size"] = *zone.hugepage_size;
  if (zone.host_numa_node) j["host_numa_node"] = *zone.host_numa_node;
  if (zone.hotplug_size) j["hotplug_size"] = *zone.hotplug_size;
  if (zone.hotplugged_size) j["hotplugged_size"] = *zone.hotplugged_size;
  return j;
}

json ToJson(const NumaConfig& node) {
  json j = {{"guest_numa_id", node.guest_numa_id}};
  if (node.cpus) j["cpus"] = *node.cpus;
  if (node.distances) {
    j["distances"] = json::array();
    for (const NumaDistance& d : *node.distances) {
      j["distances"].push_back({{"destination", d.destination}, {"distance", d.distance}});
    }
  }
  if (node.memory_zones) j["memory_zones"] = *node.memory_zones;
  if (node.pci_segments) j["pci_segments"] = *node.pci_segments;
  if (node.device_id) j["device_id"] = *node.device_id;
  return j;
}

}  // namespace

const char* OutputModeJsonName(OutputMode mode) {
  for (const auto& m : kModeNames) {
    if (m.mode == mode) return m.name;
  }
  return "Null";
}

Result<VmConfig> VmConfigFromJsonValue(const json& document) {
  PETREL_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(document, ""));
  VmConfig config;
  PETREL_ASSIGN_OR_RETURN(const json* payload, r.Object("payload"));
  if (payload == nullptr) return Error(ErrorCode::kInvalidArgument, "payload is required");
  PETREL_ASSIGN_OR_RETURN(config.payload, ReadPayload(*payload, "payload"));
  PETREL_ASSIGN_OR_RETURN(const json* cpus, r.Object("cpus"));
  if (cpus != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.cpus, ReadCpus(*cpus, "cpus"));
  }
  PETREL_ASSIGN_OR_RETURN(const json* memory, r.Object("memory"));
  if (memory != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.memory, ReadMemory(*memory, "memory"));
  }
  PETREL_ASSIGN_OR_RETURN(const json* serial, r.Object("serial"));
  if (serial != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.serial, ReadOutput(*serial, "serial", /*pci=*/false));
  }
  PETREL_ASSIGN_OR_RETURN(const json* console, r.Object("console"));
  if (console != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.console, ReadOutput(*console, "console", /*pci=*/true));
  }
  PETREL_TRY(ReadList(r, "rate_limit_groups", config.rate_limit_groups, ReadRateLimitGroup));
  PETREL_TRY(ReadList(r, "disks", config.disks, ReadDisk));
  PETREL_TRY(ReadList(r, "net", config.nets, ReadNet));
  PETREL_ASSIGN_OR_RETURN(const json* rng, r.Object("rng"));
  if (rng != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.rng, ReadRng(*rng, "rng"));
  }
  // What Cloud Hypervisor has and Petrel does not (yet): only as CH's default.
  PETREL_TRY(ReadList(r, "numa", config.numa, ReadNuma));
  PETREL_TRY(ReadList(r, "pmem", config.pmem, ReadPmem));
  for (const char* list : {"fs", "generic_vhost_user", "devices",
                           "user_devices", "vdpa", "pci_segments"}) {
    PETREL_TRY(r.OnlyDefault(list, {json::array()}));
  }
  PETREL_ASSIGN_OR_RETURN(const json* balloon, r.Object("balloon"));
  if (balloon != nullptr && !balloon->is_null()) {
    PETREL_ASSIGN_OR_RETURN(config.balloon, ReadBalloon(*balloon, "balloon"));
  }
  PETREL_ASSIGN_OR_RETURN(const json* vsock, r.Object("vsock"));
  if (vsock != nullptr) {
    PETREL_ASSIGN_OR_RETURN(config.vsock, ReadVsock(*vsock, "vsock"));
  }
  PETREL_ASSIGN_OR_RETURN(const json* tpm, r.Object("tpm"));
  if (tpm != nullptr && !tpm->is_null()) {
    PETREL_ASSIGN_OR_RETURN(config.tpm, ReadTpm(*tpm, "tpm"));
  }
  for (const char* object : {"rtc", "platform", "ivshmem", "pvmemcontrol"}) {
    PETREL_TRY(r.OnlyDefault(object, {}));
  }
  PETREL_TRY(r.Bool("landlock_enable", config.landlock_enable));
  PETREL_TRY(ReadList(r, "landlock_rules", config.landlock_rules, ReadLandlockRule));
  PETREL_TRY(r.Bool("pvpanic", config.pvpanic));
  PETREL_TRY(r.Bool("watchdog", config.watchdog));
  PETREL_TRY(r.Bool("iommu", config.iommu));
  if (AnyDeviceBehindIommu(config)) config.iommu = false;  // implied (vm_config.h)
  PETREL_TRY(r.OnlyDefault("gdb", {false}));
  PETREL_TRY(r.OnlyDefault("debug_console", {json{{"mode", "Off"}},
                                             json{{"mode", "Off"}, {"iobase", 0xe9}}}));
  PETREL_TRY(r.Finish());
  if (config.serial.mode == OutputMode::kTty && config.console.mode == OutputMode::kTty) {
    return Error(ErrorCode::kInvalidArgument,
                 "serial and console cannot both use the terminal (mode Tty)");
  }
  PETREL_TRY(ValidateBalloonSize(config));
  PETREL_TRY(ValidateNuma(config));
  PETREL_TRY(ValidateRateLimitGroups(config));
  PETREL_TRY(CheckDeviceIds(config));
  AssignDeviceIds(config);
  return config;
}

Result<VmConfig> VmConfigFromJson(std::string_view body) {
  json document;
  try {
    document = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    // parse_error names the byte offset and quotes no input; out_of_range
    // (a number too large for a double, found by api_json_fuzz) quotes the
    // number only. Either is one line.
    return Error(ErrorCode::kInvalidArgument, std::string("not valid JSON: ") + e.what());
  }
  return VmConfigFromJsonValue(document);
}

namespace {

Result<json> ParseBody(std::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    return Error(ErrorCode::kInvalidArgument, std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace

Result<DiskConfig> DiskConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json document, ParseBody(body));
  return ReadDisk(document, "disk");
}

Result<NetConfig> NetConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json document, ParseBody(body));
  return ReadNet(document, "net");
}

json DiskConfigToJson(const DiskConfig& disk) { return ToJson(disk); }

Result<PmemConfig> PmemConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json document, ParseBody(body));
  return ReadPmem(document, "pmem");
}

json PmemConfigToJson(const PmemConfig& pmem) { return ToJson(pmem); }

Result<VsockConfig> VsockConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json document, ParseBody(body));
  return ReadVsock(document, "vsock");
}

json VsockConfigToJson(const VsockConfig& vsock) {
  json j = {{"cid", vsock.cid}, {"socket", vsock.socket}, {"iommu", vsock.iommu},
            {"pci_segment", 0}};
  if (!vsock.id.empty()) j["id"] = vsock.id;
  return j;
}
json NetConfigToJson(const NetConfig& net) { return ToJson(net); }

json VmConfigToJson(const VmConfig& config) {
  json payload = {{"kernel", config.payload.kernel}};
  if (!config.payload.initramfs.empty()) payload["initramfs"] = config.payload.initramfs;
  if (!config.payload.cmdline.empty()) payload["cmdline"] = config.payload.cmdline;

  json cpus = {{"boot_vcpus", config.cpus.boot_vcpus},
               {"max_vcpus", config.cpus.max_vcpus},
               {"kvm_hyperv", false},
               {"max_phys_bits", 46},
               {"nested", true}};
  if (config.cpus.topology) {
    const CpuTopology& t = *config.cpus.topology;
    cpus["topology"] = {{"threads_per_core", t.threads_per_core},
                        {"cores_per_die", t.cores_per_die},
                        {"dies_per_package", t.dies_per_package},
                        {"packages", t.packages}};
  }
  json memory = {{"size", config.memory.size},
                 {"mergeable", config.memory.mergeable},
                 {"hotplug_method", config.memory.hotplug_method == HotplugMethod::kVirtioMem
                                        ? "VirtioMem"
                                        : "Acpi"},
                 {"shared", config.memory.shared},
                 {"hugepages", config.memory.hugepages},
                 {"prefault", config.memory.prefault},
                 {"reserve", false},
                 {"thp", config.memory.thp}};
  if (config.memory.hotplug_size) memory["hotplug_size"] = *config.memory.hotplug_size;
  if (config.memory.hotplugged_size) memory["hotplugged_size"] = *config.memory.hotplugged_size;
  if (config.memory.hugepage_size) memory["hugepage_size"] = *config.memory.hugepage_size;
  if (!config.memory.zones.empty()) {
    memory["zones"] = json::array();
    for (const MemoryZoneConfig& zone : config.memory.zones) memory["zones"].push_back(ToJson(zone));
  }

  json j = {{"cpus", cpus},
            {"memory", memory},
            {"payload", payload},
            {"rng", {{"src", config.rng.src}, {"iommu", config.rng.iommu}}},
            {"serial", ToJson(config.serial, /*pci=*/false)},
            {"console", ToJson(config.console, /*pci=*/true)},
            {"iommu", HasIommu(config)},
            {"watchdog", config.watchdog},
            {"pvpanic", config.pvpanic},
            {"landlock_enable", config.landlock_enable}};
  if (!config.rng.id.empty()) j["rng"]["id"] = config.rng.id;
  if (config.balloon) {
    j["balloon"] = {{"size", config.balloon->size},
                    {"deflate_on_oom", config.balloon->deflate_on_oom},
                    {"free_page_reporting", config.balloon->free_page_reporting}};
    if (!config.balloon->id.empty()) j["balloon"]["id"] = config.balloon->id;
  }
  if (config.vsock) j["vsock"] = VsockConfigToJson(*config.vsock);
  if (config.tpm) j["tpm"] = {{"socket", config.tpm->socket}};
  if (!config.pmem.empty()) {
    j["pmem"] = json::array();
    for (const auto& pmem : config.pmem) j["pmem"].push_back(ToJson(pmem));
  }
  if (!config.disks.empty()) {
    j["disks"] = json::array();
    for (const auto& disk : config.disks) j["disks"].push_back(ToJson(disk));
  }
  if (!config.nets.empty()) {
    j["net"] = json::array();
    for (const auto& net : config.nets) j["net"].push_back(ToJson(net));
  }
  if (!config.rate_limit_groups.empty()) {
    j["rate_limit_groups"] = json::array();
    for (const auto& group : config.rate_limit_groups) {
      j["rate_limit_groups"].push_back(
          {{"id", group.id}, {"rate_limiter_config", ToJson(group.rate_limiter_config)}});
    }
  }
  if (!config.numa.empty()) {
    j["numa"] = json::array();
    for (const NumaConfig& node : config.numa) j["numa"].push_back(ToJson(node));
  }
  if (!config.landlock_rules.empty()) {
    j["landlock_rules"] = json::array();
    for (const auto& rule : config.landlock_rules) {
      j["landlock_rules"].push_back(
          {{"path", rule.path}, {"access", LandlockAccessName(rule.access)}});
    }
  }
  return j;
}

}  // namespace petrel::config
