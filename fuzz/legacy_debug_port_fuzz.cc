// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes DebugPort: the input decodes into guest reads and writes of any
// width at any offset, and clock advances (a VirtualClock). Oracles:
//   - only byte 0 of a write at offset 0 is a POST code: events + dropped
//     equals the number of such writes, events never exceed kMaxEvents and
//     nothing is dropped below the cap; event times never go backwards and
//     equal the virtual time of the write;
//   - a read returns the last code at offset 0 byte 0 and 0xff elsewhere;
//   - every reachable state round-trips through Save/Restore.
// Work bound: at most kMaxOps accesses per input (a cap above kMaxEvents, so
// the dropping path is reached).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/base/clock.h"
#include "devices/legacy/debug_port.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

constexpr size_t kMaxOps = 4 * petrel::DebugPort::kMaxEvents;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  petrel::VirtualClock clock(1'000'000);
  petrel::DebugPort port(clock);
  const uint64_t start = clock.NowNs();
  uint64_t codes = 0;
  uint8_t last = 0;
  size_t i = 0;
  auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  for (size_t op_count = 0; i < size && op_count < kMaxOps; ++op_count) {
    const uint8_t op = next();
    const uint64_t offset = (op & 0x20) ? ~uint64_t{0} - ((op >> 2) & 7) : (op >> 2) & 7;
    const size_t width = size_t{1} << ((op >> 6) & 3);
    uint8_t buf[8] = {};
    switch (op & 3) {
      case 0:
        port.Read(offset, std::span<uint8_t>(buf, width));
        for (size_t k = 0; k < width; ++k) Check(buf[k] == (offset == 0 && k == 0 ? last : 0xff));
        break;
      case 1:
      case 3: {
        for (size_t k = 0; k < width; ++k) buf[k] = next();
        port.Write(offset, std::span<const uint8_t>(buf, width));
        if (offset == 0) {
          ++codes;
          last = buf[0];
          const auto events = port.events();
          if (!events.empty() && events.size() == codes) {
            Check(events.back().code == last);
            Check(events.back().ns == clock.NowNs() - start);
          }
        }
        break;
      }
      default: clock.Advance(uint64_t{next()} << (next() & 31)); break;
    }
    const auto state = port.Save();
    Check(state.last_code == last);
    Check(state.events.size() <= petrel::DebugPort::kMaxEvents);
    Check(state.events.size() + state.dropped == codes);
    Check(state.dropped == 0 || state.events.size() == petrel::DebugPort::kMaxEvents);
    for (size_t k = 1; k < state.events.size(); ++k) {
      Check(state.events[k - 1].ns <= state.events[k].ns);
    }
    petrel::DebugPort copy(clock);
    Check(copy.Restore(state).ok());
    Check(copy.Save() == state);
  }
  return 0;
}
