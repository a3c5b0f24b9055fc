// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for vmm/snapshot/snapshot_files.h: a snapshot directory written and
// read back in both memory modes gives the same config, state and memory;
// every damaged or foreign snapshot is refused with a clear error; a new
// snapshot written over an old one leaves a VM restored on demand from the
// old one intact.
#include "vmm/snapshot/snapshot_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/base/unique_fd.h"
#include "vmm/config/vm_config_json.h"

namespace petrel::vmm::snapshot {
namespace {

using nlohmann::json;

constexpr uint64_t kRam = 8ull << 20;

config::VmConfig TestConfig() {
  config::VmConfig c;
  c.payload.kernel = "/boot/vmlinuz";
  c.payload.cmdline = "console=ttyS0";
  c.memory.size = kRam;
  return c;
}

VmSnapshotState TestState() {
  VmSnapshotState s;
  s.vm.clock = hv::VmClock{123456789};
  hv::IrqchipState chip;
  chip.pic[0].imr = 0xfb;
  chip.ioapic.redirection[4] = 0x10031;
  chip.pit.emplace();
  chip.pit->channels[0].count = 65536;
  s.vm.irqchip = chip;
  for (int i = 0; i < 2; ++i) {
    hv::VcpuState v;
    v.regs.rip = 0xffffffff81000000ull + i;
    v.sregs.cr0 = 0x80050033;
    v.msrs = {{0x10, 99}, {0xc0000080, 0xd01}};
    v.xsave.assign(hv::kXsaveMinSize, 0);
    v.xsave[24] = 0x80;
    v.xcrs = {{0, 7}};
    v.lapic[0x80] = 0x20;
    v.events.nmi.masked = true;
    v.mp_state = i == 0 ? hv::MpState::kRunnable : hv::MpState::kHalted;
    s.vcpus.push_back(v);
  }
  s.legacy.serial.emplace();
  s.legacy.serial->lcr = 3;
  s.legacy.cmos.index = 5;
  s.acpi.pm_timer.elapsed_ns = 42;
  s.pci.config_io.config_address = 0x80000000;
  s.acpi.pci_hotplug = PciHotplugController::State{0, 0, 0x8, 0x8};
  s.acpi.memory_hotplug.emplace();
  s.acpi.memory_hotplug->slots.resize(MemoryHotplugController::kSlots);
  s.acpi.memory_hotplug->slots[0] = {4ULL << 30, 256ULL << 20, 0, true, false, true, true};
  VirtioDeviceSnapshot rng;
  rng.id = "__rng";
  rng.slot = 2;
  rng.transport.status = 0xf;
  rng.transport.queues.resize(1);
  rng.transport.queues[0].size = 256;
  s.virtio.push_back(rng);
  VirtioDeviceSnapshot disk;
  disk.id = "_disk0";
  disk.device = virtio::BlkDeviceState{0};
  disk.slot = 3;
  s.virtio.push_back(disk);
  VirtioDeviceSnapshot net;
  net.id = "_net1";
  net.device = virtio::VirtioNetState{{0x52, 0x54, 0, 1, 2, 3}, 2, 0x81};
  s.virtio.push_back(net);
  VirtioDeviceSnapshot console;
  console.id = "__console";
  console.device = virtio::ConsoleDeviceState{{80, 25}, {'l', 's', '\n'}};
  s.virtio.push_back(console);
  VirtioDeviceSnapshot mem;
  mem.id = "mem0";
  mem.device = virtio::MemDeviceState{4ULL << 20, {0x03, 0x80}};
  mem.slot = 5;
  s.virtio.push_back(mem);
  VirtioDeviceSnapshot watchdog;
  watchdog.id = "__watchdog";
  watchdog.device = virtio::WatchdogDeviceState{true};
  watchdog.slot = 7;
  s.virtio.push_back(watchdog);
  VirtioDeviceSnapshot pmem;
  pmem.id = "_pmem2";
  pmem.device = virtio::PmemDeviceState{0x1'0000'0000ull, 2 << 20};
  pmem.slot = 8;
  s.virtio.push_back(pmem);
  VirtioDeviceSnapshot vsock;
  vsock.id = "_vsock3";
  vsock.device = virtio::VsockDeviceState{3, {{1u << 30, 1234}, {(1u << 30) + 1, 22}}};
  vsock.slot = 9;
  s.virtio.push_back(vsock);
  VirtioDeviceSnapshot iommu;
  iommu.id = "__iommu";
  virtio::IommuMappings::State mappings;
  mappings.bypass_unattached = true;
  mappings.endpoints = {{0x18, 1}, {0x40, 7}};
  mappings.domains[1].mappings[0x10'0000] = {0x10'1fff, 0x3000'0000, 3};
  mappings.domains[1].mappings[0x20'0000] = {0x20'0fff, 0x5000, 1};
  mappings.domains[7].bypass = true;
  iommu.device = mappings;
  iommu.slot = 10;
  s.virtio.push_back(iommu);
  PvpanicSnapshot pvpanic;
  pvpanic.config.regs[0] = 0x36;
  pvpanic.config.regs[1] = 0x1b;
  pvpanic.slot = 6;
  s.pvpanic = pvpanic;
  TpmSnapshot tpm;
  tpm.crb.locality_assigned = true;
  tpm.crb.idle = false;
  tpm.crb.data.assign(tpm::kDataBufferSize, 0);
  tpm.crb.data[0] = 0x80;
  tpm.swtpm.permanent = {1, 2, 3};
  tpm.swtpm.volatile_state = {4, 5};
  s.tpm = tpm;
  return s;
}

class SnapshotFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/petrel-snapshot-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    memory_ = GuestMemory::CreateX86(kRam).value();
    // Some non-zero pages, most left zero.
    for (uint64_t gpa : {0x0ull, 0x1000ull, 0x7ff000ull}) {
      ASSERT_TRUE(memory_->Fill(gpa, static_cast<uint8_t>(gpa >> 12) | 1, 4096).ok());
    }
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }

