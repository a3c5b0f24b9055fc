// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for hv_sim/sim_vm.h and sim_hypervisor.h: caps, CPUID, vCPU creation,
// interrupt lines and software ioevents through IoDispatcher.
#include "hv_sim/sim_vm.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/io/io_dispatcher.h"
#include "hv_sim/sim_fake_devices.h"
#include "hv_sim/sim_hypervisor.h"

namespace petrel::sim {
namespace {

std::string Vendor(const hv::CpuidEntry& e) {
  char s[13] = {};
  std::memcpy(s, &e.ebx, 4);
  std::memcpy(s + 4, &e.edx, 4);
  std::memcpy(s + 8, &e.ecx, 4);
  return s;
}

const hv::CpuidEntry* Find(const std::vector<hv::CpuidEntry>& t, uint32_t fn) {
  for (const auto& e : t)
    if (e.function == fn) return &e;
  return nullptr;
}

TEST(SimHypervisor, CapsAreDeterministicWithoutKernelHelpers) {
  SimConfig c;
  c.max_vcpus = 3;
  auto hv = MakeSimHypervisor(c);
  EXPECT_EQ(hv->kind(), hv::BackendKind::kSim);
  EXPECT_TRUE(hv->caps().deterministic);
  EXPECT_FALSE(hv->caps().kernel_ioevents);
  EXPECT_FALSE(hv->caps().kernel_irqchip);
  EXPECT_EQ(hv->caps().max_vcpus, 3u);
  auto vm = hv->CreateVm(hv::VmConfig{2}).value();
  EXPECT_TRUE(vm->caps().deterministic);
  EXPECT_NE(AsSim(vm.get()), nullptr);
  EXPECT_NE(AsSim(vm), nullptr);
  EXPECT_FALSE(hv->CreateVm(hv::VmConfig{4}).ok());
  EXPECT_FALSE(hv->CreateVm(hv::VmConfig{0}).ok());
}

TEST(SimHypervisor, CpuidIsAPlausibleFixedSet) {
  auto hv = MakeSimHypervisor();
  auto t = hv->SupportedCpuid().value();
  const auto* l0 = Find(t, 0);
  ASSERT_NE(l0, nullptr);
  EXPECT_EQ(Vendor(*l0), "PetrelSimCPU");
  EXPECT_EQ(l0->eax, 7u);
  ASSERT_NE(Find(t, 1), nullptr);
  EXPECT_TRUE(Find(t, 1)->edx & (1u << 25));  // SSE
  ASSERT_NE(Find(t, 7), nullptr);
  EXPECT_EQ(Find(t, 7)->flags, hv::kCpuidFlagSignificantIndex);
  const auto* e0 = Find(t, 0x80000000);
  ASSERT_NE(e0, nullptr);
  EXPECT_EQ(e0->eax, 0x80000008u);
  for (uint32_t fn = 0x80000001; fn <= 0x80000004; ++fn) EXPECT_NE(Find(t, fn), nullptr) << fn;
  EXPECT_TRUE(Find(t, 0x80000001)->edx & (1u << 29));  // long mode
  EXPECT_EQ(Find(t, 0x80000008)->eax & 0xff, 39u);
  char brand[17] = {};
  std::memcpy(brand, &Find(t, 0x80000002)->eax, 4);
  std::memcpy(brand + 4, &Find(t, 0x80000002)->ebx, 4);
  std::memcpy(brand + 8, &Find(t, 0x80000002)->ecx, 4);
  std::memcpy(brand + 12, &Find(t, 0x80000002)->edx, 4);
  EXPECT_STREQ(brand, "Petrel Simulated");
  EXPECT_EQ(t, hv->SupportedCpuid().value());
}

TEST(SimVm, VcpuIdsAreCheckedAndReusableAfterDestruction) {
  SimConfig c;
  c.max_vcpus = 2;
  auto vm = MakeSimHypervisor(c)->CreateSimVm().value();
  auto v0 = vm->CreateVcpu(0);
  ASSERT_TRUE(v0.ok());
  EXPECT_EQ((*v0)->id(), 0u);
  EXPECT_NE(AsSim(v0->get()), nullptr);
  EXPECT_EQ(vm->CreateVcpu(0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(vm->CreateVcpu(2).error().code(), ErrorCode::kOutOfRange);
  v0->reset();
  EXPECT_TRUE(vm->CreateVcpu(0).ok());
  EXPECT_EQ(vm->SetScript(1, {}).error().code(), ErrorCode::kNotFound);
}

TEST(SimVm, MapMemoryOnlyOnce) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  auto mem = GuestMemory::CreateX86(1 << 20).value();
  EXPECT_FALSE(vm->MapMemory(nullptr).ok());
  EXPECT_TRUE(vm->MapMemory(mem).ok());
  EXPECT_EQ(vm->memory(), mem);
  EXPECT_FALSE(vm->MapMemory(mem).ok());
}

TEST(SimVm, DirtyLogNeedsMemoryAndLogging) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  EXPECT_EQ(vm->StartDirtyLog().error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(vm->TakeDirtyLog().error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(vm->MapMemory(GuestMemory::CreateX86(1 << 20).value()).ok());
  EXPECT_EQ(vm->TakeDirtyLog().error().code(), ErrorCode::kFailedPrecondition);  // not logging
  ASSERT_TRUE(vm->StartDirtyLog().ok());
  EXPECT_EQ(vm->TakeDirtyLog().value().CountPages(), 0u);
  ASSERT_TRUE(vm->StopDirtyLog().ok());
  EXPECT_EQ(vm->TakeDirtyLog().error().code(), ErrorCode::kFailedPrecondition);
}

// The guest's writes go to the sim's log, the VMM's (GuestMemory::Write) to
// GuestMemory's: each log sees only its side.
TEST(SimVm, ScriptedWritesReachDeviceMemoryAndAreNotLogged) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  auto mem = GuestMemory::CreateX86(1 << 20).value();
  ASSERT_TRUE(vm->MapMemory(mem).ok());
  auto pmem = *HostRegion::Anonymous(0x200000);
  auto id = vm->MapDeviceMemory(0x1'0000'0000ull, 0x200000, pmem->data());
  ASSERT_TRUE(id.ok()) << id.error().message();
  EXPECT_FALSE(vm->MapDeviceMemory(0x8000, 0x1000, pmem->data()).ok());  // RAM
  EXPECT_FALSE(vm->MapDeviceMemory(0x1'0010'0000ull, 0x200000, pmem->data()).ok());  // overlap
  auto vcpu = vm->CreateSimVcpu(0).value();
  ASSERT_TRUE(vm->StartDirtyLog().ok());
  ASSERT_TRUE(vm->SetScript(0, ScriptBuilder().WriteRam(0x1'0000'1000ull, {9, 8, 7}).Build()).ok());
  IoDispatcher io;
  ASSERT_TRUE(vm->RunAll(io).ok());
  EXPECT_FALSE(vm->failed());
  EXPECT_EQ(pmem->data()[0x1000], 9);
  EXPECT_EQ(pmem->data()[0x1002], 7);
  EXPECT_EQ(vm->TakeDirtyLog().value().CountPages(), 0u);
  ASSERT_TRUE(vm->UnmapDeviceMemory(*id).ok());
  EXPECT_TRUE(vm->device_memory().empty());
  // Unmapped: the same write is outside anything the guest has.
  ASSERT_TRUE(vm->SetScript(0, ScriptBuilder().WriteRam(0x1'0000'1000ull, {1}).Build()).ok());
  (void)vm->RunAll(io);
  EXPECT_TRUE(vm->failed());
  EXPECT_EQ(pmem->data()[0x1000], 9);
}

TEST(SimVm, GuestWritesDirtyTheSimLogAndDeviceWritesDoNot) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  auto mem = GuestMemory::CreateX86(1 << 20).value();
  ASSERT_TRUE(vm->MapMemory(mem).ok());
  auto vcpu = vm->CreateSimVcpu(0).value();
  ASSERT_TRUE(vm->StartDirtyLog().ok());
  mem->StartDirtyLog();
  ASSERT_TRUE(
      vm->SetScript(0, ScriptBuilder().Count(0x5008, 10).WriteRam(0x7ffe, {1, 2, 3, 4}).Build())
          .ok());
  ASSERT_TRUE(mem->WriteObj<uint32_t>(0x9000, 7).ok());  // a device's write
  IoDispatcher io;
  ASSERT_TRUE(vm->RunAll(io).ok());
  EXPECT_FALSE(vm->failed());
  EXPECT_EQ(mem->ReadObj<uint64_t>(0x5008).value(), 10u);

  DirtyBitmap guest = vm->TakeDirtyLog().value();
  EXPECT_EQ(guest.Ranges(), (std::vector<DirtyRange>{{0x5000, 0x1000}, {0x7000, 0x2000}}));
  EXPECT_FALSE(guest.IsSet(0x9000));
  EXPECT_EQ(vm->TakeDirtyLog().value().CountPages(), 0u);  // the take cleared it

  DirtyBitmap vmm = mem->TakeDirtyLog();
  EXPECT_EQ(vmm.Ranges(), (std::vector<DirtyRange>{{0x9000, 0x1000}}));

  // The counting script again: exactly its counter page.
  ASSERT_TRUE(vm->SetScript(0, ScriptBuilder().Count(0x5008, 3).Build()).ok());
  ASSERT_TRUE(vm->RunAll(io).ok());
  EXPECT_EQ(vm->TakeDirtyLog().value().Ranges(), (std::vector<DirtyRange>{{0x5000, 0x1000}}));
  EXPECT_EQ(mem->TakeDirtyLog().CountPages(), 0u);
}

TEST(SimVm, LegacyLinesTraceLevelChangesOnly) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  EXPECT_EQ(vm->LegacyInterrupt(kNumIrqPins).error().code(), ErrorCode::kOutOfRange);
  auto line = vm->LegacyInterrupt(9).value();
  EXPECT_EQ(line, vm->LegacyInterrupt(9).value());
  vm->clock().Advance(5);
  line->SetLevel(true);
  line->SetLevel(true);  // no change, no record
  EXPECT_TRUE(vm->PinLevel(9));
  line->SetLevel(false);
  auto recs = vm->trace().records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].kind, TraceKind::kIrqLevel);
  EXPECT_EQ(recs[0].vcpu, kNoVcpu);
  EXPECT_EQ(recs[0].addr, 9u);
  EXPECT_EQ(recs[0].time_ns, 5u);
  EXPECT_EQ(recs[0].bytes, std::vector<uint8_t>{1});
  EXPECT_EQ(recs[1].bytes, std::vector<uint8_t>{0});
}

