// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Whole-VMM tests on hv_sim: VmInstance builds a VM from a VmConfig exactly as
// the petrel binary does (memory, payload load, backend VM, legacy platform,
// vCPUs), with the simulator as the backend and a scripted guest standing in
// for the kernel. No /dev/kvm needed.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>

#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"
#include "tests/guests/test_guests.h"
#include "tests/vmm/sim_vm_fixture.h"
#include "vmm/vm_instance.h"

#include <unistd.h>

#include <cstdlib>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/event/worker.h"

namespace petrel::vmm {
namespace {

using testing::CapturingOptions;
using testing::NullGuestConfig;
using testing::SimFactory;

TEST(VmInstanceSimTest, ScriptedGuestPrintsAndResetsTheVm) {
  auto output = std::make_shared<std::string>();
  VmOptions options = CapturingOptions(output);
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();

  auto* sim = sim::AsSim(&(*vm)->hv_vm());
  ASSERT_NE(sim, nullptr);
  // The guest: "OK\n" through the UART's THR, a boot marker on the debug
  // port, then the i8042 reset command. The steps after it must not run to
  // completion for the reset to be the stop reason.
  auto script = sim::ScriptBuilder()
                    .Out8(0x3f8, 'O')
                    .Out8(0x3f8, 'K')
                    .Out8(0x3f8, '\n')
                    .In8(0x3fd, 0x60)  // LSR: THR empty and transmitter empty
                    .Out8(0x80, 0x41)
                    .Out8(0x64, 0xfe)
                    .Advance(1'000'000'000)
                    .Build();
  ASSERT_TRUE(sim->SetScript(0, script).ok());

  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  EXPECT_EQ(stop->kind, StopReason::Kind::kReset) << stop->detail;
  EXPECT_EQ(*output, "OK\n");
  auto events = (*vm)->platform().debug_port().events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, 0x41);
  EXPECT_TRUE(sim->mismatches().empty()) << sim->mismatches().front();
}

// Runs `script` on vCPU 0 of a fresh null-guest VM and returns why it
// stopped; every read the script expects must match.
StopReason RunScript(const sim::GuestScript& script) {
  VmOptions options = CapturingOptions();
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  EXPECT_TRUE(vm.ok()) << vm.error().message();
  if (!vm.ok()) return {StopReason::Kind::kError, "create failed"};
  auto* sim = sim::AsSim(&(*vm)->hv_vm());
  EXPECT_TRUE(sim->SetScript(0, script).ok());
  auto stop = (*vm)->Run();
  EXPECT_TRUE(stop.ok());
  EXPECT_TRUE(sim->mismatches().empty()) << sim->mismatches().front();
  return stop.ok() ? *stop : StopReason{StopReason::Kind::kError, "run failed"};
}

// hv_sim interpreting the guest's own code (SimConfig::interpret, x86emu's
// sim profile): the in-tree test guests run unchanged, entered through PVH
// exactly as on KVM.
VmInstance::HypervisorFactory InterpretingSim() {
  return [] {
    sim::SimConfig config;
    config.interpret = true;
    return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor(config));
  };
}

TEST(VmInstanceSimTest, TheNullGuestRunsUnchangedOnTheInterpreter) {
  auto output = std::make_shared<std::string>();
  auto vm = VmInstance::Create(NullGuestConfig(), InterpretingSim(), CapturingOptions(output));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  EXPECT_EQ(stop->kind, StopReason::Kind::kPowerOff) << stop->detail;
  EXPECT_EQ(*output, "PETREL-NULL-OK\n");
  auto events = (*vm)->platform().debug_port().events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].code, 0x41);
  EXPECT_EQ(events[1].code, 0x42);
}

