// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ParseCommandLine: CLI11 reads argv with Cloud Hypervisor's option names;
// the option strings go through the vm_config parsers. Every CLI11 exception
// is caught here and turned into one "petrel: error: ..." line.
#include "vmm/config/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <exception>
#include <string_view>
#include <vector>

#include "vmm/config/device_ids.h"
#include "vmm/config/option_parser.h"
#include "vmm/config/option_table.h"
#include "vmm/migration/protocol.h"


namespace petrel::config {
namespace {

constexpr std::string_view kErrorPrefix = "petrel: error: ";

CliOutcome Exit(int code, std::string message) {
  CliOutcome out;
  out.action = CliOutcome::Action::kExit;
  out.exit_code = code;
  out.message = std::move(message);
  return out;
}

// CLI11 messages may span lines; the user gets one.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

CliOutcome Fail(std::string_view message) {
  return Exit(1, std::string(kErrorPrefix) + OneLine(message));
}

// The raw strings CLI11 fills in; empty means "not given".
struct RawArgs {
  std::string kernel, initramfs, cmdline, cpus, memory, serial, console, log_file, api_socket,
      event_monitor, rng, balloon, restore, record_io, seccomp, vsock, tpm;
  std::vector<std::string> disks, nets, landlock_rules, rate_limit_groups, memory_zones, numa, pmems;
  int verbosity = 0;
  bool version = false;
  bool test_device = false;
  bool landlock = false;
  bool pvpanic = false;
  bool watchdog = false;
};

// One option's --help line, from the option table: its summary, the forms
// of its keys, and its default.
std::string Describe(std::string_view name) {
  const OptionDoc& doc = Option(name);
  std::string text(doc.summary);
  if (!doc.keys.empty()) text += " " + KeySyntax(doc);
  if (!doc.fallback.empty()) text += " (default " + std::string(doc.fallback) + ")";
  return text;
}

CLI::Option* AddOption(CLI::App& app, std::string_view name, std::string& target) {
  return app.add_option(std::string(name), target, Describe(name))
      ->type_name(std::string(Option(name).value));
}

CLI::Option* AddOption(CLI::App& app, std::string_view name, std::vector<std::string>& target) {
  return app.add_option(std::string(name), target, Describe(name))
      ->type_name(std::string(Option(name).value));
}

void DefineOptions(CLI::App& app, RawArgs& raw) {
  app.set_help_flag("-h,--help", Describe("--help"));
  AddOption(app, "--kernel", raw.kernel);
  AddOption(app, "--initramfs", raw.initramfs);
  AddOption(app, "--cmdline", raw.cmdline);
  AddOption(app, "--cpus", raw.cpus);
  AddOption(app, "--memory", raw.memory);
  AddOption(app, "--memory-zone", raw.memory_zones);
  AddOption(app, "--numa", raw.numa);
  AddOption(app, "--serial", raw.serial);
  AddOption(app, "--console", raw.console);
  AddOption(app, "--disk", raw.disks);
  AddOption(app, "--pmem", raw.pmems);
  AddOption(app, "--vsock", raw.vsock);
  AddOption(app, "--tpm", raw.tpm);
  AddOption(app, "--rate-limit-group", raw.rate_limit_groups);
  AddOption(app, "--net", raw.nets);
  AddOption(app, "--rng", raw.rng);
  AddOption(app, "--balloon", raw.balloon);
  AddOption(app, "--api-socket", raw.api_socket);
  AddOption(app, "--event-monitor", raw.event_monitor);
  AddOption(app, "--restore", raw.restore);
  AddOption(app, "--record-io", raw.record_io);
  AddOption(app, "--seccomp", raw.seccomp);
  app.add_flag("--landlock", raw.landlock, Describe("--landlock"));
  AddOption(app, "--landlock-rules", raw.landlock_rules);
  app.add_flag("--pvpanic", raw.pvpanic, Describe("--pvpanic"));
  app.add_flag("--watchdog", raw.watchdog, Describe("--watchdog"));
  app.add_flag("--test-device", raw.test_device, Describe("--test-device"));
  app.add_flag("-v", raw.verbosity, Describe("-v"));
  AddOption(app, "--log-file", raw.log_file);
  app.add_flag("-V,--version", raw.version, Describe("--version"));
  app.allow_extras();  // reported below as "unknown option", one at a time
}

// Runs CLI11 over argv[1..argc); CLI11 wants the arguments in reverse order.
void RunCli11(CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
  app.parse(args);
}

// Maps a CLI11 parse error to our one-line wording where we know the case.
std::string DescribeCli11Error(const CLI::ParseError& e) {
  const std::string what = OneLine(e.what());
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    // CLI11 2.1 says "--kernel: 1 required <path> missing" and
    // "--memory: At Most 1 required but received 2".
    std::string lower = what;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string option = what.substr(0, what.find(':'));
    if (lower.find("missing") != std::string::npos) return option + ": needs a value";
    if (lower.find("at most") != std::string::npos) {
      return option + ": given more than once (give each option once)";
    }
  }
  return what;
}

}  // namespace

