// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// vCPU hot-plug of a whole VmInstance on hv_sim (issue 14, item 1): each
// possible vCPU's script counts in guest RAM once it runs, and the test
// thread plays the guest's ACPI methods (CSCN, CEJ0) on the controller's
// registers through the VM's own MMIO bus, as the DSDT's AML does. A resize
// up plugs vCPUs that run and are announced through the GED; a resize down
// waits for the guest's eject and then ends the thread; an ejected vCPU is
// reused when plugged again (hv_sim, like KVM, refuses a second vCPU with
// the same id); a removal the guest ignores is withdrawn by the next
// resize; bad requests and hostile ejects change nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/acpi/cpu_hotplug_registers.h"
#include "core/acpi/pm_registers.h"
#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"
#include "tests/vmm/pausable_vm.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::PausableVm;
using testing::WaitFor;

// The guest's side of the controller, as the DSDT's methods access it.
class AcpiGuest {
 public:
  explicit AcpiGuest(VmInstance& vm) : io_(vm.io()) {}
  uint8_t GedEvents() {
    uint8_t v = 0;
    io_.MmioRead(0, x86::kAcpiGedStart, std::span<uint8_t>(&v, 1));
    return v;
  }
  uint8_t Status(uint32_t index) {
    Select(index);
    uint8_t v = 0;
    io_.MmioRead(0, x86::kAcpiCpuHotplugStart + acpi::kCpuStatusOffset, std::span<uint8_t>(&v, 1));
    return v;
  }
  void Write(uint32_t index, uint8_t bits) {
    Select(index);
    io_.MmioWrite(0, x86::kAcpiCpuHotplugStart + acpi::kCpuStatusOffset,
                  std::span<const uint8_t>(&bits, 1));
  }
  void Eject(uint32_t index) { Write(index, acpi::kCpuEject); }

 private:
  void Select(uint32_t index) {
    uint8_t b[4];
    StoreLe<uint32_t>(b, 0, index);
    io_.MmioWrite(0, x86::kAcpiCpuHotplugStart + acpi::kCpuSelectOffset, b);
  }
  IoDispatcher& io_;
};

// True when vCPU `i`'s counter moves within 10 s.
bool Counts(PausableVm& t, uint32_t i) {
  const uint64_t before = t.Count(i);
  return WaitFor([&] { return t.Count(i) > before; });
}
// True when vCPU `i`'s counter stands still for 50 ms.
bool Stopped(PausableVm& t, uint32_t i) {
  const uint64_t before = t.Count(i);
  std::this_thread::sleep_for(50ms);
  return t.Count(i) == before;
}

class VmCpuHotplugSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(t_.ok()) << t_.error()->message();
    t_.Start();
    ASSERT_TRUE(Counts(t_, 0));
  }
  PausableVm t_{1, true, nullptr, nullptr, {}, /*max_vcpus=*/4};
  AcpiGuest guest_{t_.vm()};
};

TEST_F(VmCpuHotplugSimTest, ResizeUpPlugsRunningVcpusAndTellsTheGuest) {
  EXPECT_EQ(t_.vm().vcpu_count(), 1u);
  EXPECT_EQ(t_.Count(1), 0u);  // not plugged: its script never ran
  EXPECT_EQ(guest_.Status(1), 0);
  auto resized = t_.vm().ResizeVcpus(3);
  ASSERT_TRUE(resized.ok()) << resized.error().message();
  EXPECT_EQ(t_.vm().vcpu_count(), 3u);
  EXPECT_TRUE(Counts(t_, 1));
  EXPECT_TRUE(Counts(t_, 2));
  EXPECT_EQ(t_.Count(3), 0u);
  // The GED's CPU event; CSCN finds vCPUs 1 and 2 inserting and acknowledges.
  EXPECT_EQ(guest_.GedEvents() & acpi::kGedCpuHotplug, acpi::kGedCpuHotplug);
  EXPECT_EQ(guest_.Status(0), acpi::kCpuEnabled);
  for (uint32_t i : {1u, 2u}) {
    EXPECT_EQ(guest_.Status(i), acpi::kCpuEnabled | acpi::kCpuInserting);
    guest_.Write(i, acpi::kCpuInserting);
    EXPECT_EQ(guest_.Status(i), acpi::kCpuEnabled);
  }
  EXPECT_EQ(guest_.Status(3), 0);
  // The same size again: nothing to do, no event.
  ASSERT_TRUE(t_.vm().ResizeVcpus(3).ok());
  EXPECT_EQ(guest_.GedEvents(), 0);
}

