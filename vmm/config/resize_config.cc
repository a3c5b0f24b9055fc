// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.resize's request (see resize_config.h).
#include "vmm/config/resize_config.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "vmm/config/option_parser.h"
#include "vmm/config/request_json.h"
#include "vmm/config/vm_config.h"

namespace petrel::config {

using nlohmann::json;

namespace {

Result<std::optional<uint64_t>> OptionalBytes(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return std::optional<uint64_t>();
  if (!it->is_number_unsigned()) return Invalid(std::string(key) + ": expected a number of bytes");
  return std::optional<uint64_t>(it->get<uint64_t>());
}

}  // namespace

Result<ResizeRequest> ParseResizeJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.resize"));
  PETREL_TRY(OnlyKnownFields(doc, {"desired_vcpus", "desired_ram", "desired_balloon"}, {}));
  ResizeRequest r;
  if (auto it = doc.find("desired_vcpus"); it != doc.end() && !it->is_null()) {
    PETREL_ASSIGN_OR_RETURN(int64_t vcpus, IntField(doc, "desired_vcpus", 0, 1, kMaxVcpus));
    r.desired_vcpus = static_cast<uint32_t>(vcpus);
  }
  PETREL_ASSIGN_OR_RETURN(r.desired_ram, OptionalBytes(doc, "desired_ram"));
  PETREL_ASSIGN_OR_RETURN(r.desired_balloon, OptionalBytes(doc, "desired_balloon"));
  return r;
}

std::string ResizeRequestToJson(const ResizeRequest& r) {
  json doc = json::object();
  if (r.desired_vcpus) doc["desired_vcpus"] = *r.desired_vcpus;
  if (r.desired_ram) doc["desired_ram"] = *r.desired_ram;
  if (r.desired_balloon) doc["desired_balloon"] = *r.desired_balloon;
  return doc.dump();
}

Result<ResizeRequest> ParseResizeFlags(std::string_view cpus, std::string_view memory,
                                       std::string_view balloon) {
  ResizeRequest r;
  if (!cpus.empty()) {
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(cpus.data(), cpus.data() + cpus.size(), n);
    if (ec != std::errc() || end != cpus.data() + cpus.size() || n < 1 || n > kMaxVcpus) {
      return Invalid("--cpus " + std::string(cpus) + ": expected a vCPU count in 1.." +
                     std::to_string(kMaxVcpus));
    }
    r.desired_vcpus = n;
  }
  if (!memory.empty()) {
    PETREL_ASSIGN_OR_RETURN(r.desired_ram, ParseSize(memory).Wrap("--memory"));
  }
  if (!balloon.empty()) {
    PETREL_ASSIGN_OR_RETURN(r.desired_balloon, ParseSize(balloon).Wrap("--balloon"));
  }
  if (!r.desired_vcpus && !r.desired_ram && !r.desired_balloon) {
    return Invalid("resize needs --cpus, --memory or --balloon");
  }
  return r;
}

Result<ResizeDiskRequest> ParseResizeDiskJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.resize-disk"));
  PETREL_TRY(OnlyKnownFields(doc, {"id", "desired_size"}, {}));
  ResizeDiskRequest r;
  PETREL_ASSIGN_OR_RETURN(r.id, StringField(doc, "id", /*required=*/true));
  PETREL_ASSIGN_OR_RETURN(std::optional<uint64_t> size, OptionalBytes(doc, "desired_size"));
  if (!size) return Invalid("desired_size: missing");
  r.desired_size = *size;
  return r;
}

std::string ResizeDiskRequestToJson(const ResizeDiskRequest& r) {
  return json{{"id", r.id}, {"desired_size", r.desired_size}}.dump();
}

Result<ResizeDiskRequest> ParseResizeDiskFlags(std::string_view disk, std::string_view size) {
  if (disk.empty()) return Invalid("resize-disk needs --disk <id>");
  if (size.empty()) return Invalid("resize-disk needs --size <size>");
  ResizeDiskRequest r;
  r.id = std::string(disk);
  PETREL_ASSIGN_OR_RETURN(r.desired_size, ParseSize(size).Wrap("--size"));
  return r;
}

Result<ResizeZoneRequest> ParseResizeZoneJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.resize-zone"));
  PETREL_TRY(OnlyKnownFields(doc, {"id", "desired_ram"}, {}));
  ResizeZoneRequest r;
  PETREL_ASSIGN_OR_RETURN(r.id, StringField(doc, "id", /*required=*/true));
  if (r.id.empty()) return Invalid("id: must not be empty");
  PETREL_ASSIGN_OR_RETURN(std::optional<uint64_t> ram, OptionalBytes(doc, "desired_ram"));
  if (!ram) return Invalid("desired_ram: missing");
  r.desired_ram = *ram;
  return r;
}

std::string ResizeZoneRequestToJson(const ResizeZoneRequest& r) {
  return json{{"id", r.id}, {"desired_ram", r.desired_ram}}.dump();
}

Result<ResizeZoneRequest> ParseResizeZoneFlags(std::string_view id, std::string_view size) {
  if (id.empty()) return Invalid("resize-zone needs --id <zone id>");
  if (size.empty()) return Invalid("resize-zone needs --size <size>");
  ResizeZoneRequest r;
  r.id = std::string(id);
  PETREL_ASSIGN_OR_RETURN(r.desired_ram, ParseSize(size).Wrap("--size"));
  return r;
}

}  // namespace petrel::config
