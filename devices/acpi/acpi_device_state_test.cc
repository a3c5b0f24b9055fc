// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The shared snapshot test for the ACPI platform devices (the pattern of
// devices/legacy/device_state_test.cc): drive a device into a non-trivial
// state, Save, Restore into a fresh instance, Save again and compare; the
// restored device must behave like the original. Restore must reject states
// the device could never reach and leave itself unchanged.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/base/clock.h"
#include "devices/acpi/acpi_pm.h"
#include "devices/acpi/ged.h"
#include "devices/acpi/memory_hotplug_controller.h"
#include "devices/acpi/pci_hotplug_controller.h"
#include "devices/acpi/pm_timer.h"
#include "devices/legacy/fake_interrupt_line.h"
#include "devices/testing/device_state_suite.h"

namespace petrel {
namespace {

void Out(BusDevice& d, uint64_t off, uint8_t v) {
  d.Write(off, std::span<const uint8_t>(&v, 1));
}
uint8_t In(BusDevice& d, uint64_t off) {
  uint8_t v = 0;
  d.Read(off, std::span<uint8_t>(&v, 1));
  return v;
}

// Each Traits type: Make() a fresh device, Drive() it into a non-trivial
// state, Observe() it through guest accesses, and list Invalid() states.
struct AcpiPmTraits {
  using Device = AcpiPmDevice;
  std::unique_ptr<AcpiPmDevice> Make() { return std::make_unique<AcpiPmDevice>(nullptr, nullptr); }
  void Drive(AcpiPmDevice& d) {
    Out(d, acpi::kSleepControlOffset, (3 << acpi::kSleepTypeShift) | acpi::kSleepEnable);  // S3
  }
  std::vector<uint8_t> Observe(AcpiPmDevice& d) {
    std::vector<uint8_t> v;
    for (uint64_t off = 0; off < AcpiPmDevice::kSize; ++off) v.push_back(In(d, off));
    Out(d, acpi::kSleepStatusOffset, acpi::kWakeStatus);
    v.push_back(In(d, acpi::kSleepStatusOffset));
    return v;
  }
  std::vector<AcpiPmDevice::State> Invalid(const AcpiPmDevice::State& good) {
    std::vector<AcpiPmDevice::State> bad(2, good);
    bad[0].sleep_status = 0x01;  // reserved bit
    bad[1].sleep_status = 0xff;
    return bad;
  }
};

struct PmTimerTraits {
  using Device = PmTimer;
  VirtualClock clock{1'000};
  std::unique_ptr<PmTimer> Make() { return std::make_unique<PmTimer>(clock); }
  void Drive(PmTimer&) { clock.Advance(1201ULL * 1'000'000'000ULL + 12'345); }  // past the wrap
  // The clock is shared, so both devices are read at the same virtual time
  // (continuity across later time steps: pm_timer_test.cc).
  std::vector<uint8_t> Observe(PmTimer& t) {
    std::vector<uint8_t> v;
    for (uint64_t off = 0; off < PmTimer::kSize; ++off) v.push_back(In(t, off));
    return v;
  }
  std::vector<PmTimer::State> Invalid(const PmTimer::State&) {
    return {PmTimer::State{PmTimer::kMaxElapsedNs + 1}, PmTimer::State{~0ULL}};
  }
};

struct GedTraits {
  using Device = GedDevice;
  std::unique_ptr<GedDevice> Make() {
    return std::make_unique<GedDevice>(std::make_shared<FakeInterruptLine>());
  }
  void Drive(GedDevice& g) {
    g.Notify(GedDevice::kEventCpuHotplug);
    g.PressPowerButton();
  }
  std::vector<uint8_t> Observe(GedDevice& g) { return {In(g, 0), In(g, 0)}; }
  std::vector<GedDevice::State> Invalid(const GedDevice::State& good) {
    std::vector<GedDevice::State> bad(2, good);
    bad[0].pending = 0x10;
    bad[1].pending = 0x88;
    return bad;
  }
};

struct PciHotplugTraits {
  using Device = PciHotplugController;
  std::unique_ptr<PciHotplugController> Make() {
    return std::make_unique<PciHotplugController>(nullptr);
  }
  void Drive(PciHotplugController& hp) {
    ASSERT_TRUE(hp.Insert(3).ok());
    ASSERT_TRUE(hp.RequestRemoval(4).ok());
    ASSERT_TRUE(hp.RequestRemoval(5).ok());
  }
  // PCIU and PCID (which their reads clear), then whether slot 4 ejects.
  std::vector<uint8_t> Observe(PciHotplugController& hp) {
    std::vector<uint8_t> v;
    for (const uint64_t off : {acpi::kPciUpOffset, acpi::kPciDownOffset, acpi::kPciUpOffset}) {
      uint8_t b[4] = {};
      hp.Read(off, b);
      v.insert(v.end(), b, b + 4);
    }
    const uint8_t eject4[4] = {1 << 4, 0, 0, 0};
    hp.Write(acpi::kPciEjectOffset, eject4);
    v.push_back(hp.removal_pending(4));
    v.push_back(hp.removal_pending(5));
    return v;
  }
  std::vector<PciHotplugController::State> Invalid(const PciHotplugController::State& good) {
    std::vector<PciHotplugController::State> bad(3, good);
    bad[0].up |= 1;  // the host bridge
    bad[1].removal_requested |= 1;
    bad[2].down |= 1u << 9;  // announced, never requested
    return bad;
  }
};

struct MemoryHotplugTraits {
  using Device = MemoryHotplugController;
  static constexpr uint64_t kGiB = 1ULL << 30;
  std::unique_ptr<MemoryHotplugController> Make() {
    return std::make_unique<MemoryHotplugController>(nullptr);
  }
  void Drive(MemoryHotplugController& hp) {
    ASSERT_TRUE(hp.Insert(0, 4 * kGiB, kGiB, 1).ok());
    ASSERT_TRUE(hp.Insert(3, 8 * kGiB, 2 * kGiB).ok());
    ASSERT_TRUE(hp.RequestRemoval(3).ok());
    const uint8_t sel[4] = {3, 0, 0, 0};
    hp.Write(acpi::kMemorySelectOffset, sel);
  }
  // Every slot's registers, then whether slot 3 ejects and slot 0 does not.
  std::vector<uint8_t> Observe(MemoryHotplugController& hp) {
    std::vector<uint8_t> v;
    for (uint8_t slot = 0; slot < MemoryHotplugController::kSlots; ++slot) {
      const uint8_t sel[4] = {slot, 0, 0, 0};
      hp.Write(acpi::kMemorySelectOffset, sel);
      for (uint64_t off = 0; off <= acpi::kMemoryProximityOffset; off += 4) {
        uint8_t b[4] = {};
        hp.Read(off, b);
        v.insert(v.end(), b, b + 4);
      }
      v.push_back(In(hp, acpi::kMemoryStatusOffset));
    }
    for (const uint8_t slot : {3, 0}) {
      const uint8_t sel[4] = {slot, 0, 0, 0};
      hp.Write(acpi::kMemorySelectOffset, sel);
      Out(hp, acpi::kMemoryStatusOffset, acpi::kMemoryEject);
      v.push_back(hp.removal_pending(slot));
      v.push_back(hp.slot(slot)->enabled);
    }
    return v;
  }
  std::vector<MemoryHotplugController::State> Invalid(const MemoryHotplugController::State& good) {
    std::vector<MemoryHotplugController::State> bad(4, good);
    bad[0].slots.pop_back();
    bad[1].slots[1].inserting = true;  // a free slot with a flag
    bad[2].slots[0].removing = true;   // announced, never requested
    bad[3].slots[0].base = 8 * kGiB;   // overlapping slot 3
    return bad;
  }
};

using DeviceTraits =
    ::testing::Types<AcpiPmTraits, PmTimerTraits, GedTraits, PciHotplugTraits,
                     MemoryHotplugTraits>;

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Acpi, DeviceStateTest, DeviceTraits);
}  // namespace testing
}  // namespace petrel