TEST_F(VmCpuHotplugSimTest, ResizeDownWaitsForTheEjectAndPlugsTheSameVcpuAgain) {
  ASSERT_TRUE(t_.vm().ResizeVcpus(3).ok());
  ASSERT_TRUE(Counts(t_, 2));
  ASSERT_TRUE(t_.vm().ResizeVcpus(1).ok());
  EXPECT_TRUE(t_.vm().vcpu_removal_pending());
  EXPECT_EQ(t_.vm().vcpu_count(), 3u);  // the guest has not ejected yet
  EXPECT_TRUE(Counts(t_, 2));
  EXPECT_EQ(guest_.Status(2), acpi::kCpuEnabled | acpi::kCpuRemoving);
  // No snapshot while the guest owes an eject.
  ASSERT_TRUE(t_.vm().Pause().ok());
  auto snap = t_.vm().SaveSnapshotState();
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.error().code(), ErrorCode::kBusy);
  ASSERT_TRUE(t_.vm().Resume().ok());

  guest_.Eject(2);  // the guest offlined vCPU 2 and ran its _EJ0
  ASSERT_TRUE(WaitFor([&] { return t_.vm().vcpu_count() == 2; }));
  EXPECT_TRUE(Stopped(t_, 2));
  EXPECT_TRUE(Counts(t_, 1));
  guest_.Eject(1);
  ASSERT_TRUE(WaitFor([&] { return t_.vm().vcpu_count() == 1; }));
  EXPECT_FALSE(t_.vm().vcpu_removal_pending());
  EXPECT_TRUE(Stopped(t_, 1));
  EXPECT_TRUE(Counts(t_, 0));

  // Plugged again: the kept vCPU, whose script counts on.
  auto again = t_.vm().ResizeVcpus(2);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(Counts(t_, 1));
  EXPECT_EQ(guest_.Status(1), acpi::kCpuEnabled | acpi::kCpuInserting);
  // Now a snapshot holds the two present vCPUs.
  ASSERT_TRUE(t_.vm().Pause().ok());
  auto state = t_.vm().SaveSnapshotState();
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(state->vcpus.size(), 2u);
  ASSERT_TRUE(state->acpi.cpu_hotplug.has_value());
  EXPECT_TRUE(state->acpi.cpu_hotplug->slots[1].enabled);
  EXPECT_FALSE(state->acpi.cpu_hotplug->slots[2].enabled);
  ASSERT_TRUE(t_.vm().Resume().ok());
  EXPECT_TRUE(t_.sim().failures().empty()) << t_.sim().failures().front();
}

TEST_F(VmCpuHotplugSimTest, ARemovalTheGuestIgnoresIsWithdrawnByTheNextResize) {
  ASSERT_TRUE(t_.vm().ResizeVcpus(3).ok());
  ASSERT_TRUE(t_.vm().ResizeVcpus(2).ok());
  EXPECT_TRUE(t_.vm().vcpu_removal_pending());
  ASSERT_TRUE(t_.vm().ResizeVcpus(3).ok());  // the guest never ejected vCPU 2
  EXPECT_FALSE(t_.vm().vcpu_removal_pending());
  guest_.Eject(2);  // too late: not asked any more
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(t_.vm().vcpu_count(), 3u);
  EXPECT_TRUE(Counts(t_, 2));
}

TEST_F(VmCpuHotplugSimTest, BadRequestsAndHostileEjectsChangeNothing) {
  EXPECT_EQ(t_.vm().ResizeVcpus(0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(t_.vm().ResizeVcpus(5).error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(t_.vm().ResizeVcpus(2).ok());
  guest_.Eject(0);  // the boot vCPU
  guest_.Eject(1);  // present, never asked to leave
  guest_.Eject(3);  // absent
  guest_.Eject(1000);  // beyond max
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(t_.vm().vcpu_count(), 2u);
  EXPECT_TRUE(Counts(t_, 0));
  EXPECT_TRUE(Counts(t_, 1));
  ASSERT_TRUE(t_.vm().Pause().ok());
  auto paused = t_.vm().ResizeVcpus(4);
  ASSERT_FALSE(paused.ok());
  EXPECT_EQ(paused.error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(t_.vm().Resume().ok());
  EXPECT_EQ(t_.vm().vcpu_count(), 2u);
}

TEST(VmCpuHotplugSimTestNoHotplug, OnePossibleVcpuHasNoController) {
  PausableVm t(1);
  ASSERT_TRUE(t.ok());
  t.Start();
  EXPECT_TRUE(t.vm().ResizeVcpus(1).ok());
  EXPECT_EQ(t.vm().ResizeVcpus(2).error().code(), ErrorCode::kInvalidArgument);
  uint8_t v = 0xaa;
  t.vm().io().MmioRead(0, x86::kAcpiCpuHotplugStart, std::span<uint8_t>(&v, 1));
  EXPECT_NE(v, 0xaa);  // unclaimed MMIO reads as the bus's default, not a device
}

}  // namespace
}  // namespace petrel::vmm
