// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The petrel command line: Cloud Hypervisor's option names and defaults,
// parsed with CLI11 into a VmConfig plus the logging options.
//
//   petrel --kernel <path> [--initramfs <path>] [--cmdline <text>]
//          [--cpus boot=<n>,max=<n>] [--memory size=<size>]
//          [--serial <mode>] [--console <mode>] [--api-socket <spec>]
//          [--event-monitor path=<path>|fd=<n>]
//          [--landlock] [--landlock-rules path=<path>,access=r|w|rw ...]
//   petrel --restore source_url=file:///<dir>[,...] [--api-socket <spec>] ...
//          [-v]... [--log-file <path>] [-V|--version] [-h|--help]
//
// ParseCommandLine never throws and never prints. The caller acts on the
// outcome:
//   kRun:  start the VM described by `options`.
//   kExit: print `message` (one line for errors, prefixed "petrel: error: ";
//          the help text or the version otherwise) to stderr if
//          exit_code != 0, else to stdout, followed by a newline; then exit
//          with exit_code: 0 for --help, --version, and petrel with no
//          arguments (its help); 1 for a bad value. A usage error (unknown
//          option, missing value) is 1 as petrel and 2 when called as
//          cloud-hypervisor, which with no arguments prints its help to
//          stderr with status 2, as Cloud Hypervisor (clap) does.
// Paths are not opened here: the VMM reports missing files when loading them,
// as CH does.
#pragma once

#include <optional>
#include <string>

#include "core/isolation/seccomp_mode.h"
#include "vmm/build_info.h"
#include "vmm/config/api_socket.h"
#include "vmm/config/event_monitor_config.h"
#include "vmm/config/snapshot_config.h"
#include "vmm/config/vm_config.h"

namespace petrel::config {

struct CliOptions {
  // Whether the command line describes a VM (it names a kernel). Without
  // one, --api-socket alone starts an empty VMM that waits for vm.create,
  // as Cloud Hypervisor does; the VM options are then not read.
  bool has_vm = true;
  VmConfig vm;
  int verbosity = 0;  // the -v count: 0 warn, 1 info, 2 debug, 3+ trace
  std::string log_file;
  bool version = false;
  std::optional<ApiSocketConfig> api_socket;        // --api-socket; absent: no API server
  std::optional<EventMonitorConfig> event_monitor;  // --event-monitor; absent: no events
  // --restore: the VM comes from a snapshot (has_vm is false; the VM options
  // are refused with it).
  std::optional<RestoreConfig> restore;
  // --record-io: where to write the trace of every guest device access
  // (core/io/io_trace.h) when the VMM exits. Petrel's own option.
  std::optional<std::string> record_io;
  // --seccomp: how each thread is confined (core/isolation/seccomp.h); a
  // VMM-wide option, as in Cloud Hypervisor, not part of the VM's config.
  isolation::SeccompMode seccomp = isolation::DefaultSeccompMode();
};

struct CliOutcome {
  enum class Action { kRun, kExit } action = Action::kExit;
  int exit_code = 0;
  std::string message;  // no trailing newline
  CliOptions options;
  // The name the VMM was called by; main maps its exit statuses through it.
  build_info::ProgramName program;
};

// argv[0] is the name the program was called by: "cloud-hypervisor" (the
// drop-in name, vmm/build_info.h) changes --version and the exit codes;
// messages always say "petrel".
CliOutcome ParseCommandLine(int argc, const char* const* argv);

// --version's text for that name, with the migration protocol versions
// this VMM accepts (a second line, as Cloud Hypervisor prints them).
std::string VersionText(const build_info::ProgramName& program);

}  // namespace petrel::config