  std::string Path(const char* name) const { return dir_ + "/" + name; }
  json ReadJson(const char* name) const {
    std::ifstream f(Path(name));
    std::stringstream ss;
    ss << f.rdbuf();
    return json::parse(ss.str());
  }
  void WriteJson(const char* name, const json& j) const {
    std::ofstream f(Path(name), std::ios::trunc);
    f << j.dump();
  }
  static bool SameMemory(const GuestMemory& a, const GuestMemory& b) {
    if (a.total_size() != b.total_size()) return false;
    for (const auto& r : a.regions()) {
      const uint8_t* other = b.HostPointer(r.gpa, r.size);
      if (other == nullptr || std::memcmp(r.host->data(), other, r.size) != 0) return false;
    }
    return true;
  }

  std::string dir_;
  std::shared_ptr<GuestMemory> memory_;
};

TEST_F(SnapshotFilesTest, WrittenAndReadBackInBothMemoryModes) {
  uint64_t written = 0;
  ASSERT_TRUE(WriteSnapshot(dir_, TestConfig(), TestState(), *memory_, &written).ok());
  EXPECT_EQ(written, 3u * 4096);  // the zero pages are holes
  for (const char* f : {kConfigFile, kStateFile, kMemoryFile}) {
    EXPECT_EQ(::access(Path(f).c_str(), R_OK), 0) << f;
  }
  EXPECT_NE(::access((Path(kStateFile) + ".petrel-tmp").c_str(), F_OK), 0);
  for (bool on_demand : {false, true}) {
    for (bool prefault : {false, true}) {
      auto snap = ReadSnapshot(dir_, {on_demand, prefault});
      ASSERT_TRUE(snap.ok()) << snap.error().message();
      EXPECT_TRUE(snap->state == TestState());
      // As vm.create reads it (which names the devices).
      const auto expected = config::VmConfigFromJsonValue(config::VmConfigToJson(TestConfig()));
      ASSERT_TRUE(expected.ok());
      EXPECT_EQ(config::VmConfigToJson(snap->config), config::VmConfigToJson(*expected));
      EXPECT_TRUE(SameMemory(*snap->memory, *memory_)) << on_demand << prefault;
    }
  }
}

// A shared=on VM comes back in shared memory (memfds, so it can migrate
// locally again); on-demand mapping would make it private, so it is refused.
TEST_F(SnapshotFilesTest, ASharedMemoryVmIsReadBackIntoMemfds) {
  config::VmConfig shared = TestConfig();
  shared.memory.shared = true;
  ASSERT_TRUE(WriteSnapshot(dir_, shared, TestState(), *memory_).ok());
  auto snap = ReadSnapshot(dir_, {false, false});
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  EXPECT_TRUE(snap->config.memory.shared);
  EXPECT_TRUE(SameMemory(*snap->memory, *memory_));
  for (const auto& r : snap->memory->regions()) EXPECT_GE(r.host->fd(), 0);

  auto on_demand = ReadSnapshot(dir_, {true, false});
  ASSERT_FALSE(on_demand.ok());
  EXPECT_NE(on_demand.error().message().find("shared=on"), std::string::npos)
      << on_demand.error().message();
  // The private default reads into anonymous memory, as before.
  ASSERT_TRUE(WriteSnapshot(dir_, TestConfig(), TestState(), *memory_).ok());
  auto priv = ReadSnapshot(dir_, {false, false});
  ASSERT_TRUE(priv.ok());
  for (const auto& r : priv->memory->regions()) EXPECT_EQ(r.host->fd(), -1);
}

// Hot-plug areas hold plugged memory: they are saved and read back, and a
// VM of memory zones comes back with each zone's layout.
TEST_F(SnapshotFilesTest, HotplugAreasAndZonesAreSavedAndReadBack) {
  config::VmConfig with_area = TestConfig();
  with_area.memory.hotplug_method = config::HotplugMethod::kVirtioMem;
  with_area.memory.hotplug_size = 128ULL << 20;
  auto memory = GuestMemory::CreateX86(kRam, RamBacking::kPrivate, 128ULL << 20).value();
  ASSERT_TRUE(memory->WriteObj<uint64_t>(4ULL << 30, 0x1234).ok());  // a plugged block
  ASSERT_TRUE(WriteSnapshot(dir_, with_area, TestState(), *memory).ok());
  auto snap = ReadSnapshot(dir_, {false, false});
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  EXPECT_EQ(snap->memory->ReadObj<uint64_t>(4ULL << 30).value(), 0x1234u);

  config::VmConfig zoned = TestConfig();
  zoned.memory.size = 0;
  zoned.memory.hotplug_method = config::HotplugMethod::kVirtioMem;
  zoned.memory.zones.resize(2);
  zoned.memory.zones[0].id = "z0";
  zoned.memory.zones[0].size = kRam;
  zoned.memory.zones[1].id = "z1";
  zoned.memory.zones[1].size = kRam;
  zoned.memory.zones[1].hotplug_size = 128ULL << 20;
  const X86Zone extents[] = {{kRam, 0}, {kRam, 128ULL << 20}};
  auto zoned_memory = GuestMemory::CreateX86(extents, [](size_t, uint64_t size) {
    return HostRegion::Anonymous(size);
  });
  ASSERT_TRUE(zoned_memory.ok());
  ASSERT_TRUE((*zoned_memory)->WriteObj<uint64_t>(kRam, 0x5678).ok());  // zone z1's first byte
  ASSERT_TRUE(WriteSnapshot(dir_, zoned, TestState(), **zoned_memory).ok());
  auto back = ReadSnapshot(dir_, {false, false});
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->config.memory.zones, zoned.memory.zones);
  EXPECT_EQ(back->memory->ReadObj<uint64_t>(kRam).value(), 0x5678u);
  EXPECT_EQ(back->memory->total_size(), 2 * kRam + (128ULL << 20));
}

