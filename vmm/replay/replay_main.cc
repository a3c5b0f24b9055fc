// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// petrel-replay: replays a `petrel --record-io` trace against fresh devices
// on hv_sim (vmm/replay/io_replay.h) and prints what differed.
//
//   petrel-replay --trace <file> <the petrel VM options of the recorded run>
//   e.g. petrel-replay --trace boot.trace --kernel vmlinux --serial tty --console off
//
// --differential: instead of replaying the accesses, run the same guest's
// code on hv_sim's interpreter (x86emu) and compare the accesses it makes
// with the recorded ones (vcpu, kind, address, data); for the small test
// guests (tests/guests), not Linux (vmm/replay/differential.h).
//
// Exit status: 0 every read (every access with --differential) matched, 1 one
// differed (the first is printed), 2 bad arguments, an unreadable trace or a
// VM that cannot be built.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "hv_sim/sim_hypervisor.h"
#include "vmm/config/cli.h"
#include "vmm/replay/differential.h"
#include "vmm/replay/io_replay.h"

int main(int argc, char** argv) {
  std::string trace_path;
  bool differential = false;
  std::vector<const char*> petrel_args = {"petrel"};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--trace") == 0 && i + 1 < argc) {
      trace_path = argv[++i];
    } else if (std::strcmp(argv[i], "--differential") == 0) {
      differential = true;
    } else {
      petrel_args.push_back(argv[i]);
    }
  }
  if (trace_path.empty()) {
    std::fprintf(stderr,
                 "usage: petrel-replay --trace <file> [--differential] <petrel VM options>\n");
    return 2;
  }
  auto trace = petrel::ReadIoTraceFile(trace_path);
  if (!trace.ok()) {
    std::fprintf(stderr, "petrel-replay: %s\n", trace.error().message().c_str());
    return 2;
  }
  const auto cli = petrel::config::ParseCommandLine(static_cast<int>(petrel_args.size()),
                                                    petrel_args.data());
  if (cli.action != petrel::config::CliOutcome::Action::kRun || !cli.options.has_vm) {
    std::fprintf(stderr, "petrel-replay: the recorded run's VM options are needed%s%s\n",
                 cli.message.empty() ? "" : ": ", cli.message.c_str());
    return 2;
  }
  petrel::vmm::IoReplayOptions options;
  const uint32_t vcpus = cli.options.vm.cpus.max_vcpus;
  options.open_hypervisor = [vcpus]() -> petrel::Result<std::unique_ptr<petrel::hv::Hypervisor>> {
    petrel::sim::SimConfig config;
    config.max_vcpus = vcpus;
    return std::unique_ptr<petrel::hv::Hypervisor>(petrel::sim::MakeSimHypervisor(config));
  };
  if (differential) {
    auto interpreted = [vcpus]() -> petrel::Result<std::unique_ptr<petrel::hv::Hypervisor>> {
      petrel::sim::SimConfig config;
      config.max_vcpus = vcpus;
      config.interpret = true;
      return std::unique_ptr<petrel::hv::Hypervisor>(petrel::sim::MakeSimHypervisor(config));
    };
    auto run = petrel::vmm::RecordRun(cli.options.vm, interpreted);
    if (!run.ok()) {
      std::fprintf(stderr, "petrel-replay: %s\n", run.error().message().c_str());
      return 2;
    }
    const auto diff = petrel::vmm::FirstDifference(*trace, run->accesses);
    std::printf("petrel-replay: differential: %zu recorded accesses, %zu on the hv_sim interpreter "
                "(stopped: %s); %s\n",
                trace->size(), run->accesses.size(), run->stop.detail.c_str(),
                diff ? diff->c_str() : "identical");
    return diff ? 1 : 0;
  }
  auto report = petrel::vmm::ReplayIoTrace(*trace, cli.options.vm, options);
  if (!report.ok()) {
    std::fprintf(stderr, "petrel-replay: %s\n", report.error().message().c_str());
    return 2;
  }
  std::printf("petrel-replay: %s\n", report->Describe().c_str());
  return report->matched() ? 0 : 1;
}