TEST(VmInstanceSimTest, TheIoTourGuestReadsItsDevicesBackOnTheInterpreter) {
  auto output = std::make_shared<std::string>();
  config::VmConfig config = NullGuestConfig();
  config.payload.kernel = PETREL_IO_TOUR_GUEST_ELF;
  auto vm = VmInstance::Create(config, InterpretingSim(), CapturingOptions(output));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kPowerOff) << stop->detail;
  EXPECT_EQ(*output, "PETREL-TOUR-OK\n");
  // What the guest read, in the VM trace: LCR 03, scratch 5a, LSR 60, CMOS
  // 77, the IOAPIC version 0x00170020 and the entry it wrote (0x00010034).
  std::vector<std::vector<uint8_t>> reads;
  for (const auto& r : sim::AsSim(&(*vm)->hv_vm())->trace().records()) {
    if (r.kind == sim::TraceKind::kPioRead || r.kind == sim::TraceKind::kMmioRead) {
      reads.push_back(r.bytes);
    }
  }
  EXPECT_EQ(reads, (std::vector<std::vector<uint8_t>>{{0x03},
                                                      {0x5a},
                                                      {0x60},
                                                      {0x77},
                                                      {0x20, 0x00, 0x17, 0x00},
                                                      {0x34, 0x00, 0x01, 0x00}}));
}

