// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// A whole VmInstance on hv_sim, deterministic end to end (issue 9, item 3):
// the control loop is a DeterministicEventLoop on a VirtualClock that follows
// the simulator's virtual time, the CMOS RTC reads a VirtualClock too, the
// virtio devices' workers are SharedLoopWorkers on that loop, randomness is
// a seeded SplitMix64, the virtio-rng reads a regular file of fixed bytes,
// and VcpuRunner::kInline runs the vCPUs round-robin on the test's thread.
// The same scenario run twice gives the same trace hash and serial output;
// a different guest input or calendar time gives a different hash; no
// thread is made for a device.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/worker.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_vm.h"
#include "hv_sim/trace.h"
#include "tests/guests/test_guests.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {
namespace {

struct Scenario {
  std::string serial_text = "det\n";
  uint64_t wall_start_ns = 1'700'000'000ULL * 1'000'000'000ULL;  // Nov 2023
  uint64_t seed = 42;
};

struct Outcome {
  StopReason::Kind stop = StopReason::Kind::kError;
  std::string stop_detail;
  uint64_t hash = 0;
  size_t records = 0;
  size_t ap_records = 0;  // vCPU 1's
  std::string serial;
  std::vector<std::string> mismatches;
  std::vector<std::string> worker_names;
  bool every_worker_on_the_loop = false;
  size_t devices = 0;
  VmRunState state_after = VmRunState::kCreated;
  bool pause_refused = false;
};

// A file of fixed bytes for the virtio-rng's src=.
std::string FixedEntropyFile() {
  const std::string path =
      ::testing::TempDir() + "vm_determinism_entropy_" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary) << std::string(4096, '\x5a');
  return path;
}

Outcome RunScenario(const Scenario& s) {
  Outcome out;
  VirtualClock monotonic;  // follows hv_sim's virtual time (the hook below)
  VirtualClock wall(s.wall_start_ns);
  DeterministicEventLoop loop(monotonic);
  testing::RecordingWorkers workers(loop);
  SplitMix64 random(s.seed);
  auto serial = std::make_shared<std::string>();

  config::VmConfig config = testing::NullGuestConfig();
  config.cpus.boot_vcpus = 2;
  config.cpus.max_vcpus = 2;
  config.rng.src = FixedEntropyFile();
  VmOptions options = testing::CapturingOptions(serial);
  options.control_loop = &loop;
  options.monotonic_clock = &monotonic;
  options.wall_clock = &wall;
  options.random = &random;
  options.device_workers = &workers;
  options.vcpu_runner = VcpuRunner::kInline;
  {
    auto vm = VmInstance::Create(config, testing::SimFactory(), std::move(options));
    EXPECT_TRUE(vm.ok()) << vm.error().message();
    if (!vm.ok()) return out;
    sim::SimVm* sim = sim::AsSim(&(*vm)->hv_vm());
    sim->SetTimeHook([&monotonic](uint64_t now_ns) { monotonic.AdvanceTo(now_ns); });

    // vCPU 0: serial output, the CMOS RTC (seconds, minutes, hours, year),
    // the PM timer, the virtio-rng's PCI id through CONFIG_ADDRESS/DATA,
    // then ACPI S5. vCPU 1 meanwhile: debug-port writes and PM timer reads
    // interleaved with vCPU 0's by the round-robin, then a halt.
    sim::ScriptBuilder boot;
    for (char c : s.serial_text) boot.Out8(0x3f8, static_cast<uint8_t>(c));
    for (uint8_t reg : {0x00, 0x02, 0x04, 0x09}) boot.Out8(0x70, reg).In8(0x71);
    boot.In32(0x608)
        .Out32(0xcf8, 0x8000'0800)
        .In32(0xcfc, 0x1044'1af4)
        .Advance(1'000'000)
        .In32(0x608);
    // Longer than a quantum, so vCPU 1's rounds come in between.
    for (int i = 0; i < 150; ++i) boot.In32(0x608);
    boot.Out8(0x600, 0x34)
        .Advance(1'000'000'000);
    sim::ScriptBuilder ap;
    for (uint8_t i = 0; i < 100; ++i) ap.Out8(0x80, i).In32(0x608);
    ap.Halt();
    EXPECT_TRUE(sim->SetScript(0, boot.Build()).ok());
    EXPECT_TRUE(sim->SetScript(1, ap.Build()).ok());

    auto stop = (*vm)->Run();
    EXPECT_TRUE(stop.ok()) << stop.error().message();
    if (stop.ok()) {
      out.stop = stop->kind;
      out.stop_detail = stop->detail;
    }
    out.state_after = (*vm)->state();
    out.pause_refused = (*vm)->Pause().error().code() == ErrorCode::kUnsupported;
    const auto records = sim->trace().records();
    out.hash = sim::Trace::HashRecords(records);
    out.records = records.size();
    for (const auto& r : records) out.ap_records += r.vcpu == 1 ? 1 : 0;
    out.mismatches = sim->mismatches();
    out.devices = (*vm)->virtio().devices().size();
    out.every_worker_on_the_loop = true;
    for (const auto& placed : (*vm)->virtio().devices()) {
      if (&placed.worker->loop() != &loop) out.every_worker_on_the_loop = false;
    }
  }
  out.serial = *serial;
  out.worker_names = workers.names;
  return out;
}

TEST(VmDeterminismSimTest, SameScenarioTwiceGivesTheSameTraceHashAndSerialOutput) {
  const Outcome a = RunScenario({});
  const Outcome b = RunScenario({});
  EXPECT_EQ(a.stop, StopReason::Kind::kPowerOff) << a.stop_detail;
  EXPECT_TRUE(a.mismatches.empty()) << a.mismatches.front();
  EXPECT_EQ(a.serial, "det\n");
  EXPECT_GT(a.records, 250u);
  EXPECT_GT(a.ap_records, 100u);  // the round-robin ran vCPU 1 too
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.serial, b.serial);
}

TEST(VmDeterminismSimTest, DifferentGuestInputOrCalendarTimeGivesADifferentHash) {
  const Outcome base = RunScenario({});
  Scenario other_input;
  other_input.serial_text = "DET\n";
  Scenario other_time;
  other_time.wall_start_ns += 3'600'000'000'000ULL;  // an hour later: CMOS hours differ
  const Outcome input = RunScenario(other_input);
  const Outcome time = RunScenario(other_time);
  EXPECT_EQ(input.serial, "DET\n");
  EXPECT_NE(input.hash, base.hash);
  EXPECT_NE(time.hash, base.hash);  // the RTC read the injected wall clock
  EXPECT_EQ(time.serial, base.serial);
}

TEST(VmDeterminismSimTest, DevicesGetNoThreadAndTheInlineRunnerRefusesPause) {
  const Outcome a = RunScenario({});
  // The virtio-rng (the only virtio device of this config) got its worker
  // from the factory given, and that worker's loop is the test's loop.
  EXPECT_EQ(a.devices, 1u);
  EXPECT_EQ(a.worker_names.size(), a.devices);
  EXPECT_TRUE(a.every_worker_on_the_loop);
  EXPECT_EQ(a.state_after, VmRunState::kStopped);
  EXPECT_TRUE(a.pause_refused);
}

}  // namespace
}  // namespace petrel::vmm
