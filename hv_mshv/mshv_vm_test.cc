// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for MshvVm on the fake driver: guest memory mapping, MSI routing
// and irqfds, ioeventfds, the dirty log, and what MSHV does not have.
#include "hv_mshv/mshv_vm.h"

#include <gtest/gtest.h>

#include "core/event/notifier.h"
#include "hv_mshv/mshv_hypervisor.h"
#include "hv_mshv/testing/fake_mshv_driver.h"

namespace petrel::mshv {
namespace {

struct Fixture {
  std::shared_ptr<FakeMshvDriver> driver = std::make_shared<FakeMshvDriver>();
  std::unique_ptr<hv::Hypervisor> hv;
  std::shared_ptr<hv::Vm> vm;
  Fixture() {
    hv = OpenMshvWith(driver, "/dev/mshv").value();
    vm = hv->CreateVm(hv::VmConfig{2, true}).value();
  }
};

std::shared_ptr<GuestMemory> TwoRegions() {
  std::vector<GuestRegion> regions;
  regions.push_back({0, 0x10000, *HostRegion::Anonymous(0x10000)});
  regions.push_back({0x100000000ull, 0x4000, *HostRegion::Anonymous(0x4000)});
  return *GuestMemory::Create(std::move(regions));
}

TEST(MshvVm, MapsEachRegionWritableAndExecutable) {
  Fixture f;
  auto memory = TwoRegions();
  ASSERT_TRUE(f.vm->MapMemory(memory).ok());
  const auto calls = f.driver->CallsOf(kMshvSetGuestMemory);
  ASSERT_EQ(calls.size(), 2u);
  const auto r0 = calls[0].As<MshvUserMemRegion>();
  EXPECT_EQ(r0.size, 0x10000u);
  EXPECT_EQ(r0.guest_pfn, 0u);
  EXPECT_EQ(r0.userspace_addr, reinterpret_cast<uintptr_t>(memory->regions()[0].host->data()));
  EXPECT_EQ(r0.flags, kSetMemWritable | kSetMemExecutable);
  const auto r1 = calls[1].As<MshvUserMemRegion>();
  EXPECT_EQ(r1.guest_pfn, 0x100000u);
  EXPECT_EQ(r1.size, 0x4000u);
  EXPECT_EQ(calls[1].kind, FakeMshvDriver::FdKind::kPartition);
  EXPECT_FALSE(f.vm->MapMemory(memory).ok());  // once
}

TEST(MshvVm, UnmapsRegionsWhenDestroyed) {
  Fixture f;
  auto memory = TwoRegions();
  ASSERT_TRUE(f.vm->MapMemory(memory).ok());
  f.vm.reset();
  const auto calls = f.driver->CallsOf(kMshvSetGuestMemory);
  ASSERT_EQ(calls.size(), 4u);
  const auto unmap = calls[3].As<MshvUserMemRegion>();
  EXPECT_EQ(unmap.flags, kSetMemUnmap);
  EXPECT_EQ(unmap.guest_pfn, 0x100000u);
  EXPECT_EQ(unmap.userspace_addr, reinterpret_cast<uintptr_t>(memory->regions()[1].host->data()));
}

TEST(MshvVm, DeviceMemoryIsMappedBesideRamAndUnmapped) {
  Fixture f;
  auto memory = TwoRegions();
  ASSERT_TRUE(f.vm->MapMemory(memory).ok());
  auto file = *HostRegion::Anonymous(0x200000);
  auto id = f.vm->MapDeviceMemory(0x200000000ull, 0x200000, file->data());
  ASSERT_TRUE(id.ok()) << id.error().message();
  auto calls = f.driver->CallsOf(kMshvSetGuestMemory);
  ASSERT_EQ(calls.size(), 3u);
  const auto m = calls[2].As<MshvUserMemRegion>();
  EXPECT_EQ(m.guest_pfn, 0x200000u);
  EXPECT_EQ(m.size, 0x200000u);
  EXPECT_EQ(m.userspace_addr, reinterpret_cast<uintptr_t>(file->data()));
  EXPECT_EQ(m.flags, kSetMemWritable | kSetMemExecutable);
  // Overlapping RAM, another mapping, or unaligned: refused before any call.
  EXPECT_FALSE(f.vm->MapDeviceMemory(0x8000, 0x1000, file->data()).ok());
  EXPECT_FALSE(f.vm->MapDeviceMemory(0x200100000ull, 0x200000, file->data()).ok());
  EXPECT_FALSE(f.vm->MapDeviceMemory(0x300000000ull, 0x1800, file->data()).ok());
  EXPECT_EQ(f.driver->CallsOf(kMshvSetGuestMemory).size(), 3u);
  ASSERT_TRUE(f.vm->UnmapDeviceMemory(*id).ok());
  calls = f.driver->CallsOf(kMshvSetGuestMemory);
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[3].As<MshvUserMemRegion>().flags, kSetMemUnmap);
  EXPECT_EQ(calls[3].As<MshvUserMemRegion>().guest_pfn, 0x200000u);
  EXPECT_EQ(f.vm->UnmapDeviceMemory(*id).error().code(), ErrorCode::kNotFound);
}

TEST(MshvVm, MapFailureIsReported) {
  Fixture f;
  f.driver->FailNext(kMshvSetGuestMemory, ENOMEM);
  auto r = f.vm->MapMemory(TwoRegions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("MSHV_SET_GUEST_MEMORY"), std::string::npos);
}

TEST(MshvVm, NoLegacyInterruptsAndEmptyState) {
  Fixture f;
  auto line = f.vm->LegacyInterrupt(4);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().code(), ErrorCode::kUnsupported);
  auto state = f.vm->SaveState();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, hv::VmState{});
  EXPECT_TRUE(f.vm->RestoreState(*state).ok());
  hv::VmState with_clock;
  with_clock.clock = hv::VmClock{5};
  EXPECT_FALSE(f.vm->RestoreState(with_clock).ok());
}

