// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes TpmCrb (--tpm) with what a guest controls: reads and writes of any
// size anywhere in (and just past) the CRB page, in any order, with commands
// finishing whenever the input says, and a backend that fails or answers
// with odd sizes when the input says. Each 5-byte step: op, offset (2
// bytes), value, backend script. Oracles: no crash or sanitizer report; the
// backend never gets a command whose size is outside [10, data buffer]
// or that differs from its header's size; CTRL_START reads 1 exactly while
// a command is with the worker; Save/Restore round-trips.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/tpm/crb_registers.h"
#include "devices/tpm/testing/fake_tpm_backend.h"
#include "devices/tpm/tpm_crb.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace petrel::tpm;
  petrel::VirtualClock clock;
  petrel::DeterministicEventLoop worker(clock);
  testing::FakeTpmBackend backend;
  TpmCrb crb(0xfed4'0000, backend, worker);
  for (size_t i = 0; i + 5 <= size && i < 5 * 4096; i += 5) {
    const uint8_t op = data[i];
    const uint64_t offset = (uint64_t{data[i + 1]} << 8 | data[i + 2]) % (kCrbPageSize + 16);
    const uint8_t value = data[i + 3];
    const uint8_t script = data[i + 4];
    const size_t len = size_t{1} << ((op >> 2) & 3);  // 1, 2, 4, 8
    std::array<uint8_t, 8> bytes{};
    bytes.fill(value);
    switch (op & 3) {
      case 0:
        crb.Read(offset, std::span(bytes.data(), len));
        break;
      case 1:
        crb.Write(offset, std::span<const uint8_t>(bytes.data(), len));
        break;
      case 2: {
        // A register action with a chosen value (the usual 32-bit write).
        static constexpr uint64_t kRegs[] = {kLocCtrl, kCtrlReq, kCtrlCancel, kCtrlStart,
                                             kDataBuffer + kTpmHeaderSizeOffset};
        std::array<uint8_t, 4> v{};
        petrel::StoreLe<uint32_t>(v, 0, uint32_t{value} << (8 * (op >> 4 & 3)));
        crb.Write(kRegs[script % 5], v);
        break;
      }
      default:
        // The backend's next behaviour, then the worker runs.
        backend.set_fail((script & 1) != 0);
        if ((script & 2) != 0) {
          std::vector<uint8_t> r((script >> 2) * 100 + 10, value);
          backend.set_response(std::move(r));
        } else {
          backend.set_response({});
        }
        Check(worker.RunOnce(0).ok());
        break;
    }
    std::array<uint8_t, 4> start{};
    crb.Read(kCtrlStart, start);
    Check((start[0] & kCtrlStartInvoke) != 0 == crb.busy());
  }
  Check(worker.RunOnce(0).ok());
  Check(!crb.busy());
  for (const std::vector<uint8_t>& c : backend.commands()) {
    Check(c.size() >= kTpmHeaderSize && c.size() <= kDataBufferSize);
    Check(petrel::LoadBe<uint32_t>(c, kTpmHeaderSizeOffset) == c.size());
  }
  const TpmCrb::State state = crb.Save();
  testing::FakeTpmBackend other;
  TpmCrb copy(0xfed4'0000, other, worker);
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  return 0;
}
