// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for Bus: inserts, overlap rules, lookups, dispatch, Registration RAII.
#include "core/bus/bus.h"

#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace petrel {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Records accesses; reads return offset-derived bytes.
class FakeDevice : public BusDevice {
 public:
  void Read(uint64_t offset, std::span<uint8_t> data) override {
    reads.push_back(offset);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(offset + i);
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    writes.push_back(offset);
    last_write.assign(data.begin(), data.end());
  }
  std::vector<uint64_t> reads;
  std::vector<uint64_t> writes;
  std::vector<uint8_t> last_write;
};

class BusTest : public ::testing::Test {
 protected:
  Bus bus_{"test"};
  std::shared_ptr<FakeDevice> dev_ = std::make_shared<FakeDevice>();
};

TEST_F(BusTest, LookupFindsDeviceAndOffset) {
  auto reg = bus_.Insert(0x100, 0x10, dev_);
  ASSERT_TRUE(reg.ok());
  EXPECT_TRUE(reg->active());
  Bus::Target t;
  ASSERT_TRUE(bus_.Lookup(0x100, 1, &t));
  EXPECT_EQ(t.device, dev_);
  EXPECT_EQ(t.offset, 0u);
  ASSERT_TRUE(bus_.Lookup(0x10c, 4, &t));
  EXPECT_EQ(t.offset, 0xcu);
  EXPECT_FALSE(bus_.Lookup(0xff, 1, &t));
  EXPECT_FALSE(bus_.Lookup(0x110, 1, &t));
  EXPECT_EQ(bus_.name(), "test");
}

TEST_F(BusTest, RejectsOverlapButAcceptsAdjacent) {
  auto reg = bus_.Insert(0x100, 0x10, dev_);
  ASSERT_TRUE(reg.ok());
  auto other = std::make_shared<FakeDevice>();
  for (auto [base, size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0x10f, 1}, {0xff, 2}, {0x100, 0x10}, {0x0, 0x1000}, {0x104, 4}}) {
    auto r = bus_.Insert(base, size, other);
    ASSERT_FALSE(r.ok()) << std::hex << base << "+" << size;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  }
  auto below = bus_.Insert(0xf0, 0x10, other);
  auto above = bus_.Insert(0x110, 0x10, other);
  EXPECT_TRUE(below.ok());
  EXPECT_TRUE(above.ok());
}

