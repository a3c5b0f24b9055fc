// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the memory hot-plug controller
// (devices/acpi/memory_hotplug_controller.h) against a model of it: the input
// decodes into guest reads and writes of any width at any offset (any
// selector, any status bits) and the VMM's Insert (any slot, any range),
// RequestRemoval and CancelRemoval. Oracles: every register read, every
// VMM call's outcome and every eject callback is what the model predicts;
// an eject is only ever of a slot whose removal was requested, and never
// twice for one request; the status bits stay consistent (MINS and MRMV only
// on an enabled slot, MRMV only with a request, a free slot all zero) and no
// two slots' ranges overlap; every reachable state is accepted by Restore,
// round-trips through Save and reads the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/base/bytes.h"
#include "devices/acpi/memory_hotplug_controller.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::MemoryHotplugController;
using Slot = MemoryHotplugController::Slot;
constexpr uint32_t kSlots = MemoryHotplugController::kSlots;

uint32_t Read32(MemoryHotplugController& hp, uint64_t offset) {
  uint8_t b[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  hp.Read(offset, b);
  return petrel::LoadLe<uint32_t>(b, 0);
}

void Write32(MemoryHotplugController& hp, uint64_t offset, uint32_t value) {
  uint8_t b[4];
  petrel::StoreLe<uint32_t>(b, 0, value);
  hp.Write(offset, b);
}

uint8_t ReadStatus(MemoryHotplugController& hp) {
  uint8_t b = 0xaa;
  hp.Read(petrel::acpi::kMemoryStatusOffset, std::span<uint8_t>(&b, 1));
  return b;
}

uint8_t StatusOf(const Slot& s) {
  return static_cast<uint8_t>((s.enabled ? petrel::acpi::kMemoryEnabled : 0) |
                              (s.inserting ? petrel::acpi::kMemoryInserting : 0) |
                              (s.removing ? petrel::acpi::kMemoryRemoving : 0));
}

// The model's own view of ranges: [base, base + length) as 128-bit ends.
bool Overlaps(const Slot& a, uint64_t base, uint64_t length) {
  const unsigned __int128 a_end = static_cast<unsigned __int128>(a.base) + a.length;
  const unsigned __int128 end = static_cast<unsigned __int128>(base) + length;
  return a.base < end && base < a_end;
}

// What the guest reads at a DWord field of the selected slot.
uint32_t FieldOf(const Slot& s, uint64_t offset) {
  switch (offset) {
    case petrel::acpi::kMemoryBaseLowOffset: return static_cast<uint32_t>(s.base);
    case petrel::acpi::kMemoryBaseHighOffset: return static_cast<uint32_t>(s.base >> 32);
    case petrel::acpi::kMemoryLengthLowOffset: return static_cast<uint32_t>(s.length);
    case petrel::acpi::kMemoryLengthHighOffset: return static_cast<uint32_t>(s.length >> 32);
    default: return s.proximity;
  }
}

bool IsAccess(uint64_t offset, size_t width) {
  const bool dword =
      width == 4 && offset % 4 == 0 && offset <= petrel::acpi::kMemoryProximityOffset;
  return dword || (width == 1 && offset == petrel::acpi::kMemoryStatusOffset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  auto next32 = [&]() -> uint32_t {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v |= uint32_t{next()} << (8 * k);
    return v;
  };
  auto next64 = [&]() -> uint64_t { return next32() | (uint64_t{next32()} << 32); };
  std::vector<uint32_t> ejected;
  MemoryHotplugController hp([&](uint32_t slot, uint64_t, uint64_t) { ejected.push_back(slot); });
  MemoryHotplugController::State model;
  model.slots.resize(kSlots);
  std::vector<uint32_t> expected_ejects;
  uint32_t requests_since_eject[kSlots] = {};  // RequestRemoval calls per slot, reset by an eject

  while (i < size) {
    const uint8_t op = next();
    const uint32_t slot = next() % (kSlots + 4);  // beyond the slots too
    switch (op & 7) {
      case 0: {  // guest: select a slot (mostly a real one, sometimes anything)
        const uint32_t sel = (op & 0x80) ? next32() : slot;
        Write32(hp, petrel::acpi::kMemorySelectOffset, sel);
        model.selected = sel;
        break;
      }
      case 1: {  // guest: write the status byte (acks, eject, anything)
        const uint8_t bits = (op & 0x80) ? next() : static_cast<uint8_t>(1u << ((op >> 3) & 3));
        const uint8_t b = bits;
        hp.Write(petrel::acpi::kMemoryStatusOffset, std::span<const uint8_t>(&b, 1));
        if (model.selected < kSlots) {
          Slot& s = model.slots[model.selected];
          if (bits & petrel::acpi::kMemoryInserting) s.inserting = false;
          if (bits & petrel::acpi::kMemoryRemoving) s.removing = false;
          if ((bits & petrel::acpi::kMemoryEject) && s.removal_requested) {
            Check(s.enabled);
            Check(requests_since_eject[model.selected] > 0);
            requests_since_eject[model.selected] = 0;
            expected_ejects.push_back(model.selected);
            s = Slot{};
          }
        }
        break;
      }
      case 2: {  // guest: read a DWord field or the status
        const uint64_t which = (op >> 3) % 6;
        const bool in_range = model.selected < kSlots;
        const Slot none{};
        const Slot& s = in_range ? model.slots[model.selected] : none;
        if (which == 5) {
          Check(ReadStatus(hp) == StatusOf(s));
        } else {
          Check(Read32(hp, which * 4) == FieldOf(s, which * 4));
        }
        break;
      }
      case 3: {  // guest: any width at any offset
        uint8_t buf[8] = {};
        const size_t width = size_t{1} << ((op >> 3) & 3);
        const uint64_t at = next() % (petrel::acpi::kMemoryHotplugSize + 8);
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        if (IsAccess(at, width)) break;  // the other cases model those
        if (op & 0x80) {
          hp.Read(at, std::span<uint8_t>(buf, width));
          for (size_t k = 0; k < width; ++k) Check(buf[k] == 0);
        } else {
          hp.Write(at, std::span<const uint8_t>(buf, width));  // ignored
        }
        break;
      }
      case 4: {  // VMM: insert a range (mostly small and aligned, sometimes anything)
        uint64_t base, length;
        if (op & 0x80) {
          base = next64();
          length = next64();
        } else {
          base = uint64_t{next()} << 27;  // 128 MiB blocks
          length = static_cast<uint64_t>(next() % 4) << 27;
        }
        const uint32_t proximity = (op & 0x40) ? next32() : 0;
        bool ok = slot < kSlots && !model.slots[slot].enabled && length != 0 &&
                  base <= ~uint64_t{0} - (length - 1);
        for (uint32_t k = 0; ok && k < kSlots; ++k) {
          if (model.slots[k].enabled && Overlaps(model.slots[k], base, length)) ok = false;
        }
        Check(hp.Insert(slot, base, length, proximity).ok() == ok);
        if (ok) {
          model.slots[slot] = Slot{.base = base,
                                   .length = length,
                                   .proximity = proximity,
                                   .enabled = true,
                                   .inserting = true};
        }
        break;
      }
      case 5: {  // VMM: request a removal
        const bool ok = slot < kSlots && model.slots[slot].enabled;
        Check(hp.RequestRemoval(slot).ok() == ok);
        if (ok) {
          model.slots[slot].removal_requested = true;
          model.slots[slot].removing = true;
          ++requests_since_eject[slot];
        }
        break;
      }
      case 6: {  // VMM: withdraw a removal
        const bool had = slot < kSlots && model.slots[slot].removal_requested;
        Check(hp.CancelRemoval(slot).ok() == had);
        if (had) {
          model.slots[slot].removal_requested = false;
          model.slots[slot].removing = false;
          requests_since_eject[slot] = 0;
        }
        break;
      }
      default: {  // the VMM's view
        Check(hp.removal_pending(slot) == (slot < kSlots && model.slots[slot].removal_requested));
        const auto got = hp.slot(slot);
        Check(got.has_value() == (slot < kSlots));
        if (got) Check(*got == model.slots[slot]);
        break;
      }
    }
    Check(ejected == expected_ejects);
    Check(hp.Save() == model);
  }

  // The invariants every reachable state keeps.
  const MemoryHotplugController::State state = hp.Save();
  Check(state.slots.size() == kSlots);
  for (uint32_t k = 0; k < kSlots; ++k) {
    const Slot& s = state.slots[k];
    if (!s.enabled) Check(s == Slot{});
    if (s.removing) Check(s.removal_requested);
    if (s.enabled) Check(s.length != 0 && s.base <= ~uint64_t{0} - (s.length - 1));
    for (uint32_t j = 0; j < k; ++j) {
      if (s.enabled && state.slots[j].enabled) Check(!Overlaps(state.slots[j], s.base, s.length));
    }
  }
  MemoryHotplugController copy({});
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  for (uint32_t k = 0; k < kSlots + 1; ++k) {
    Write32(hp, petrel::acpi::kMemorySelectOffset, k);
    Write32(copy, petrel::acpi::kMemorySelectOffset, k);
    Check(ReadStatus(copy) == ReadStatus(hp));
    for (uint64_t offset = 0; offset <= petrel::acpi::kMemoryProximityOffset; offset += 4) {
      Check(Read32(copy, offset) == Read32(hp, offset));
    }
  }
  MemoryHotplugController::State bad = state;
  bad.slots.pop_back();
  Check(!copy.Restore(bad).ok());
  return 0;
}
