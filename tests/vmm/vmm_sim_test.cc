// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The whole VMM (vmm/vmm.h) on hv_sim, driven as an orchestrator drives
// Cloud Hypervisor: an empty VMM, then vm.create -> vm.boot -> ... ->
// vm.delete -> vm.create again, every endpoint from every state with CH's
// status codes, the events CH reports, the power button, NMI and guest
// resets. The VM thread (Vmm::Run) runs on a thread of the test.
#include "vmm/vmm.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/base/bytes.h"
#include "tests/vmm/pausable_vm.h"
#include "core/arch/x86_layout.h"
#include "core/acpi/pm_registers.h"
#include "core/acpi/memory_hotplug_registers.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_vm.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "core/event/epoll_event_loop.h"
#include "vmm/api/api_client.h"
#include "vmm/api/api_router.h"
#include "vmm/api/api_server.h"
#include "vmm/config/vm_config_json.h"

namespace petrel::vmm {
namespace {

using nlohmann::json;

// CH's vm.create body for the null guest: 64 MiB, no console on the tty.
std::string CreateBody() {
  return json{{"payload", {{"kernel", PETREL_NULL_GUEST_ELF}}},
              {"memory", {{"size", 64ULL << 20}}},
              {"serial", {{"mode", "Null"}}},
              {"console", {{"mode", "Off"}}}}
      .dump();
}

// The guest of build n: an idle vCPU (halted until the VMM stops it) unless
// the test says otherwise.
using ScriptFor = std::function<sim::GuestScript(int build)>;

class VmmSimTest : public ::testing::Test {
 protected:
  // `pin_model`: legacy pins on hv_sim's pin model, which scripts wait on
  // (WaitIrq), instead of the VMM's IOAPIC.
  void Start(ScriptFor script = {}, bool pin_model = false) {
    script_ = std::move(script);
    VmmServices services;
    // Every possible vCPU idles until a build's script says otherwise
    // (vCPUs plugged by vm.resize are created after on_vm_built).
    services.open_hypervisor = [] {
      sim::SimConfig sim_config;
      for (uint32_t i = 0; i < 8; ++i) sim_config.vcpu_scripts[i] = sim::ScriptBuilder().Halt().Build();
      return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
    };
    services.vm_options = [pin_model](const config::VmConfig&) {
      VmOptions options = testing::CapturingOptions();
      options.userspace_ioapic = !pin_model;
      return options;
    };
    services.events = &events_;
    services.on_vm_built = [this](VmInstance& vm) {
      const int build = builds_++;
      // vCPU 0 runs the test's guest; application processors idle.
      sim::GuestScript s = script_ ? script_(build) : sim::ScriptBuilder().Halt().Build();
      auto* sim = sim::AsSim(&vm.hv_vm());
      ASSERT_TRUE(sim->SetScript(0, std::move(s)).ok());
      for (uint32_t i = 1; sim->SetScript(i, sim::ScriptBuilder().Halt().Build()).ok(); ++i) {
      }
      last_vm_ = &vm;
    };
    services.request_timeout = std::chrono::seconds(20);
    vmm_ = std::make_unique<Vmm>(std::move(services));
    exit_ = std::async(std::launch::async, [this] { return vmm_->Run(); });
  }
  void TearDown() override {
    if (!vmm_) return;
    vmm_->RequestExit(0);
    exit_.wait();
  }
  // What the router answers, as a client would see it.
  int Status(const char* method, const char* endpoint, std::string body = {}) {
    return testing::ApiStatus(*vmm_, method, endpoint, std::move(body));
  }
  json Info() { return json::parse(vmm_->VmInfoJson().value()); }
  std::vector<std::string> Events() const { return events_.events(); }

