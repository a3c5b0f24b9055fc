// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for OpenMshv and the MSHV Hypervisor: caps, CPUID, and the
// partition lifecycle CreateVm drives, on the fake driver.
#include "hv_mshv/mshv_hypervisor.h"

#include <gtest/gtest.h>

#include "hv_mshv/testing/fake_mshv_driver.h"

namespace petrel::mshv {
namespace {

TEST(OpenMshv, MissingDeviceIsNotFound) {
  auto r = petrel::OpenMshv("/nonexistent/mshv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(MshvHypervisor, Caps) {
  auto driver = std::make_shared<FakeMshvDriver>();
  auto hv = OpenMshvWith(driver, "/dev/mshv");
  ASSERT_TRUE(hv.ok());
  EXPECT_EQ((*hv)->kind(), hv::BackendKind::kMshv);
  const hv::Caps& c = (*hv)->caps();
  EXPECT_TRUE(c.kernel_irqchip);
  EXPECT_FALSE(c.kernel_ioapic);
  EXPECT_TRUE(c.kernel_ioevents);
  EXPECT_FALSE(c.vm_clock);
  EXPECT_FALSE(c.deterministic);
  EXPECT_EQ(c.max_vcpus, 256u);
  // As Cloud Hypervisor: leaves 1 and 0xB, zero (the hypervisor's own
  // CPUID is the base; the vCPU's table only adds bits).
  auto cpuid = (*hv)->SupportedCpuid();
  ASSERT_TRUE(cpuid.ok());
  ASSERT_EQ(cpuid->size(), 2u);
  EXPECT_EQ((*cpuid)[0].function, 0x1u);
  EXPECT_EQ((*cpuid)[1].function, 0xbu);
  EXPECT_EQ((*cpuid)[0].eax | (*cpuid)[0].ebx | (*cpuid)[0].ecx | (*cpuid)[0].edx, 0u);
}

TEST(MshvHypervisor, CreateVmLifecycleInOrder) {
  auto driver = std::make_shared<FakeMshvDriver>();
  auto hv = OpenMshvWith(driver, "/dev/mshv");
  ASSERT_TRUE(hv.ok());
  auto vm = (*hv)->CreateVm(hv::VmConfig{2, true});
  ASSERT_TRUE(vm.ok()) << vm.error().message();
  EXPECT_FALSE((*vm)->caps().kernel_ioapic);

  const auto calls = driver->calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].request, kMshvCreatePartition);
  EXPECT_EQ(calls[0].kind, FakeMshvDriver::FdKind::kDevice);
  const auto cp = calls[0].As<MshvCreatePartition>();
  EXPECT_EQ(cp.pt_flags, kPtFlagLapic | kPtFlagX2apic);
  EXPECT_EQ(cp.pt_isolation, kPtIsolationNone);
  EXPECT_EQ(calls[1].request, kMshvInitializePartition);
  EXPECT_EQ(calls[1].kind, FakeMshvDriver::FdKind::kPartition);
  EXPECT_EQ(calls[2].request, kMshvRootHvcall);
  EXPECT_EQ(calls[2].hvcall_code, kHvcallSetPartitionProperty);
  EXPECT_EQ(calls[3].hvcall_code, kHvcallSetPartitionProperty);
  // UNIMPLEMENTED_MSR_ACTION first, then the time freeze, both after init.
  EXPECT_EQ(driver->PropertyHistory(kPropUnimplementedMsrAction),
            std::vector<uint64_t>{kUnimplementedMsrActionIgnoreWriteReadZero});
  EXPECT_EQ(driver->PropertyHistory(kPropTimeFreeze), std::vector<uint64_t>{1});
  HvInputSetPartitionProperty p;
  std::memcpy(&p, calls[2].hvcall_input.data(), sizeof p);
  EXPECT_EQ(p.property_code, kPropUnimplementedMsrAction);
}

TEST(MshvHypervisor, CreateVmFailsWhenInitializeFails) {
  auto driver = std::make_shared<FakeMshvDriver>();
  auto hv = OpenMshvWith(driver, "/dev/mshv");
  ASSERT_TRUE(hv.ok());
  driver->FailNext(kMshvInitializePartition, EBUSY);
  auto vm = (*hv)->CreateVm(hv::VmConfig{1, true});
  ASSERT_FALSE(vm.ok());
  EXPECT_NE(vm.error().message().find("MSHV_INITIALIZE_PARTITION"), std::string::npos);
  EXPECT_FALSE(driver->Property(kPropTimeFreeze).has_value());
}

TEST(MshvHypervisor, RefusesTooManyVcpus) {
  auto driver = std::make_shared<FakeMshvDriver>();
  auto hv = OpenMshvWith(driver, "/dev/mshv");
  ASSERT_TRUE(hv.ok());
  EXPECT_FALSE((*hv)->CreateVm(hv::VmConfig{257, true}).ok());
  EXPECT_TRUE(driver->calls().empty());
}

}  // namespace
}  // namespace petrel::mshv
