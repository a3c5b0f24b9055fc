// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the PCI hot-plug controller (devices/acpi/pci_hotplug_controller.h)
// against a model of it: the input decodes into guest reads and writes of
// any width at any offset (any segment, any eject bitmap) and the VMM's
// Insert, RequestRemoval and CancelRemoval on any slot. Oracles: every
// register read and every eject callback is what the model predicts; an
// eject is only ever of a slot whose removal was requested, never of slot 0,
// and never twice for one request; every reachable state is accepted by
// Restore, round-trips through Save and reads the same.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/base/bytes.h"
#include "devices/acpi/pci_hotplug_controller.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::PciHotplugController;

uint32_t Read32(PciHotplugController& hp, uint64_t offset) {
  uint8_t b[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  hp.Read(offset, b);
  return petrel::LoadLe<uint32_t>(b, 0);
}

void Write32(PciHotplugController& hp, uint64_t offset, uint32_t value) {
  uint8_t b[4];
  petrel::StoreLe<uint32_t>(b, 0, value);
  hp.Write(offset, b);
}

bool IsField(uint64_t offset) {
  return offset == petrel::acpi::kPciUpOffset || offset == petrel::acpi::kPciDownOffset ||
         offset == petrel::acpi::kPciEjectOffset || offset == petrel::acpi::kPciSegmentOffset;
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
  std::vector<uint8_t> ejected;
  PciHotplugController hp([&](uint8_t slot) { ejected.push_back(slot); });
  PciHotplugController::State model;
  std::vector<uint8_t> expected_ejects;
  uint32_t requests_since_eject[32] = {};  // RequestRemoval calls per slot, reset by an eject

  while (i < size) {
    const uint8_t op = next();
    const uint8_t slot = next() % 40;  // beyond the bus too
    switch (op & 7) {
      case 0: {  // guest: select a segment (mostly 0, sometimes anything)
        const uint32_t segment = (op & 0x80) ? next32() : (op >> 3) & 1;
        Write32(hp, petrel::acpi::kPciSegmentOffset, segment);
        model.segment = segment;
        break;
      }
      case 1: {  // guest: eject a bitmap, one slot or any bits
        const uint32_t bits = (op & 0x80) ? next32() : (slot < 32 ? 1u << slot : 0);
        Write32(hp, petrel::acpi::kPciEjectOffset, bits);
        if (model.segment == 0) {
          const uint32_t out = bits & model.removal_requested;
          for (uint32_t b = out; b != 0; b &= b - 1) {
            const int s = std::countr_zero(b);
            Check(s != 0);
            Check(requests_since_eject[s] > 0);
            requests_since_eject[s] = 0;
            expected_ejects.push_back(static_cast<uint8_t>(s));
          }
          model.removal_requested &= ~out;
          model.down &= ~out;
          model.up &= ~out;
        }
        break;
      }
      case 2: {  // guest: read a field (PCIU and PCID clear on segment 0)
        const uint64_t offset = ((op >> 3) & 3) * 4;
        const uint32_t got = Read32(hp, offset);
        uint32_t want = 0;
        if (offset == petrel::acpi::kPciSegmentOffset) {
          want = model.segment;
        } else if (model.segment == 0 && offset == petrel::acpi::kPciUpOffset) {
          want = model.up;
          model.up = 0;
        } else if (model.segment == 0 && offset == petrel::acpi::kPciDownOffset) {
          want = model.down;
          model.down = 0;
        }
        Check(got == want);
        break;
      }
      case 3: {  // guest: any width at any offset
        uint8_t buf[8] = {};
        const size_t width = size_t{1} << ((op >> 3) & 3);
        const uint64_t offset = (op >> 5) & 0x7;
        const uint64_t at = offset * 3;  // 0, 3, 6, ... 21: fields, misaligned, past the end
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        if (width == 4 && IsField(at)) break;  // the other cases model those
        if (op & 0x80) {
          hp.Read(at, std::span<uint8_t>(buf, width));
          for (size_t k = 0; k < width; ++k) Check(buf[k] == 0);
        } else {
          hp.Write(at, std::span<const uint8_t>(buf, width));  // ignored
        }
        break;
      }
      case 4: {  // VMM: insert
        const bool ok = hp.Insert(slot).ok();
        Check(ok == (slot != 0 && slot < 32 && !(model.removal_requested & (1u << slot))));
        if (ok) model.up |= 1u << slot;
        break;
      }
      case 5: {  // VMM: request removal
        const bool ok = hp.RequestRemoval(slot).ok();
        Check(ok == (slot != 0 && slot < 32));
        if (ok) {
          model.removal_requested |= 1u << slot;
          model.down |= 1u << slot;
          ++requests_since_eject[slot];
        }
        break;
      }
      case 6: {  // VMM: withdraw a removal
        const bool had = slot < 32 && (model.removal_requested & (1u << slot));
        Check(hp.CancelRemoval(slot) == had);
        if (had) {
          model.removal_requested &= ~(1u << slot);
          model.down &= ~(1u << slot);
          requests_since_eject[slot] = 0;
        }
        break;
      }
      default:  // the VMM's view
        Check(hp.removal_pending(slot) ==
              (slot < 32 && (model.removal_requested & (1u << slot)) != 0));
        break;
    }
    Check(ejected == expected_ejects);
    Check(hp.Save() == model);
    Check(!hp.removal_pending(0));
  }

  const PciHotplugController::State state = hp.Save();
  Check(((state.up | state.down | state.removal_requested) & 1u) == 0);
  Check((state.down & ~state.removal_requested) == 0);
  PciHotplugController copy({});
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  for (const uint64_t offset : {petrel::acpi::kPciSegmentOffset, petrel::acpi::kPciUpOffset,
                                petrel::acpi::kPciDownOffset}) {
    Check(Read32(copy, offset) == Read32(hp, offset));
  }
  PciHotplugController::State bad = state;
  bad.up |= 1;  // the host bridge
  Check(!copy.Restore(bad).ok());
  return 0;
}