  RecordingEvents events_;
  ScriptFor script_;
  std::atomic<int> builds_{0};
  VmInstance* last_vm_ = nullptr;  // valid while that VM runs
  std::unique_ptr<Vmm> vmm_;
  std::future<int> exit_;
};

TEST_F(VmmSimTest, EmptyVmmIsDrivenFromCreateToDeleteAndAgain) {
  Start();
  EXPECT_EQ(vmm_->state(), VmmState::kNone);
  EXPECT_EQ(Status("GET", "vm.info"), 404);
  EXPECT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  EXPECT_EQ(Info()["state"], "Created");
  EXPECT_FALSE(Info().contains("device_tree"));
  EXPECT_EQ(Status("PUT", "vm.boot"), 204);
  json info = Info();
  EXPECT_EQ(info["state"], "Running");
  EXPECT_EQ(info["memory_actual_size"], 64ULL << 20);
  ASSERT_TRUE(info["device_tree"].contains("__rng")) << info.dump();
  const json& rng = info["device_tree"]["__rng"];
  EXPECT_EQ(rng["id"], "__rng");
  EXPECT_EQ(rng["pci_bdf"].get<std::string>().rfind("0000:00:", 0), 0u) << rng.dump();
  ASSERT_FALSE(rng["resources"].empty());
  EXPECT_TRUE(rng["resources"][0].contains("PciBar")) << rng.dump();

  EXPECT_EQ(Status("PUT", "vm.pause"), 204);
  EXPECT_EQ(Info()["state"], "Paused");
  EXPECT_EQ(Status("PUT", "vm.resume"), 204);
  EXPECT_EQ(Info()["state"], "Running");
  EXPECT_EQ(Status("GET", "vm.counters"), 200);
  json counters = json::parse(vmm_->VmCountersJson().value());
  EXPECT_TRUE(counters.contains("__rng")) << counters.dump();
  EXPECT_EQ(Status("PUT", "vm.reboot"), 204);
  EXPECT_EQ(Info()["state"], "Running");
  EXPECT_EQ(builds_, 2);
  EXPECT_EQ(Status("PUT", "vm.shutdown"), 204);
  EXPECT_EQ(Info()["state"], "Created");  // CH: the config stays, no VM
  EXPECT_EQ(Status("PUT", "vm.boot"), 204);
  EXPECT_EQ(builds_, 3);
  EXPECT_EQ(Status("PUT", "vm.delete"), 204);
  EXPECT_EQ(Status("GET", "vm.info"), 404);
  EXPECT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  EXPECT_EQ(Status("PUT", "vm.boot"), 204);
  EXPECT_EQ(builds_, 4);
  EXPECT_EQ(Status("PUT", "vmm.shutdown"), 204);
  ASSERT_EQ(exit_.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(exit_.get(), 0);
  vmm_.reset();

  EXPECT_EQ(Events(), (std::vector<std::string>{
                          "vmm/starting", "vm/booting", "vm/booted", "vm/pausing", "vm/paused",
                          "vm/resuming", "vm/resumed", "vm/rebooting", "vm/rebooted", "vm/shutdown",
                          "vm/booting", "vm/booted", "vm/shutdown", "vm/deleted", "vm/booting",
                          "vm/booted", "vm/shutdown", "vm/deleted", "vmm/shutdown"}));
}

// Cloud Hypervisor's answers (vmm/src/lib.rs, mapped by
// vmm/src/api/http/mod.rs) for every endpoint from every state; a request
// refused changes nothing.
TEST_F(VmmSimTest, EveryEndpointFromEveryState) {
  Start();
  struct Row {
    const char* method;
    const char* endpoint;
    int none, created, running, paused;  // the status in each state
  };
  const Row rows[] = {
      {"PUT", "vm.create", 204, 500, 500, 500},
      {"PUT", "vm.boot", 404, 204, 500, 500},
      {"PUT", "vm.pause", 500, 500, 204, 500},
      {"PUT", "vm.resume", 500, 500, 500, 204},
      {"GET", "vm.info", 404, 200, 200, 200},
      {"GET", "vm.counters", 500, 500, 200, 200},
      {"PUT", "vm.power-button", 500, 500, 204, 204},
      {"PUT", "vm.nmi", 500, 500, 204, 204},
      {"PUT", "vm.reboot", 404, 404, 204, 204},
      {"PUT", "vm.shutdown", 500, 500, 204, 204},
      {"PUT", "vm.delete", 204, 204, 204, 204},
  };
  // Brings the VMM to `state` from wherever it is.
  auto enter = [&](VmmState state) {
    ASSERT_EQ(Status("PUT", "vm.delete"), 204);
    if (state == VmmState::kNone) return;
    ASSERT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
    if (state == VmmState::kCreated) return;
    ASSERT_EQ(Status("PUT", "vm.boot"), 204);
    if (state == VmmState::kRunning) return;
    ASSERT_EQ(Status("PUT", "vm.pause"), 204);
  };
  // Where a successful request leaves the VMM (CH's transitions).
  auto after = [](const Row& row, VmmState from) {
    const std::string e = row.endpoint;
    if (e == "vm.create") return VmmState::kCreated;
    if (e == "vm.boot" || e == "vm.resume" || e == "vm.reboot") return VmmState::kRunning;
    if (e == "vm.pause") return VmmState::kPaused;
    if (e == "vm.shutdown") return VmmState::kCreated;
    if (e == "vm.delete") return VmmState::kNone;
    return from;  // info, counters, power button, NMI
  };
  for (const Row& row : rows) {
    for (VmmState state :
         {VmmState::kNone, VmmState::kCreated, VmmState::kRunning, VmmState::kPaused}) {
      enter(state);
      ASSERT_EQ(vmm_->state(), state);
      const int expected = state == VmmState::kNone      ? row.none
                           : state == VmmState::kCreated ? row.created
                           : state == VmmState::kRunning ? row.running
                                                         : row.paused;
      const bool create = std::string(row.endpoint) == "vm.create";
      EXPECT_EQ(Status(row.method, row.endpoint, create ? CreateBody() : ""), expected)
          << row.endpoint << " from " << VmmStateName(state);
      const bool ok = expected / 100 == 2;
      EXPECT_EQ(vmm_->state(), ok ? after(row, state) : state)
          << row.endpoint << " from " << VmmStateName(state);
    }
  }
}

TEST_F(VmmSimTest, BadConfigsAreRefusedWithChsCodesAndChangeNothing) {
  Start();
  EXPECT_EQ(Status("PUT", "vm.create", "{not json"), 400);
  EXPECT_EQ(Status("PUT", "vm.create", R"({"payload":{"kernel":"/k"},"sise":1})"), 400);
  EXPECT_EQ(Status("PUT", "vm.create",
                   R"({"payload":{"kernel":"/k"},"disks":[{"path":"/a","id":"d"},)"
                   R"({"path":"/b","id":"d"}]})"),
            409);
  EXPECT_EQ(vmm_->state(), VmmState::kNone);
  // A config that validates but cannot be built: boot fails, the config stays.
  EXPECT_EQ(Status("PUT", "vm.create", R"({"payload":{"kernel":"/nonexistent/kernel"}})"), 204);
  EXPECT_EQ(Status("PUT", "vm.boot"), 500);
  EXPECT_EQ(vmm_->state(), VmmState::kCreated);
  EXPECT_EQ(Events(), (std::vector<std::string>{"vmm/starting", "vm/booting"}));
}

// "vmm starting" comes first even when requests are served before the VMM
// thread reaches Run() (the binary's API thread starts first; TSan runs of
// PetrelCliTest.EventMonitorGetsTheVmmsEvents saw "vm deleted" before it).
TEST(VmmEventsTest, StartingComesBeforeAnyRequestEvenBeforeRun) {
  RecordingEvents events;
  VmmServices services;
  services.open_hypervisor = testing::SimFactory();
  services.events = &events;
  Vmm vmm(std::move(services));
  ASSERT_TRUE(vmm.CreateVm(R"({"payload":{"kernel":"/k"}})").ok());
  ASSERT_TRUE(vmm.DeleteVm().ok());
  const std::vector<std::string> got = events.events();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), "vmm/starting");
}

// vm.counters: each device's I/O counters by CH's names, and the
// transport's fault counts.
// vm.resize desired_vcpus as CH's docs/hotplug.md drives it: a created VM's
// boot count changes; a running VM plugs vCPUs and its config follows, so
// vm.info shows the new count; CH's status codes for the rest.
TEST_F(VmmSimTest, ResizeChangesTheVcpuCountAndTheConfig) {
  Start();
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_vcpus":2})"), 404);  // no VM
  json config = json::parse(CreateBody());
  config["cpus"] = {{"boot_vcpus", 1}, {"max_vcpus", 4}};
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_vcpus":2})"), 204);
  EXPECT_EQ(Info()["config"]["cpus"]["boot_vcpus"], 2);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_vcpus":5})"), 400);  // above max
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  ASSERT_NE(last_vm_, nullptr);
  EXPECT_EQ(last_vm_->vcpu_count(), 2u);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_vcpus":4})"), 204);
  EXPECT_EQ(last_vm_->vcpu_count(), 4u);
  EXPECT_EQ(Info()["config"]["cpus"]["boot_vcpus"], 4);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_vcpus":0})"), 400);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_ram":1073741824})"), 400);  // no hotplug_size
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_balloon":0})"), 400);       // not yet
  EXPECT_EQ(Status("PUT", "vm.resize", "{"), 400);
  EXPECT_EQ(Status("PUT", "vm.pause"), 204);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_vcpus":1})"), 500);  // paused
  EXPECT_EQ(Status("PUT", "vm.resume"), 204);
  EXPECT_EQ(Info()["config"]["cpus"]["boot_vcpus"], 4);
  // A reboot builds the VM with the resized count.
  EXPECT_EQ(Status("PUT", "vm.reboot"), 204);
  EXPECT_EQ(last_vm_->vcpu_count(), 4u);
  const std::vector<std::string> events = Events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "vm/resizing"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "vm/resized"), 1);
}