TEST(MshvVm, MsiVectorsInstallTheWholeTableAndBindIrqfds) {
  Fixture f;
  auto a = f.vm->CreateMsiInterrupt();
  auto b = f.vm->CreateIoapicPinInterrupt(4);  // an MSI like any other
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*b)->SetMessage({0xfee01000, 0x4031}).ok());
  ASSERT_TRUE((*a)->SetMessage({0xfee00000, 0x0041}).ok());

  const auto tables = f.driver->CallsOf(kMshvSetMsiRouting);
  ASSERT_EQ(tables.size(), 4u);  // one per create, one per message change
  const auto& last = tables.back().routes;
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].gsi, 0u);
  EXPECT_EQ(last[0].address_lo, 0xfee00000u);
  EXPECT_EQ(last[0].address_hi, 0u);
  EXPECT_EQ(last[0].data, 0x41u);
  EXPECT_EQ(last[1].gsi, 1u);
  EXPECT_EQ(last[1].address_lo, 0xfee01000u);
  EXPECT_EQ(last[1].data, 0x4031u);

  const auto irqfds = f.driver->CallsOf(kMshvIrqfd);
  ASSERT_EQ(irqfds.size(), 2u);
  EXPECT_EQ(irqfds[0].As<MshvUserIrqfd>().gsi, 0u);
  EXPECT_EQ(irqfds[1].As<MshvUserIrqfd>().gsi, 1u);
  EXPECT_GE(irqfds[0].As<MshvUserIrqfd>().fd, 0);
  EXPECT_EQ(irqfds[0].As<MshvUserIrqfd>().flags, 0u);

  // Same message again: no new table.
  ASSERT_TRUE((*a)->SetMessage({0xfee00000, 0x0041}).ok());
  EXPECT_EQ(f.driver->CallsOf(kMshvSetMsiRouting).size(), 4u);
  // MSHV refuses address_hi.
  EXPECT_EQ((*a)->SetMessage({0x1'fee00000ull, 0x41}).error().code(), ErrorCode::kInvalidArgument);

  // Dropping a vector deassigns its irqfd and removes its route.
  a->reset();
  const auto after = f.driver->CallsOf(kMshvIrqfd);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].As<MshvUserIrqfd>().flags, kIrqfdDeassign);
  EXPECT_EQ(after[2].As<MshvUserIrqfd>().gsi, 0u);
  const auto final_table = f.driver->CallsOf(kMshvSetMsiRouting).back().routes;
  ASSERT_EQ(final_table.size(), 1u);
  EXPECT_EQ(final_table[0].gsi, 1u);
}

TEST(MshvVm, MsiRoutingFailureRollsBack) {
  Fixture f;
  f.driver->FailNext(kMshvSetMsiRouting, EINVAL);
  EXPECT_FALSE(f.vm->CreateMsiInterrupt().ok());
  EXPECT_TRUE(f.driver->CallsOf(kMshvIrqfd).empty());
  auto ok = f.vm->CreateMsiInterrupt();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(f.driver->CallsOf(kMshvIrqfd)[0].As<MshvUserIrqfd>().gsi, 0u);  // GSI 0 reused
}

TEST(MshvVm, MmioIoeventfdArgumentsAndDeassign) {
  Fixture f;
  auto notifier = *EventFdNotifier::Create();
  auto reg = f.vm->RegisterIoEvent(notifier, {hv::IoEventAddr::Space::kMmio, 0xd0000010, 4},
                                   uint64_t{7});
  ASSERT_TRUE(reg.ok()) << reg.error().message();
  auto calls = f.driver->CallsOf(kMshvIoeventfd);
  ASSERT_EQ(calls.size(), 1u);
  const auto a = calls[0].As<MshvUserIoeventfd>();
  EXPECT_EQ(a.addr, 0xd0000010u);
  EXPECT_EQ(a.len, 4u);
  EXPECT_EQ(a.fd, notifier->fd());
  EXPECT_EQ(a.flags, kIoeventfdDatamatch);
  EXPECT_EQ(a.datamatch, 7u);
  reg->reset();
  calls = f.driver->CallsOf(kMshvIoeventfd);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].As<MshvUserIoeventfd>().flags, kIoeventfdDatamatch | kIoeventfdDeassign);
  EXPECT_EQ(calls[1].As<MshvUserIoeventfd>().addr, 0xd0000010u);
}

