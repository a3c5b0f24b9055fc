// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
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
#include "vmm/build_info.h"
#include "vmm/config/migration_config.h"
#include "vmm/config/option_table.h"
#include "vmm/config/hotplug_request.h"
#include "vmm/config/resize_config.h"
#include "vmm/config/snapshot_config.h"

namespace petrel::api {
namespace {

constexpr RemoteCommand kCommands[] = {
    {"ping", "GET", "vmm.ping", true, "Print the VMM's version, pid and features (JSON)."},
    {"info", "GET", "vm.info", true, "Print the VM's configuration, state and devices (JSON)."},
    {"counters", "GET", "vm.counters", true, "Print the devices' counters (JSON)."},
    {"create", "PUT", "vm.create", false,
     "Create the VM from a VmConfig JSON file, or from standard input for - (the default)."},
    {"boot", "PUT", "vm.boot", false, "Boot the created VM."},
    {"pause", "PUT", "vm.pause", false, "Pause every vCPU."},
    {"resume", "PUT", "vm.resume", false, "Resume a paused VM."},
    {"power-button", "PUT", "vm.power-button", false,
     "Press the ACPI power button (the guest shuts down)."},
    {"nmi", "PUT", "vm.nmi", false, "Inject an NMI into every vCPU."},
    {"reboot", "PUT", "vm.reboot", false, "Reboot the VM."},
    {"shutdown", "PUT", "vm.shutdown", false, "Stop the VM (it can be booted again)."},
    {"delete", "PUT", "vm.delete", false, "Delete the VM; the VMM stays, empty."},
    {"shutdown-vmm", "PUT", "vmm.shutdown", false, "Stop the VM and end the VMM process."},
    {"snapshot", "PUT", "vm.snapshot", false,
     "Write a snapshot of the paused VM to file:///<dir>."},
    {"restore", "PUT", "vm.restore", false, "Restore a snapshot into an empty VMM."},
    {"send-migration", "PUT", "vm.send-migration", false,
     "Migrate the VM to a VMM waiting in receive-migration."},
    {"receive-migration", "PUT", "vm.receive-migration", false,
     "Wait for a migrating VM (in an empty VMM)."},
    {"resize", "PUT", "vm.resize", false,
     "Resize the VM: --cpus <count> plugs or unplugs vCPUs (up to --cpus max)."},
    {"resize-disk", "PUT", "vm.resize-disk", false,
     "Grow a disk: --disk <id> --size <size> (raw images)."},
    {"resize-zone", "PUT", "vm.resize-zone", false,
     "Resize a memory zone: --id <zone id> --size <size> (not supported by Petrel yet)."},
    {"add-disk", "PUT", "vm.add-disk", true,
     "Hot-plug a disk, given as to --disk (path=<image>,id=<id>,...)."},
    {"add-net", "PUT", "vm.add-net", true,
     "Hot-plug a network device, given as to --net (tap=<if>,mac=<mac>,...)."},
    {"add-pmem", "PUT", "vm.add-pmem", true,
     "Hot-plug a virtio-pmem device, given as to --pmem (file=<path>,discard_writes=on,...)."},
    {"add-vsock", "PUT", "vm.add-vsock", true,
     "Hot-plug the virtio-vsock device, given as to --vsock (cid=<n>,socket=<path>)."},
    {"remove-device", "PUT", "vm.remove-device", false,
     "Hot-unplug the device with this id (the guest ejects it)."},
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
  const build_info::ProgramName program = build_info::IdentifyProgram(
      argv != nullptr && argc > 0 ? argv[0] : nullptr, "petrel-remote", "ch-remote");
  CLI::App app("petrel-remote: control a running petrel over its API socket", program.name);
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.set_version_flag("-V,--version", program.VersionText(), "Print the version and exit");
  std::string socket;
  app.add_option("--api-socket", socket, "The API socket of the petrel to control")
      ->type_name("<path>");
  std::string config_path = "-";
  std::string argument;  // snapshot's destination URL, restore's option string, a migration URL
  bool local_flag = false;
  std::string resize_cpus, resize_memory, resize_balloon;  // resize's flags
  std::string resize_disk_id, resize_disk_size;             // resize-disk's
  std::string resize_zone_id, resize_zone_size;             // resize-zone's
  for (const RemoteCommand& c : kCommands) {
    CLI::App* sub = app.add_subcommand(std::string(c.name),
                                       std::string(c.method) + " /api/v1/" + std::string(c.endpoint));
    if (c.name == "create") {
      sub->add_option("path", config_path, "The VmConfig JSON file ('-': stdin, the default)");
    } else if (c.name == "resize") {
      sub->add_option("--cpus", resize_cpus, "The number of vCPUs")->type_name("<count>");
      sub->add_option("--memory", resize_memory, "The memory size (not supported by Petrel yet)")
          ->type_name("<size>");
      sub->add_option("--balloon", resize_balloon, "The balloon size (not supported by Petrel yet)")
          ->type_name("<size>");
    } else if (c.name == "resize-disk") {
      sub->add_option("--disk", resize_disk_id, "The disk's id (vm.info)")->type_name("<id>");
      sub->add_option("--size", resize_disk_size, "Its new size")->type_name("<size>");
    } else if (c.name == "resize-zone") {
      sub->add_option("--id", resize_zone_id, "The memory zone's id (--memory-zone id=)")
          ->type_name("<id>");
      sub->add_option("--size", resize_zone_size, "Its new size (K, M, G suffixes)")
          ->type_name("<size>");
    } else if (c.name == "snapshot") {
      sub->add_option("destination_url", argument, "Where to write it: file:///<dir>")->required();
    } else if (c.name == "add-disk") {
      sub->add_option("disk_config", argument, "The disk, as to --disk")->required();
    } else if (c.name == "add-net") {
      sub->add_option("net_config", argument, "The network device, as to --net")->required();
    } else if (c.name == "add-pmem") {
      sub->add_option("pmem_config", argument, "The pmem device, as to --pmem")->required();
    } else if (c.name == "add-vsock") {
      sub->add_option("vsock_config", argument, "The vsock device, as to --vsock")->required();
    } else if (c.name == "remove-device") {
      sub->add_option("id", argument, "The device's id (vm.info)")->required();
    } else if (const config::OptionDoc& doc = config::Option(c.name); !doc.keys.empty()) {
      // restore, send-migration, receive-migration: a key=value string
      // whose keys are in the option table.
      std::string name(doc.value.substr(1, doc.value.size() - 2));  // "<restore_config>"
      sub->add_option(name, argument, config::KeySyntax(doc))->required();
      // Older ch-remote: send-migration [--local] <url>.
      if (c.name == "send-migration") {
        sub->add_flag("--local", local_flag, "Pass the memory as file descriptors (same host)");
      }
    }
  }
  app.require_subcommand(1, 1);
  if (argv == nullptr || argc <= 1) {
    // No arguments: the help, as ch-remote prints it (clap's
    // arg_required_else_help: stderr and status 2 under its name).
    RemoteOutput r;
    (program.cloud_hypervisor ? r.err : r.out) = app.help();
    r.exit_code = program.cloud_hypervisor ? 2 : 0;
    return r;
  }
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    RemoteOutput r;
    r.out = app.help();
    return r;
  } catch (const CLI::CallForVersion& e) {
    RemoteOutput r;
    r.out = std::string(e.what()) + "\n";
    return r;
  } catch (const CLI::ParseError& e) {
    RemoteOutput r = Fail(e.what());
    r.exit_code = program.UsageErrorStatus();
    return r;
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
  } else if (command->name == "resize") {
    Result<config::ResizeRequest> resize =
        config::ParseResizeFlags(resize_cpus, resize_memory, resize_balloon);
    if (!resize.ok()) return Fail(resize.error().message());
    body = config::ResizeRequestToJson(*resize);
  } else if (command->name == "resize-disk") {
    Result<config::ResizeDiskRequest> resize =
        config::ParseResizeDiskFlags(resize_disk_id, resize_disk_size);
    if (!resize.ok()) return Fail(resize.error().message());
    body = config::ResizeDiskRequestToJson(*resize);
  } else if (command->name == "resize-zone") {
    Result<config::ResizeZoneRequest> resize =
        config::ParseResizeZoneFlags(resize_zone_id, resize_zone_size);
    if (!resize.ok()) return Fail(resize.error().message());
    body = config::ResizeZoneRequestToJson(*resize);
  } else if (command->name == "add-disk" || command->name == "add-net") {
    Result<std::string> add = command->name == "add-disk"
                                  ? config::AddDiskBodyFromOption(argument)
                                  : config::AddNetBodyFromOption(argument);
    if (!add.ok()) return Fail(add.error().message());
    body = std::move(add).value();
    if (command->name == "add-net") {
      // fd=[3,4]: this process's taps, sent with the request as ch-remote does.
      Result<std::vector<int>> tap_fds = config::AddNetFdsFromOption(argument);
      if (!tap_fds.ok()) return Fail(tap_fds.error().message());
      fds = std::move(tap_fds).value();
    }
  } else if (command->name == "add-pmem") {
    Result<std::string> add = config::AddPmemBodyFromOption(argument);
    if (!add.ok()) return Fail(add.error().message());
    body = std::move(add).value();
  } else if (command->name == "add-vsock") {
    Result<std::string> add = config::AddVsockBodyFromOption(argument);
    if (!add.ok()) return Fail(add.error().message());
    body = std::move(add).value();
  } else if (command->name == "remove-device") {
    body = config::RemoveDeviceRequestToJson({argument});
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

std::span<const RemoteCommand> RemoteCommands() { return kCommands; }

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
