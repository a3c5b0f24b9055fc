// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes ParseCommandLine (vmm/config/cli.h): the input bytes, split at NUL,
// become argv[1..]. No exception may escape; errors are one line with the
// "petrel: error: " prefix and exit code 1; a kRun outcome is a valid VM.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "vmm/config/cli.h"

namespace {

// Enough arguments for every option twice; more only slows the fuzzer.
constexpr size_t kMaxArgs = 64;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args = {"petrel"};
  std::string current;
  for (size_t i = 0; i < size && args.size() < kMaxArgs; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (!current.empty() && args.size() < kMaxArgs) args.push_back(current);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  using petrel::config::CliOutcome;
  const CliOutcome out =
      petrel::config::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  if (out.action == CliOutcome::Action::kRun) {
    Check(out.exit_code == 0);
    Check(!out.options.vm.payload.kernel.empty());
    Check(out.options.vm.cpus.boot_vcpus >= 1);
    Check(out.options.vm.cpus.boot_vcpus <= out.options.vm.cpus.max_vcpus);
    Check(out.options.verbosity >= 0);
  } else if (out.exit_code != 0) {
    Check(out.exit_code == 1);
    Check(out.message.rfind("petrel: error: ", 0) == 0);
    Check(out.message.find('\n') == std::string::npos);
  } else {
    Check(!out.message.empty());
  }
  return 0;
}
