// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PCI hot-plug of a whole VmInstance on hv_sim (issue 14, item 5): the test
// thread plays the guest's ACPI methods (PSCN reading PCIU/PCID, a slot's
// _EJ0 writing B0EJ) on the controller's registers, and the guest's PCI
// enumeration on the ECAM window, through the VM's own MMIO bus. An added
// disk appears in the lowest free slot and is announced through the GED; a
// removal waits for the guest's eject, after which the slot is empty and
// reusable; a snapshot brings a hot-plugged device back in its slot; bad
// requests and hostile ejects change nothing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "core/acpi/pci_hotplug_registers.h"
#include "core/acpi/pm_registers.h"
#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"
#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::PausableVm;
using testing::ScratchDisk;
using testing::WaitFor;

// The guest's side: the PHPR fields, the GED and bus 0's config space.
class PciGuestSide {
 public:
  explicit PciGuestSide(VmInstance& vm) : io_(vm.io()) {}
  uint8_t GedEvents() {
    uint8_t v = 0;
    io_.MmioRead(0, x86::kAcpiGedStart, std::span<uint8_t>(&v, 1));
    return v;
  }
  uint32_t Up() { return Read32(x86::kAcpiPciHotplugStart + acpi::kPciUpOffset); }
  uint32_t Down() { return Read32(x86::kAcpiPciHotplugStart + acpi::kPciDownOffset); }
  void Eject(uint32_t slot_bits) {
    uint8_t b[4];
    StoreLe<uint32_t>(b, 0, slot_bits);
    io_.MmioWrite(0, x86::kAcpiPciHotplugStart + acpi::kPciEjectOffset, b);
  }
  // Vendor id of bus 0 device `slot`, function 0 (PCI 3.0 §6.1; ECAM: PCIe
  // 5.0 §7.2.2, 32 KiB per device); 0xffff when the slot is empty.
  uint16_t Vendor(uint8_t slot) {
    return static_cast<uint16_t>(Read32(x86::kPciMmconfigStart + (uint64_t{slot} << 15)));
  }

 private:
  uint32_t Read32(uint64_t gpa) {
    uint8_t b[4] = {};
    io_.MmioRead(0, gpa, b);
    return LoadLe<uint32_t>(b, 0);
  }
  IoDispatcher& io_;
};

constexpr uint16_t kVirtioVendor = 0x1af4;

// Read-only where a restored copy opens the same image beside the original
// (a writable image is locked to one VMM).
virtio::DiskConfig Disk(const ScratchDisk& image, std::string id, bool readonly = false) {
  virtio::DiskConfig disk;
  disk.path = image.path();
  disk.readonly = readonly;
  disk.id = std::move(id);
  return disk;
}

class VmPciHotplugSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(image_.ok() && image2_.ok());
    ASSERT_TRUE(t_.ok()) << t_.error()->message();
    t_.Start();
    ASSERT_TRUE(t_.AllCountPast({0}));
    // The null guest's VM: the rng in slot 1, the rest free.
    ASSERT_EQ(guest_.Vendor(1), kVirtioVendor);
    ASSERT_EQ(guest_.Vendor(kFirstFree), 0xffff);
  }
  // Plays the guest's _EJ0 for `slot` and waits for the device to go.
  bool EjectAndWait(uint8_t slot, const std::string& id) {
    guest_.Eject(1u << slot);
    return WaitFor([&] { return !t_.vm().virtio().Find(id).has_value(); });
  }
  static constexpr uint8_t kFirstFree = 2;
  ScratchDisk image_{1 << 20};
  ScratchDisk image2_{1 << 20};  // a second disk's (images are locked)
  PausableVm t_{1};
  PciGuestSide guest_{t_.vm()};
};

TEST_F(VmPciHotplugSimTest, AnAddedDiskIsAnnouncedAndAnEjectedOneLeavesItsSlotFree) {
  auto added = t_.vm().AddDisk(Disk(image_, "hot0"));
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(added->id, "hot0");
  EXPECT_EQ(added->device, kFirstFree);
  EXPECT_EQ(config::FormatBdf(*added), "0000:00:02.0");
  EXPECT_EQ(guest_.Vendor(kFirstFree), kVirtioVendor);
  // The GED's PCI event; PSCN reads PCIU once.
  EXPECT_EQ(guest_.GedEvents() & acpi::kGedPciHotplug, acpi::kGedPciHotplug);
  EXPECT_EQ(guest_.Up(), 1u << kFirstFree);
  EXPECT_EQ(guest_.Up(), 0u);

  ASSERT_TRUE(t_.vm().RemoveDevice("hot0").ok());
  EXPECT_TRUE(t_.vm().device_removal_pending());
  EXPECT_EQ(guest_.GedEvents() & acpi::kGedPciHotplug, acpi::kGedPciHotplug);
  EXPECT_EQ(guest_.Down(), 1u << kFirstFree);
  // Not gone until the guest ejects it.
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(t_.vm().virtio().Find("hot0").has_value());
  EXPECT_EQ(guest_.Vendor(kFirstFree), kVirtioVendor);

  ASSERT_TRUE(EjectAndWait(kFirstFree, "hot0"));
  EXPECT_FALSE(t_.vm().device_removal_pending());
  EXPECT_EQ(guest_.Vendor(kFirstFree), 0xffff);
  EXPECT_TRUE(t_.AllCountPast(t_.Counts()));  // the guest runs on

  // The slot and the id are free again.
  auto again = t_.vm().AddDisk(Disk(image_, "hot0"));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->device, kFirstFree);
  EXPECT_EQ(guest_.Vendor(kFirstFree), kVirtioVendor);
  EXPECT_TRUE(t_.sim().failures().empty()) << t_.sim().failures().front();
}

