// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the MSR list probe (kvm_msr_list.h), with a fake KVM_GET_MSRS.
#include "hv_kvm/kvm_msr_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace petrel::kvm {
namespace {

// Reads like KVM_GET_MSRS: in order, stopping at the first refused index.
struct FakeKvm {
  std::set<uint32_t> refused;
  int calls = 0;
  size_t largest = 0;
  MsrProbe probe() {
    return [this](std::span<const uint32_t> indices) -> Result<size_t> {
      ++calls;
      largest = std::max(largest, indices.size());
      size_t n = 0;
      while (n < indices.size() && !refused.count(indices[n])) ++n;
      return n;
    };
  }
};

TEST(KeepReadableMsrs, SortsDedupesAndDropsRefused) {
  FakeKvm kvm;
  kvm.refused = {0x10, 0xc0000080};
  auto kept = KeepReadableMsrs({0xc0000080, 0x3b, 0x10, 0x1b, 0x3b, 0x174}, kvm.probe());
  ASSERT_TRUE(kept.ok()) << kept.error().message();
  EXPECT_EQ(*kept, (std::vector<uint32_t>{0x1b, 0x3b, 0x174}));
}

TEST(KeepReadableMsrs, RefusedNeighboursAndEnds) {
  FakeKvm kvm;
  kvm.refused = {1, 2, 5};
  auto kept = KeepReadableMsrs({1, 2, 3, 4, 5}, kvm.probe());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(KeepReadableMsrs({}, kvm.probe()).value(), std::vector<uint32_t>{});
}

TEST(KeepReadableMsrs, ChunksStayBelowKvmLimit) {
  FakeKvm kvm;
  std::vector<uint32_t> many;
  for (uint32_t i = 0; i < 600; ++i) many.push_back(i);
  kvm.refused = {300};
  auto kept = KeepReadableMsrs(many, kvm.probe());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), 599u);
  EXPECT_LE(kvm.largest, kMsrsPerIoctl);
  EXPECT_EQ(std::count(kept->begin(), kept->end(), 300u), 0);
}

TEST(KeepReadableMsrs, ProbeErrorsAndOverclaimsFail) {
  MsrProbe fails = [](std::span<const uint32_t>) -> Result<size_t> {
    return Error(ErrorCode::kSystem, "KVM_GET_MSRS: boom");
  };
  EXPECT_FALSE(KeepReadableMsrs({1}, fails).ok());
  MsrProbe overclaims = [](std::span<const uint32_t> i) -> Result<size_t> { return i.size() + 1; };
  auto r = KeepReadableMsrs({1}, overclaims);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInternal);
}

TEST(SavedMsrList, ProbesOnceAndRetriesAfterAFailure) {
  SavedMsrList list({3, 1, 2});
  MsrProbe fails = [](std::span<const uint32_t>) -> Result<size_t> {
    return Error(ErrorCode::kSystem, "no");
  };
  EXPECT_FALSE(list.Get(fails).ok());
  FakeKvm kvm;
  kvm.refused = {2};
  auto first = list.Get(kvm.probe());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (std::vector<uint32_t>{1, 3}));
  const int calls = kvm.calls;
  auto second = list.Get(kvm.probe());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(kvm.calls, calls);
}

}  // namespace
}  // namespace petrel::kvm
