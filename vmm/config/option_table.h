// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The option table: every command-line option of petrel, and every argument
// of petrel-remote's commands, with each key=value sub-option, its default
// and its meaning. It is the one home of these facts:
//   - the parsers take their known keys from it (OptionParser(Option(...)));
//   - petrel's --help is built from it (cli.cc);
//   - the man pages and shell completions are generated from it at build
//     time (vmm/docs: petrel-docgen), so they cannot drift from the code.
// OptionTableTest checks that each parser accepts every key listed here and
// that each "not yet" key is refused with a message.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace petrel::config {

struct KeyDoc {
  std::string_view key;
  // The value's form, e.g. "<path>", "on|off"; empty for a key given alone
  // (the mode words of --serial: "tty", "off", ...).
  std::string_view value;
  std::string_view fallback;  // the default as a user would type it; "" = none
  std::string_view help;
  // Cloud Hypervisor's key that Petrel parses but refuses for now, so a
  // user gets "not supported by Petrel yet" rather than "unknown key".
  bool refused = false;
};

struct OptionDoc {
  std::string_view name;   // "--disk"; petrel-remote's arguments: the command, "restore"
  std::string_view alias;  // a short form ("-v", "-V"), or ""
  // The value's form ("<spec>", "<path>"); empty for a flag.
  std::string_view value;
  std::string_view fallback;  // the default when the option is not given; "" = none
  std::string_view summary;   // one sentence, for --help and the man page
  std::span<const KeyDoc> keys;  // key=value sub-options; empty: a plain value
  std::string_view example;      // a value as a user types it; "" = none
  bool repeatable = false;
  bool petrel_only = false;  // not a Cloud Hypervisor option
};

// petrel's options, in the order --help and the man page list them.
std::span<const OptionDoc> PetrelOptions();
// petrel-remote's command arguments that take key=value strings (restore,
// send-migration, receive-migration).
std::span<const OptionDoc> RemoteArguments();

// The entry named `name` in either table. The names are literals in the
// parsers; an unknown one (a programming error, caught by OptionTableTest)
// gives an entry with no keys, so every key it is given is refused.
const OptionDoc& Option(std::string_view name);

// "key=<value>,key2=<value>,..." for --help ("tty|off|..." for modes).
std::string KeySyntax(const OptionDoc& option);

}  // namespace petrel::config