// vm.resize-zone: read and checked, then refused until zones are built;
// CH's codes for the rest. Nothing changes.
// --memory size=0 with two zones, the second with virtio-mem room, as CH's
// docs/memory.md describes them: each zone's RAM one after the other, the
// second zone's virtio-mem device named after it, vm.resize-zone moving
// its requested size (in the config while created, in the device once
// booted), and every request it cannot honour refused with 400.
TEST_F(VmmSimTest, ResizeZoneMovesTheZonesVirtioMemDevice) {
  Start();
  const uint64_t zone = 64ULL << 20;
  json config = json::parse(CreateBody());
  config["memory"] = {{"size", 0},
                      {"hotplug_method", "VirtioMem"},  // CH: zones hot-plug with virtio-mem only
                      {"zones", json::array({{{"id", "z0"}, {"size", zone}},
                                             {{"id", "z1"}, {"size", zone},
                                              {"hotplug_size", 256ULL << 20}}})}};
  const std::string grow = json{{"id", "z1"}, {"desired_ram", zone + (32ULL << 20)}}.dump();
  EXPECT_EQ(Status("PUT", "vm.resize-zone", grow), 404);  // no VM (CH's VmNotCreated)
  EXPECT_EQ(Status("PUT", "vm.resize-zone", R"({"desired_ram":1})"), 400);  // no id
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  EXPECT_EQ(Status("PUT", "vm.resize-zone", R"({"id":"z1"})"), 400);  // no desired_ram
  EXPECT_EQ(Status("PUT", "vm.resize-zone", grow), 204);
  EXPECT_EQ(Info()["config"]["memory"]["zones"][1]["hotplugged_size"], 32ULL << 20);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  const auto& regions = last_vm_->memory().regions();
  ASSERT_EQ(regions.size(), 3u);
  EXPECT_EQ(regions[1].gpa, zone);
  EXPECT_EQ(regions[1].zone, 1u);
  ASSERT_NE(last_vm_->memory().hotplug_area(1), nullptr);
  EXPECT_EQ(last_vm_->memory().hotplug_area(1)->gpa, 4ULL << 30);
  ASSERT_NE(last_vm_->virtio().mem("z1"), nullptr);
  EXPECT_EQ(last_vm_->virtio().mem("mem0"), nullptr);
  EXPECT_EQ(last_vm_->virtio().mem("z1")->requested_size(), 32ULL << 20);
  EXPECT_EQ(Info()["memory_actual_size"], 2 * zone);  // no driver has plugged anything
  EXPECT_EQ(Status("PUT", "vm.resize-zone",
                   json{{"id", "z1"}, {"desired_ram", zone + (256ULL << 20)}}.dump()), 204);
  EXPECT_EQ(last_vm_->virtio().mem("z1")->requested_size(), 256ULL << 20);
  // Unknown zone, a zone without room, below its size, beyond its area,
  // not whole blocks: 400, nothing changes.
  for (const json& bad : {json{{"id", "z9"}, {"desired_ram", zone}},
                          json{{"id", "z0"}, {"desired_ram", zone + (2ULL << 20)}},
                          json{{"id", "z1"}, {"desired_ram", zone - (2ULL << 20)}},
                          json{{"id", "z1"}, {"desired_ram", zone + (258ULL << 20)}},
                          json{{"id", "z1"}, {"desired_ram", zone + 4096}}}) {
    EXPECT_EQ(Status("PUT", "vm.resize-zone", bad.dump()), 400) << bad.dump();
  }
  EXPECT_EQ(last_vm_->virtio().mem("z1")->requested_size(), 256ULL << 20);
  // The VM's memory as a whole does not resize (CH: zones resize one by one),
  // and the zone's device stays.
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", 3 * zone}}.dump()), 400);
  EXPECT_EQ(Status("PUT", "vm.remove-device", R"({"id":"z1"})"), 400);
  EXPECT_EQ(vmm_->state(), VmmState::kRunning);
}

