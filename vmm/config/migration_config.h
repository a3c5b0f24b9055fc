// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The live-migration requests, as Cloud Hypervisor's API takes them
// (SendMigrationData and ReceiveMigrationData in its OpenAPI schema):
//   vm.send-migration    {"destination_url": "unix:/path" | "tcp:host:port",
//                         "local": false, "preserve_source": false,
//                         "downtime_ms": 300, "timeout_s": 3600,
//                         "timeout_strategy": "Cancel" | "Ignore",
//                         "connections": 1, "memory_mode": "Precopy"}
//   vm.receive-migration {"receiver_url": "unix:/path" | "tcp:host:port",
//                         "memory_mode": "Precopy"}
// and ch-remote's option strings for them (CH's docs/live_migration.md):
//   send-migration destination_url=<url>[,local=on|off,preserve_source=on|off,
//                  downtime_ms=<ms>,timeout_s=<s>,timeout_strategy=cancel|ignore,
//                  connections=<n>,memory_mode=precopy|postcopy]
//   receive-migration receiver_url=<url>[,memory_mode=precopy|postcopy]
// (a bare URL is taken as the destination or receiver URL, as older
// ch-remote took it). preserve_source: the source VMM keeps the migrated VM,
// paused, instead of exiting.
// CH's defaults and bounds: downtime_ms >= 1 (300), timeout_s >= 1 (3600),
// connections 1..128 (1). Petrel takes one connection only, pre-copy only,
// and no TLS: connections > 1, memory_mode "Postcopy", tls_dir and
// zone_updates are refused with a clear error. The URLs are checked here
// (vmm/migration/url.h), so a bad one is a 400, not a failed migration.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace petrel::config {

enum class MigrationTimeoutStrategy { kCancel, kIgnore };

struct SendMigrationConfig {
  std::string destination_url;
  bool local = false;
  bool preserve_source = false;
  std::chrono::milliseconds downtime{300};
  std::chrono::seconds timeout{3600};
  MigrationTimeoutStrategy timeout_strategy = MigrationTimeoutStrategy::kCancel;
  bool operator==(const SendMigrationConfig&) const = default;
};

struct ReceiveMigrationConfig {
  std::string receiver_url;
  bool operator==(const ReceiveMigrationConfig&) const = default;
};

Result<SendMigrationConfig> SendMigrationConfigFromJson(std::string_view body);
Result<ReceiveMigrationConfig> ReceiveMigrationConfigFromJson(std::string_view body);
// The option strings (errors start "send-migration: " / "receive-migration: ").
Result<SendMigrationConfig> ParseSendMigration(std::string_view text);
Result<ReceiveMigrationConfig> ParseReceiveMigration(std::string_view text);
// The bodies petrel-remote sends.
std::string SendMigrationConfigToJson(const SendMigrationConfig& config);
std::string ReceiveMigrationConfigToJson(const ReceiveMigrationConfig& config);

}  // namespace petrel::config
