// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for CpuHotplugController: the registers as the DSDT's CSTA, CSCN
// and CEJ0 methods use them, the VMM's Insert/RequestRemoval, a hostile
// guest's selections and ejects, and save/restore.
#include "devices/acpi/cpu_hotplug_controller.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"

namespace petrel {
namespace {

using acpi::kCpuEject;
using acpi::kCpuEnabled;
using acpi::kCpuInserting;
using acpi::kCpuRemoving;
using acpi::kCpuSelectOffset;
using acpi::kCpuStatusOffset;

class CpuHotplugControllerTest : public ::testing::Test {
 protected:
  void Select(uint32_t index) {
    uint8_t bytes[4];
    StoreLe<uint32_t>(bytes, 0, index);
    hp_.Write(kCpuSelectOffset, bytes);
  }
  uint32_t Selected() {
    uint8_t bytes[4] = {0xaa, 0xaa, 0xaa, 0xaa};
    hp_.Read(kCpuSelectOffset, bytes);
    return LoadLe<uint32_t>(bytes, 0);
  }
  uint8_t Status(uint32_t index) {
    Select(index);
    uint8_t v = 0xaa;
    hp_.Read(kCpuStatusOffset, std::span<uint8_t>(&v, 1));
    return v;
  }
  void WriteStatus(uint32_t index, uint8_t bits) {
    Select(index);
    hp_.Write(kCpuStatusOffset, std::span<const uint8_t>(&bits, 1));
  }
  std::vector<uint32_t> ejected_;
  CpuHotplugController hp_{4, 2, [this](uint32_t i) { ejected_.push_back(i); }};
};

TEST(CpuHotplugRegisters, MatchCloudHypervisorsLayout) {
  EXPECT_EQ(CpuHotplugController::kSize, 12u);
  EXPECT_EQ(kCpuSelectOffset, 0u);
  EXPECT_EQ(kCpuStatusOffset, 4u);
  EXPECT_EQ(kCpuEnabled, 1);
  EXPECT_EQ(kCpuInserting, 2);
  EXPECT_EQ(kCpuRemoving, 4);
  EXPECT_EQ(kCpuEject, 8);
}

TEST_F(CpuHotplugControllerTest, BootVcpusAreEnabledTheOthersAbsent) {
  EXPECT_EQ(Status(0), kCpuEnabled);
  EXPECT_EQ(Status(1), kCpuEnabled);
  EXPECT_EQ(Status(2), 0);
  EXPECT_EQ(Status(3), 0);
  EXPECT_EQ(hp_.enabled_count(), 2u);
  EXPECT_FALSE(hp_.removal_pending());
}

TEST_F(CpuHotplugControllerTest, SelectionReadsBack) {
  Select(3);
  EXPECT_EQ(Selected(), 3u);
  Select(0xdeadbeef);  // the guest may select anything
  EXPECT_EQ(Selected(), 0xdeadbeefu);
}

TEST_F(CpuHotplugControllerTest, InsertAnnouncesUntilTheGuestAcknowledges) {
  ASSERT_TRUE(hp_.Insert(2).ok());
  EXPECT_EQ(Status(2), kCpuEnabled | kCpuInserting);
  WriteStatus(2, kCpuInserting);  // CSCN: Store(One, CINS) after the notify
  EXPECT_EQ(Status(2), kCpuEnabled);
  EXPECT_EQ(hp_.enabled_count(), 3u);
}

TEST_F(CpuHotplugControllerTest, InsertRefusesOutOfRangeOrPresentVcpus) {
  EXPECT_EQ(hp_.Insert(4).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.Insert(1).error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(CpuHotplugControllerTest, RemovalScanAckEjectForgetsTheVcpu) {
  ASSERT_TRUE(hp_.RequestRemoval(1).ok());
  EXPECT_TRUE(hp_.removal_pending());
  EXPECT_EQ(Status(1), kCpuEnabled | kCpuRemoving);
  WriteStatus(1, kCpuRemoving);  // CSCN's acknowledgement
  EXPECT_EQ(Status(1), kCpuEnabled);
  EXPECT_TRUE(ejected_.empty());
  WriteStatus(1, kCpuEject);  // _EJ0 -> CEJ0, after the guest offlined it
  EXPECT_EQ(ejected_, std::vector<uint32_t>{1});
  EXPECT_EQ(Status(1), 0);
  EXPECT_EQ(hp_.enabled_count(), 1u);
  EXPECT_FALSE(hp_.removal_pending());
  ASSERT_TRUE(hp_.Insert(1).ok());  // the slot can be plugged again
  EXPECT_EQ(Status(1), kCpuEnabled | kCpuInserting);
}

TEST_F(CpuHotplugControllerTest, RemovalRefusesVcpuZeroAndAbsentVcpus) {
  EXPECT_EQ(hp_.RequestRemoval(0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.RequestRemoval(3).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.RequestRemoval(9).error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(hp_.RequestRemoval(1).ok());
  EXPECT_TRUE(hp_.RequestRemoval(1).ok());  // again: still one request
}

TEST_F(CpuHotplugControllerTest, AWithdrawnRemovalCannotBeEjected) {
  ASSERT_TRUE(hp_.RequestRemoval(1).ok());
  EXPECT_TRUE(hp_.CancelRemoval(1));
  EXPECT_FALSE(hp_.CancelRemoval(1));  // nothing left to withdraw
  EXPECT_FALSE(hp_.removal_pending());
  EXPECT_EQ(Status(1), kCpuEnabled);
  WriteStatus(1, kCpuEject);  // the guest acted on the old request
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(hp_.enabled_count(), 2u);
}

TEST_F(CpuHotplugControllerTest, TheGuestCannotEjectWhatTheVmmDidNotRemove) {
  WriteStatus(0, kCpuEject);  // the boot vCPU
  WriteStatus(1, kCpuEject);  // present, no removal asked
  WriteStatus(3, kCpuEject);  // absent
  WriteStatus(77, kCpuEject | kCpuInserting | kCpuRemoving);  // out of range
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(Status(0), kCpuEnabled);
  EXPECT_EQ(Status(1), kCpuEnabled);
  EXPECT_EQ(hp_.enabled_count(), 2u);
}

TEST_F(CpuHotplugControllerTest, OddAccessesReadZeroAndChangeNothing) {
  Select(1);
  uint8_t two[2] = {0xaa, 0xaa};
  hp_.Read(kCpuSelectOffset, two);  // not a DWord
  EXPECT_EQ(two[0], 0);
  EXPECT_EQ(two[1], 0);
  uint8_t four[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  hp_.Read(kCpuStatusOffset, four);  // not a byte
  EXPECT_EQ(LoadLe<uint32_t>(four, 0), 0u);
  hp_.Read(8, four);  // CDAT: reserved
  EXPECT_EQ(LoadLe<uint32_t>(four, 0), 0u);
  const uint8_t eject4[4] = {kCpuEject, 0, 0, 0};
  ASSERT_TRUE(hp_.RequestRemoval(1).ok());
  hp_.Write(kCpuStatusOffset, eject4);  // a DWord eject is not the AML's
  EXPECT_TRUE(ejected_.empty());
  const uint8_t sel2[2] = {3, 0};
  hp_.Write(kCpuSelectOffset, sel2);  // a partial selection is ignored
  EXPECT_EQ(Selected(), 1u);
}

TEST_F(CpuHotplugControllerTest, SaveRestoreRoundTrips) {
  ASSERT_TRUE(hp_.Insert(2).ok());
  ASSERT_TRUE(hp_.RequestRemoval(1).ok());
  Select(2);
  const CpuHotplugController::State saved = hp_.Save();
  CpuHotplugController other(4, 1, {});
  ASSERT_TRUE(other.Restore(saved).ok());
  EXPECT_EQ(other.Save(), saved);
  EXPECT_EQ(other.enabled_count(), 3u);
  EXPECT_TRUE(other.removal_pending());
}

TEST_F(CpuHotplugControllerTest, RestoreRefusesStatesNoGuestReaches) {
  CpuHotplugController::State wrong_size = hp_.Save();
  wrong_size.slots.pop_back();
  EXPECT_FALSE(hp_.Restore(wrong_size).ok());
  CpuHotplugController::State no_boot = hp_.Save();
  no_boot.slots[0].enabled = false;
  EXPECT_FALSE(hp_.Restore(no_boot).ok());
  CpuHotplugController::State ghost = hp_.Save();
  ghost.slots[3].inserting = true;  // absent but being inserted
  EXPECT_FALSE(hp_.Restore(ghost).ok());
  CpuHotplugController::State stray = hp_.Save();
  stray.slots[1].removing = true;  // removing without a request
  EXPECT_FALSE(hp_.Restore(stray).ok());
  EXPECT_EQ(hp_.enabled_count(), 2u);  // unchanged by the refusals
}

}  // namespace
}  // namespace petrel
