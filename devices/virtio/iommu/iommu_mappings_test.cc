// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuMappings: the §5.13.6 rules for attach, detach, map and unmap, the
// translation devices behind the IOMMU will use, the limits, and the state.
#include "devices/virtio/iommu/iommu_mappings.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "devices/testing/device_state_suite.h"

namespace petrel::virtio {
namespace {

constexpr uint32_t kEp = 0x08;   // 00:01.0
constexpr uint32_t kEp2 = 0x10;  // 00:02.0
constexpr uint64_t kPage = 4096;

class IommuMappingsTest : public ::testing::Test {
 protected:
  IommuMappings m_{{}, {kEp, kEp2}};
};

TEST_F(IommuMappingsTest, AMappedRangeTranslatesWithItsPermissionsOnly) {
  EXPECT_EQ(m_.Translate(kEp, 0x1000, 4, false), std::nullopt) << "unattached: blocked";
  ASSERT_EQ(m_.Attach(1, kEp, 0), kIommuStatusOk);
  ASSERT_EQ(m_.Map(1, 0x10000, 0x1ffff, 0x800000, kIommuMapRead), kIommuStatusOk);
  EXPECT_EQ(m_.Translate(kEp, 0x10000, 8, false), 0x800000u);
  EXPECT_EQ(m_.Translate(kEp, 0x1fff8, 8, false), 0x80fff8u);
  EXPECT_EQ(m_.Translate(kEp, 0x1fff8, 9, false), std::nullopt) << "runs past the mapping";
  EXPECT_EQ(m_.Translate(kEp, 0x10000, 8, true), std::nullopt) << "read-only";
  EXPECT_EQ(m_.Translate(kEp, 0xf000, 8, false), std::nullopt) << "below it";
  EXPECT_EQ(m_.Translate(kEp2, 0x10000, 8, false), std::nullopt) << "another endpoint";
  EXPECT_EQ(m_.Translate(kEp, ~uint64_t{0}, 2, false), std::nullopt) << "wraps";
}

TEST_F(IommuMappingsTest, MapChecksAlignmentOverlapFlagsAndTheDomain) {
  EXPECT_EQ(m_.Map(1, 0, kPage - 1, 0, kIommuMapRead), kIommuStatusNoEnt) << "no such domain";
  ASSERT_EQ(m_.Attach(1, kEp, 0), kIommuStatusOk);
  EXPECT_EQ(m_.Map(1, 1, kPage - 1, 0, kIommuMapRead), kIommuStatusInval);
  EXPECT_EQ(m_.Map(1, 0, kPage, 0, kIommuMapRead), kIommuStatusInval) << "end not page - 1";
  EXPECT_EQ(m_.Map(1, 0, kPage - 1, 1, kIommuMapRead), kIommuStatusInval);
  EXPECT_EQ(m_.Map(1, 0, kPage - 1, 0, 0x8), kIommuStatusInval) << "unknown flag";
  EXPECT_EQ(m_.Map(1, kPage, 0, 0, kIommuMapRead), kIommuStatusInval) << "end before start";
  EXPECT_EQ(m_.Map(1, uint64_t{1} << 48, (uint64_t{1} << 48) + kPage - 1, 0, kIommuMapRead),
            kIommuStatusRange);
  EXPECT_EQ(m_.Map(1, 0, 2 * kPage - 1, ~(kPage - 1), kIommuMapRead), kIommuStatusRange)
      << "the physical range wraps";
  ASSERT_EQ(m_.Map(1, 2 * kPage, 4 * kPage - 1, 0, kIommuMapRead), kIommuStatusOk);
  EXPECT_EQ(m_.Map(1, 3 * kPage, 5 * kPage - 1, 0, kIommuMapRead), kIommuStatusInval);
  EXPECT_EQ(m_.Map(1, kPage, 3 * kPage - 1, 0, kIommuMapRead), kIommuStatusInval);
  EXPECT_EQ(m_.Map(1, kPage, 2 * kPage - 1, 0, kIommuMapRead), kIommuStatusOk) << "adjacent";
  EXPECT_EQ(m_.mapping_count(), 2u);
}

TEST_F(IommuMappingsTest, UnmapRemovesWholeMappingsAndRefusesToSplitOne) {
  ASSERT_EQ(m_.Attach(1, kEp, 0), kIommuStatusOk);
  ASSERT_EQ(m_.Map(1, 0, kPage - 1, 0x100000, kIommuMapRead), kIommuStatusOk);
  ASSERT_EQ(m_.Map(1, 2 * kPage, 4 * kPage - 1, 0x200000, kIommuMapRead), kIommuStatusOk);
  EXPECT_EQ(m_.Unmap(1, 3 * kPage, 5 * kPage - 1), kIommuStatusRange) << "would split";
  EXPECT_EQ(m_.Unmap(1, 0, 3 * kPage - 1), kIommuStatusRange) << "covers one, splits the other";
  EXPECT_EQ(m_.mapping_count(), 2u) << "a refused unmap removes nothing";
  EXPECT_EQ(m_.Unmap(1, 0, 10 * kPage - 1), kIommuStatusOk);
  EXPECT_EQ(m_.mapping_count(), 0u);
  EXPECT_EQ(m_.Unmap(1, 0, 10 * kPage - 1), kIommuStatusOk) << "nothing there: fine";
  EXPECT_EQ(m_.Unmap(9, 0, kPage - 1), kIommuStatusNoEnt);
  EXPECT_EQ(m_.Translate(kEp, 0, 1, false), std::nullopt);
}

TEST_F(IommuMappingsTest, AttachMovesAnEndpointAndAnEmptyDomainGoesWithItsMappings) {
  EXPECT_EQ(m_.Attach(1, 0x99, 0), kIommuStatusNoEnt) << "not behind this IOMMU";
  EXPECT_EQ(m_.Attach(0x10000, kEp, 0), kIommuStatusRange);
  EXPECT_EQ(m_.Attach(1, kEp, 0x2), kIommuStatusInval);
  ASSERT_EQ(m_.Attach(1, kEp, 0), kIommuStatusOk);
  ASSERT_EQ(m_.Map(1, 0, kPage - 1, 0, kIommuMapRead), kIommuStatusOk);
  ASSERT_EQ(m_.Attach(2, kEp, 0), kIommuStatusOk);  // moved: domain 1 is empty
  EXPECT_EQ(m_.mapping_count(), 0u);
  EXPECT_EQ(m_.Map(1, 0, kPage - 1, 0, kIommuMapRead), kIommuStatusNoEnt);
  EXPECT_EQ(m_.Detach(1, kEp), kIommuStatusInval) << "not in domain 1";
  EXPECT_EQ(m_.Detach(2, kEp), kIommuStatusOk);
  EXPECT_EQ(m_.Detach(2, kEp), kIommuStatusInval);
}

TEST_F(IommuMappingsTest, BypassDomainsAndTheUnattachedBypassPassAddressesThrough) {
  ASSERT_EQ(m_.Attach(5, kEp, kIommuAttachBypass), kIommuStatusOk);
  EXPECT_EQ(m_.Translate(kEp, 0x1234, 8, true), 0x1234u);
  EXPECT_EQ(m_.Map(5, 0, kPage - 1, 0, kIommuMapRead), kIommuStatusInval);
  EXPECT_EQ(m_.Attach(5, kEp2, 0), kIommuStatusInval) << "a domain is bypass or not";
  EXPECT_EQ(m_.Translate(kEp2, 0x1234, 8, true), std::nullopt);
  m_.SetBypassUnattached(true);
  EXPECT_EQ(m_.Translate(kEp2, 0x1234, 8, true), 0x1234u);
  EXPECT_EQ(m_.Translate(0x99, 0x1234, 8, true), std::nullopt) << "only its own endpoints";
  m_.Clear();
  EXPECT_EQ(m_.Translate(kEp, 0x1234, 8, true), 0x1234u) << "the config bypass survives a reset";
  m_.SetBypassUnattached(false);
  EXPECT_EQ(m_.Translate(kEp, 0x1234, 8, true), std::nullopt);
}

TEST(IommuMappingsLimitsTest, TooManyMappingsIsNoMemNotGrowth) {
  IommuMappings m({.max_mappings = 3}, {kEp});
  ASSERT_EQ(m.Attach(1, kEp, 0), kIommuStatusOk);
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_EQ(m.Map(1, i * kPage, (i + 1) * kPage - 1, 0, kIommuMapRead), kIommuStatusOk);
  }
  EXPECT_EQ(m.Map(1, 8 * kPage, 9 * kPage - 1, 0, kIommuMapRead), kIommuStatusNoMem);
  EXPECT_EQ(m.Unmap(1, 0, kPage - 1), kIommuStatusOk);
  EXPECT_EQ(m.Map(1, 8 * kPage, 9 * kPage - 1, 0, kIommuMapRead), kIommuStatusOk);
}

TEST_F(IommuMappingsTest, StateRoundTripsAndBadStatesAreRefused) {
  ASSERT_EQ(m_.Attach(1, kEp, 0), kIommuStatusOk);
  ASSERT_EQ(m_.Attach(7, kEp2, kIommuAttachBypass), kIommuStatusOk);
  ASSERT_EQ(m_.Map(1, 0, kPage - 1, 0x5000, kIommuMapRead | kIommuMapWrite), kIommuStatusOk);
  const IommuMappings::State saved = m_.Save();
  IommuMappings other({}, {kEp, kEp2});
  ASSERT_TRUE(other.Restore(saved).ok());
  EXPECT_EQ(other.Save(), saved);
  EXPECT_EQ(other.Translate(kEp, 0x10, 4, true), 0x5010u);
  EXPECT_EQ(other.mapping_count(), 1u);

  std::vector<IommuMappings::State> bad(5, saved);
  bad[0].endpoints[0x99] = 1;                               // not behind it
  bad[1].endpoints[kEp] = 3;                                // no such domain
  bad[2].domains[1].mappings[kPage / 2] = {kPage, 0, 1};    // unaligned
  bad[3].domains[1].mappings[0x800] = {0x1fff, 0, 1};       // overlaps (and unaligned)
  bad[4].domains[9] = {};                                   // no endpoint
  for (size_t i = 0; i < bad.size(); ++i) {
    IommuMappings fresh({}, {kEp, kEp2});
    EXPECT_FALSE(fresh.Restore(bad[i]).ok()) << i;
    EXPECT_EQ(fresh.Save(), IommuMappings::State{}) << i;
  }
}

}  // namespace
}  // namespace petrel::virtio

