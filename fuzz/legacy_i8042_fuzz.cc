// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes I8042: the input decodes into guest reads and writes of any width
// at any offset (in range and huge). Oracles, from a reference model of the
// reset line kept here (i8042.h: output-port bit 0, active low):
//   - a write requests a reset exactly when one of its bytes is a pulse
//     command with bit 0 clear (0xF0, 0xF2, ... 0xFE) on the command port, or
//     the data byte of a 0xD1 (write output port) with bit 0 clear; the
//     callback runs once per such write, without the device lock (it calls
//     Save(), which would deadlock);
//   - reads of offsets 1-3 and past the device return 0xff; status bits 1, 6
//     and 7 are never set;
//   - every reachable state round-trips through Save/Restore, and the
//     command byte's reserved bit 7 stays 0.
// Work bound: at most kMaxOps accesses per input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "devices/legacy/i8042.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

constexpr size_t kMaxOps = 4096;
constexpr uint64_t kStatusOffset = 4;  // port 0x64
constexpr uint8_t kWriteOutputPort = 0xd1;

bool TakesData(uint8_t command) {
  return command == 0x60 || command == 0xd1 || command == 0xd2 || command == 0xd3 ||
         command == 0xd4;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int resets = 0;
  petrel::I8042* self = nullptr;
  petrel::I8042 dev([&] {
    ++resets;
    (void)self->Save();  // the lock must not be held here
  });
  self = &dev;
  uint8_t pending = 0;  // the model's command awaiting a data byte
  int expected_resets = 0;
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  for (size_t op_count = 0; i < size && op_count < kMaxOps; ++op_count) {
    const uint8_t op = next();
    const bool huge = (op & 0x20) != 0;
    const uint64_t offset = huge ? ~uint64_t{0} - (op & 7) : (op >> 2) & 7;  // 0-7: past the end too
    const size_t width = size_t{1} << ((op >> 6) & 3);
    uint8_t buf[8] = {};
    if ((op & 1) == 0) {
      dev.Read(offset, std::span<uint8_t>(buf, width));
      for (size_t k = 0; k < width; ++k) {
        const uint64_t at = offset + k;
        const bool wraps = at < offset;
        if (wraps || huge || at >= petrel::I8042::kSize || (at != 0 && at != kStatusOffset)) {
          Check(buf[k] == 0xff);
        } else if (at == kStatusOffset) {
          Check((buf[k] & 0xc2) == 0);
        }
      }
      continue;
    }
    for (size_t k = 0; k < width; ++k) buf[k] = next();
    bool expect_reset = false;
    if (!huge) {
      for (size_t k = 0; k < width && offset + k < petrel::I8042::kSize; ++k) {
        const uint8_t v = buf[k];
        if (offset + k == kStatusOffset) {
          pending = TakesData(v) ? v : 0;
          if (!TakesData(v) && v >= 0xf0 && (v & 1) == 0) expect_reset = true;
        } else if (offset + k == 0) {
          if (pending == kWriteOutputPort && (v & 1) == 0) expect_reset = true;
          pending = 0;
        }
      }
    }
    if (expect_reset) ++expected_resets;
    dev.Write(offset, std::span<const uint8_t>(buf, width));
    Check(resets == expected_resets);

    const auto state = dev.Save();
    Check((state.command_byte & 0x80) == 0);
    Check(state.pending_command == pending);
    petrel::I8042 copy(nullptr);
    Check(copy.Restore(state).ok());
    Check(copy.Save() == state);
  }
  return 0;
}
