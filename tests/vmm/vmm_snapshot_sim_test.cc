// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vm.snapshot and vm.restore through the whole VMM on hv_sim (issue 10,
// item 2), as an orchestrator calls them: a running guest counts in its
// RAM; vm.pause, vm.snapshot to a directory, and the VMM is gone; a new,
// empty VMM's vm.restore rebuilds the VM Paused (or Running with resume),
// with the snapshot's config, and the guest counts on from where it
// stopped. Both memory modes (copy, on demand). Requests in the wrong
// state or with bad bodies get CH's status codes and change nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "tests/vmm/sim_vmm.h"
#include "vmm/api/api_router.h"
#include "vmm/vmm.h"

namespace petrel::vmm {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using testing::CreateBody;
using testing::SimVmm;

class VmmSnapshotSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/petrel-vmm-snapshot-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
  std::string Url() const { return "file://" + dir_ + "/snap"; }
  std::string SnapshotBody() const { return json{{"destination_url", Url()}}.dump(); }

  // Boots a counting guest, pauses it and snapshots it; returns the count.
  uint64_t Snapshot() {
    SimVmm src;
    EXPECT_EQ(src.Status("PUT", "vm.create", CreateBody()), 204);
    EXPECT_EQ(src.Status("PUT", "vm.boot"), 204);
    EXPECT_TRUE(src.CountsPast(1000));
    EXPECT_EQ(src.Status("PUT", "vm.snapshot", SnapshotBody()), 500);  // running
    EXPECT_EQ(src.Status("PUT", "vm.pause"), 204);
    const uint64_t count = src.Count();
    EXPECT_EQ(src.Status("PUT", "vm.snapshot", SnapshotBody()), 204);
    EXPECT_EQ(src.State(), "Paused");  // as CH: the VM stays paused
    EXPECT_EQ(src.Count(), count);
    const auto events = src.Events();
    EXPECT_NE(std::find(events.begin(), events.end(), "vm/snapshotting"), events.end());
    EXPECT_NE(std::find(events.begin(), events.end(), "vm/snapshotted"), events.end());
    return count;
  }

  std::string dir_;
};

TEST_F(VmmSnapshotSimTest, RestoredVmStartsPausedWithTheSnapshotsConfigAndCountsOn) {
  const uint64_t count = Snapshot();
  for (const char* mode : {"Copy", "OnDemand"}) {
    SimVmm dst;
    EXPECT_EQ(dst.Status("PUT", "vm.restore",
                         json{{"source_url", Url()}, {"memory_restore_mode", mode}}.dump()),
              204)
        << mode;
    EXPECT_EQ(dst.State(), "Paused");
    json info = json::parse(dst.vmm().VmInfoJson().value());
    EXPECT_EQ(info["config"]["payload"]["kernel"], PETREL_NULL_GUEST_ELF);
    EXPECT_TRUE(info.contains("device_tree"));
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(dst.Count(), count);  // nothing ran yet
    EXPECT_EQ(dst.Status("PUT", "vm.resume"), 204);
    EXPECT_EQ(dst.State(), "Running");
    EXPECT_TRUE(dst.CountsPast(count));
    const auto events = dst.Events();
    EXPECT_NE(std::find(events.begin(), events.end(), "vm/restoring"), events.end());
    EXPECT_NE(std::find(events.begin(), events.end(), "vm/restored"), events.end());
    EXPECT_EQ(std::find(events.begin(), events.end(), "vm/booting"), events.end());
  }
}

