// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Snapshot and restore requests (see snapshot_config.h).
#include "vmm/config/snapshot_config.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "vmm/config/option_parser.h"
#include "vmm/config/request_json.h"

namespace petrel::config {
namespace {

using nlohmann::json;

Result<void> CheckFileUrl(const std::string& url, const char* key) {
  Result<std::string> dir = SnapshotDirectoryFromUrl(url);
  if (!dir.ok()) return Invalid(std::string(key) + ": " + dir.error().message());
  return Ok();
}

}  // namespace

Result<std::string> SnapshotDirectoryFromUrl(std::string_view url) {
  constexpr std::string_view kScheme = "file://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Invalid("'" + std::string(url) + "': only file:// URLs are supported");
  }
  std::string path(url.substr(kScheme.size()));
  if (path.empty() || path[0] != '/') {
    return Invalid("'" + std::string(url) + "': the path must be absolute (file:///dir)");
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Result<SnapshotConfig> SnapshotConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.snapshot"));
  PETREL_TRY(OnlyKnownFields(doc, {"destination_url"}, {}));
  SnapshotConfig config;
  PETREL_ASSIGN_OR_RETURN(config.destination_url, StringField(doc, "destination_url", true));
  PETREL_TRY(CheckFileUrl(config.destination_url, "destination_url"));
  return config;
}

Result<RestoreConfig> RestoreConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.restore"));
  PETREL_TRY(OnlyKnownFields(doc,
                             {"source_url", "prefault", "memory_restore_mode", "resume", "net_fds"},
                             {"vfio_fds", "iommufd_fd", "zone_updates"}));
  RestoreConfig config;
  PETREL_ASSIGN_OR_RETURN(config.source_url, StringField(doc, "source_url", true));
  PETREL_TRY(CheckFileUrl(config.source_url, "source_url"));
  PETREL_ASSIGN_OR_RETURN(config.prefault, BoolField(doc, "prefault"));
  PETREL_ASSIGN_OR_RETURN(config.resume, BoolField(doc, "resume"));
  PETREL_ASSIGN_OR_RETURN(std::string mode, StringField(doc, "memory_restore_mode", false));
  // CH's MemoryRestoreMode serializes as "Copy" / "OnDemand".
  if (mode == "OnDemand") {
    config.memory_restore_mode = MemoryRestoreMode::kOnDemand;
  } else if (!mode.empty() && mode != "Copy") {
    return Invalid("memory_restore_mode: '" + mode + "': expected \"Copy\" or \"OnDemand\"");
  }
  if (const auto net_fds = doc.find("net_fds"); net_fds != doc.end()) {
    PETREL_ASSIGN_OR_RETURN(config.net_fds, RestoredNetFdsFromJson(*net_fds));
  }
  return config;
}

std::string RestoreConfigToJson(const RestoreConfig& config) {
  json doc = {{"source_url", config.source_url},
              {"prefault", config.prefault},
              {"memory_restore_mode",
               config.memory_restore_mode == MemoryRestoreMode::kOnDemand ? "OnDemand" : "Copy"},
              {"resume", config.resume}};
  if (!config.net_fds.empty()) doc["net_fds"] = RestoredNetFdsToJson(config.net_fds);
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SnapshotConfigToJson(const SnapshotConfig& config) {
  json doc = {{"destination_url", config.destination_url}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<RestoreConfig> ParseRestore(std::string_view text) {
  OptionParser parser(Option("--restore"));
  PETREL_TRY(parser.Parse(text));
  RestoreConfig config;
  std::optional<std::string> url = parser.Get("source_url");
  if (!url) return Invalid("--restore: needs source_url=file:///<dir>");
  config.source_url = *url;
  Result<std::string> dir = SnapshotDirectoryFromUrl(config.source_url);
  if (!dir.ok()) return Invalid("--restore: source_url=" + dir.error().message());
  PETREL_ASSIGN_OR_RETURN(auto prefault, parser.GetBool("prefault"));
  config.prefault = prefault.value_or(false);
  PETREL_ASSIGN_OR_RETURN(auto resume, parser.GetBool("resume"));
  config.resume = resume.value_or(false);
  if (auto mode = parser.Get("memory_restore_mode")) {
    if (*mode == "ondemand") {
      config.memory_restore_mode = MemoryRestoreMode::kOnDemand;
    } else if (*mode != "copy") {
      return parser.ValueError("memory_restore_mode", *mode, "expected copy or ondemand");
    }
  }
  if (auto net_fds = parser.Get("net_fds")) {
    auto entries = ParseRestoredNetFds(*net_fds);
    if (!entries.ok()) return parser.ValueError("net_fds", *net_fds, entries.error().message());
    config.net_fds = std::move(entries).value();
  }
  return config;
}

}  // namespace petrel::config