// Without zones, vm.resize-zone has nothing to resize.
TEST_F(VmmSimTest, ResizeZoneWithoutZonesIsRefused) {
  Start();
  ASSERT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  EXPECT_EQ(Status("PUT", "vm.resize-zone", R"({"id":"mem0","desired_ram":134217728})"), 400);
}

// vm.resize-disk as CH's docs/hotplug.md drives it: the raw file grows, the
// device's config space shows the new capacity; CH's status codes otherwise.
TEST_F(VmmSimTest, ResizeDiskGrowsARawDiskOfTheRunningVm) {
  testing::ScratchDisk image(1 << 20);
  ASSERT_TRUE(image.ok());
  Start();
  const std::string body2m = R"({"id":"_disk0","desired_size":2097152})";
  EXPECT_EQ(Status("PUT", "vm.resize-disk", body2m), 500);  // no VM running
  json config = json::parse(CreateBody());
  config["disks"] = json::array({{{"path", image.path()}}});
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  EXPECT_EQ(Status("PUT", "vm.resize-disk", body2m), 204);
  EXPECT_EQ(std::filesystem::file_size(image.path()), 2u << 20);
  virtio::VirtioDevice* disk = nullptr;
  for (const auto& placed : last_vm_->virtio().devices()) {
    if (placed.name == "_disk0") disk = &placed.device->device();
  }
  ASSERT_NE(disk, nullptr);
  uint8_t capacity[8] = {};
  disk->ReadConfig(0, capacity);  // §5.2.4: capacity in 512-byte sectors
  EXPECT_EQ(LoadLe<uint64_t>(capacity, 0), (2u << 20) / 512);
  // Smaller (guest data would go), not whole sectors, no such disk, bad body.
  EXPECT_EQ(Status("PUT", "vm.resize-disk", R"({"id":"_disk0","desired_size":1048576})"), 400);
  EXPECT_EQ(Status("PUT", "vm.resize-disk", R"({"id":"_disk0","desired_size":3000000})"), 400);
  EXPECT_EQ(Status("PUT", "vm.resize-disk", R"({"id":"_disk9","desired_size":4194304})"), 404);
  EXPECT_EQ(Status("PUT", "vm.resize-disk", R"({"id":"_disk0"})"), 400);
  EXPECT_EQ(std::filesystem::file_size(image.path()), 2u << 20);  // none of them changed it
}