TEST_F(BusTest, RejectsEmptyNullAndWrapping) {
  EXPECT_EQ(bus_.Insert(0x100, 0, dev_).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bus_.Insert(0x100, 1, nullptr).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bus_.Insert(kMax, 2, dev_).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(bus_.Insert(kMax - 0xf, 0x10, dev_).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(bus_.Insert(0x10, kMax, dev_).error().code(), ErrorCode::kOutOfRange);
}

TEST_F(BusTest, TopOfAddressSpace) {
  auto reg = bus_.Insert(kMax - 0x1f, 0x10, dev_);  // [2^64-32, 2^64-16)
  ASSERT_TRUE(reg.ok());
  Bus::Target t;
  EXPECT_TRUE(bus_.Lookup(kMax - 0x10, 1, &t));
  EXPECT_EQ(t.offset, 0xfu);
  EXPECT_FALSE(bus_.Lookup(kMax - 0x10, 2, &t));
  EXPECT_FALSE(bus_.Lookup(kMax - 0x1f, kMax, &t));
  EXPECT_FALSE(bus_.Lookup(kMax, 1, &t));
}

TEST_F(BusTest, StraddlingAccessMatchesNothing) {
  auto a = bus_.Insert(0x100, 0x10, dev_);
  auto other = std::make_shared<FakeDevice>();
  auto b = bus_.Insert(0x110, 0x10, other);
  ASSERT_TRUE(a.ok() && b.ok());
  Bus::Target t;
  EXPECT_FALSE(bus_.Lookup(0x10e, 4, &t));  // two bytes in each device
  EXPECT_FALSE(bus_.Lookup(0xfe, 4, &t));   // starts before the first
  uint8_t data[4] = {};
  EXPECT_FALSE(bus_.Read(0x10e, data));
  EXPECT_FALSE(bus_.Write(0x10e, data));
  EXPECT_TRUE(dev_->reads.empty() && dev_->writes.empty());
  EXPECT_TRUE(other->reads.empty() && other->writes.empty());
}

TEST_F(BusTest, ReadAndWriteDispatchWithOffsets) {
  auto reg = bus_.Insert(0x3f8, 8, dev_);
  ASSERT_TRUE(reg.ok());
  uint8_t data[2] = {};
  ASSERT_TRUE(bus_.Read(0x3fa, data));
  EXPECT_EQ(dev_->reads, std::vector<uint64_t>{2});
  EXPECT_EQ(data[0], 2);
  EXPECT_EQ(data[1], 3);
  const uint8_t w[1] = {0x41};
  ASSERT_TRUE(bus_.Write(0x3f8, w));
  EXPECT_EQ(dev_->writes, std::vector<uint64_t>{0});
  EXPECT_EQ(dev_->last_write, std::vector<uint8_t>{0x41});
  EXPECT_FALSE(bus_.Write(0x400, w));
}

TEST_F(BusTest, DroppingRegistrationRemovesRange) {
  {
    auto reg = bus_.Insert(0x100, 0x10, dev_);
    ASSERT_TRUE(reg.ok());
    Bus::Target t;
    EXPECT_TRUE(bus_.Lookup(0x100, 1, &t));
  }
  Bus::Target t;
  EXPECT_FALSE(bus_.Lookup(0x100, 1, &t));
  EXPECT_EQ(dev_.use_count(), 1);  // the bus let go of the device
  EXPECT_TRUE(bus_.Insert(0x100, 0x10, dev_).ok());  // the range is free again
}

TEST_F(BusTest, ResetRemovesAndIsIdempotent) {
  auto reg = bus_.Insert(0x100, 0x10, dev_);
  ASSERT_TRUE(reg.ok());
  reg->Reset();
  EXPECT_FALSE(reg->active());
  Bus::Target t;
  EXPECT_FALSE(bus_.Lookup(0x100, 1, &t));
  reg->Reset();
  EXPECT_FALSE(reg->active());
}

TEST_F(BusTest, MoveConstructionTransfersOwnership) {
  auto reg = bus_.Insert(0x100, 0x10, dev_);
  ASSERT_TRUE(reg.ok());
  Bus::Registration moved(std::move(reg).value());
  EXPECT_TRUE(moved.active());
  {
    Bus::Registration inner(std::move(moved));
    EXPECT_FALSE(moved.active());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(inner.active());
    Bus::Target t;
    EXPECT_TRUE(bus_.Lookup(0x100, 1, &t));
  }
  Bus::Target t;
  EXPECT_FALSE(bus_.Lookup(0x100, 1, &t));
}

TEST_F(BusTest, MoveAssignmentReleasesThePreviousRange) {
  auto a = bus_.Insert(0x100, 0x10, dev_);
  auto b = bus_.Insert(0x200, 0x10, dev_);
  ASSERT_TRUE(a.ok() && b.ok());
  Bus::Registration ra = std::move(a).value();
  Bus::Registration rb = std::move(b).value();
  ra = std::move(rb);
  Bus::Target t;
  EXPECT_FALSE(bus_.Lookup(0x100, 1, &t));  // ra's old range went away
  EXPECT_TRUE(bus_.Lookup(0x200, 1, &t));   // rb's range is now owned by ra
  EXPECT_FALSE(rb.active());  // NOLINT(bugprone-use-after-move)
  auto& self = ra;
  ra = std::move(self);  // self-move keeps the registration
  EXPECT_TRUE(ra.active());
  EXPECT_TRUE(bus_.Lookup(0x200, 1, &t));
  Bus::Registration empty;
  EXPECT_FALSE(empty.active());
  ra = std::move(empty);
  EXPECT_FALSE(bus_.Lookup(0x200, 1, &t));
}

TEST_F(BusTest, RemovingOneRangeKeepsNeighbours) {
  auto a = bus_.Insert(0x100, 0x10, dev_);
  auto b = bus_.Insert(0x110, 0x10, dev_);
  ASSERT_TRUE(a.ok() && b.ok());
  a->Reset();
  Bus::Target t;
  EXPECT_FALSE(bus_.Lookup(0x10f, 1, &t));
  ASSERT_TRUE(bus_.Lookup(0x110, 1, &t));
  EXPECT_EQ(t.offset, 0u);
}

}  // namespace
}  // namespace petrel
