// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for OpenFirstHypervisor: KVM first, MSHV only when /dev/kvm is
// missing, KVM's error when both are.
#include "vmm/hypervisor_choice.h"

#include <gtest/gtest.h>

namespace petrel::vmm {
namespace {

class Named final : public hv::Hypervisor {
 public:
  explicit Named(hv::BackendKind kind) : kind_(kind) {}
  hv::BackendKind kind() const override { return kind_; }
  const hv::Caps& caps() const override { return caps_; }
  isolation::SyscallRules ThreadSyscalls(hv::ThreadKind) const override { return {}; }
  Result<std::vector<hv::CpuidEntry>> SupportedCpuid() const override {
    return std::vector<hv::CpuidEntry>{};
  }
  Result<std::shared_ptr<hv::Vm>> CreateVm(const hv::VmConfig&) override {
    return Error(ErrorCode::kUnsupported, "test");
  }

 private:
  hv::BackendKind kind_;
  hv::Caps caps_;
};

HypervisorOpener Opens(hv::BackendKind kind, int* calls) {
  return [kind, calls]() -> Result<std::unique_ptr<hv::Hypervisor>> {
    ++*calls;
    return std::unique_ptr<hv::Hypervisor>(new Named(kind));
  };
}

HypervisorOpener Fails(ErrorCode code, const char* what, int* calls) {
  return [code, what, calls]() -> Result<std::unique_ptr<hv::Hypervisor>> {
    ++*calls;
    return Error(code, what);
  };
}

TEST(OpenFirstHypervisor, KvmWhenItOpens) {
  int kvm = 0, mshv = 0;
  auto r = OpenFirstHypervisor(Opens(hv::BackendKind::kKvm, &kvm),
                               Opens(hv::BackendKind::kMshv, &mshv));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->kind(), hv::BackendKind::kKvm);
  EXPECT_EQ(mshv, 0);
}

TEST(OpenFirstHypervisor, MshvWhenKvmIsMissing) {
  int kvm = 0, mshv = 0;
  auto r = OpenFirstHypervisor(Fails(ErrorCode::kNotFound, "/dev/kvm does not exist", &kvm),
                               Opens(hv::BackendKind::kMshv, &mshv));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->kind(), hv::BackendKind::kMshv);
  EXPECT_EQ(kvm, 1);
}

TEST(OpenFirstHypervisor, KvmErrorWhenNeitherExists) {
  int kvm = 0, mshv = 0;
  auto r = OpenFirstHypervisor(Fails(ErrorCode::kNotFound, "/dev/kvm does not exist", &kvm),
                               Fails(ErrorCode::kNotFound, "/dev/mshv does not exist", &mshv));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "/dev/kvm does not exist");
  EXPECT_EQ(mshv, 1);
}

TEST(OpenFirstHypervisor, ABrokenKvmIsNotSkipped) {
  int kvm = 0, mshv = 0;
  auto r = OpenFirstHypervisor(Fails(ErrorCode::kSystem, "open /dev/kvm: Permission denied", &kvm),
                               Opens(hv::BackendKind::kMshv, &mshv));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kSystem);
  EXPECT_EQ(mshv, 0);
}

TEST(OpenFirstHypervisor, ABrokenMshvIsItsOwnError) {
  int kvm = 0, mshv = 0;
  auto r = OpenFirstHypervisor(Fails(ErrorCode::kNotFound, "/dev/kvm does not exist", &kvm),
                               Fails(ErrorCode::kSystem, "open /dev/mshv: EACCES", &mshv));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "open /dev/mshv: EACCES");
}

}  // namespace
}  // namespace petrel::vmm
