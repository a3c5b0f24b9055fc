// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// petrel-remote's command line: ch-remote's command names over the API socket.
//
//   petrel-remote --api-socket <path> <command>
//   commands (ch-remote's): ping, info, counters, create [<path>|-], boot,
//   pause, resume, power-button, nmi, reboot, shutdown, delete, shutdown-vmm,
//   snapshot, restore, send-migration, receive-migration, resize --cpus <n>,
//   resize-disk --disk <id> --size <size>, resize-zone --id <id> --size <size>
//
// create sends the VmConfig JSON read from <path>, or from stdin when the
// path is "-" or absent (as ch-remote). ping, info and counters print the
// JSON body (one line) to stdout. Exit status 0 when
// the server answers 2xx; otherwise 1 and one line on stderr,
// "petrel-remote: error: ..." (a missing socket, a refused connection, or the
// server's status and its error messages). --help, and no arguments at all,
// print the usage (exit 0); -V/--version the version. Called as ch-remote
// (the drop-in name, vmm/build_info.h) it answers --version in ch-remote's
// format and uses its exit codes: 2 for a usage error and for no arguments
// (whose help goes to stderr), 1 for every other failure.
#pragma once

#include <istream>
#include <span>
#include <string>
#include <string_view>

namespace petrel::api {

struct RemoteCommand {
  std::string_view name;      // ch-remote's command name
  std::string_view method;    // "GET" or "PUT"
  std::string_view endpoint;  // after /api/v1/
  bool prints_body;
  std::string_view summary;  // for --help and the man page
};

// The command table, in ch-remote's order; the key=value arguments of
// restore, send-migration and receive-migration are in the option table
// (vmm/config/option_table.h, RemoteArguments()).
std::span<const RemoteCommand> RemoteCommands();
// The command table's entry; null for an unknown name.
const RemoteCommand* FindRemoteCommand(std::string_view name);

struct RemoteOutput {
  int exit_code = 0;
  std::string out;  // for stdout, newline-terminated or empty
  std::string err;  // for stderr, newline-terminated or empty
};

// Never throws; argv[0] is the name it was called by. `create -` reads `stdin_stream` (the
// first form: std::cin).
RemoteOutput RunRemote(int argc, const char* const* argv);
RemoteOutput RunRemote(int argc, const char* const* argv, std::istream& stdin_stream);

}  // namespace petrel::api