TEST_F(VmPciHotplugSimTest, BadRequestsAndHostileEjectsChangeNothing) {
  ASSERT_TRUE(t_.vm().AddDisk(Disk(image_, "hot0")).ok());
  // A duplicate id, a missing image, no id.
  EXPECT_EQ(t_.vm().AddDisk(Disk(image_, "hot0")).error().code(), ErrorCode::kAlreadyExists);
  virtio::DiskConfig missing = Disk(image_, "hot1");
  missing.path = "/nonexistent/petrel-disk.img";
  EXPECT_FALSE(t_.vm().AddDisk(missing).ok());
  EXPECT_FALSE(t_.vm().AddDisk(Disk(image_, "")).ok());
  // Unknown and fixed devices cannot be removed.
  EXPECT_EQ(t_.vm().RemoveDevice("nothing").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(t_.vm().RemoveDevice(config::kRngDeviceId).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(t_.vm().device_removal_pending());
  // Ejects nobody asked for: the host bridge, the rng, the disk, empty slots.
  guest_.Eject(0xffff'ffffu);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(guest_.Vendor(0), 0x8086u);  // the host bridge (pci_host_bridge.h)
  EXPECT_EQ(guest_.Vendor(1), kVirtioVendor);
  EXPECT_EQ(guest_.Vendor(kFirstFree), kVirtioVendor);
  EXPECT_TRUE(t_.vm().virtio().Find("hot0").has_value());
  // The failed adds left nothing: the next disk takes the next slot.
  auto next = t_.vm().AddDisk(Disk(image2_, "hot1"));
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ(next->device, kFirstFree + 1);
  // No hot-plug into a paused VM.
  ASSERT_TRUE(t_.vm().Pause().ok());
  EXPECT_EQ(t_.vm().AddDisk(Disk(image_, "hot2")).error().code(),
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(t_.vm().Resume().ok());
  EXPECT_TRUE(t_.AllCountPast(t_.Counts()));
}

TEST_F(VmPciHotplugSimTest, ARemovalTheGuestIgnoresBlocksSnapshotsNotTheVmm) {
  ASSERT_TRUE(t_.vm().AddDisk(Disk(image_, "hot0")).ok());
  ASSERT_TRUE(t_.vm().RemoveDevice("hot0").ok());
  // Asked again: still pending, no second device.
  EXPECT_TRUE(t_.vm().RemoveDevice("hot0").ok());
  ASSERT_TRUE(t_.vm().Pause().ok());
  auto snap = t_.vm().SaveSnapshotState();
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.error().code(), ErrorCode::kBusy);
  ASSERT_TRUE(t_.vm().Resume().ok());
  // The id stays taken while the device is there.
  EXPECT_EQ(t_.vm().AddDisk(Disk(image_, "hot0")).error().code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(EjectAndWait(kFirstFree, "hot0"));
}

// A snapshot taken after hot-plug restores each device into its slot, even
// where a fresh boot would place it elsewhere.
// vm.add-pmem's VM side: the file is mapped into the guest with its device
// and leaves with it; a restore puts the memory back where the guest saw it.
TEST_F(VmPciHotplugSimTest, AnAddedPmemMapsItsFileAndAnEjectedOneUnmapsIt) {
  const std::string file = ::testing::TempDir() + "hotplug_pmem_" + std::to_string(::getpid());
  { std::ofstream(file, std::ios::binary) << std::string(2 << 20, '\x22'); }
  virtio::PmemConfig pmem{.file = file, .id = "pm0"};
  auto added = t_.vm().AddPmem(pmem);
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(added->device, kFirstFree);
  EXPECT_EQ(guest_.Vendor(kFirstFree), kVirtioVendor);
  auto mapped = t_.sim().device_memory();
  ASSERT_EQ(mapped.size(), 1u);
  const uint64_t gpa = mapped.begin()->second.gpa;
  EXPECT_EQ(mapped.begin()->second.size, 2u << 20);

  // A snapshot, then a restore with the pmem in the config: same address.
  ASSERT_TRUE(t_.vm().Pause().ok());
  auto state = t_.vm().SaveSnapshotState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  auto memory = testing::CopyOf(t_.vm().memory());  // while paused: the guest counts
  ASSERT_TRUE(t_.vm().Resume().ok());
  {
    PausableVm restored(1, true, &*state, memory, {}, 0,
                        [&](config::VmConfig& c) { c.pmem.push_back(pmem); });
    ASSERT_TRUE(restored.ok()) << restored.error()->message();
    auto there = restored.sim().device_memory();
    ASSERT_EQ(there.size(), 1u);
    EXPECT_EQ(there.begin()->second.gpa, gpa);
  }

  ASSERT_TRUE(t_.vm().RemoveDevice("pm0").ok());
  ASSERT_TRUE(EjectAndWait(kFirstFree, "pm0"));
  // The device leaves the list first, then (same VM-thread step) its memory.
  EXPECT_TRUE(WaitFor([&] { return t_.sim().device_memory().empty(); }));
  // Its range is free again: the next one gets it.
  auto again = t_.vm().AddPmem(pmem);
  ASSERT_TRUE(again.ok()) << again.error().message();
  ASSERT_EQ(t_.sim().device_memory().size(), 1u);
  EXPECT_EQ(t_.sim().device_memory().begin()->second.gpa, gpa);
  // A bad file: refused, nothing left behind.
  EXPECT_FALSE(t_.vm().AddPmem({.file = "/nonexistent/pmem", .id = "pm1"}).ok());
  EXPECT_EQ(t_.sim().device_memory().size(), 1u);
  EXPECT_FALSE(t_.vm().virtio().Find("pm1").has_value());
  ::unlink(file.c_str());
}

TEST_F(VmPciHotplugSimTest, AnAddedVsockBindsItsSocketAndAnEjectedOneGivesItBack) {
  const std::string socket =
      ::testing::TempDir() + "hotplug_vsock_" + std::to_string(::getpid()) + ".sock";
  ::unlink(socket.c_str());
  virtio::VsockConfig vsock{.cid = 3, .socket = socket, .id = "vs0"};
  auto added = t_.vm().AddVsock(vsock);
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(added->device, kFirstFree);
  EXPECT_EQ(guest_.Vendor(kFirstFree), kVirtioVendor);
  EXPECT_EQ(::access(socket.c_str(), F_OK), 0) << "the host socket is bound";
  ASSERT_TRUE(t_.vm().RemoveDevice("vs0").ok());
  ASSERT_TRUE(EjectAndWait(kFirstFree, "vs0"));
  // The device leaves the list first, then (same VM-thread step) is destroyed.
  EXPECT_TRUE(WaitFor([&] { return ::access(socket.c_str(), F_OK) != 0; }))
      << "the socket goes with its device";
  // So the same socket can be plugged again.
  auto again = t_.vm().AddVsock(vsock);
  ASSERT_TRUE(again.ok()) << again.error().message();
  // A socket that cannot be bound: refused, nothing left behind.
  EXPECT_FALSE(
      t_.vm().AddVsock({.cid = 4, .socket = "/nonexistent/dir/v.sock", .id = "vs1"}).ok());
  EXPECT_FALSE(t_.vm().virtio().Find("vs1").has_value());
  ::unlink(socket.c_str());
}

TEST_F(VmPciHotplugSimTest, ARestoreBringsHotpluggedDevicesBackInTheirSlots) {
  ASSERT_TRUE(t_.vm().AddDisk(Disk(image_, "hot0")).ok());
  auto second = t_.vm().AddDisk(Disk(image2_, "hot1", true));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->device, kFirstFree + 1);
  ASSERT_TRUE(t_.vm().RemoveDevice("hot0").ok());
  ASSERT_TRUE(EjectAndWait(kFirstFree, "hot0"));
  ASSERT_TRUE(t_.vm().Pause().ok());
  auto state = t_.vm().SaveSnapshotState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  ASSERT_TRUE(state->acpi.pci_hotplug.has_value());

  PausableVm restored(1, true, &*state, testing::CopyOf(t_.vm().memory()), {Disk(image2_, "hot1", true)});
  ASSERT_TRUE(restored.ok()) << restored.error()->message();
  auto placed = restored.vm().virtio().Find("hot1");
  ASSERT_TRUE(placed.has_value());
  EXPECT_EQ(placed->slot, kFirstFree + 1);
  PciGuestSide restored_guest(restored.vm());
  EXPECT_EQ(restored_guest.Vendor(kFirstFree), 0xffff);
  EXPECT_EQ(restored_guest.Vendor(kFirstFree + 1), kVirtioVendor);
}

}  // namespace
}  // namespace petrel::vmm