TEST_F(SnapshotFilesTest, ANewSnapshotOverAnOldOneLeavesAnOnDemandRestoreIntact) {
  ASSERT_TRUE(WriteSnapshot(dir_, TestConfig(), TestState(), *memory_).ok());
  auto old = ReadSnapshot(dir_, {/*on_demand=*/true, false});
  ASSERT_TRUE(old.ok());
  auto changed = GuestMemory::CreateX86(kRam).value();
  ASSERT_TRUE(changed->Fill(0x2000, 0xee, 4096).ok());
  ASSERT_TRUE(WriteSnapshot(dir_, TestConfig(), TestState(), *changed).ok());
  EXPECT_TRUE(SameMemory(*old->memory, *memory_));  // the old inode, renamed over
  auto fresh = ReadSnapshot(dir_, {true, false});
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(SameMemory(*fresh->memory, *changed));
}

TEST_F(SnapshotFilesTest, DamagedSnapshotsAreRefusedClearly) {
  ASSERT_TRUE(WriteSnapshot(dir_, TestConfig(), TestState(), *memory_).ok());
  const json good = ReadJson(kStateFile);
  auto refused = [&](const std::string& needle) {
    for (bool on_demand : {false, true}) {
      auto r = ReadSnapshot(dir_, {on_demand, false});
      if (r.ok()) return ::testing::AssertionFailure() << "accepted";
      if (r.error().message().find(needle) == std::string::npos) {
        return ::testing::AssertionFailure() << "'" << r.error().message() << "' lacks '" << needle << "'";
      }
    }
    return ::testing::AssertionSuccess();
  };
  json j = good;
  j["petrel_snapshot"] = 7;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("snapshot format 7, this Petrel reads formats 5 and 6"));
  j = good;
  j["petrel_snapshot"] = 4;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("snapshot format 4, this Petrel reads formats 5 and 6"));
  j = good;
  ASSERT_EQ(j["virtio"][5]["device"]["type"], "watchdog");
  j["virtio"][5]["device"]["state"]["state"]["armed"] = 1;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("armed"));
  j = good;
  j["virtio"][5]["device"]["type"] = "watchdog2";
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("or \"iommu\""));
  j = good;
  ASSERT_EQ(j["virtio"][6]["device"]["type"], "pmem");
  j["virtio"][6]["device"]["state"]["state"].erase("size");
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("size"));
  j = good;
  ASSERT_EQ(j["virtio"][7]["device"]["type"], "vsock");
  j["virtio"][7]["device"]["state"]["state"]["guest_ports"].push_back(5);
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("host_ports and guest_ports differ in length"));
  j = good;
  ASSERT_EQ(j["virtio"][8]["device"]["type"], "iommu");
  j["virtio"][8]["device"]["state"]["state"]["map_flags"].push_back(1);
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("lists of different lengths"));
  j = good;
  j["virtio"][8]["device"]["state"]["state"]["bypass_domains"].push_back(99);
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("a bypass domain not in domains"));
  j = good;
  j["pci"]["pvpanic"]["pci_slot"] = 0;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("pci.pvpanic.pci_slot"));
  j = good;
  j["pci"]["pvpanic"]["extra"] = 1;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("pci.pvpanic: unknown field \"extra\""));
  j = good;
  j["tpm"]["crb"]["state"]["data"] = "00";
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("tpm.crb.state.data"));
  j = good;
  j["tpm"]["swtpm"]["state"].erase("volatile");
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("tpm.swtpm.state.volatile"));
  // Format 5 had no tpm: still read, without one.
  j = good;
  j["petrel_snapshot"] = 5;
  j.erase("tpm");
  WriteJson(kStateFile, j);
  {
    auto old = ReadSnapshot(dir_, {});
    ASSERT_TRUE(old.ok()) << old.error().message();
    EXPECT_FALSE(old->state.tpm.has_value());
    EXPECT_TRUE(old->state.pvpanic.has_value());
  }
  j = good;
  j["acpi"]["cpu_hotplug"] = {{"version", 1}, {"state", {{"selected", 0}, {"slots", 5}}}};
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("acpi.cpu_hotplug"));
  j = good;
  j["virtio"][0]["pci_slot"] = 32;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("pci_slot"));
  j = good;
  j["vcpus"][1]["version"] = 7;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("state version 7, this Petrel reads version 1"));
  j = good;
  j["vcpus"][0]["state"]["lapic"] = "00";
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("vcpus[0].state.lapic"));
  j = good;
  j["virtio"][2]["device"]["type"] = "gpu";
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("virtio[2].device.type"));
  j = good;
  j["virtio"][2]["device"]["state"]["state"]["mac"] = "5254";
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("virtio[2].device.state.state.mac"));
  j = good;
  j["extra"] = 1;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("extra"));
  j = good;
  j["virtio"][0]["id"] = 5;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("virtio[0].id"));
  {
    std::ofstream f(Path(kStateFile), std::ios::trunc);
    f << "{\"petrel_snapshot\": 2,";
  }
  EXPECT_TRUE(refused("not valid JSON"));
  j = good;
  j["memory_ranges"][0]["size"] = j["memory_ranges"][0]["size"].get<uint64_t>() * 2;
  WriteJson(kStateFile, j);
  EXPECT_TRUE(refused("memory ranges of"));
  WriteJson(kStateFile, good);
  ASSERT_TRUE(ReadSnapshot(dir_, {}).ok());

  ASSERT_EQ(::truncate(Path(kMemoryFile).c_str(), 4096), 0);
  EXPECT_TRUE(refused(kMemoryFile));
  ASSERT_EQ(::unlink(Path(kMemoryFile).c_str()), 0);
  EXPECT_TRUE(refused(kMemoryFile));
  WriteJson(kConfigFile, json{{"payload", {{"kernel", 5}}}});
  EXPECT_TRUE(refused(kConfigFile));
  ASSERT_EQ(::unlink(Path(kConfigFile).c_str()), 0);
  EXPECT_TRUE(refused(kConfigFile));
}

