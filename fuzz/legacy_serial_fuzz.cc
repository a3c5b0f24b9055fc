// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes Serial: the input decodes into guest reads/writes of any width at
// any offset and host input bursts. Oracle: every reachable state is accepted
// by Restore and round-trips through Save; the irq line level always equals
// "interrupt pending && MCR OUT2" as recomputed by a restored copy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "devices/legacy/serial.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

class LevelLine final : public petrel::hv::InterruptLine {
 public:
  void SetLevel(bool high) override { level = high; }
  bool level = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto line = std::make_shared<LevelLine>();
  size_t transmitted = 0;
  petrel::Serial serial(line, [&](std::span<const uint8_t> b) { transmitted += b.size(); });
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const uint8_t op = next();
    const uint64_t offset = (op >> 2) & 0x0f;  // 0-15: past the end too
    const size_t width = size_t{1} << ((op >> 6) & 3);
    uint8_t buf[8] = {};
    switch (op & 3) {
      case 0: serial.Read(offset, std::span<uint8_t>(buf, width)); break;
      case 1:
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        serial.Write(offset, std::span<const uint8_t>(buf, width));
        break;
      case 2: {
        const size_t n = next() & 0x7f;
        const size_t avail = size - i < n ? size - i : n;
        serial.QueueInput(std::span<const uint8_t>(data + i, avail));
        i += avail;
        break;
      }
      default: {
        // Huge offsets must be harmless.
        serial.Read(~0ULL - (op >> 2), std::span<uint8_t>(buf, width));
        serial.Write(~0ULL - (op >> 2), std::span<const uint8_t>(buf, width));
        break;
      }
    }
    const auto state = serial.Save();
    auto copy_line = std::make_shared<LevelLine>();
    petrel::Serial copy(copy_line, nullptr);
    Check(copy.Restore(state).ok());
    Check(copy.Save() == state);
    Check(copy_line->level == line->level);
    Check(state.rx_count <= petrel::Serial::kRxFifoCapacity);
  }
  return 0;
}