// vm.resize desired_ram with virtio-mem, as CH's docs/memory.md drives it:
// the device's requested size follows (the guest's driver plugs), the
// config's hotplugged_size too; sizes out of the area are refused.
TEST_F(VmmSimTest, ResizeRamMovesTheVirtioMemRequestedSize) {
  Start();
  json config = json::parse(CreateBody());
  config["memory"]["hotplug_method"] = "VirtioMem";
  config["memory"]["hotplug_size"] = 256ULL << 20;
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  const uint64_t boot = 64ULL << 20;
  // Created: the config only (the next boot plugs that much).
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (32ULL << 20)}}.dump()), 204);
  EXPECT_EQ(Info()["config"]["memory"]["hotplugged_size"], 32ULL << 20);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  ASSERT_NE(last_vm_->virtio().mem(), nullptr);
  EXPECT_EQ(last_vm_->virtio().mem()->requested_size(), 32ULL << 20);
  EXPECT_TRUE(last_vm_->virtio().Find("mem0").has_value());
  EXPECT_EQ(last_vm_->memory().hotplug_area()->gpa, 4ULL << 30);
  EXPECT_EQ(Info()["memory_actual_size"], boot);  // no driver has plugged anything
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (256ULL << 20)}}.dump()), 204);
  EXPECT_EQ(last_vm_->virtio().mem()->requested_size(), 256ULL << 20);
  EXPECT_EQ(Info()["config"]["memory"]["hotplugged_size"], 256ULL << 20);
  // Below the boot RAM, beyond the area, not whole blocks: 400, nothing changes.
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot - (2ULL << 20)}}.dump()), 400);
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (258ULL << 20)}}.dump()), 400);
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + 4096}}.dump()), 400);
  // One bad field refuses the whole request.
  EXPECT_EQ(Status("PUT", "vm.resize",
                   json{{"desired_ram", boot}, {"desired_vcpus", 9}}.dump()), 400);
  EXPECT_EQ(last_vm_->virtio().mem()->requested_size(), 256ULL << 20);
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot}}.dump()), 204);
  EXPECT_EQ(last_vm_->virtio().mem()->requested_size(), 0u);
  EXPECT_EQ(Status("PUT", "vm.remove-device", R"({"id":"mem0"})"), 400);
}

// Without room for memory (no hotplug_size): 400.
TEST_F(VmmSimTest, ResizeRamWithoutHotplugSizeIsRefused) {
  Start();
  ASSERT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_ram":134217728})"), 400);
}

// vm.resize desired_ram with ACPI DIMMs (CH's default hotplug_method): each
// growth is a DIMM in a free slot and range of the hot-plug area, announced
// through the GED; a shrink asks the guest to eject whole DIMMs, and the
// ejected DIMM's memory goes back to the host. The test plays the guest's
// MHPC methods on the controller's registers.
TEST_F(VmmSimTest, ResizeRamWithAcpiPlugsAndEjectsDimms) {
  Start();
  json config = json::parse(CreateBody());
  config["memory"]["hotplug_size"] = 512ULL << 20;  // hotplug_method: Acpi
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  const uint64_t boot = 64ULL << 20, area = 4ULL << 30;
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (256ULL << 20)}}.dump()), 400);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  EXPECT_EQ(last_vm_->virtio().mem(), nullptr);
  MemoryHotplugController* dimms = last_vm_->acpi().memory_hotplug();
  ASSERT_NE(dimms, nullptr);
  IoDispatcher& io = last_vm_->io();
  auto ged = [&] {
    uint8_t v = 0;
    io.MmioRead(0, x86::kAcpiGedStart, std::span<uint8_t>(&v, 1));
    return v;
  };
  auto eject = [&](uint32_t slot) {  // the slot's _EJ0 (MDEJ): MSEL, then MEJ0
    uint8_t sel[4];
    StoreLe<uint32_t>(sel, 0, slot);
    io.MmioWrite(0, x86::kAcpiMemoryHotplugStart + acpi::kMemorySelectOffset, sel);
    const uint8_t bit = acpi::kMemoryEject;
    io.MmioWrite(0, x86::kAcpiMemoryHotplugStart + acpi::kMemoryStatusOffset,
                 std::span<const uint8_t>(&bit, 1));
  };

  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (256ULL << 20)}}.dump()), 204);
  EXPECT_EQ(ged() & acpi::kGedMemoryHotplug, acpi::kGedMemoryHotplug);
  ASSERT_TRUE(dimms->slot(0)->enabled);
  EXPECT_EQ(dimms->slot(0)->base, area);
  EXPECT_EQ(dimms->slot(0)->length, 256ULL << 20);
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (512ULL << 20)}}.dump()), 204);
  EXPECT_EQ(dimms->slot(1)->base, area + (256ULL << 20));
  EXPECT_EQ(Info()["memory_actual_size"], boot + (512ULL << 20));
  // Not whole 128 MiB blocks, beyond the area, not whole DIMMs: 400, nothing changes.
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (100ULL << 20)}}.dump()), 400);
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (640ULL << 20)}}.dump()), 400);
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (128ULL << 20)}}.dump()), 400);
  EXPECT_FALSE(last_vm_->memory_removal_pending());

  // The guest used DIMM 1; a shrink asks for it, its eject gives it back.
  ASSERT_TRUE(last_vm_->memory().WriteObj<uint64_t>(area + (300ULL << 20), 0x5a5a).ok());
  ged();  // the guest's _EVT read clears the event
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (256ULL << 20)}}.dump()), 204);
  EXPECT_EQ(ged() & acpi::kGedMemoryHotplug, acpi::kGedMemoryHotplug);
  EXPECT_TRUE(dimms->removal_pending(1));
  EXPECT_FALSE(dimms->removal_pending(0));
  eject(0);  // never asked: ignored
  EXPECT_TRUE(dimms->slot(0)->enabled);
  eject(1);
  EXPECT_TRUE(testing::WaitFor([&] {
    return last_vm_->memory().ReadObj<uint64_t>(area + (300ULL << 20)).value() == 0;
  }));
  EXPECT_FALSE(dimms->slot(1)->enabled);
  EXPECT_EQ(Info()["memory_actual_size"], boot + (256ULL << 20));
  // The freed range is plugged again by the next growth.
  EXPECT_EQ(Status("PUT", "vm.resize", json{{"desired_ram", boot + (384ULL << 20)}}.dump()), 204);
  EXPECT_EQ(dimms->slot(1)->base, area + (256ULL << 20));
  EXPECT_EQ(dimms->slot(1)->length, 128ULL << 20);
}