TEST_F(SnapshotFilesTest, StateJsonRoundTripsAndHasChShapedFileNames) {
  const json doc = SnapshotStateToJson(TestState(), {{0, kRam, 0}});
  auto back = SnapshotStateFromJson(doc);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_TRUE(back->state == TestState());
  EXPECT_EQ(back->ranges.size(), 1u);
  EXPECT_STREQ(kConfigFile, "config.json");
  EXPECT_STREQ(kStateFile, "state.json");
  EXPECT_STREQ(kMemoryFile, "memory-ranges");
}

TEST_F(SnapshotFilesTest, AUserspaceIoapicIsSavedAndCheckedOnTheWayBack) {
  VmSnapshotState state = TestState();
  state.vm.irqchip.reset();  // a split-irqchip VM: the IOAPIC is the VMM's
  state.ioapic.emplace();
  state.ioapic->redirection[4] = 0x31;  // pin 4 unmasked, vector 0x31
  state.ioapic->line_levels = 1u << 9;
  state.ioapic->id = 2;
  json doc = SnapshotStateToJson(state, {{0, kRam, 0}});
  auto back = SnapshotStateFromJson(doc);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_TRUE(back->state == state);
  EXPECT_TRUE(SnapshotStateFromJson(SnapshotStateToJson(TestState(), {{0, kRam, 0}}))
                  ->state.ioapic == std::nullopt);
  // What the model would refuse is refused while reading, with its path.
  doc["ioapic"]["state"]["line_levels"] = 1u << 24;
  auto bad = SnapshotStateFromJson(doc);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("ioapic.state"), std::string::npos) << bad.error().message();
  doc["ioapic"]["state"]["line_levels"] = 0;
  doc["ioapic"]["state"]["version"] = 9;
  EXPECT_FALSE(SnapshotStateFromJson(doc).ok());
}

}  // namespace
}  // namespace petrel::vmm::snapshot
