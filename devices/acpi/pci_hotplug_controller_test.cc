// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for PciHotplugController: the registers as the DSDT's PCNT and PCEJ
// methods use them, the VMM's Insert/RequestRemoval/CancelRemoval, a hostile
// guest's segments, widths and ejects, and save/restore.
#include "devices/acpi/pci_hotplug_controller.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"

namespace petrel {
namespace {

using acpi::kPciDownOffset;
using acpi::kPciEjectOffset;
using acpi::kPciSegmentOffset;
using acpi::kPciUpOffset;

constexpr uint32_t Bit(int slot) { return uint32_t{1} << slot; }

class PciHotplugControllerTest : public ::testing::Test {
 protected:
  uint32_t Read32(uint64_t offset) { return Read32(hp_, offset); }
  static uint32_t Read32(PciHotplugController& hp, uint64_t offset) {
    uint8_t bytes[4] = {0xaa, 0xaa, 0xaa, 0xaa};
    hp.Read(offset, bytes);
    return LoadLe<uint32_t>(bytes, 0);
  }
  void Write32(uint64_t offset, uint32_t value) {
    uint8_t bytes[4];
    StoreLe<uint32_t>(bytes, 0, value);
    hp_.Write(offset, bytes);
  }
  // What the slot's _EJ0 does: PCEJ(slot, _SEG) selects the segment, then
  // stores 1 << slot into B0EJ.
  void Eject(int slot, uint32_t segment = 0) {
    Write32(kPciSegmentOffset, segment);
    Write32(kPciEjectOffset, Bit(slot));
  }
  std::vector<uint8_t> ejected_;
  PciHotplugController hp_{[this](uint8_t slot) { ejected_.push_back(slot); }};
};

TEST(PciHotplugRegisters, MatchCloudHypervisorsLayout) {
  EXPECT_EQ(PciHotplugController::kSize, 16u);
  EXPECT_EQ(PciHotplugController::kSlots, 32u);
  EXPECT_EQ(kPciUpOffset, 0u);
  EXPECT_EQ(kPciDownOffset, 4u);
  EXPECT_EQ(kPciEjectOffset, 8u);
  EXPECT_EQ(kPciSegmentOffset, 12u);
}

TEST_F(PciHotplugControllerTest, StartsQuiet) {
  EXPECT_EQ(Read32(kPciUpOffset), 0u);
  EXPECT_EQ(Read32(kPciDownOffset), 0u);
  EXPECT_EQ(Read32(kPciEjectOffset), 0u);
  EXPECT_EQ(Read32(kPciSegmentOffset), 0u);
  EXPECT_EQ(hp_.Save(), PciHotplugController::State{});
}

TEST_F(PciHotplugControllerTest, InsertShowsInPciuUntilRead) {
  ASSERT_TRUE(hp_.Insert(3).ok());
  ASSERT_TRUE(hp_.Insert(31).ok());
  ASSERT_TRUE(hp_.Insert(3).ok());  // again before the scan: one announcement
  EXPECT_EQ(Read32(kPciDownOffset), 0u);
  EXPECT_EQ(Read32(kPciUpOffset), Bit(3) | Bit(31));
  EXPECT_EQ(Read32(kPciUpOffset), 0u);  // the read cleared it
  EXPECT_TRUE(ejected_.empty());
}

TEST_F(PciHotplugControllerTest, InsertRefusesTheHostBridgeAndOutOfRangeSlots) {
  EXPECT_EQ(hp_.Insert(0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.Insert(32).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.Insert(255).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Read32(kPciUpOffset), 0u);
}

TEST_F(PciHotplugControllerTest, InsertRefusesASlotBeingRemoved) {
  ASSERT_TRUE(hp_.RequestRemoval(4).ok());
  EXPECT_EQ(hp_.Insert(4).error().code(), ErrorCode::kInvalidArgument);
  Eject(4);
  EXPECT_TRUE(hp_.Insert(4).ok());  // free again once ejected
}

TEST_F(PciHotplugControllerTest, RemovalScanEjectCallsOnEjectOnce) {
  ASSERT_TRUE(hp_.RequestRemoval(5).ok());
  EXPECT_TRUE(hp_.removal_pending(5));
  EXPECT_FALSE(hp_.removal_pending(6));
  EXPECT_EQ(Read32(kPciUpOffset), 0u);
  EXPECT_EQ(Read32(kPciDownOffset), Bit(5));
  EXPECT_EQ(Read32(kPciDownOffset), 0u);  // the read cleared it
  EXPECT_TRUE(hp_.removal_pending(5));    // but the request stands
  EXPECT_TRUE(ejected_.empty());
  Eject(5);
  EXPECT_EQ(ejected_, std::vector<uint8_t>{5});
  EXPECT_FALSE(hp_.removal_pending(5));
  Eject(5);  // again, without a new request
  EXPECT_EQ(ejected_, std::vector<uint8_t>{5});
}

TEST_F(PciHotplugControllerTest, OneEjectWriteMayCarrySeveralRequestedSlots) {
  ASSERT_TRUE(hp_.RequestRemoval(2).ok());
  ASSERT_TRUE(hp_.RequestRemoval(9).ok());
  ASSERT_TRUE(hp_.RequestRemoval(30).ok());
  Write32(kPciEjectOffset, Bit(2) | Bit(7) | Bit(30));  // 7 was not requested
  EXPECT_EQ(ejected_, (std::vector<uint8_t>{2, 30}));
  EXPECT_TRUE(hp_.removal_pending(9));
  EXPECT_EQ(Read32(kPciDownOffset), Bit(9));  // the ejected slots' bits are gone
}

TEST_F(PciHotplugControllerTest, RemovalRefusesTheHostBridgeAndOutOfRangeSlots) {
  EXPECT_EQ(hp_.RequestRemoval(0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.RequestRemoval(32).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(hp_.removal_pending(0));
  EXPECT_FALSE(hp_.removal_pending(200));
  EXPECT_EQ(Read32(kPciDownOffset), 0u);
}

TEST_F(PciHotplugControllerTest, AskingAgainAnnouncesAgainButEjectsOnce) {
  ASSERT_TRUE(hp_.RequestRemoval(6).ok());
  EXPECT_EQ(Read32(kPciDownOffset), Bit(6));
  ASSERT_TRUE(hp_.RequestRemoval(6).ok());  // the guest did not act: ask again
  EXPECT_EQ(Read32(kPciDownOffset), Bit(6));
  Eject(6);
  Eject(6);
  EXPECT_EQ(ejected_, std::vector<uint8_t>{6});
}

TEST_F(PciHotplugControllerTest, AnInsertionAndItsRemovalAreBothAnnounced) {
  // As Cloud Hypervisor: the guest sees Device Check, then Eject Request.
  ASSERT_TRUE(hp_.Insert(8).ok());
  ASSERT_TRUE(hp_.RequestRemoval(8).ok());
  EXPECT_EQ(Read32(kPciUpOffset), Bit(8));
  EXPECT_EQ(Read32(kPciDownOffset), Bit(8));
}

TEST_F(PciHotplugControllerTest, AnEjectForgetsTheSlotsUnreadAnnouncements) {
  ASSERT_TRUE(hp_.Insert(8).ok());
  ASSERT_TRUE(hp_.RequestRemoval(8).ok());
  Eject(8);  // a guest that ejects without scanning
  EXPECT_EQ(ejected_, std::vector<uint8_t>{8});
  EXPECT_EQ(Read32(kPciUpOffset), 0u);
  EXPECT_EQ(Read32(kPciDownOffset), 0u);
}

TEST_F(PciHotplugControllerTest, AWithdrawnRemovalCannotBeEjected) {
  ASSERT_TRUE(hp_.RequestRemoval(7).ok());
  EXPECT_TRUE(hp_.CancelRemoval(7));
  EXPECT_FALSE(hp_.CancelRemoval(7));  // nothing left to withdraw
  EXPECT_FALSE(hp_.CancelRemoval(0));
  EXPECT_FALSE(hp_.CancelRemoval(99));
  EXPECT_FALSE(hp_.removal_pending(7));
  EXPECT_EQ(Read32(kPciDownOffset), 0u);  // no longer announced
  Eject(7);  // the guest acted on the old request
  EXPECT_TRUE(ejected_.empty());
}

TEST_F(PciHotplugControllerTest, TheGuestCannotEjectWhatTheVmmDidNotRemove) {
  ASSERT_TRUE(hp_.Insert(3).ok());
  Eject(0);  // the host bridge
  Eject(3);  // present, no removal asked
  Write32(kPciEjectOffset, 0xffff'ffff);
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(Read32(kPciUpOffset), Bit(3));  // untouched
}

TEST_F(PciHotplugControllerTest, OtherSegmentsReadZeroAndIgnoreEjects) {
  ASSERT_TRUE(hp_.Insert(1).ok());
  ASSERT_TRUE(hp_.RequestRemoval(2).ok());
  Write32(kPciSegmentOffset, 1);
  EXPECT_EQ(Read32(kPciSegmentOffset), 1u);  // reads back, as Cloud Hypervisor's
  EXPECT_EQ(Read32(kPciUpOffset), 0u);
  EXPECT_EQ(Read32(kPciDownOffset), 0u);
  Write32(kPciEjectOffset, Bit(2));
  EXPECT_TRUE(ejected_.empty());
  Write32(kPciSegmentOffset, 0xffff'ffff);
  Write32(kPciEjectOffset, Bit(2));
  EXPECT_TRUE(ejected_.empty());
  Write32(kPciSegmentOffset, 0);  // back on segment 0 nothing was lost
  EXPECT_EQ(Read32(kPciUpOffset), Bit(1));
  EXPECT_EQ(Read32(kPciDownOffset), Bit(2));
  Write32(kPciEjectOffset, Bit(2));
  EXPECT_EQ(ejected_, std::vector<uint8_t>{2});
}

TEST_F(PciHotplugControllerTest, AccessesThatAreNotDwordsReadZeroAndChangeNothing) {
  ASSERT_TRUE(hp_.Insert(1).ok());
  ASSERT_TRUE(hp_.RequestRemoval(2).ok());
  for (const size_t width : {1, 2, 8}) {
    SCOPED_TRACE(width);
    for (uint64_t offset = 0; offset < PciHotplugController::kSize; ++offset) {
      uint8_t buf[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
      hp_.Read(offset, std::span<uint8_t>(buf, width));
      for (size_t k = 0; k < width; ++k) EXPECT_EQ(buf[k], 0) << offset;
      const uint8_t ones[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
      hp_.Write(offset, std::span<const uint8_t>(ones, width));
    }
  }
  uint8_t four[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  hp_.Read(2, four);  // a DWord, but not at a field
  EXPECT_EQ(LoadLe<uint32_t>(four, 0), 0u);
  hp_.Read(acpi::kPciHotplugSize, four);  // past the block
  EXPECT_EQ(LoadLe<uint32_t>(four, 0), 0u);
  Write32(kPciUpOffset, 0xffff'ffff);    // read-only
  Write32(kPciDownOffset, 0xffff'ffff);  // read-only
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(Read32(kPciSegmentOffset), 0u);
  EXPECT_EQ(Read32(kPciUpOffset), Bit(1));
  EXPECT_EQ(Read32(kPciDownOffset), Bit(2));
}

TEST_F(PciHotplugControllerTest, OnEjectRunsWithoutTheLock) {
  // The VMM's callback may call back into the controller (here: re-plug).
  PciHotplugController* self = nullptr;
  PciHotplugController hp([&](uint8_t slot) { ASSERT_TRUE(self->Insert(slot).ok()); });
  self = &hp;
  ASSERT_TRUE(hp.RequestRemoval(10).ok());
  uint8_t bytes[4];
  StoreLe<uint32_t>(bytes, 0, Bit(10));
  hp.Write(kPciEjectOffset, bytes);
  EXPECT_EQ(Read32(hp, kPciUpOffset), Bit(10));
}

TEST_F(PciHotplugControllerTest, SaveRestoreRoundTrips) {
  ASSERT_TRUE(hp_.Insert(3).ok());
  ASSERT_TRUE(hp_.RequestRemoval(4).ok());
  ASSERT_TRUE(hp_.RequestRemoval(5).ok());
  EXPECT_EQ(Read32(kPciDownOffset), Bit(4) | Bit(5));
  ASSERT_TRUE(hp_.RequestRemoval(5).ok());  // announced again
  Write32(kPciSegmentOffset, 2);
  const PciHotplugController::State saved = hp_.Save();
  EXPECT_EQ(saved, (PciHotplugController::State{
                       .segment = 2, .up = Bit(3), .down = Bit(5),
                       .removal_requested = Bit(4) | Bit(5)}));
  std::vector<uint8_t> other_ejected;
  PciHotplugController other([&](uint8_t slot) { other_ejected.push_back(slot); });
  ASSERT_TRUE(other.Restore(saved).ok());
  EXPECT_EQ(other.Save(), saved);
  EXPECT_EQ(Read32(other, kPciSegmentOffset), 2u);
  uint8_t bytes[4];
  StoreLe<uint32_t>(bytes, 0, 0);
  other.Write(kPciSegmentOffset, bytes);
  EXPECT_EQ(Read32(other, kPciUpOffset), Bit(3));
  EXPECT_EQ(Read32(other, kPciDownOffset), Bit(5));
  StoreLe<uint32_t>(bytes, 0, Bit(4));
  other.Write(kPciEjectOffset, bytes);
  EXPECT_EQ(other_ejected, std::vector<uint8_t>{4});
}

TEST_F(PciHotplugControllerTest, RestoreRefusesStatesNoGuestReaches) {
  ASSERT_TRUE(hp_.Insert(3).ok());
  const PciHotplugController::State good = hp_.Save();
  PciHotplugController::State up0 = good;
  up0.up |= Bit(0);
  PciHotplugController::State down0 = good;
  down0.down |= Bit(0);
  down0.removal_requested |= Bit(0);
  PciHotplugController::State requested0 = good;
  requested0.removal_requested |= Bit(0);
  PciHotplugController::State stray = good;
  stray.down |= Bit(9);  // announced without a request
  for (const auto& bad : {up0, down0, requested0, stray}) {
    EXPECT_EQ(hp_.Restore(bad).error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(hp_.Save(), good);  // unchanged by the refusals
}

}  // namespace
}  // namespace petrel