std::string VersionText(const build_info::ProgramName& program) {
  using vmm::migration::kCurrentProtocolVersion;
  std::string versions = std::to_string(kCurrentProtocolVersion);
  if (kCurrentProtocolVersion > 0) versions += ", " + std::to_string(kCurrentProtocolVersion - 1);
  return program.VersionText(versions);
}

namespace {

CliOutcome UsageError(const build_info::ProgramName& program, std::string_view message) {
  CliOutcome out = Fail(message);
  out.exit_code = program.UsageErrorStatus();
  return out;
}

CliOutcome ParseArguments(int argc, const char* const* argv,
                          const build_info::ProgramName& program) {
  try {
    CLI::App app("Petrel: a virtual machine monitor (Cloud Hypervisor compatible options)",
                 program.name);
    RawArgs raw;
    DefineOptions(app, raw);
    auto help = [&app] {
      std::string text = app.help();
      while (!text.empty() && text.back() == '\n') text.pop_back();
      return text;
    };
    if (argv == nullptr || argc <= 1) {
      // No arguments: the help, as Cloud Hypervisor prints it (clap's
      // arg_required_else_help: stderr, status 2 under its name).
      return Exit(program.cloud_hypervisor ? 2 : 0, help());
    }
    try {
      RunCli11(app, argc, argv);
    } catch (const CLI::CallForHelp&) {
      return Exit(0, help());
    } catch (const CLI::ParseError& e) {
      return UsageError(program, DescribeCli11Error(e));
    }

    if (raw.version) {
      CliOutcome out = Exit(0, VersionText(program));
      out.options.version = true;
      return out;
    }
    const std::vector<std::string> extras = app.remaining();
    if (!extras.empty()) {
      const std::string& first = extras.front();
      if (first.size() > 1 && first[0] == '-') {
        return UsageError(program, "unknown option '" + EscapeForMessage(first) + "' (see --help)");
      }
      return UsageError(program, "unexpected argument '" + EscapeForMessage(first) +
                                     "' (options take the form --name <value>; see --help)");
    }

    CliOutcome out;
    out.action = CliOutcome::Action::kRun;
    CliOptions& options = out.options;
    options.verbosity = raw.verbosity;
    options.log_file = raw.log_file;
    VmConfig& vm = options.vm;
    vm.payload = {raw.kernel, raw.initramfs, raw.cmdline};
    // An option given as "" (e.g. --cpus "") is passed on, so the parser
    // reports it as empty rather than silently using the default.
    if (app.count("--cpus") != 0) {
      auto cpus = ParseCpus(raw.cpus);
      if (!cpus.ok()) return Fail(cpus.error().message());
      vm.cpus = *cpus;
    }
    if (app.count("--memory") != 0) {
      auto memory = ParseMemory(raw.memory, raw.memory_zones);
      if (!memory.ok()) return Fail(memory.error().message());
      vm.memory = *memory;
    } else if (app.count("--memory-zone") != 0 && app.count("--restore") == 0) {
      // CH: zones with the default --memory size=512M are refused.
      return Fail("--memory-zone: needs --memory size=0 (the zones are then the guest's RAM)");
    }
    for (const std::string& text : raw.numa) {
      auto node = ParseNuma(text);
      if (!node.ok()) return Fail(node.error().message());
      vm.numa.push_back(*node);
    }
    if (app.count("--serial") != 0) {
      auto serial = ParseSerial(raw.serial);
      if (!serial.ok()) return Fail(serial.error().message());
      vm.serial = *serial;
    }
    if (app.count("--console") != 0) {
      auto console = ParseConsole(raw.console);
      if (!console.ok()) return Fail(console.error().message());
      vm.console = *console;
    }
    for (const std::string& text : raw.disks) {
      auto disk = ParseDisk(text);
      if (!disk.ok()) return Fail(disk.error().message());
      vm.disks.push_back(*disk);
    }
    for (const std::string& text : raw.nets) {
      auto net = ParseNet(text);
      if (!net.ok()) return Fail(net.error().message());
      vm.nets.push_back(*net);
    }
    if (app.count("--tpm") != 0) {
      auto tpm = ParseTpm(raw.tpm);
      if (!tpm.ok()) return Fail(tpm.error().message());
      vm.tpm = *tpm;
    }
    if (app.count("--vsock") != 0) {
      auto vsock = ParseVsock(raw.vsock);
      if (!vsock.ok()) return Fail(vsock.error().message());
      vm.vsock = *vsock;
    }
    for (const std::string& text : raw.pmems) {
      auto pmem = ParsePmem(text);
      if (!pmem.ok()) return Fail(pmem.error().message());
      vm.pmem.push_back(*pmem);
    }
    if (app.count("--rng") != 0) {
      auto rng = ParseRng(raw.rng);
      if (!rng.ok()) return Fail(rng.error().message());
      vm.rng = *rng;
    }
    if (app.count("--balloon") != 0) {
      auto balloon = ParseBalloon(raw.balloon);
      if (!balloon.ok()) return Fail(balloon.error().message());
      vm.balloon = *balloon;
    }
    for (const std::string& text : raw.rate_limit_groups) {
      auto group = ParseRateLimitGroup(text);
      if (!group.ok()) return Fail(group.error().message());
      vm.rate_limit_groups.push_back(*group);
    }
    vm.test_device = raw.test_device;
    vm.landlock_enable = raw.landlock;
    vm.pvpanic = raw.pvpanic;
    vm.watchdog = raw.watchdog;
    for (const std::string& text : raw.landlock_rules) {
      auto rule = ParseLandlockRule(text);
      if (!rule.ok()) return Fail(rule.error().message());
      vm.landlock_rules.push_back(*rule);
    }
    if (app.count("--api-socket") != 0) {
      auto api_socket = ParseApiSocket(raw.api_socket);
      if (!api_socket.ok()) return Fail(api_socket.error().message());
      options.api_socket = *api_socket;
    }
    if (app.count("--event-monitor") != 0) {
      auto event_monitor = ParseEventMonitor(raw.event_monitor);
      if (!event_monitor.ok()) return Fail(event_monitor.error().message());
      options.event_monitor = *event_monitor;
    }
    if (app.count("--seccomp") != 0) {
      auto mode = isolation::ParseSeccompMode(raw.seccomp);
      if (!mode.ok()) return Fail(mode.error().message());
      options.seccomp = *mode;
    }
    if (app.count("--log-file") != 0 && raw.log_file.empty()) {
      return Fail("--log-file: needs a value");
    }
    if (app.count("--record-io") != 0) {
      if (raw.record_io.empty()) return Fail("--record-io: needs a file path");
      options.record_io = raw.record_io;
    }
    if (app.count("--restore") != 0) {
      // As CH: the snapshot holds the VM's config, so no VM option goes
      // with --restore.
      for (const char* vm_option : {"--kernel", "--initramfs", "--cmdline", "--cpus", "--memory",
                                    "--memory-zone", "--numa", "--serial", "--console", "--disk", "--net", "--rng", "--balloon", "--pmem", "--vsock", "--rate-limit-group", "--landlock",
                                    "--landlock-rules", "--pvpanic", "--watchdog", "--tpm"}) {
        if (app.count(vm_option) != 0) {
          return Fail(std::string("--restore: cannot be combined with ") + vm_option +
                      " (the snapshot holds the VM's config)");
        }
      }
      auto restore = ParseRestore(raw.restore);
      if (!restore.ok()) return Fail(restore.error().message());
      options.restore = *restore;
      options.has_vm = false;
      return out;
    }
    if (vm.payload.kernel.empty() && options.api_socket) {
      options.has_vm = false;  // an empty VMM: the API creates the VM
      return out;
    }
    auto valid = ValidateVmConfig(vm);
    if (!valid.ok()) return Fail(valid.error().message());
    auto ids = CheckDeviceIds(vm);
    if (!ids.ok()) return Fail(ids.error().message());
    AssignDeviceIds(vm);
    return out;
  } catch (const std::exception& e) {
    return Fail(std::string("internal error while reading the command line: ") + e.what());
  } catch (...) {
    return Fail("internal error while reading the command line");
  }
}

}  // namespace

CliOutcome ParseCommandLine(int argc, const char* const* argv) {
  const build_info::ProgramName program = build_info::IdentifyProgram(
      argv != nullptr && argc > 0 ? argv[0] : nullptr, "petrel", "cloud-hypervisor");
  CliOutcome outcome = ParseArguments(argc, argv, program);
  outcome.program = program;
  return outcome;
}

}  // namespace petrel::config
