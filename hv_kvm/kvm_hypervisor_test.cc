// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for OpenKvm's error paths (they need no /dev/kvm).
#include "hv_kvm/kvm_hypervisor.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace petrel {
namespace {

TEST(OpenKvm, MissingDeviceIsNotFound) {
  auto r = OpenKvm("/nonexistent/petrel/kvm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("/nonexistent/petrel/kvm"), std::string::npos);
}

TEST(OpenKvm, NonKvmDeviceFailsTheVersionIoctl) {
  auto r = OpenKvm("/dev/null");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kSystem);
  EXPECT_EQ(r.error().errnum(), ENOTTY);
  EXPECT_NE(r.error().message().find("KVM_GET_API_VERSION"), std::string::npos);
}

}  // namespace
}  // namespace petrel
