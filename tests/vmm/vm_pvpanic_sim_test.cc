// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// --pvpanic on a whole VmInstance on hv_sim (issue 15, item 3): the scripted
// guest enables the device's BAR through ECAM, reads the supported events and
// writes a panic; the event monitor gets CH's guest/panic event with its
// "event" property, the VM keeps running, and a snapshot keeps the device's
// config space and slot.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/arch/x86_layout.h"
#include "core/base/bytes.h"
#include "devices/pci/pci_config_space.h"
#include "devices/pvpanic/pvpanic.h"
#include "hv_sim/guest_script.h"
#include "tests/vmm/pausable_vm.h"
#include "vmm/event_monitor.h"

namespace petrel::vmm {
namespace {

using namespace std::chrono_literals;
using testing::CopyOf;
using testing::Counter;
using testing::WaitFor;

// Every event with its properties, as "source/event k=v ...".
class PropertyEvents final : public VmmEvents {
 public:
  void Emit(std::string_view source, std::string_view event,
            const EventProperties& properties) override {
    std::string line = std::string(source) + "/" + std::string(event);
    for (const auto& [k, v] : properties) line += " " + k + "=" + v;
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

constexpr uint64_t Ecam(uint8_t slot, uint16_t offset) {
  return x86::kPciMmconfigStart + (uint64_t{slot} << 15) + offset;
}

// The null guest's VM with --pvpanic: the rng in slot 1, the device in 2.
constexpr uint8_t kSlot = 2;

config::VmConfig PvpanicConfig() {
  config::VmConfig config = testing::NullGuestConfig();
  config.pvpanic = true;
  return config;
}

struct Vm {
  std::unique_ptr<VmInstance> vm;
  std::future<Result<StopReason>> run;
  ~Vm() {
    if (run.valid()) {
      vm->RequestStop({StopReason::Kind::kShutdown, "test over"});
      run.wait();
    }
  }
  void Start() {
    run = std::async(std::launch::async, [this] { return vm->Run(); });
    EXPECT_TRUE(WaitFor([this] { return vm->state() != VmRunState::kCreated; }));
  }
  uint64_t Count() const { return vm->memory().LoadAtomic<uint64_t>(Counter(0)).value(); }
  uint32_t Read32(uint64_t gpa) {
    uint8_t b[4] = {};
    vm->io().MmioRead(0, gpa, b);
    return LoadLe<uint32_t>(b, 0);
  }
};

std::unique_ptr<VmInstance> MakeVm(const config::VmConfig& config, sim::GuestScript script,
                                   VmmEvents* events, const VmSnapshotState* restore = nullptr,
                                   std::shared_ptr<GuestMemory> memory = nullptr) {
  VmOptions options = testing::CapturingOptions();
  options.events = events;
  options.restore = restore;
  options.memory = std::move(memory);
  sim::SimConfig sim_config;
  sim_config.vcpu_scripts[0] = std::move(script);
  auto factory = [sim_config] {
    return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(sim_config));
  };
  auto vm = VmInstance::Create(config, factory, std::move(options));
  EXPECT_TRUE(vm.ok()) << vm.error().message();
  return vm.ok() ? std::move(vm).value() : nullptr;
}

sim::GuestScript Counting() { return sim::ScriptBuilder().Count(Counter(0), UINT64_MAX).Build(); }

// Where the platform puts BAR 0 (placement is deterministic): from a VM that
// never runs.
uint32_t Bar0Address() {
  auto probe = MakeVm(PvpanicConfig(), Counting(), nullptr);
  if (!probe) return 0;
  uint8_t b[4] = {};
  probe->io().MmioRead(0, Ecam(kSlot, kPciBar0), b);
  return LoadLe<uint32_t>(b, 0) & ~0xfu;
}

TEST(VmPvpanicSimTest, TheDeviceIsOnBus0AfterTheVirtioDevices) {
  Vm t{MakeVm(PvpanicConfig(), Counting(), nullptr), {}};
  ASSERT_TRUE(t.vm);
  EXPECT_EQ(t.Read32(Ecam(kSlot, kPciVendorId)), 0x0011'1b36u);
  EXPECT_EQ(t.Read32(Ecam(kSlot, kPciRevisionId)), 0x0880'0001u);
  EXPECT_EQ(t.Read32(Ecam(kSlot + 1, kPciVendorId)), 0xffff'ffffu);
  EXPECT_NE(Bar0Address(), 0u);
  // Without --pvpanic the slot is empty.
  Vm none{MakeVm(testing::NullGuestConfig(), Counting(), nullptr), {}};
  ASSERT_TRUE(none.vm);
  EXPECT_EQ(none.Read32(Ecam(kSlot, kPciVendorId)), 0xffff'ffffu);
}

TEST(VmPvpanicSimTest, AGuestPanicReachesTheEventMonitorAndTheVmRunsOn) {
  const uint32_t bar = Bar0Address();
  ASSERT_NE(bar, 0u);
  PropertyEvents events;
  sim::GuestScript script = sim::ScriptBuilder()
                                .Write16(Ecam(kSlot, kPciCommand), kPciCommandMemorySpace)
                                .Read8(bar, PvpanicDevice::kSupportedEvents)
                                .Write8(bar, PvpanicDevice::kPanicked)
                                .Write8(bar, PvpanicDevice::kCrashLoaded)
                                .Write8(bar, 0x40)
                                .Count(Counter(0), UINT64_MAX)
                                .Build();
  Vm t{MakeVm(PvpanicConfig(), std::move(script), &events), {}};
  ASSERT_TRUE(t.vm);
  t.Start();
  ASSERT_TRUE(WaitFor([&] { return t.Count() > 1000; })) << "the guest stopped after its panic";
  EXPECT_EQ(t.vm->state(), VmRunState::kRunning);
  EXPECT_EQ(events.lines(), (std::vector<std::string>{"guest/panic event=panic",
                                                      "guest/panic event=crash_loaded",
                                                      "guest/panic event=unknown_event"}));
  // CH's event_monitor document for it.
  EXPECT_EQ(EventMonitor::FormatEvent(1'500'000'000, "guest", "panic", {{"event", "panic"}}),
            "{\n  \"timestamp\": {\n    \"secs\": 1,\n    \"nanos\": 500000000\n  },\n"
            "  \"source\": \"guest\",\n  \"event\": \"panic\",\n  \"properties\": {\n"
            "    \"event\": \"panic\"\n  }\n}\n\n");
}

TEST(VmPvpanicSimTest, ASnapshotKeepsTheDevicesConfigSpaceAndSlot) {
  const uint32_t bar = Bar0Address();
  ASSERT_NE(bar, 0u);
  sim::GuestScript script = sim::ScriptBuilder()
                                .Write16(Ecam(kSlot, kPciCommand), kPciCommandMemorySpace)
                                .Count(Counter(0), UINT64_MAX)
                                .Build();
  VmSnapshotState state;
  std::shared_ptr<GuestMemory> memory;
  {
    Vm src{MakeVm(PvpanicConfig(), std::move(script), nullptr), {}};
    ASSERT_TRUE(src.vm);
    src.Start();
    ASSERT_TRUE(WaitFor([&] { return src.Count() > 0; }));
    ASSERT_TRUE(src.vm->Pause().ok());
    auto saved = src.vm->SaveSnapshotState();
    ASSERT_TRUE(saved.ok()) << saved.error().message();
    state = std::move(saved).value();
    memory = CopyOf(src.vm->memory());
  }
  ASSERT_TRUE(state.pvpanic.has_value());
  EXPECT_EQ(state.pvpanic->slot, kSlot);
  EXPECT_EQ(state.pvpanic->config.regs[kPciCommand] & kPciCommandMemorySpace,
            kPciCommandMemorySpace);

  // Restored where the snapshot says (a hot-plug history could have moved
  // it), with its BAR decoding where it was.
  VmSnapshotState moved = state;
  moved.pvpanic->slot = 5;
  PropertyEvents events;
  Vm dst{MakeVm(PvpanicConfig(), Counting(), &events, &moved, CopyOf(*memory)), {}};
  ASSERT_TRUE(dst.vm);
  EXPECT_EQ(dst.Read32(Ecam(5, kPciVendorId)), 0x0011'1b36u);
  EXPECT_EQ(dst.Read32(Ecam(kSlot, kPciVendorId)), 0xffff'ffffu);
  EXPECT_EQ(dst.Read32(Ecam(5, kPciBar0)) & ~0xfu, bar);
  uint8_t v = 0;
  dst.vm->io().MmioRead(0, bar, std::span(&v, 1));
  EXPECT_EQ(v, PvpanicDevice::kSupportedEvents);
  const uint8_t panic = PvpanicDevice::kPanicked;
  dst.vm->io().MmioWrite(0, bar, std::span(&panic, 1));
  EXPECT_EQ(events.lines(), (std::vector<std::string>{"guest/panic event=panic"}));
  dst.Start();
  // The restored VM starts paused; its vCPUs can be saved once their
  // threads have parked, which takes a moment on a loaded host.
  std::optional<VmSnapshotState> again;
  ASSERT_TRUE(WaitFor([&] {
    auto saved = dst.vm->SaveSnapshotState();
    if (saved.ok()) again = std::move(saved).value();
    return again.has_value();
  }));
  EXPECT_TRUE(again->pvpanic == moved.pvpanic);
}

TEST(VmPvpanicSimTest, ARestoreRefusesAPvpanicMismatch) {
  VmSnapshotState state;
  std::shared_ptr<GuestMemory> memory;
  {
    Vm src{MakeVm(testing::NullGuestConfig(), Counting(), nullptr), {}};
    ASSERT_TRUE(src.vm);
    src.Start();
    ASSERT_TRUE(src.vm->Pause().ok());
    auto saved = src.vm->SaveSnapshotState();
    ASSERT_TRUE(saved.ok()) << saved.error().message();
    state = std::move(saved).value();
    memory = CopyOf(src.vm->memory());
  }
  EXPECT_FALSE(state.pvpanic.has_value());
  VmOptions options = testing::CapturingOptions();
  options.restore = &state;
  options.memory = memory;
  auto vm = VmInstance::Create(PvpanicConfig(), testing::SimFactory(), std::move(options));
  ASSERT_FALSE(vm.ok());
  EXPECT_NE(vm.error().message().find("pvpanic"), std::string::npos) << vm.error().message();
}

}  // namespace
}  // namespace petrel::vmm
