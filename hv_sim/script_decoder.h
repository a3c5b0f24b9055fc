// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// DecodeScript: turns arbitrary bytes (fuzzer input) into a valid GuestScript.
//
// Device fuzzers describe where their device lives (PIO/MMIO windows, a RAM
// window) and get scripts whose accesses mostly land there, a little past the
// edges included. Every decoded script passes ValidateScript and is bounded
// by the limits, so a fuzz iteration always terminates quickly. Decoding is a
// pure function of the bytes: a crashing input reproduces exactly.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hv_sim/guest_script.h"

namespace petrel::sim {

struct ScriptDecodeLimits {
  struct Window {
    uint64_t base;
    uint64_t size;
  };
  std::vector<Window> pio;   // empty: any 16-bit port
  std::vector<Window> mmio;  // empty: any 64-bit address
  std::vector<Window> ram;   // empty: any 64-bit address
  uint32_t max_steps = 256;
  uint32_t max_ram_bytes = 64;          // per RAM step (<= kMaxRamAccessBytes)
  uint64_t max_wait_ns = 10'000;        // per WaitIrq
  uint64_t max_advance_ns = 1'000'000;  // per Advance
  uint32_t max_pin = kNumIrqPins - 1;
};

GuestScript DecodeScript(std::span<const uint8_t> bytes, const ScriptDecodeLimits& limits);

}  // namespace petrel::sim
