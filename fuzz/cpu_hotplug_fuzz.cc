// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the CPU hot-plug controller (devices/acpi/cpu_hotplug_controller.h)
// against a model of it: the input decodes into guest reads and writes of
// any width at any offset (any selection, any status bits) and the VMM's
// Insert, RequestRemoval and CancelRemoval on any index. Oracles: every
// status read and every eject callback is what the model predicts; vCPU 0
// is never ejected and always present; every reachable state is accepted by
// Restore, round-trips through Save and reads the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/base/bytes.h"
#include "devices/acpi/cpu_hotplug_controller.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

using petrel::CpuHotplugController;

uint8_t StatusOf(const CpuHotplugController::Slot& s) {
  return static_cast<uint8_t>((s.enabled ? petrel::acpi::kCpuEnabled : 0) |
                              (s.inserting ? petrel::acpi::kCpuInserting : 0) |
                              (s.removing ? petrel::acpi::kCpuRemoving : 0));
}

uint8_t ReadStatus(CpuHotplugController& hp) {
  uint8_t v = 0xaa;
  hp.Read(petrel::acpi::kCpuStatusOffset, std::span<uint8_t>(&v, 1));
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  const uint32_t max = 1 + next() % 16;
  const uint32_t boot = 1 + next() % max;
  std::vector<uint32_t> ejected;
  CpuHotplugController hp(max, boot, [&](uint32_t index) { ejected.push_back(index); });
  std::vector<CpuHotplugController::Slot> model(max);
  for (uint32_t k = 0; k < boot; ++k) model[k].enabled = true;
  uint32_t selected = 0;
  std::vector<uint32_t> expected_ejects;

  while (i < size) {
    const uint8_t op = next();
    const uint32_t index = next() % (max + 2);  // beyond max too
    switch (op & 7) {
      case 0: {  // guest: select
        uint8_t b[4];
        const uint32_t value = (op & 0x80) ? 0xffff'ff00u | next() : index;
        petrel::StoreLe<uint32_t>(b, 0, value);
        hp.Write(petrel::acpi::kCpuSelectOffset, b);
        selected = value;
        break;
      }
      case 1: {  // guest: status write, any bits
        const uint8_t bits = next();
        hp.Write(petrel::acpi::kCpuStatusOffset, std::span<const uint8_t>(&bits, 1));
        if (selected < max) {
          auto& s = model[selected];
          if (bits & petrel::acpi::kCpuInserting) s.inserting = false;
          if (bits & petrel::acpi::kCpuRemoving) s.removing = false;
          if ((bits & petrel::acpi::kCpuEject) && selected != 0 && s.removal_requested) {
            s = {};
            expected_ejects.push_back(selected);
          }
        }
        break;
      }
      case 2:  // guest: status read
        Check(ReadStatus(hp) == (selected < max ? StatusOf(model[selected]) : 0));
        break;
      case 3: {  // guest: any width at any offset
        uint8_t buf[8] = {};
        const size_t width = size_t{1} << ((op >> 3) & 3);
        const uint64_t offset = (op >> 5) & 7;
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        if (op & 0x80) {
          hp.Read(offset, std::span<uint8_t>(buf, width));
          if (!(offset == petrel::acpi::kCpuSelectOffset && width == 4) &&
              !(offset == petrel::acpi::kCpuStatusOffset && width == 1)) {
            for (size_t k = 0; k < width; ++k) Check(buf[k] == 0);
          }
        } else if (!(offset == petrel::acpi::kCpuSelectOffset && width == 4) &&
                   !(offset == petrel::acpi::kCpuStatusOffset && width == 1)) {
          hp.Write(offset, std::span<const uint8_t>(buf, width));  // ignored
        }
        break;
      }
      case 4: {  // VMM: insert
        const bool ok = hp.Insert(index).ok();
        Check(ok == (index < max && !model[index].enabled));
        if (ok) model[index] = {.enabled = true, .inserting = true};
        break;
      }
      case 5: {  // VMM: request removal
        const bool ok = hp.RequestRemoval(index).ok();
        Check(ok == (index != 0 && index < max && model[index].enabled));
        if (ok && !model[index].removal_requested) {
          model[index].removal_requested = true;
          model[index].removing = true;
          model[index].inserting = false;
        }
        break;
      }
      case 6: {  // VMM: withdraw a removal
        const bool had = index < max && model[index].removal_requested;
        Check(hp.CancelRemoval(index) == had);
        if (had) {
          model[index].removal_requested = false;
          model[index].removing = false;
        }
        break;
      }
      default: {  // the VMM's view
        uint32_t enabled = 0;
        bool pending = false;
        for (const auto& s : model) {
          enabled += s.enabled;
          pending = pending || s.removal_requested;
        }
        Check(hp.enabled_count() == enabled);
        Check(hp.removal_pending() == pending);
        break;
      }
    }
    Check(ejected == expected_ejects);
    Check(hp.enabled(0));
  }

  const CpuHotplugController::State state = hp.Save();
  Check(state.slots == model);
  Check(state.selected == selected);
  CpuHotplugController copy(max, 1, {});
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  Check(ReadStatus(copy) == ReadStatus(hp));
  CpuHotplugController other_size(max + 1, 1, {});
  Check(!other_size.Restore(state).ok());
  return 0;
}