TEST(SimVm, AUserspaceIoapicVmHasNoPinModel) {
  auto hv = MakeSimHypervisor();
  EXPECT_TRUE(hv->caps().kernel_ioapic);
  hv::VmConfig config;
  config.userspace_ioapic = true;
  auto vm = hv->CreateSimVm(config).value();
  EXPECT_FALSE(vm->caps().kernel_ioapic);
  EXPECT_EQ(vm->LegacyInterrupt(4).error().code(), ErrorCode::kUnsupported);
  // Its IOAPIC's pins are plain MSIs, delivered into the trace.
  auto pin = vm->CreateIoapicPinInterrupt(4).value();
  ASSERT_TRUE(pin->SetMessage({0xfee0'0000, 0x31}).ok());
  pin->Signal();
  auto recs = vm->trace().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, TraceKind::kMsi);
  EXPECT_EQ(recs[0].addr, 0xfee0'0000u);
  EXPECT_TRUE(MakeSimHypervisor()->CreateSimVm().value()->caps().kernel_ioapic);
}

TEST(SimVm, LinesOutlivingTheVmAreHarmless) {
  std::shared_ptr<hv::InterruptLine> line;
  {
    auto vm = MakeSimHypervisor()->CreateSimVm().value();
    line = vm->LegacyInterrupt(1).value();
  }
  line->Pulse();  // no VM any more: ignored, no crash
  SUCCEED();
}

TEST(SimVm, RegisterIoEventIsUnsupported) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  auto r = vm->RegisterIoEvent(std::make_shared<InProcessNotifier>(),
                               {hv::IoEventAddr::Space::kPio, 0x300, 2}, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
}

TEST(SimVm, GuestClockRunsWithVirtualTimeAndCanBeSet) {
  auto hv = MakeSimHypervisor();
  EXPECT_TRUE(hv->caps().vm_clock);
  auto vm = hv->CreateSimVm().value();
  vm->clock().Advance(1000);
  EXPECT_EQ(vm->GetClock()->ns, 1000u);
  ASSERT_TRUE(vm->SetClock({400}).ok());  // backwards is allowed, as on KVM
  EXPECT_EQ(vm->GetClock()->ns, 400u);
  vm->clock().Advance(50);
  EXPECT_EQ(vm->GetClock()->ns, 450u);
  ASSERT_TRUE(vm->SetClock({5000}).ok());
  vm->clock().Advance(1);
  EXPECT_EQ(vm->GetClock()->ns, 5001u);
  EXPECT_EQ(vm->clock().NowNs(), 1051u);  // virtual time itself never moved back
}

TEST(SimVm, SeededRandomIsTheSameForEveryVm) {
  SimConfig c;
  c.seed = 77;
  auto hv = MakeSimHypervisor(c);
  auto a = hv->CreateSimVm().value();
  auto b = hv->CreateSimVm().value();
  EXPECT_EQ(a->random().Next(), b->random().Next());
  SplitMix64 ref(77);
  EXPECT_EQ(MakeSimHypervisor(c)->CreateSimVm().value()->random().Next(), ref.Next());
}

// Doorbells stay in IoDispatcher's software table on hv_sim, for both notifier
// kinds (an eventfd notifier first asks the VM, which says kUnsupported).
class SoftIoEventTest : public ::testing::TestWithParam<bool> {};

TEST_P(SoftIoEventTest, DoorbellWritesSignalTheNotifier) {
  auto vm = MakeSimHypervisor()->CreateSimVm().value();
  auto vcpu = vm->CreateSimVcpu(0).value();
  IoDispatcher io;
  auto behind = std::make_shared<testing::ScratchDevice>(4);
  auto reg = io.pio().Insert(0x300, 4, behind).value();

  std::shared_ptr<Notifier> notifier;
  int hook_calls = 0;
  if (GetParam()) {
    notifier = EventFdNotifier::Create().value();
  } else {
    auto n = std::make_shared<InProcessNotifier>();
    n->SetHook([&] { ++hook_calls; });
    notifier = n;
  }
  auto doorbell =
      io.RegisterIoEvent(vm.get(), notifier, {hv::IoEventAddr::Space::kPio, 0x300, 2}, uint64_t{7});
  ASSERT_TRUE(doorbell.ok()) << doorbell.error().message();

  ASSERT_TRUE(vcpu->SetScript(ScriptBuilder()
                                  .Out16(0x300, 7)  // matches: consumed by the doorbell
                                  .Out16(0x300, 8)  // datamatch differs: reaches the device
                                  .Out8(0x300, 7)   // width differs: reaches the device
                                  .Out16(0x300, 7)  // matches again
                                  .Build())
                  .ok());
  ASSERT_TRUE(vm->RunAll(io).ok());
  EXPECT_EQ(notifier->Consume(), 2u);
  EXPECT_EQ(io.software_ioevents_signalled(), 2u);
  EXPECT_EQ(behind->writes(), 2u);
  if (!GetParam()) {
    EXPECT_EQ(hook_calls, 2);
  }

  doorbell->reset();  // unregistered: the next write reaches the device
  ASSERT_TRUE(vcpu->SetScript(ScriptBuilder().Out16(0x300, 7).Build()).ok());
  ASSERT_TRUE(vm->RunAll(io).ok());
  EXPECT_EQ(behind->writes(), 3u);
  EXPECT_EQ(notifier->Consume(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Notifiers, SoftIoEventTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "EventFd" : "InProcess"; });

}  // namespace
}  // namespace petrel::sim