// vm.add-disk and vm.remove-device as CH's docs/hotplug.md drives them: a
// created VM's config takes the disk (204); a running VM's guest sees it and
// the answer is its PciDeviceInfo (200); a removal leaves the config at once
// and the VM once the guest ejects (this guest never does).
TEST_F(VmmSimTest, AddDiskAndRemoveDeviceFollowChsDocs) {
  testing::ScratchDisk image(1 << 20), image2(1 << 20);
  ASSERT_TRUE(image.ok() && image2.ok());
  Start();
  const std::string add = json{{"path", image.path()}, {"id", "test0"}}.dump();
  EXPECT_EQ(Status("PUT", "vm.add-disk", add), 404);  // no VM
  ASSERT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  EXPECT_EQ(Status("PUT", "vm.add-disk", add), 204);  // created: the config only
  EXPECT_EQ(Info()["config"]["disks"].size(), 1u);
  EXPECT_EQ(Status("PUT", "vm.add-disk", add), 409);  // the id is taken
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  api::HttpResponse added = testing::ApiCall(
      *vmm_, "PUT", "vm.add-disk", json{{"path", image2.path()}}.dump());
  ASSERT_EQ(added.status, 200) << added.body;
  const json info = json::parse(added.body);
  EXPECT_EQ(info["id"], "_disk0");  // generated
  EXPECT_EQ(info["bdf"], "0000:00:03.0");  // after the rng and test0
  EXPECT_EQ(Info()["config"]["disks"].size(), 2u);
  EXPECT_EQ(Status("PUT", "vm.add-disk", R"({"path":"/nonexistent/petrel.img"})"), 404);
  EXPECT_EQ(Status("PUT", "vm.add-disk", R"({"id":"x"})"), 400);  // no path
  EXPECT_EQ(Info()["config"]["disks"].size(), 2u);

  EXPECT_EQ(Status("PUT", "vm.remove-device", R"({"id":"_disk0"})"), 204);
  EXPECT_EQ(Info()["config"]["disks"].size(), 1u);
  EXPECT_TRUE(last_vm_->device_removal_pending());
  EXPECT_EQ(Status("PUT", "vm.remove-device", R"({"id":"nothing"})"), 404);
  EXPECT_EQ(Status("PUT", "vm.remove-device", R"({"id":"__rng"})"), 400);
  EXPECT_EQ(Status("PUT", "vm.remove-device", "{"), 400);
  // Still in the VM until the guest ejects it: its id and image stay taken.
  EXPECT_EQ(Status("PUT", "vm.add-disk",
                   json{{"path", image2.path()}, {"id", "_disk0"}}.dump()), 409);
  const std::vector<std::string> events = Events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "vm/device-added"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "vm/device-removing"), 1);
}

// vm.add-vsock as ch-remote add-vsock sends it: into a created VM's config,
// hot-plugged into a running one (the host socket bound at once); one per
// VM; vm.remove-device takes it out of the config.
TEST_F(VmmSimTest, AddVsockIsOnePerVmAndHotplugsIntoARunningOne) {
  const std::string dir = ::testing::TempDir();
  const std::string socket = dir + "petrel-addvsock-" + std::to_string(::getpid()) + ".sock";
  ::unlink(socket.c_str());
  Start();
  const std::string add = json{{"cid", 3}, {"socket", socket}}.dump();
  EXPECT_EQ(Status("PUT", "vm.add-vsock", add), 404);  // no VM
  ASSERT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  EXPECT_EQ(Status("PUT", "vm.add-vsock", add), 204);  // created: the config only
  EXPECT_EQ(Info()["config"]["vsock"]["cid"], 3);
  EXPECT_EQ(Status("PUT", "vm.add-vsock", add), 409);  // one per VM
  EXPECT_EQ(Status("PUT", "vm.remove-device", R"({"id":"_vsock0"})"), 204);
  EXPECT_FALSE(Info()["config"].contains("vsock"));
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  EXPECT_EQ(Status("PUT", "vm.add-vsock", R"({"socket":"/tmp/x.sock"})"), 400);  // no cid
  api::HttpResponse added = testing::ApiCall(*vmm_, "PUT", "vm.add-vsock", add);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(json::parse(added.body)["id"], "_vsock0");
  struct stat st {};
  EXPECT_EQ(::stat(socket.c_str(), &st), 0) << "the host socket is bound";
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(Status("PUT", "vm.add-vsock", json{{"cid", 4}, {"socket", socket + "2"}}.dump()), 409);
  EXPECT_TRUE(Info()["device_tree"].contains("_vsock0"));
  const std::vector<std::string> events = Events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "vm/device-added"), 1);
  ::unlink(socket.c_str());
}