// The shared snapshot suite.
namespace petrel::virtio {
namespace {

struct IommuMappingsTraits {
  using Device = IommuMappings;
  std::unique_ptr<IommuMappings> Make() {
    return std::make_unique<IommuMappings>(IommuMappings::Limits{}, std::set<uint32_t>{kEp, kEp2});
  }
  void Drive(IommuMappings& m) {
    EXPECT_EQ(m.Attach(3, kEp, 0), kIommuStatusOk);
    EXPECT_EQ(m.Map(3, 0x10000, 0x1ffff, 0x40000, kIommuMapRead), kIommuStatusOk);
    EXPECT_EQ(m.Attach(4, kEp2, kIommuAttachBypass), kIommuStatusOk);
    m.SetBypassUnattached(true);
  }
  std::vector<uint64_t> Observe(IommuMappings& m) {
    return {m.Translate(kEp, 0x10008, 8, false).value_or(1),
            m.Translate(kEp, 0x10008, 8, true).value_or(1),
            m.Translate(kEp2, 0x777000, 8, true).value_or(1), m.mapping_count()};
  }
  std::vector<IommuMappings::State> Invalid(const IommuMappings::State& good) {
    std::vector<IommuMappings::State> bad(3, good);
    bad[0].endpoints[0x1234] = 3;
    bad[1].domains[3].mappings[0x10000].virt_end = 0x1000;  // ends before it starts
    bad[2].domains[4].mappings[0] = {0xfff, 0, kIommuMapRead};  // a bypass domain with a mapping
    return bad;
  }
};

}  // namespace
}  // namespace petrel::virtio

namespace petrel::testing {
using IommuTraits = ::testing::Types<petrel::virtio::IommuMappingsTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Iommu, DeviceStateTest, IommuTraits);
}  // namespace petrel::testing