// COM1's interrupt goes through the VMM's IOAPIC (the default, as on KVM's
// split irqchip): the guest programs pin 4's redirection entry (82093AA
// 3.2.4: IOREGSEL 0x18/0x19 = entry 4), enables the UART's THR-empty
// interrupt, and the IOAPIC delivers vector 0x34 as an MSI to APIC 0.
TEST(VmInstanceSimTest, TheSerialInterruptArrivesAsAnMsiFromTheVmmsIoapic) {
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), CapturingOptions());
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  auto* sim = sim::AsSim(&(*vm)->hv_vm());
  EXPECT_FALSE(sim->caps().kernel_ioapic);
  auto script = sim::ScriptBuilder()
                    .Read32(0xfec0'0010, 0)           // IOREGSEL 0: the ID register
                    .Write32(0xfec0'0000, 0x01)       // VER
                    .Read32(0xfec0'0010, 0x00170020)  // 24 entries, version 0x20
                    .Write32(0xfec0'0000, 0x19)
                    .Write32(0xfec0'0010, 0)  // destination APIC 0
                    .Write32(0xfec0'0000, 0x18)
                    .Write32(0xfec0'0010, 0x34)  // vector 0x34, fixed, edge, unmasked
                    .Out8(0x3fc, 0x08)           // MCR OUT2: the UART's INTR reaches IRQ 4
                    .Out8(0x3f9, 0x02)           // IER: THR empty
                    .Advance(1'000'000)
                    .Out8(0x600, 0x34)  // S5
                    .Advance(1'000'000'000)
                    .Build();
  ASSERT_TRUE(sim->SetScript(0, script).ok());
  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kPowerOff) << stop->detail;
  EXPECT_TRUE(sim->mismatches().empty()) << sim->mismatches().front();
  std::vector<sim::TraceRecord> msis;
  for (const auto& r : sim->trace().records()) {
    if (r.kind == sim::TraceKind::kMsi) msis.push_back(r);
  }
  ASSERT_EQ(msis.size(), 1u) << sim->trace().ToText();
  EXPECT_EQ(msis[0].addr, 0xfee0'0000u);
  EXPECT_EQ(msis[0].bytes, (std::vector<uint8_t>{0x34, 0, 0, 0}));
}

// With the option off, the backend's pins carry COM1 (hv_sim's pin model,
// KVM's full irqchip): no IOAPIC at 0xfec00000 in the VMM.
TEST(VmInstanceSimTest, WithoutTheUserspaceIoapicTheBackendsPinsCarryTheLines) {
  VmOptions options = CapturingOptions();
  options.userspace_ioapic = false;
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  auto* sim = sim::AsSim(&(*vm)->hv_vm());
  EXPECT_TRUE(sim->caps().kernel_ioapic);
  ASSERT_TRUE(sim->SetScript(0, sim::ScriptBuilder()
                                    .Out8(0x3fc, 0x08)
                                    .Out8(0x3f9, 0x02)
                                    .WaitIrq(4, 1'000'000)
                                    .Out8(0x600, 0x34)
                                    .Advance(1'000'000'000)
                                    .Build())
                  .ok());
  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kPowerOff);
  bool woke = false;
  for (const auto& r : sim->trace().records()) woke |= r.kind == sim::TraceKind::kIrqWake;
  EXPECT_TRUE(woke) << sim->trace().ToText();
}

// The console back-ends are inputs: with overrides, a config whose serial
// and virtio-console would open files that cannot exist still builds (no
// terminal, pty, file or socket is opened), and the virtio-console is there.
TEST(VmInstanceSimTest, ConsoleBackEndsCanBeInjected) {
  config::VmConfig config = NullGuestConfig();
  config.serial = {config::OutputMode::kFile, "/nonexistent-dir/serial.log"};
  config.console = {config::OutputMode::kFile, "/nonexistent-dir/console.log"};
  EXPECT_FALSE(VmInstance::Create(config, SimFactory(), CapturingOptions()).ok());
  VmOptions options = CapturingOptions();
  options.console_output_override = std::make_unique<testing::CapturedOutput>();
  auto vm = VmInstance::Create(config, SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  EXPECT_NE((*vm)->virtio().console(), nullptr);
}

TEST(VmInstanceSimTest, AcpiSleepS5PowersOff) {
  // FADT SLEEP_CONTROL_REG at 0x600: (SLP_TYP 5 << 2) | SLP_EN.
  auto stop = RunScript(sim::ScriptBuilder().Out8(0x600, 0x34).Advance(1'000'000'000).Build());
  EXPECT_EQ(stop.kind, StopReason::Kind::kPowerOff) << stop.detail;
}

TEST(VmInstanceSimTest, AcpiResetRegisterResets) {
  // FADT RESET_REG at 0x600, RESET_VALUE 1.
  auto stop = RunScript(sim::ScriptBuilder().Out8(0x600, 0x01).Advance(1'000'000'000).Build());
  EXPECT_EQ(stop.kind, StopReason::Kind::kReset) << stop.detail;
}

TEST(VmInstanceSimTest, CmosRamSurvivesAGuestResetLikeBatteryBackedNvram) {
  // Boot 1 stores 0x5a in CMOS byte 0x40 (port 0x70 index, 0x71 data) and
  // resets; boot 2, built with CmosAcrossReset(), reads it back.
  Cmos::State kept;
  {
    VmOptions options = CapturingOptions();
    auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
    ASSERT_TRUE(vm.ok()) << vm.error().message();
    auto* sim = sim::AsSim(&(*vm)->hv_vm());
    ASSERT_TRUE(sim->SetScript(0, sim::ScriptBuilder()
                                      .Out8(0x70, 0x40)
                                      .Out8(0x71, 0x5a)
                                      .Out8(0x70, 0x0f)  // leave another index latched
                                      .Out8(0x64, 0xfe)
                                      .Advance(1'000'000'000)
                                      .Build())
                    .ok());
    auto stop = (*vm)->Run();
    ASSERT_TRUE(stop.ok());
    ASSERT_EQ(stop->kind, StopReason::Kind::kReset);
    kept = (*vm)->CmosAcrossReset();
  }
  VmOptions options = CapturingOptions();
  options.cmos_state = kept;
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  auto* sim = sim::AsSim(&(*vm)->hv_vm());
  ASSERT_TRUE(sim->SetScript(0, sim::ScriptBuilder()
                                    .Out8(0x70, 0x40)
                                    .In8(0x71, 0x5a)
                                    .Out8(0x600, 0x34)
                                    .Advance(1'000'000'000)
                                    .Build())
                  .ok());
  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kPowerOff) << stop->detail;
  EXPECT_TRUE(sim->mismatches().empty()) << sim->mismatches().front();
}

TEST(VmInstanceSimTest, PciHostBridgeAnswersOnPortCf8AndEcam) {
  // 00:00.0 vendor/device through CONFIG_ADDRESS/CONFIG_DATA, then through
  // ECAM at 0xE8000000; slot 1 holds the virtio-rng every VM has (1af4:1044,
  // as Cloud Hypervisor), slot 2 is empty (all-ones).
  auto stop = RunScript(sim::ScriptBuilder()
                                               .Out32(0xcf8, 0x8000'0000)
                                               .In32(0xcfc, 0x0d57'8086)
                                               .Out32(0xcf8, 0x8000'0800)
                                               .In32(0xcfc, 0x1044'1af4)
                                               .Read32(0xe800'8000, 0x1044'1af4)
                                               .Out32(0xcf8, 0x8000'1000)
                                               .In32(0xcfc, 0xffff'ffff)
                                               .Read32(0xe800'0000, 0x0d57'8086)
                                               .Read32(0xe800'0008 + 0, 0x0600'0000)  // class: host bridge
                                               .Out8(0x600, 0x34)
                                               .Advance(1'000'000'000)
                                               .Build());
  EXPECT_EQ(stop.kind, StopReason::Kind::kPowerOff) << stop.detail;
}

TEST(VmInstanceSimTest, AcpiTablesDescribeThePciHostBridge) {
  VmOptions options = CapturingOptions();
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  // The XSDT (right after the 36-byte RSDP, 16-aligned at 0xA0030) lists
  // FADT, MADT and MCFG; the MCFG's allocation points at the ECAM window.
  std::vector<uint8_t> xsdt(36 + 24);
  ASSERT_TRUE((*vm)->memory().Read(0xa0030, xsdt).ok());
  ASSERT_EQ(std::string(xsdt.begin(), xsdt.begin() + 4), "XSDT");
  uint64_t mcfg_addr = 0;
  for (int i = 7; i >= 0; --i) mcfg_addr = mcfg_addr << 8 | xsdt[52 + i];
  std::vector<uint8_t> mcfg(60);
  ASSERT_TRUE((*vm)->memory().Read(mcfg_addr, mcfg).ok());
  EXPECT_EQ(std::string(mcfg.begin(), mcfg.begin() + 4), "MCFG");
  EXPECT_EQ(mcfg[44 + 3], 0xe8);  // base 0xE8000000, little-endian
}

TEST(VmInstanceSimTest, AcpiTablesAreInGuestMemory) {
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), VmOptions{false, nullptr});
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  std::array<char, 8> sig{};
  ASSERT_TRUE(
      (*vm)->memory().Read(0xa0000, std::span(reinterpret_cast<uint8_t*>(sig.data()), 8)).ok());
  EXPECT_EQ(std::string(sig.data(), 8), "RSD PTR ");
  // hvm_start_info.rsdp_paddr points at it.
  EXPECT_EQ((*vm)->memory().ReadObj<uint64_t>(0x6000 + 32).value(), 0xa0000u);
}

TEST(VmInstanceSimTest, GuestThatEndsWithoutResetIsAnError) {
  VmOptions options = CapturingOptions();
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), std::move(options));
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  ASSERT_TRUE(
      sim::AsSim(&(*vm)->hv_vm())->SetScript(0, sim::ScriptBuilder().Out8(0x80, 1).Build()).ok());
  auto stop = (*vm)->Run();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kError);
  EXPECT_NE(stop->detail.find("script end"), std::string::npos) << stop->detail;
}

TEST(VmInstanceSimTest, TheBootVcpuGetsThePvhEntryState) {
  // The loader's state reaches the backend: run a script that does nothing
  // and read the registers the VMM set through the interface.
  auto vm = VmInstance::Create(NullGuestConfig(), SimFactory(), CapturingOptions());
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  // Guest memory holds the PVH start info the loader wrote (magic, XEN_HVM_START_MAGIC_VALUE).
  auto magic = (*vm)->memory().ReadObj<uint32_t>(0x6000);
  ASSERT_TRUE(magic.ok());
  EXPECT_EQ(*magic, 0x336ec578u);
}

TEST(VmInstanceSimTest, BadPayloadIsReportedBeforeTheHypervisorIsOpened) {
  std::atomic<int> opened{0};
  VmInstance::HypervisorFactory counting = [&opened] {
    ++opened;
    return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor());
  };
  auto config = NullGuestConfig();
  config.payload.kernel = "/proc/self/status";  // not a regular file
  auto vm = VmInstance::Create(config, counting);
  ASSERT_FALSE(vm.ok());
  EXPECT_NE(vm.error().message().find("kernel"), std::string::npos) << vm.error().message();

  config.payload.kernel = PETREL_NULL_GUEST_ELF;
  config.payload.initramfs = "/nonexistent/initrd.img";
  vm = VmInstance::Create(config, counting);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().message(),
            "cannot open initramfs /nonexistent/initrd.img: No such file or directory");
  EXPECT_EQ(opened.load(), 0);
}

}  // namespace
}  // namespace petrel::vmm

namespace petrel::vmm {
namespace {

// Issue 8: one worker per queue group, "<device>-q<group>": a 2-queue disk
// gets two, rng (one queue, id "__rng" as in Cloud Hypervisor) one.
TEST(VmInstanceSimTest, EachQueueGroupOfADeviceGetsItsOwnWorker) {
  testing::ScratchDisk image(1 << 20);
  ASSERT_TRUE(image.ok());
  VirtualClock clock;
  DeterministicEventLoop loop(clock);
  testing::RecordingWorkers workers(loop);
  config::VmConfig config = testing::NullGuestConfig();
  virtio::DiskConfig disk;
  disk.path = image.path();
  disk.num_queues = 2;
  config.disks.push_back(disk);
  VmOptions options = testing::CapturingOptions();
  options.device_workers = &workers;
  {
    auto vm = VmInstance::Create(config, testing::SimFactory(), std::move(options));
    ASSERT_TRUE(vm.ok()) << vm.error().message();
  }
  EXPECT_EQ(workers.names, (std::vector<std::string>{"__rng-q0", "disk0-q0", "disk0-q1"}));
}

// A VM with a rate-limited disk is built (the limit is enforced by the
// device: devices/virtio/blk/blk_rate_limit_test.cc).
TEST(VmInstanceSimTest, ARateLimitedDiskIsBuilt) {
  testing::ScratchDisk image(1 << 20);
  ASSERT_TRUE(image.ok());
  config::VmConfig config = testing::NullGuestConfig();
  virtio::DiskConfig disk;
  disk.path = image.path();
  disk.rate_limiter_config = ratelimit::RateLimiterConfig{
      .bandwidth = ratelimit::TokenBucketConfig{.size = 1 << 20, .refill_time = 1000}};
  config.disks.push_back(disk);
  auto vm = VmInstance::Create(config, testing::SimFactory(), testing::CapturingOptions());
  ASSERT_TRUE(vm.ok()) << vm.error().message();
}

// Two disks of one --rate-limit-group are built over one shared limiter.
TEST(VmInstanceSimTest, DisksOfARateLimitGroupAreBuilt) {
  testing::ScratchDisk a(1 << 20), b(1 << 20);
  ASSERT_TRUE(a.ok() && b.ok());
  config::VmConfig config = testing::NullGuestConfig();
  config.rate_limit_groups.push_back(
      {.id = "group0",
       .rate_limiter_config = {.bandwidth = ratelimit::TokenBucketConfig{
                                   .size = 1 << 20, .refill_time = 100}}});
  for (const auto* image : {&a, &b}) {
    virtio::DiskConfig disk;
    disk.path = image->path();
    disk.rate_limit_group = "group0";
    config.disks.push_back(disk);
  }
  auto vm = VmInstance::Create(config, testing::SimFactory(), testing::CapturingOptions());
  ASSERT_TRUE(vm.ok()) << vm.error().message();
}

}  // namespace
}  // namespace petrel::vmm
