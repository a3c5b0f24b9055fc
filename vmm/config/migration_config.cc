// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Live-migration requests (see migration_config.h).
#include "vmm/config/migration_config.h"

#include <nlohmann/json.hpp>

#include "vmm/config/option_parser.h"
#include "vmm/config/request_json.h"
#include "vmm/migration/url.h"

namespace petrel::config {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSeconds = int64_t{1} << 32;

Result<void> CheckUrl(const std::string& url, const char* key) {
  Result<vmm::migration::MigrationUrl> parsed = vmm::migration::ParseMigrationUrl(url);
  if (!parsed.ok()) return Invalid(std::string(key) + ": " + parsed.error().message());
  return Ok();
}

// CH's MigrationMode: only "Precopy" here.
Result<void> CheckMemoryMode(const json& doc) {
  auto it = doc.find("memory_mode");
  if (it == doc.end() || it->is_null()) return Ok();
  if (!it->is_string()) return Invalid("memory_mode: expected a string");
  const std::string& mode = it->get_ref<const std::string&>();
  if (mode == "Postcopy") return Invalid("memory_mode: Postcopy is not supported by Petrel yet");
  if (mode != "Precopy") {
    return Invalid("memory_mode: '" + mode + "': expected \"Precopy\" or \"Postcopy\"");
  }
  return Ok();
}

// "precopy" -> "Precopy": CH's option strings take its enums in lower case.
std::string Capitalized(std::string word) {
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!word.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

// The option string as the JSON body it stands for: one home for the checks.
// Numbers stay numbers, on/off become booleans, enum words are capitalized.
Result<json> OptionsToJson(OptionParser& parser, std::string_view text, const char* url_key,
                           std::initializer_list<const char*> bools,
                           std::initializer_list<const char*> numbers,
                           std::initializer_list<const char*> words) {
  json doc = json::object();
  if (text.find('=') == std::string_view::npos) {
    doc[url_key] = std::string(text);  // a bare URL
    return doc;
  }
  PETREL_TRY(parser.Parse(text));
  for (const std::string& key : parser.GivenKeys()) doc[key] = parser.Get(key).value_or("");
  for (const char* key : bools) {
    PETREL_ASSIGN_OR_RETURN(std::optional<bool> v, parser.GetBool(key));
    if (v) doc[key] = *v;
  }
  for (const char* key : numbers) {
    PETREL_ASSIGN_OR_RETURN(std::optional<uint64_t> v, parser.GetU64(key));
    if (v) doc[key] = *v;
  }
  for (const char* key : words) {
    if (auto v = parser.Get(key)) doc[key] = Capitalized(*v);
  }
  return doc;
}

template <class T>
Result<T> Prefixed(Result<T> r, std::string_view what) {
  if (r.ok()) return r;
  return Invalid(std::string(what) + ": " + r.error().message());
}

}  // namespace

Result<SendMigrationConfig> ParseSendMigration(std::string_view text) {
  OptionParser parser(Option("send-migration"));
  PETREL_ASSIGN_OR_RETURN(json doc,
                          OptionsToJson(parser, text, "destination_url", {"local", "preserve_source"},
                                        {"downtime_ms", "timeout_s", "connections"},
                                        {"timeout_strategy", "memory_mode"}));
  return Prefixed(SendMigrationConfigFromJson(doc.dump()), "send-migration");
}

Result<ReceiveMigrationConfig> ParseReceiveMigration(std::string_view text) {
  OptionParser parser(Option("receive-migration"));
  PETREL_ASSIGN_OR_RETURN(json doc,
                          OptionsToJson(parser, text, "receiver_url", {}, {}, {"memory_mode"}));
  return Prefixed(ReceiveMigrationConfigFromJson(doc.dump()), "receive-migration");
}

Result<SendMigrationConfig> SendMigrationConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.send-migration"));
  PETREL_TRY(OnlyKnownFields(doc,
                             {"destination_url", "local", "preserve_source", "downtime_ms", "timeout_s",
                              "timeout_strategy", "connections", "memory_mode"},
                             {"tls_dir"}));
  SendMigrationConfig config;
  PETREL_ASSIGN_OR_RETURN(config.destination_url, StringField(doc, "destination_url", true));
  PETREL_TRY(CheckUrl(config.destination_url, "destination_url"));
  PETREL_ASSIGN_OR_RETURN(config.local, BoolField(doc, "local"));
  PETREL_ASSIGN_OR_RETURN(config.preserve_source, BoolField(doc, "preserve_source"));
  PETREL_ASSIGN_OR_RETURN(int64_t downtime, IntField(doc, "downtime_ms", 300, 1, kMaxSeconds * 1000));
  config.downtime = std::chrono::milliseconds(downtime);
  PETREL_ASSIGN_OR_RETURN(int64_t timeout, IntField(doc, "timeout_s", 3600, 1, kMaxSeconds));
  config.timeout = std::chrono::seconds(timeout);
  PETREL_ASSIGN_OR_RETURN(std::string strategy, StringField(doc, "timeout_strategy", false));
  if (strategy == "Ignore") {
    config.timeout_strategy = MigrationTimeoutStrategy::kIgnore;
  } else if (!strategy.empty() && strategy != "Cancel") {
    return Invalid("timeout_strategy: '" + strategy + "': expected \"Cancel\" or \"Ignore\"");
  }
  PETREL_ASSIGN_OR_RETURN(int64_t connections, IntField(doc, "connections", 1, 1, 128));
  if (connections != 1) {
    return Invalid("connections: " + std::to_string(connections) +
                   ": Petrel migrates over one connection only");
  }
  PETREL_TRY(CheckMemoryMode(doc));
  if (config.local && config.destination_url.rfind("unix:", 0) != 0) {
    return Invalid("local: a local migration needs a unix: destination_url");
  }
  return config;
}

Result<ReceiveMigrationConfig> ReceiveMigrationConfigFromJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.receive-migration"));
  PETREL_TRY(OnlyKnownFields(doc, {"receiver_url", "memory_mode"},
                             {"tls_dir", "zone_updates", "vfio_fds", "iommufd_fd"}));
  ReceiveMigrationConfig config;
  PETREL_ASSIGN_OR_RETURN(config.receiver_url, StringField(doc, "receiver_url", true));
  PETREL_TRY(CheckUrl(config.receiver_url, "receiver_url"));
  PETREL_TRY(CheckMemoryMode(doc));
  return config;
}

std::string SendMigrationConfigToJson(const SendMigrationConfig& config) {
  json doc = {{"destination_url", config.destination_url},
              {"local", config.local},
              {"preserve_source", config.preserve_source},
              {"downtime_ms", config.downtime.count()},
              {"timeout_s", config.timeout.count()},
              {"timeout_strategy",
               config.timeout_strategy == MigrationTimeoutStrategy::kIgnore ? "Ignore" : "Cancel"}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ReceiveMigrationConfigToJson(const ReceiveMigrationConfig& config) {
  json doc = {{"receiver_url", config.receiver_url}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace petrel::config
