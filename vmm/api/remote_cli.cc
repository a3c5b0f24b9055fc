// RunRemote (see remote_cli.h): CLI11 for the arguments, SendApiRequest for
// the call, nlohmann/json to turn CH-style error bodies into one line.
#include "vmm/api/remote_cli.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "vmm/api/api_client.h"
#include "vmm/api/http_response.h"
#include "vmm/config/migration_config.h"
#include "vmm/config/snapshot_config.h"

namespace petrel::api {
namespace {

constexpr RemoteCommand kCommands[] = {
    {"ping", "GET", "vmm.ping", true},
    {"info", "GET", "vm.info", true},
    {"counters", "GET", "vm.counters", true},
    {"create", "PUT", "vm.create", false},
    {"boot", "PUT", "vm.boot", false},
    {"pause", "PUT", "vm.pause", false},
    {"resume", "PUT", "vm.resume", false},
    {"power-button", "PUT", "vm.power-button", false},
    {"nmi", "PUT", "vm.nmi", false},
    {"reboot", "PUT", "vm.reboot", false},
    {"shutdown", "PUT", "vm.shutdown", false},
    {"delete", "PUT", "vm.delete", false},
    {"shutdown-vmm", "PUT", "vmm.shutdown", false},
    {"snapshot", "PUT", "vm.snapshot", false},
    {"restore", "PUT", "vm.restore", false},
    {"send-migration", "PUT", "vm.send-migration", false},
    {"receive-migration", "PUT", "vm.receive-migration", false},
};

// ch-remote's create_data: the VmConfig JSON from a file, or stdin for "-".
Result<std::string> ReadConfig(const std::string& path, std::istream& stdin_stream) {
  std::ostringstream text;
  if (path == "-") {
    text << stdin_stream.rdbuf();
    return text.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Error::FromErrno("reading " + path);
  text << file.rdbuf();
  if (file.bad()) return Error::FromErrno("reading " + path);
  return text.str();
}

std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

RemoteOutput Fail(std::string_view message) {
  RemoteOutput r;
  r.exit_code = 1;
  r.err = "petrel-remote: error: " + OneLine(message) + "\n";
  return r;
}

// A CH error body is a JSON array of messages: join them with ": ".
std::string DescribeErrorBody(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_array()) {
    std::string joined;
    for (const auto& item : j) {
      if (!item.is_string()) return body;
      if (!joined.empty()) joined += ": ";
      joined += item.get<std::string>();
    }
    return joined;
  }
  return body;
}

RemoteOutput Run(int argc, const char* const* argv, std::istream& stdin_stream) {
  CLI::App app("petrel-remote: control a running petrel over its API socket", "petrel-remote");
  app.set_help_flag("-h,--help", "Print this help and exit");
  std::string socket;
  app.add_option("--api-socket", socket, "The API socket of the petrel to control")
      ->type_name("<path>");
  std::string config_path = "-";
  std::string argument;  // snapshot's destination URL, restore's option string, a migration URL
  bool local_flag = false;
  for (const RemoteCommand& c : kCommands) {
    CLI::App* sub = app.add_subcommand(std::string(c.name),
                                       std::string(c.method) + " /api/v1/" + std::string(c.endpoint));
    if (c.name == "create") {
      sub->add_option("path", config_path, "The VmConfig JSON file ('-': stdin, the default)");
    } else if (c.name == "snapshot") {
      sub->add_option("destination_url", argument, "Where to write it: file:///<dir>")->required();
    } else if (c.name == "restore") {
      sub->add_option("restore_config", argument,
                      "source_url=file:///<dir>[,prefault=on][,memory_restore_mode=copy|ondemand]"
                      "[,resume=true][,net_fds=[<net id>@[<fd>,...],...]] (the fds are this "
                      "process's, passed to the VMM with SCM_RIGHTS)")
          ->required();
    } else if (c.name == "send-migration") {
      sub->add_option("send_migration_config", argument,
                      "destination_url=unix:<path>|tcp:<host>:<port>[,local=on][,preserve_source=on]"
                      "[,downtime_ms=<ms>][,timeout_s=<s>][,timeout_strategy=cancel|ignore]"
                      " (or just the URL)")
          ->required();
      // Older ch-remote: send-migration [--local] <url>.
      sub->add_flag("--local", local_flag, "Pass the memory as file descriptors (same host)");
    } else if (c.name == "receive-migration") {
      sub->add_option("receive_migration_config", argument,
                      "receiver_url=unix:<path>|tcp:<host>:<port> (or just the URL)")
          ->required();
    }
  }
  app.require_subcommand(1, 1);
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    RemoteOutput r;
    r.out = app.help();
    return r;
  } catch (const CLI::ParseError& e) {
    return Fail(e.what());
  }
  if (socket.empty()) return Fail("--api-socket <path> is required");
  const RemoteCommand* command = FindRemoteCommand(app.get_subcommands().front()->get_name());
  if (command == nullptr) return Fail("unknown command");

  std::string body;
  std::vector<int> fds;  // sent with the request (SCM_RIGHTS), as ch-remote does
  if (command->name == "create") {
    Result<std::string> config = ReadConfig(config_path, stdin_stream);
    if (!config.ok()) return Fail(config.error().message());
    body = std::move(config).value();
  } else if (command->name == "snapshot") {
    body = config::SnapshotConfigToJson({argument});
  } else if (command->name == "restore") {
    Result<config::RestoreConfig> restore = config::ParseRestore(argument);
    if (!restore.ok()) return Fail(restore.error().message());
    body = config::RestoreConfigToJson(*restore);
    fds = config::AllFds(restore->net_fds);
  } else if (command->name == "send-migration") {
    Result<config::SendMigrationConfig> send = config::ParseSendMigration(argument);
    if (!send.ok()) return Fail(send.error().message());
    send->local = send->local || local_flag;
    body = config::SendMigrationConfigToJson(*send);
  } else if (command->name == "receive-migration") {
    Result<config::ReceiveMigrationConfig> receive = config::ParseReceiveMigration(argument);
    if (!receive.ok()) return Fail(receive.error().message());
    body = config::ReceiveMigrationConfigToJson(*receive);
  }
  Result<ApiResponse> response = SendApiRequest(socket, command->method, command->endpoint, body,
                                                kDefaultClientTimeoutMs, fds);
  if (!response.ok()) return Fail(response.error().message());
  if (!response->ok()) {
    std::string line = "server answered " + std::to_string(response->status) + " " +
                       std::string(ReasonPhrase(response->status));
    if (!response->body.empty()) line += ": " + DescribeErrorBody(response->body);
    return Fail(line);
  }
  RemoteOutput r;
  if (command->prints_body && !response->body.empty()) r.out = response->body + "\n";
  return r;
}

}  // namespace

const RemoteCommand* FindRemoteCommand(std::string_view name) {
  for (const RemoteCommand& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

RemoteOutput RunRemote(int argc, const char* const* argv) {
  return RunRemote(argc, argv, std::cin);
}

RemoteOutput RunRemote(int argc, const char* const* argv, std::istream& stdin_stream) {
  try {
    return Run(argc, argv, stdin_stream);
  } catch (const std::exception& e) {
    return Fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail("internal error");
  }
}

}  // namespace petrel::api