// vm.resize desired_balloon as CH's docs/balloon.md drives it.
TEST_F(VmmSimTest, ResizeSetsTheBalloonsTarget) {
  Start();
  json config = json::parse(CreateBody());
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_balloon":4194304})"), 400);  // no balloon
  ASSERT_EQ(Status("PUT", "vm.delete"), 204);
  config["balloon"] = {{"size", 0}, {"free_page_reporting", true}};
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_balloon":4194304})"), 204);  // created
  EXPECT_EQ(Info()["config"]["balloon"]["size"], 4u << 20);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  ASSERT_NE(last_vm_, nullptr);
  ASSERT_NE(last_vm_->virtio().balloon(), nullptr);
  EXPECT_EQ(last_vm_->virtio().balloon()->target_bytes(), 4u << 20);  // the boot target
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_balloon":16777216})"), 204);
  EXPECT_EQ(last_vm_->virtio().balloon()->target_bytes(), 16u << 20);
  EXPECT_EQ(Info()["config"]["balloon"]["size"], 16u << 20);
  EXPECT_EQ(Info()["memory_actual_size"], 64u << 20);  // no driver: it holds nothing
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_balloon":67108864})"), 400);  // all RAM
  EXPECT_EQ(Status("PUT", "vm.resize", R"({"desired_balloon":4097})"), 400);
  EXPECT_EQ(last_vm_->virtio().balloon()->target_bytes(), 16u << 20);
  json counters = json::parse(vmm_->VmCountersJson().value());
  EXPECT_EQ(counters["__balloon"]["target_bytes"], 16u << 20) << counters.dump();
  EXPECT_TRUE(Info()["device_tree"].contains("__balloon"));
}

TEST_F(VmmSimTest, CountersListEachDevicesIoCounters) {
  testing::ScratchDisk image(1 << 20);
  ASSERT_TRUE(image.ok());
  Start();
  json config = json::parse(CreateBody());
  config["disks"] = json::array({{{"path", image.path()}}});
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  json counters = json::parse(vmm_->VmCountersJson().value());
  ASSERT_TRUE(counters.contains("_disk0")) << counters.dump();
  for (const char* name : {"read_bytes", "write_bytes", "read_ops", "write_ops", "bad_accesses"}) {
    ASSERT_TRUE(counters["_disk0"].contains(name)) << name << ": " << counters.dump();
    EXPECT_EQ(counters["_disk0"][name], 0) << name;  // the guest has done no I/O
  }
  EXPECT_TRUE(counters["__rng"].contains("bad_accesses"));
  EXPECT_FALSE(counters["__rng"].contains("read_bytes"));
  EXPECT_EQ(Status("PUT", "vm.delete"), 204);
}

// Regression (issue 8): a path with a byte that is not UTF-8 (the CLI takes
// paths as they are) once made vm.info throw and end the process.
TEST_F(VmmSimTest, VmInfoWithInvalidUtf8InTheConfigIsValidJson) {
  Start();
  config::VmConfig config = config::VmConfigFromJson(CreateBody()).value();
  config.payload.kernel = "/boot/caf\xE9";
  config.payload.cmdline = "console=\xFF\xFE";
  ASSERT_TRUE(vmm_->Create(config).ok());
  Result<std::string> info = vmm_->VmInfoJson();
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(json::accept(*info)) << *info;
  EXPECT_EQ(json::parse(*info)["config"]["payload"]["kernel"], "/boot/caf\uFFFD");
}

