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

#ifndef PETREL_VERSION
#error "PETREL_VERSION must be defined by the build (PROJECT_VERSION)"
#endif

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
      event_monitor, rng, restore, record_io, seccomp;
  std::vector<std::string> disks, nets, landlock_rules, rate_limit_groups;
  int verbosity = 0;
  bool version = false;
  bool test_device = false;
  bool landlock = false;
};

void DefineOptions(CLI::App& app, RawArgs& raw) {
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.add_option("--kernel", raw.kernel, "Kernel to boot: a PVH ELF (vmlinux) or a bzImage")
      ->type_name("<path>");
  app.add_option("--initramfs", raw.initramfs, "Initial RAM disk loaded with the kernel")
      ->type_name("<path>");
  app.add_option("--cmdline", raw.cmdline, "Kernel command line")->type_name("<text>");
  app.add_option("--cpus", raw.cpus,
                 "vCPUs: boot=<boot_vcpus>,max=<max_vcpus> (default boot=1; max defaults "
                 "to boot, at most 254)")
      ->type_name("<spec>");
  app.add_option("--memory", raw.memory,
                 "Guest RAM: size=<size> with an optional K, M, G or T suffix "
                 "(default size=512M)")
      ->type_name("<spec>");
  app.add_option("--serial", raw.serial,
                 "Legacy 8250 UART at 0x3f8: off|null|pty|tty|file=<path>|socket=<path> "
                 "(default null)")
      ->type_name("<mode>");
  app.add_option("--console", raw.console,
                 "virtio-console: off|null|pty|tty|file=<path>|socket=<path> (default tty)")
      ->type_name("<mode>");
  app.add_option("--disk", raw.disks,
                 "virtio-blk disk, repeatable: path=<file>,readonly=on|off,direct=on|off,"
                 "num_queues=<n>,queue_size=<n>,serial=<id>,id=<name>,bw_size=<bytes>,"
                 "bw_one_time_burst=<bytes>,bw_refill_time=<ms>,ops_size=<n>,"
                 "ops_one_time_burst=<n>,ops_refill_time=<ms>,rate_limit_group=<id>")
      ->type_name("<spec>");
  app.add_option("--rate-limit-group", raw.rate_limit_groups,
                 "A rate limiter disks share (--disk rate_limit_group=<id>), repeatable: "
                 "id=<name>,bw_size=<bytes>,bw_one_time_burst=<bytes>,bw_refill_time=<ms>,"
                 "ops_size=<n>,ops_one_time_burst=<n>,ops_refill_time=<ms>")
      ->type_name("<spec>");
  app.add_option("--net", raw.nets,
                 "virtio-net on a tap, repeatable: tap=<if> or fd=[<fd>,...],ip=<ip>,mask=<mask>,mac=<mac>,"
                 "host_mac=<mac>,mtu=<n>,num_queues=<n>,queue_size=<n>,offload_tso=on|off,"
                 "offload_ufo=on|off,offload_csum=on|off,id=<name>")
      ->type_name("<spec>");
  app.add_option("--rng", raw.rng, "virtio-rng: src=<path> (default src=/dev/urandom)")
      ->type_name("<spec>");
  app.add_option("--api-socket", raw.api_socket,
                 "HTTP API socket (UNIX domain socket): path=<path>, fd=<n> or a path")
      ->type_name("<spec>");
  app.add_option("--event-monitor", raw.event_monitor,
                 "Where to report VMM and VM events (JSON): path=<path> or fd=<n>")
      ->type_name("<spec>");
  app.add_option("--restore", raw.restore,
                 "Restore a VM from a snapshot: source_url=file:///<dir>[,prefault=on]"
                 "[,memory_restore_mode=copy|ondemand][,resume=true][,net_fds=[<net id>@[<fd>,...],...]]")
      ->type_name("<spec>");
  app.add_option("--record-io", raw.record_io,
                 "Petrel only: record every guest device access to this file when the VMM "
                 "exits (docs/record-replay.md)")
      ->type_name("<path>");
  app.add_option("--seccomp", raw.seccomp,
                 "Confine each thread to its system calls: true (a forbidden call ends the "
                 "VMM with a report), log (the kernel logs it, it runs), errno (it fails "
                 "with EPERM) or false (default true)")
      ->type_name("<mode>");
  app.add_flag("--landlock", raw.landlock,
               "Confine the VMM to the files its VM configuration names, when the VM is "
               "built (Landlock; docs/security.md)");
  app.add_option("--landlock-rules", raw.landlock_rules,
                 "More paths --landlock allows, repeatable: path=<file or directory>,"
                 "access=r|w|rw")
      ->type_name("<spec>");
  app.add_flag("--test-device", raw.test_device,
               "Petrel only: add the test guests' device (docs/test-guests.md)");
  app.add_flag("-v", raw.verbosity,
               "More log output; repeat for more (-v info, -vv debug, -vvv trace)");
  app.add_option("--log-file", raw.log_file, "Write the log to this file instead of stderr")
      ->type_name("<path>");
  app.add_flag("-V,--version", raw.version, "Print the version and exit");
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

std::string VersionText() {
  return std::string("petrel ") + PETREL_VERSION;
}

CliOutcome ParseCommandLine(int argc, const char* const* argv) {
  try {
    CLI::App app("Petrel: a virtual machine monitor (Cloud Hypervisor compatible options)",
                 "petrel");
    RawArgs raw;
    DefineOptions(app, raw);
    try {
      if (argv != nullptr) RunCli11(app, argc, argv);
    } catch (const CLI::CallForHelp&) {
      std::string help = app.help();
      while (!help.empty() && help.back() == '\n') help.pop_back();
      return Exit(0, std::move(help));
    } catch (const CLI::ParseError& e) {
      return Fail(DescribeCli11Error(e));
    }

    if (raw.version) {
      CliOutcome out = Exit(0, VersionText());
      out.options.version = true;
      return out;
    }
    const std::vector<std::string> extras = app.remaining();
    if (!extras.empty()) {
      const std::string& first = extras.front();
      if (first.size() > 1 && first[0] == '-') {
        return Fail("unknown option '" + EscapeForMessage(first) + "' (see --help)");
      }
      return Fail("unexpected argument '" + EscapeForMessage(first) +
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
      auto memory = ParseMemory(raw.memory);
      if (!memory.ok()) return Fail(memory.error().message());
      vm.memory = *memory;
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
    if (app.count("--rng") != 0) {
      auto rng = ParseRng(raw.rng);
      if (!rng.ok()) return Fail(rng.error().message());
      vm.rng = *rng;
    }
    for (const std::string& text : raw.rate_limit_groups) {
      auto group = ParseRateLimitGroup(text);
      if (!group.ok()) return Fail(group.error().message());
      vm.rate_limit_groups.push_back(*group);
    }
    vm.test_device = raw.test_device;
    vm.landlock_enable = raw.landlock;
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
                                    "--serial", "--console", "--disk", "--net", "--rng", "--rate-limit-group", "--landlock",
                                    "--landlock-rules"}) {
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

}  // namespace petrel::config
