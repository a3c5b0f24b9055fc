// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for MemoryHotplugController: the registers as the DSDT's MSCN, MSTA,
// MCRS and MDEJ methods use them, the VMM's Insert/RequestRemoval/
// CancelRemoval, a hostile guest's selectors, widths and ejects, and
// save/restore.
#include "devices/acpi/memory_hotplug_controller.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"

namespace petrel {
namespace {

using acpi::kMemoryBaseHighOffset;
using acpi::kMemoryBaseLowOffset;
using acpi::kMemoryEject;
using acpi::kMemoryEnabled;
using acpi::kMemoryInserting;
using acpi::kMemoryLengthHighOffset;
using acpi::kMemoryLengthLowOffset;
using acpi::kMemoryProximityOffset;
using acpi::kMemoryRemoving;
using acpi::kMemorySelectOffset;
using acpi::kMemoryStatusOffset;
using Slot = MemoryHotplugController::Slot;

constexpr uint64_t kGiB = 1ULL << 30;
constexpr uint64_t kMiB = 1ULL << 20;

uint32_t Read32(MemoryHotplugController& hp, uint64_t offset) {
  uint8_t bytes[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  hp.Read(offset, bytes);
  return LoadLe<uint32_t>(bytes, 0);
}
void Write32(MemoryHotplugController& hp, uint64_t offset, uint32_t value) {
  uint8_t bytes[4];
  StoreLe<uint32_t>(bytes, 0, value);
  hp.Write(offset, bytes);
}
uint8_t Status(MemoryHotplugController& hp) {
  uint8_t b = 0xaa;
  hp.Read(kMemoryStatusOffset, std::span<uint8_t>(&b, 1));
  return b;
}
void WriteStatus(MemoryHotplugController& hp, uint8_t bits) {
  hp.Write(kMemoryStatusOffset, std::span<const uint8_t>(&bits, 1));
}

class MemoryHotplugControllerTest : public ::testing::Test {
 protected:
  void Select(uint32_t slot) { Write32(hp_, kMemorySelectOffset, slot); }
  uint8_t StatusOf(uint32_t slot) {
    Select(slot);
    return Status(hp_);
  }
  // What MCRS reads for the selected slot: base, length (two DWords each).
  uint64_t Base() {
    return Read32(hp_, kMemoryBaseLowOffset) | (uint64_t{Read32(hp_, kMemoryBaseHighOffset)} << 32);
  }
  uint64_t Length() {
    return Read32(hp_, kMemoryLengthLowOffset) |
           (uint64_t{Read32(hp_, kMemoryLengthHighOffset)} << 32);
  }
  // What the slot's _EJ0 does: MDEJ(slot) selects it and writes MEJ0.
  void Eject(uint32_t slot) {
    Select(slot);
    WriteStatus(hp_, kMemoryEject);
  }
  // What MSCN does per slot: acknowledge what it found.
  void Acknowledge(uint32_t slot, uint8_t bits) {
    Select(slot);
    WriteStatus(hp_, bits);
  }
  std::vector<uint32_t> ejected_;
  MemoryHotplugController hp_{[this](uint32_t slot, uint64_t base, uint64_t length) {
    ejected_.push_back(slot);
    ejected_ranges_.push_back({base, length});
  }};
  std::vector<std::pair<uint64_t, uint64_t>> ejected_ranges_;  // what each ejected slot held
};

TEST(MemoryHotplugRegisters, MatchCloudHypervisorsLayout) {
  EXPECT_EQ(MemoryHotplugController::kSize, 0x18u);
  EXPECT_EQ(MemoryHotplugController::kSlots, 8u);
  EXPECT_EQ(kMemoryBaseLowOffset, 0x0u);
  EXPECT_EQ(kMemoryBaseHighOffset, 0x4u);
  EXPECT_EQ(kMemoryLengthLowOffset, 0x8u);
  EXPECT_EQ(kMemoryLengthHighOffset, 0xCu);
  EXPECT_EQ(kMemoryProximityOffset, 0x10u);
  EXPECT_EQ(kMemoryStatusOffset, 0x14u);
  EXPECT_EQ(kMemorySelectOffset, 0x0u);
  EXPECT_EQ(kMemoryEnabled, 1u);
  EXPECT_EQ(kMemoryInserting, 2u);
  EXPECT_EQ(kMemoryRemoving, 4u);
  EXPECT_EQ(kMemoryEject, 8u);
}

TEST_F(MemoryHotplugControllerTest, StartsWithEverySlotFree) {
  for (uint32_t slot = 0; slot < MemoryHotplugController::kSlots; ++slot) {
    Select(slot);
    EXPECT_EQ(Status(hp_), 0u) << slot;
    EXPECT_EQ(Base(), 0u);
    EXPECT_EQ(Length(), 0u);
    EXPECT_EQ(Read32(hp_, kMemoryProximityOffset), 0u);
    EXPECT_EQ(hp_.slot(slot), Slot{});
    EXPECT_FALSE(hp_.removal_pending(slot));
  }
  EXPECT_EQ(hp_.free_slot(), 0u);
  const MemoryHotplugController::State s = hp_.Save();
  EXPECT_EQ(s.selected, MemoryHotplugController::kSlots - 1);
  EXPECT_EQ(s.slots, std::vector<Slot>(MemoryHotplugController::kSlots));
}

TEST_F(MemoryHotplugControllerTest, RegistersDescribeTheSelectedSlot) {
  ASSERT_TRUE(hp_.Insert(0, 8 * kGiB, 512 * kMiB).ok());
  ASSERT_TRUE(hp_.Insert(5, 0x12'3456'7000'0000, 0x1'8000'0000, 3).ok());
  Select(5);
  EXPECT_EQ(Read32(hp_, kMemoryBaseLowOffset), 0x7000'0000u);
  EXPECT_EQ(Read32(hp_, kMemoryBaseHighOffset), 0x12'3456u);
  EXPECT_EQ(Read32(hp_, kMemoryLengthLowOffset), 0x8000'0000u);
  EXPECT_EQ(Read32(hp_, kMemoryLengthHighOffset), 1u);
  EXPECT_EQ(Read32(hp_, kMemoryProximityOffset), 3u);
  EXPECT_EQ(Status(hp_), kMemoryEnabled | kMemoryInserting);
  Select(0);
  EXPECT_EQ(Base(), 8 * kGiB);
  EXPECT_EQ(Length(), 512 * kMiB);
  EXPECT_EQ(Read32(hp_, kMemoryProximityOffset), 0u);
  Select(1);  // free
  EXPECT_EQ(Base(), 0u);
  EXPECT_EQ(Length(), 0u);
  EXPECT_EQ(Status(hp_), 0u);
  EXPECT_EQ(hp_.slot(5), (Slot{.base = 0x12'3456'7000'0000,
                               .length = 0x1'8000'0000,
                               .proximity = 3,
                               .enabled = true,
                               .inserting = true}));
  EXPECT_EQ(hp_.free_slot(), 1u);
  EXPECT_TRUE(ejected_.empty());
}

TEST_F(MemoryHotplugControllerTest, TheScanAcknowledgesAnInsertion) {
  ASSERT_TRUE(hp_.Insert(2, 4 * kGiB, kGiB).ok());
  EXPECT_EQ(StatusOf(2), kMemoryEnabled | kMemoryInserting);
  Acknowledge(2, kMemoryInserting);
  EXPECT_EQ(StatusOf(2), kMemoryEnabled);
  Acknowledge(2, kMemoryInserting);  // again: nothing left to clear
  EXPECT_EQ(StatusOf(2), kMemoryEnabled);
  Acknowledge(2, kMemoryEnabled);  // MEN_ is read-only
  EXPECT_EQ(StatusOf(2), kMemoryEnabled);
  EXPECT_EQ(Length(), kGiB);
}

TEST_F(MemoryHotplugControllerTest, InsertChecksTheSlotAndTheRange) {
  ASSERT_TRUE(hp_.Insert(1, 4 * kGiB, kGiB).ok());
  EXPECT_EQ(hp_.Insert(1, 16 * kGiB, kGiB).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(hp_.Insert(8, 16 * kGiB, kGiB).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.Insert(~0u, 16 * kGiB, kGiB).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.Insert(2, 16 * kGiB, 0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.Insert(2, ~uint64_t{0} - kGiB + 2, kGiB).error().code(),
            ErrorCode::kInvalidArgument);  // wraps
  EXPECT_EQ(hp_.Insert(2, 5 * kGiB - 1, kGiB).error().code(),
            ErrorCode::kInvalidArgument);  // overlaps slot 1
  EXPECT_EQ(hp_.Insert(2, 3 * kGiB + 1, kGiB).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hp_.slot(2), Slot{});
  EXPECT_TRUE(hp_.Insert(2, 5 * kGiB, kGiB).ok());                 // adjacent is fine
  EXPECT_TRUE(hp_.Insert(3, ~uint64_t{0} - kGiB + 1, kGiB).ok());  // ends at 2^64
  EXPECT_EQ(hp_.slot(8), std::nullopt);
}

TEST_F(MemoryHotplugControllerTest, RemovalScanAckEjectCallsOnEjectOnce) {
  ASSERT_TRUE(hp_.Insert(3, 4 * kGiB, kGiB, 1).ok());
  Acknowledge(3, kMemoryInserting);
  ASSERT_TRUE(hp_.RequestRemoval(3).ok());
  EXPECT_TRUE(hp_.removal_pending(3));
  EXPECT_FALSE(hp_.removal_pending(4));
  EXPECT_EQ(StatusOf(3), kMemoryEnabled | kMemoryRemoving);
  Acknowledge(3, kMemoryRemoving);
  EXPECT_EQ(StatusOf(3), kMemoryEnabled);
  EXPECT_TRUE(hp_.removal_pending(3));  // acknowledged, still to be ejected
  EXPECT_TRUE(ejected_.empty());
  Eject(3);
  EXPECT_EQ(ejected_, std::vector<uint32_t>{3});
  ASSERT_EQ(ejected_ranges_.size(), 1u);  // the VMM learns what to give back
  EXPECT_EQ(ejected_ranges_[0], std::make_pair(4 * kGiB, kGiB));
  EXPECT_FALSE(hp_.removal_pending(3));
  EXPECT_EQ(hp_.slot(3), Slot{});  // free again, its range forgotten
  EXPECT_EQ(StatusOf(3), 0u);
  EXPECT_EQ(Base(), 0u);
  EXPECT_EQ(Length(), 0u);
  EXPECT_EQ(Read32(hp_, kMemoryProximityOffset), 0u);
  Eject(3);  // again, without a new request
  EXPECT_EQ(ejected_, std::vector<uint32_t>{3});
  EXPECT_EQ(hp_.free_slot(), 0u);
  EXPECT_TRUE(hp_.Insert(3, 4 * kGiB, kGiB).ok());  // the range may be plugged again
}

TEST_F(MemoryHotplugControllerTest, RemovalNeedsAnEnabledSlot) {
  EXPECT_EQ(hp_.RequestRemoval(0).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(hp_.RequestRemoval(8).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(hp_.removal_pending(0));
  EXPECT_FALSE(hp_.removal_pending(200));
  EXPECT_EQ(StatusOf(0), 0u);
}

TEST_F(MemoryHotplugControllerTest, AskingAgainAnnouncesAgainButEjectsOnce) {
  ASSERT_TRUE(hp_.Insert(6, 4 * kGiB, kGiB).ok());
  Acknowledge(6, kMemoryInserting);
  ASSERT_TRUE(hp_.RequestRemoval(6).ok());
  Acknowledge(6, kMemoryRemoving);
  ASSERT_TRUE(hp_.RequestRemoval(6).ok());  // the guest did not act: ask again
  EXPECT_EQ(StatusOf(6), kMemoryEnabled | kMemoryRemoving);
  Eject(6);
  Eject(6);
  EXPECT_EQ(ejected_, std::vector<uint32_t>{6});
}

TEST_F(MemoryHotplugControllerTest, AnInsertionAndItsRemovalAreBothAnnounced) {
  // MSCN notifies Device Check, then Eject Request: the guest adds the
  // memory before it is asked to remove it.
  ASSERT_TRUE(hp_.Insert(4, 4 * kGiB, kGiB).ok());
  ASSERT_TRUE(hp_.RequestRemoval(4).ok());
  EXPECT_EQ(StatusOf(4), kMemoryEnabled | kMemoryInserting | kMemoryRemoving);
  Acknowledge(4, kMemoryInserting);
  Acknowledge(4, kMemoryRemoving);
  EXPECT_EQ(StatusOf(4), kMemoryEnabled);
  Eject(4);  // a guest may also eject with the flags still set
  EXPECT_EQ(ejected_, std::vector<uint32_t>{4});
}

TEST_F(MemoryHotplugControllerTest, AnEjectForgetsTheSlotsUnscannedFlags) {
  ASSERT_TRUE(hp_.Insert(7, 4 * kGiB, kGiB).ok());
  ASSERT_TRUE(hp_.RequestRemoval(7).ok());
  Eject(7);  // a guest that ejects without scanning
  EXPECT_EQ(ejected_, std::vector<uint32_t>{7});
  EXPECT_EQ(StatusOf(7), 0u);
}

TEST_F(MemoryHotplugControllerTest, AWithdrawnRemovalCannotBeEjected) {
  ASSERT_TRUE(hp_.Insert(1, 4 * kGiB, kGiB).ok());
  Acknowledge(1, kMemoryInserting);
  ASSERT_TRUE(hp_.RequestRemoval(1).ok());
  EXPECT_TRUE(hp_.CancelRemoval(1).ok());
  EXPECT_EQ(hp_.CancelRemoval(1).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(hp_.CancelRemoval(2).error().code(), ErrorCode::kFailedPrecondition);  // free
  EXPECT_EQ(hp_.CancelRemoval(99).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(hp_.removal_pending(1));
  EXPECT_EQ(StatusOf(1), kMemoryEnabled);  // no longer announced
  Eject(1);                                // the guest acted on the old request
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(hp_.slot(1)->length, kGiB);  // the memory stays
}

TEST_F(MemoryHotplugControllerTest, TheGuestCannotEjectWhatTheVmmDidNotRemove) {
  ASSERT_TRUE(hp_.Insert(2, 4 * kGiB, kGiB).ok());
  Eject(2);  // present, no removal asked
  Eject(0);  // free
  Select(2);
  WriteStatus(hp_, 0xff);  // every bit, eject among them
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(StatusOf(2), kMemoryEnabled);  // the acknowledgements took effect
  EXPECT_EQ(Length(), kGiB);
}

TEST_F(MemoryHotplugControllerTest, SelectorsBeyondTheSlotsReadZeroAndIgnoreWrites) {
  ASSERT_TRUE(hp_.Insert(0, 4 * kGiB, kGiB, 2).ok());
  ASSERT_TRUE(hp_.RequestRemoval(0).ok());
  for (const uint32_t sel : {8u, 9u, 255u, 256u, 0x8000'0000u, 0xffff'ffffu}) {
    SCOPED_TRACE(sel);
    Select(sel);
    EXPECT_EQ(Base(), 0u);
    EXPECT_EQ(Length(), 0u);
    EXPECT_EQ(Read32(hp_, kMemoryProximityOffset), 0u);
    EXPECT_EQ(Status(hp_), 0u);
    WriteStatus(hp_, kMemoryEject | kMemoryInserting | kMemoryRemoving);
  }
  // Cloud Hypervisor selects with the low byte only; Petrel takes all 32
  // bits, so 256 is not slot 0.
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(StatusOf(0), kMemoryEnabled | kMemoryInserting | kMemoryRemoving);
  Eject(0);
  EXPECT_EQ(ejected_, std::vector<uint32_t>{0});
}

TEST_F(MemoryHotplugControllerTest, AccessesOfTheWrongWidthOrAtNoFieldReadZeroAndChangeNothing) {
  ASSERT_TRUE(hp_.Insert(0, 0xFFFF'FFFF'0000'0000, kGiB, 0xffff'ffff).ok());
  ASSERT_TRUE(hp_.RequestRemoval(0).ok());
  Select(0);
  const MemoryHotplugController::State before = hp_.Save();
  for (const size_t width : {1, 2, 4, 8}) {
    SCOPED_TRACE(width);
    for (uint64_t offset = 0; offset < MemoryHotplugController::kSize + 8; ++offset) {
      const bool dword_field = offset % 4 == 0 && offset <= kMemoryProximityOffset;
      if ((width == 4 && dword_field) || (width == 1 && offset == kMemoryStatusOffset)) continue;
      uint8_t buf[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
      hp_.Read(offset, std::span<uint8_t>(buf, width));
      for (size_t k = 0; k < width; ++k) EXPECT_EQ(buf[k], 0) << offset;
      const uint8_t ones[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
      hp_.Write(offset, std::span<const uint8_t>(ones, width));
    }
  }
  // DWord writes at the read-only fields change nothing either.
  for (const uint64_t offset : {kMemoryBaseHighOffset, kMemoryLengthLowOffset,
                                kMemoryLengthHighOffset, kMemoryProximityOffset}) {
    Write32(hp_, offset, 0xffff'ffff);
  }
  EXPECT_TRUE(ejected_.empty());
  EXPECT_EQ(hp_.Save(), before);
  EXPECT_EQ(Base(), 0xFFFF'FFFF'0000'0000u);
  EXPECT_EQ(Read32(hp_, kMemoryProximityOffset), 0xffff'ffffu);
}

TEST_F(MemoryHotplugControllerTest, OnEjectRunsWithoutTheLock) {
  // The VMM's callback may call back into the controller (here: re-plug).
  MemoryHotplugController* self = nullptr;
  MemoryHotplugController hp([&](uint32_t slot, uint64_t, uint64_t) {
    ASSERT_FALSE(self->slot(slot)->enabled);
    ASSERT_TRUE(self->Insert(slot, 64 * kGiB, kGiB).ok());
  });
  self = &hp;
  ASSERT_TRUE(hp.Insert(5, 4 * kGiB, kGiB).ok());
  ASSERT_TRUE(hp.RequestRemoval(5).ok());
  Write32(hp, kMemorySelectOffset, 5);
  WriteStatus(hp, kMemoryEject);
  EXPECT_EQ(Status(hp), kMemoryEnabled | kMemoryInserting);
  EXPECT_EQ(hp.slot(5)->base, 64 * kGiB);
}

TEST_F(MemoryHotplugControllerTest, FreeSlotIsTheLowestFreeOne) {
  for (uint32_t slot = 0; slot < MemoryHotplugController::kSlots; ++slot) {
    ASSERT_EQ(hp_.free_slot(), slot);
    ASSERT_TRUE(hp_.Insert(slot, (4 + slot) * kGiB, kGiB).ok());
  }
  EXPECT_EQ(hp_.free_slot(), std::nullopt);
  ASSERT_TRUE(hp_.RequestRemoval(2).ok());
  EXPECT_EQ(hp_.free_slot(), std::nullopt);  // still there until the guest ejects it
  Eject(2);
  EXPECT_EQ(hp_.free_slot(), 2u);
}

TEST_F(MemoryHotplugControllerTest, SaveRestoreRoundTrips) {
  ASSERT_TRUE(hp_.Insert(0, 4 * kGiB, kGiB, 1).ok());
  ASSERT_TRUE(hp_.Insert(3, 8 * kGiB, 2 * kGiB).ok());
  ASSERT_TRUE(hp_.Insert(7, 16 * kGiB, kGiB).ok());
  Acknowledge(3, kMemoryInserting);
  ASSERT_TRUE(hp_.RequestRemoval(3).ok());
  ASSERT_TRUE(hp_.RequestRemoval(7).ok());
  Acknowledge(7, kMemoryRemoving);
  Select(6);
  const MemoryHotplugController::State saved = hp_.Save();
  EXPECT_EQ(saved.selected, 6u);
  ASSERT_EQ(saved.slots.size(), MemoryHotplugController::kSlots);
  EXPECT_EQ(saved.slots[3], (Slot{.base = 8 * kGiB,
                                  .length = 2 * kGiB,
                                  .enabled = true,
                                  .removing = true,
                                  .removal_requested = true}));
  EXPECT_EQ(saved.slots[7], (Slot{.base = 16 * kGiB,
                                  .length = kGiB,
                                  .enabled = true,
                                  .inserting = true,
                                  .removal_requested = true}));

  std::vector<uint32_t> other_ejected;
  MemoryHotplugController other([&](uint32_t slot, uint64_t, uint64_t) { other_ejected.push_back(slot); });
  ASSERT_TRUE(other.Restore(saved).ok());
  EXPECT_EQ(other.Save(), saved);
  EXPECT_EQ(Status(other), 0u);  // slot 6, selected
  Write32(other, kMemorySelectOffset, 0);
  EXPECT_EQ(Status(other), kMemoryEnabled | kMemoryInserting);
  EXPECT_EQ(Read32(other, kMemoryProximityOffset), 1u);
  Write32(other, kMemorySelectOffset, 7);
  WriteStatus(other, kMemoryEject);
  EXPECT_EQ(other_ejected, std::vector<uint32_t>{7});
  Write32(other, kMemorySelectOffset, 0);
  WriteStatus(other, kMemoryEject);  // never asked
  EXPECT_EQ(other_ejected, std::vector<uint32_t>{7});
}

TEST_F(MemoryHotplugControllerTest, RestoreRefusesStatesNoSequenceReaches) {
  ASSERT_TRUE(hp_.Insert(1, 4 * kGiB, kGiB).ok());
  ASSERT_TRUE(hp_.Insert(2, 8 * kGiB, kGiB).ok());
  ASSERT_TRUE(hp_.RequestRemoval(2).ok());
  const MemoryHotplugController::State good = hp_.Save();
  std::vector<MemoryHotplugController::State> bad(12, good);
  bad[0].slots.pop_back();           // a slot short
  bad[1].slots.push_back(Slot{});    // a slot too many
  bad[2].slots[0].base = 4 * kGiB;   // a free slot with a range
  bad[3].slots[0].proximity = 1;     // ... or a proximity domain
  bad[4].slots[0].inserting = true;  // ... or flags
  bad[5].slots[0].removal_requested = true;
  bad[6].slots[1].length = 0;              // an enabled slot without memory
  bad[7].slots[1].base = ~uint64_t{0};     // a range that wraps
  bad[8].slots[1].base = 8 * kGiB + 1;     // overlapping slot 2
  bad[9].slots[1].removing = true;         // MRMV without a request
  bad[10].slots[2].length = ~uint64_t{0};  // wraps, and overlaps slot 1
  bad[11].slots.clear();
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(hp_.Restore(bad[i]).error().code(), ErrorCode::kInvalidArgument) << i;
  }
  EXPECT_EQ(hp_.Save(), good);  // unchanged by the refusals
  MemoryHotplugController::State any_selector = good;
  any_selector.selected = 0xffff'ffff;  // the guest may have written anything
  EXPECT_TRUE(hp_.Restore(any_selector).ok());
}

}  // namespace
}  // namespace petrel