TEST_F(VmmSimTest, GuestPowerOffAfterThePowerButtonEndsTheVmm) {
  // The guest's _EVT: wait for the GED interrupt (GSI 5), read the event
  // byte (power button = bit 3), then power off through the sleep register.
  Start(
      [](int) {
        return sim::ScriptBuilder()
            .WaitIrq(5, 1'000'000'000)
            .Read8(0xfeb0'0000, 0x08)
            .Out8(0x600, 0x34)
            .Halt()
            .Build();
      },
      /*pin_model=*/true);
  ASSERT_TRUE(vmm_->Create(config::VmConfigFromJson(CreateBody()).value()).ok());
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  ASSERT_EQ(Status("PUT", "vm.power-button"), 204);
  ASSERT_EQ(exit_.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(exit_.get(), 0);
  vmm_.reset();
  EXPECT_EQ(Events(), (std::vector<std::string>{"vmm/starting", "vm/booting", "vm/booted",
                                                "vm/shutdown", "vm/deleted", "vmm/shutdown"}));
}

TEST_F(VmmSimTest, GuestResetRebuildsTheVm) {
  // The first build resets through the i8042 (as Linux's reboot does); the
  // rebuilt VM idles.
  Start([](int build) {
    return build == 0 ? sim::ScriptBuilder().Out8(0x64, 0xFE).Halt().Build()
                      : sim::ScriptBuilder().Halt().Build();
  });
  ASSERT_TRUE(vmm_->Create(config::VmConfigFromJson(CreateBody()).value()).ok());
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  for (int i = 0; i < 10'000 && builds_ < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(builds_, 2);
  EXPECT_EQ(vmm_->state(), VmmState::kRunning);
  EXPECT_EQ(Status("PUT", "vm.shutdown"), 204);
  EXPECT_EQ(Events(), (std::vector<std::string>{"vmm/starting", "vm/booting", "vm/booted",
                                                "vm/rebooting", "vm/rebooted", "vm/shutdown"}));
}

TEST_F(VmmSimTest, NmiReachesEveryVcpuAsAnNmiMessage) {
  Start();
  json config = json::parse(CreateBody());
  config["cpus"] = {{"boot_vcpus", 2}, {"max_vcpus", 2}};
  ASSERT_EQ(Status("PUT", "vm.create", config.dump()), 204);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  ASSERT_EQ(Status("PUT", "vm.nmi"), 204);
  auto* sim = sim::AsSim(&last_vm_->hv_vm());
  const auto msis = sim->DeliveredMsis();
  ASSERT_EQ(msis.size(), 2u);
  // Intel SDM Vol. 3 11.11: destination APIC id in address bits 19:12,
  // delivery mode NMI (100b) in data bits 10:8.
  EXPECT_EQ(msis[0].address, 0xFEE0'0000u);
  EXPECT_EQ(msis[1].address, 0xFEE0'1000u);
  EXPECT_EQ(msis[0].data, 0x400u);
  EXPECT_EQ(msis[1].data, 0x400u);
}

TEST_F(VmmSimTest, RequestExitShutsTheVmDownAndReturnsTheStatus) {
  Start();
  ASSERT_TRUE(vmm_->Create(config::VmConfigFromJson(CreateBody()).value()).ok());
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  vmm_->RequestExit(0);  // what SIGTERM does
  ASSERT_EQ(exit_.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(exit_.get(), 0);
  vmm_.reset();
  EXPECT_EQ(Events().back(), "vmm/shutdown");
}

// The load test: 8 clients send 1,000 requests over the real socket to a
// VMM with a running VM -- reads, NMIs and pause/resume races among them.
// Every request is answered with a status the endpoint may give, and the VMM
// still works afterwards.
TEST_F(VmmSimTest, ThousandRequestsFromEightClients) {
  Start();
  ASSERT_EQ(Status("PUT", "vm.create", CreateBody()), 204);
  ASSERT_EQ(Status("PUT", "vm.boot"), 204);
  char dir_template[] = "/tmp/petrel-load-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string socket = std::string(dir_template) + "/api.sock";
  MonotonicClock clock;
  auto loop = EpollEventLoop::Create(clock);
  ASSERT_TRUE(loop.ok());
  auto server = api::ApiServer::Listen(**loop, clock, *vmm_, socket);
  ASSERT_TRUE(server.ok()) << server.error().message();
  std::thread api_thread([&] { (void)(*loop)->Run(); });

  struct Call {
    const char* method;
    const char* endpoint;
    std::vector<int> allowed;
  };
  const Call calls[] = {
      {"GET", "vmm.ping", {200}},          {"GET", "vm.info", {200}},
      {"GET", "vm.counters", {200}},       {"PUT", "vm.nmi", {204}},
      {"PUT", "vm.pause", {204, 500}},     {"PUT", "vm.resume", {204, 500}},
      {"GET", "vm.nothing", {404}},        {"PUT", "vm.info", {405}},
  };
  constexpr int kClients = 8, kPerClient = 125;
  std::atomic<int> answered{0}, unexpected{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPerClient; ++i) {
        const Call& call = calls[(c * 7 + i) % std::size(calls)];
        auto r = api::SendApiRequest(socket, call.method, call.endpoint, {}, 20'000);
        if (!r.ok()) {
          ++unexpected;
          continue;
        }
        ++answered;
        if (std::find(call.allowed.begin(), call.allowed.end(), r->status) == call.allowed.end()) {
          ++unexpected;
          ADD_FAILURE() << call.endpoint << " answered " << r->status << ": " << r->body;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered, kClients * kPerClient);
  EXPECT_EQ(unexpected, 0);
  // Still driveable: back to Running, then shut down through the socket.
  if (vmm_->state() == VmmState::kPaused) {
    EXPECT_EQ(api::SendApiRequest(socket, "PUT", "vm.resume")->status, 204);
  }
  EXPECT_EQ(Info()["state"], "Running");
  EXPECT_EQ(api::SendApiRequest(socket, "PUT", "vmm.shutdown")->status, 204);
  ASSERT_EQ(exit_.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(exit_.get(), 0);
  (*loop)->Stop();
  api_thread.join();
  server->reset();
  vmm_.reset();
  std::filesystem::remove_all(dir_template);
}

}  // namespace
}  // namespace petrel::vmm
