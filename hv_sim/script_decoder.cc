// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DecodeScript (see script_decoder.h).
//
// Format: a sequence of steps; each starts with an opcode byte (value mod 9
// picks the step kind; bit 7 asks for an expectation on reads). Operands
// follow. Running out of input yields zeros, and the script ends there.
#include "hv_sim/script_decoder.h"

#include <algorithm>

namespace petrel::sim {

namespace {

// How far past a window's end an address may land, to probe edges.
constexpr uint64_t kEdgeSlack = 8;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool empty() const { return pos_ >= b_.size(); }
  uint8_t U8() { return pos_ < b_.size() ? b_[pos_++] : 0; }
  uint64_t Uint(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(U8()) << (8 * i);
    return v;
  }
  std::vector<uint8_t> Bytes(size_t n) {
    std::vector<uint8_t> out(n);
    for (auto& x : out) x = U8();
    return out;
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

uint64_t Address(Reader& r, const std::vector<ScriptDecodeLimits::Window>& windows, int raw_bytes) {
  if (windows.empty()) return r.Uint(raw_bytes);
  const auto& w = windows[r.U8() % windows.size()];
  uint64_t span = w.size > UINT64_MAX - kEdgeSlack ? UINT64_MAX : w.size + kEdgeSlack;
  uint64_t off = r.Uint(4) % std::max<uint64_t>(span, 1);
  return w.base + off;  // wraps harmlessly; the bus and memory check ranges
}

uint32_t Width(Reader& r) {
  return 1u << (r.U8() % 4);
}

std::optional<std::vector<uint8_t>> Expect(Reader& r, bool want, uint32_t len) {
  if (!want) return std::nullopt;
  return r.Bytes(len);
}

}  // namespace

GuestScript DecodeScript(std::span<const uint8_t> bytes, const ScriptDecodeLimits& limits) {
  Reader r(bytes);
  GuestScript s;
  const uint32_t max_ram = std::min(limits.max_ram_bytes, kMaxRamAccessBytes);
  const uint64_t max_wait = std::min(limits.max_wait_ns, kMaxStepNs);
  const uint64_t max_adv = std::min(limits.max_advance_ns, kMaxStepNs);
  const uint32_t max_pin = std::min(limits.max_pin, kNumIrqPins - 1);
  while (!r.empty() && s.steps.size() < limits.max_steps) {
    uint8_t op = r.U8();
    bool want_expect = (op & 0x80) != 0;
    switch (op % 9) {
      case 0: {
        auto port = static_cast<uint16_t>(Address(r, limits.pio, 2));
        s.steps.push_back(step::PioOut{port, r.Bytes(Width(r))});
        break;
      }
      case 1: {
        auto port = static_cast<uint16_t>(Address(r, limits.pio, 2));
        uint32_t len = Width(r);
        s.steps.push_back(step::PioIn{port, len, Expect(r, want_expect, len)});
        break;
      }
      case 2: {
        uint64_t gpa = Address(r, limits.mmio, 8);
        s.steps.push_back(step::MmioWrite{gpa, r.Bytes(Width(r))});
        break;
      }
      case 3: {
        uint64_t gpa = Address(r, limits.mmio, 8);
        uint32_t len = Width(r);
        s.steps.push_back(step::MmioRead{gpa, len, Expect(r, want_expect, len)});
        break;
      }
      case 4: {
        uint64_t gpa = Address(r, limits.ram, 8);
        uint32_t len = max_ram ? static_cast<uint32_t>(r.U8() % (max_ram + 1)) : 0;
        s.steps.push_back(step::WriteRam{gpa, r.Bytes(len)});
        break;
      }
      case 5: {
        uint64_t gpa = Address(r, limits.ram, 8);
        uint32_t len = max_ram ? static_cast<uint32_t>(r.U8() % (max_ram + 1)) : 0;
        s.steps.push_back(step::ReadRam{gpa, len, Expect(r, want_expect, len)});
        break;
      }
      case 6: {
        uint32_t pin = r.U8() % (max_pin + 1);
        uint64_t timeout = r.Uint(4) % (max_wait + 1);
        s.steps.push_back(step::WaitIrq{pin, timeout});
        break;
      }
      case 7: s.steps.push_back(step::Advance{r.Uint(4) % (max_adv + 1)}); break;
      default: s.steps.push_back(step::Halt{}); break;
    }
  }
  return s;
}

}  // namespace petrel::sim