// A VM with a balloon: its target travels in the snapshot (the device's
// type state) and in the config, and the restored VM has it.
TEST_F(VmmSnapshotSimTest, TheBalloonsTargetSurvivesARestore) {
  {
    SimVmm src;
    json config = json::parse(CreateBody());
    config["balloon"] = {{"size", 0}, {"deflate_on_oom", true}};
    ASSERT_EQ(src.Status("PUT", "vm.create", config.dump()), 204);
    ASSERT_EQ(src.Status("PUT", "vm.boot"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.resize", R"({"desired_balloon":8388608})"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.pause"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.snapshot", SnapshotBody()), 204);
  }
  std::ifstream state(dir_ + "/snap/state.json");
  const json doc = json::parse(state);
  bool found = false;
  for (const json& d : doc["virtio"]) {
    if (d["id"] != "__balloon") continue;
    found = true;
    EXPECT_EQ(d["device"]["type"], "balloon");
    EXPECT_EQ(d["device"]["state"]["state"]["num_pages"], (8u << 20) / 4096);
  }
  EXPECT_TRUE(found) << doc["virtio"].dump();
  SimVmm dst;
  ASSERT_EQ(dst.Status("PUT", "vm.restore", json{{"source_url", Url()}}.dump()), 204);
  json info = json::parse(dst.vmm().VmInfoJson().value());
  EXPECT_EQ(info["config"]["balloon"]["size"], 8u << 20);
  EXPECT_EQ(info["config"]["balloon"]["deflate_on_oom"], true);
  EXPECT_EQ(dst.Status("PUT", "vm.resume"), 204);
}

// vCPU hot-plug and snapshots: the plugged vCPUs and the controller's
// state are in the snapshot, the restored VM has them, and it can be
// resized again (its next vCPU is created fresh).
TEST_F(VmmSnapshotSimTest, HotPluggedVcpusSurviveARestore) {
  {
    SimVmm src;
    json config = json::parse(CreateBody());
    config["cpus"] = {{"boot_vcpus", 1}, {"max_vcpus", 4}};
    ASSERT_EQ(src.Status("PUT", "vm.create", config.dump()), 204);
    ASSERT_EQ(src.Status("PUT", "vm.boot"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.resize", R"({"desired_vcpus":3})"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.pause"), 204);
    ASSERT_EQ(src.Status("PUT", "vm.snapshot", SnapshotBody()), 204);
  }
  std::ifstream state(dir_ + "/snap/state.json");
  const json doc = json::parse(state);
  EXPECT_EQ(doc["vcpus"].size(), 3u);
  const json& slots = doc["acpi"]["cpu_hotplug"]["state"]["slots"];
  ASSERT_EQ(slots.size(), 4u) << doc["acpi"].dump();
  EXPECT_EQ(slots[2]["enabled"], true);
  EXPECT_EQ(slots[3]["enabled"], false);
  SimVmm dst;
  ASSERT_EQ(dst.Status("PUT", "vm.restore", json{{"source_url", Url()}}.dump()), 204);
  json info = json::parse(dst.vmm().VmInfoJson().value());
  EXPECT_EQ(info["config"]["cpus"]["boot_vcpus"], 3);
  EXPECT_EQ(dst.vm().vcpu_count(), 3u);
  EXPECT_EQ(dst.Status("PUT", "vm.resume"), 204);
  EXPECT_EQ(dst.Status("PUT", "vm.resize", R"({"desired_vcpus":4})"), 204);
  info = json::parse(dst.vmm().VmInfoJson().value());
  EXPECT_EQ(info["config"]["cpus"]["boot_vcpus"], 4);
  EXPECT_EQ(dst.vm().vcpu_count(), 4u);
  EXPECT_EQ(dst.State(), "Running");
}

TEST_F(VmmSnapshotSimTest, RestoreWithResumeRunsAtOnce) {
  const uint64_t count = Snapshot();
  SimVmm dst;
  EXPECT_EQ(dst.Status("PUT", "vm.restore",
                       json{{"source_url", Url()}, {"resume", true}, {"prefault", true}}.dump()),
            204);
  EXPECT_EQ(dst.State(), "Running");
  EXPECT_TRUE(dst.CountsPast(count));
  // A guest reset later boots from the config, not the snapshot.
  EXPECT_EQ(dst.Status("PUT", "vm.reboot"), 204);
  EXPECT_EQ(dst.State(), "Running");
}

TEST_F(VmmSnapshotSimTest, WrongStatesAndBadRequestsChangeNothing) {
  SimVmm vmm;
  EXPECT_EQ(vmm.Status("PUT", "vm.snapshot", SnapshotBody()), 500);  // no VM
  EXPECT_EQ(vmm.Status("PUT", "vm.snapshot", "{}"), 400);
  EXPECT_EQ(vmm.Status("PUT", "vm.restore", "{\"source_url\":\"/no/scheme\"}"), 400);
  EXPECT_EQ(vmm.Status("PUT", "vm.restore", json{{"source_url", Url()}}.dump()), 500);  // missing
  EXPECT_EQ(vmm.vmm().state(), VmmState::kNone);
  EXPECT_EQ(vmm.Status("GET", "vm.info"), 404);

  // A broken snapshot: nothing of it stays, the VMM is still empty and usable.
  Snapshot();
  ASSERT_EQ(::truncate((dir_ + "/snap/memory-ranges").c_str(), 4096), 0);
  EXPECT_EQ(vmm.Status("PUT", "vm.restore", json{{"source_url", Url()}}.dump()), 500);
  EXPECT_EQ(vmm.vmm().state(), VmmState::kNone);
  EXPECT_EQ(vmm.Status("PUT", "vm.create", CreateBody()), 204);
  // Restore needs an empty VMM, as CH's.
  EXPECT_EQ(vmm.Status("PUT", "vm.restore", json{{"source_url", Url()}}.dump()), 500);
  EXPECT_EQ(vmm.State(), "Created");
}

}  // namespace
}  // namespace petrel::vmm
