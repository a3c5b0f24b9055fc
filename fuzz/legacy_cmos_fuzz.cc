// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes Cmos: the input decodes into index/data reads and writes of any
// width at any offset, and clock advances. Oracle: every reachable state is
// accepted by Restore, round-trips through Save, and reads the same
// registers as the original.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/base/clock.h"
#include "devices/legacy/cmos.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

uint8_t ReadReg(petrel::Cmos& c, uint8_t reg) {
  c.Write(0, std::span<const uint8_t>(&reg, 1));
  uint8_t v = 0;
  c.Read(1, std::span<uint8_t>(&v, 1));
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Start somewhere in 1970-2106 so dates cross month and year boundaries.
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  uint64_t start = 0;
  for (int k = 0; k < 4; ++k) start = (start << 8) | next();
  petrel::VirtualClock clock(start * 1'000'000'000ULL);
  petrel::Cmos cmos(uint64_t{next()} << 24, uint64_t{next()} << 32, clock);
  while (i < size) {
    const uint8_t op = next();
    const uint64_t offset = (op >> 2) & 0x03;  // 0-3: past the end too
    const size_t width = size_t{1} << ((op >> 4) & 3);
    uint8_t buf[8] = {};
    switch (op & 3) {
      case 0: cmos.Read(offset, std::span<uint8_t>(buf, width)); break;
      case 1:
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        cmos.Write(offset, std::span<const uint8_t>(buf, width));
        break;
      case 2: {
        // Up to ~18 years per step; never wraps the clock.
        const uint64_t step = uint64_t{next()} << ((op >> 3) + 20);
        if (clock.NowNs() < ~0ULL - step) clock.Advance(step);
        break;
      }
      default:
        cmos.Write(~0ULL - op, std::span<const uint8_t>(buf, width));
        cmos.Read(~0ULL - op, std::span<uint8_t>(buf, width));
        break;
    }
  }
  const auto state = cmos.Save();
  petrel::Cmos copy(0, 0, clock);
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  for (int reg = 0; reg < 128; ++reg) {
    Check(ReadReg(cmos, static_cast<uint8_t>(reg)) == ReadReg(copy, static_cast<uint8_t>(reg)));
  }
  return 0;
}