TEST(MshvVm, IoeventfdsMshvCannotTake) {
  Fixture f;
  auto notifier = *EventFdNotifier::Create();
  auto pio = f.vm->RegisterIoEvent(notifier, {hv::IoEventAddr::Space::kPio, 0x60, 1}, {});
  EXPECT_EQ(pio.error().code(), ErrorCode::kUnsupported);
  auto any_len_match =
      f.vm->RegisterIoEvent(notifier, {hv::IoEventAddr::Space::kMmio, 0x1000, 0}, uint64_t{1});
  EXPECT_EQ(any_len_match.error().code(), ErrorCode::kUnsupported);
  auto bad_len = f.vm->RegisterIoEvent(notifier, {hv::IoEventAddr::Space::kMmio, 0x1000, 3}, {});
  EXPECT_EQ(bad_len.error().code(), ErrorCode::kInvalidArgument);
  auto no_fd = f.vm->RegisterIoEvent(std::make_shared<InProcessNotifier>(),
                                     {hv::IoEventAddr::Space::kMmio, 0x1000, 4}, {});
  EXPECT_EQ(no_fd.error().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(f.driver->CallsOf(kMshvIoeventfd).empty());
  auto any_len = f.vm->RegisterIoEvent(notifier, {hv::IoEventAddr::Space::kMmio, 0x1000, 0}, {});
  EXPECT_TRUE(any_len.ok());
}

TEST(MshvVm, DirtyLogThroughTheAccessBitmap) {
  Fixture f;
  EXPECT_EQ(f.vm->StartDirtyLog().error().code(), ErrorCode::kFailedPrecondition);
  auto memory = TwoRegions();
  ASSERT_TRUE(f.vm->MapMemory(memory).ok());
  f.driver->MarkDirty(0x3000);  // before logging: cleared by the start
  ASSERT_TRUE(f.vm->StartDirtyLog().ok());
  EXPECT_EQ(f.driver->Property(kPropGpaPageAccessTracking), 1u);
  f.driver->MarkDirty(0x5000);
  f.driver->MarkDirty(0x100001000ull);
  auto bitmap = f.vm->TakeDirtyLog();
  ASSERT_TRUE(bitmap.ok()) << bitmap.error().message();
  EXPECT_EQ(bitmap->CountPages(), 2u);
  EXPECT_TRUE(bitmap->IsSet(0x5000));
  EXPECT_TRUE(bitmap->IsSet(0x100001000ull));
  EXPECT_FALSE(bitmap->IsSet(0x3000));
  const auto take = f.driver->CallsOf(kMshvGetGpapAccessBitmap).back().As<MshvGpapAccessBitmap>();
  EXPECT_EQ(take.access_type, kGpapAccessTypeDirty);
  EXPECT_EQ(take.access_op, kGpapAccessOpClear);
  EXPECT_EQ(take.gpap_base, 0x100000u);
  EXPECT_EQ(take.page_count, 4u);
  // Taken pages are clean afterwards.
  EXPECT_EQ(f.vm->TakeDirtyLog()->CountPages(), 0u);

  ASSERT_TRUE(f.vm->StopDirtyLog().ok());
  const auto calls = f.driver->CallsOf(kMshvGetGpapAccessBitmap);
  EXPECT_EQ(calls[calls.size() - 1].As<MshvGpapAccessBitmap>().access_op, kGpapAccessOpSet);
  EXPECT_EQ(calls[calls.size() - 2].As<MshvGpapAccessBitmap>().access_op, kGpapAccessOpSet);
  EXPECT_EQ(f.driver->PropertyHistory(kPropGpaPageAccessTracking), (std::vector<uint64_t>{1, 0}));
  EXPECT_EQ(f.vm->TakeDirtyLog().error().code(), ErrorCode::kFailedPrecondition);
}

TEST(MshvVm, CreateVcpuChecksTheId) {
  Fixture f;
  EXPECT_TRUE(f.vm->CreateVcpu(1).ok());
  EXPECT_EQ(f.vm->CreateVcpu(2).error().code(), ErrorCode::kInvalidArgument);
  const auto vps = f.driver->CallsOf(kMshvCreateVp);
  ASSERT_EQ(vps.size(), 1u);
  EXPECT_EQ(vps[0].As<MshvCreateVp>().vp_index, 1u);
  EXPECT_EQ(vps[0].kind, FakeMshvDriver::FdKind::kPartition);
}

}  // namespace
}  // namespace petrel::mshv
