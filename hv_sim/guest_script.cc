// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// GuestScript validation, description and builder (see guest_script.h).
#include "hv_sim/guest_script.h"

#include <cstdio>

#include "core/base/hex.h"
#include "core/base/overloaded.h"
#include "hv_sim/trace.h"

namespace petrel::sim {

namespace {

bool IsCpuWidth(size_t n) {
  return n == 1 || n == 2 || n == 4 || n == 8;
}

Result<void> CheckExpect(const std::optional<std::vector<uint8_t>>& expect, uint32_t len) {
  if (expect && expect->size() != len)
    return Error(ErrorCode::kInvalidArgument, "expected bytes do not match the read length");
  return Ok();
}

Result<void> ValidateStep(const Step& s) {
  return std::visit(
      Overloaded{
          [](const step::PioOut& x) -> Result<void> {
            if (!IsCpuWidth(x.bytes.size()))
              return Error(ErrorCode::kInvalidArgument, "pio-out width must be 1, 2, 4 or 8");
            return Ok();
          },
          [](const step::PioIn& x) -> Result<void> {
            if (!IsCpuWidth(x.len))
              return Error(ErrorCode::kInvalidArgument, "pio-in width must be 1, 2, 4 or 8");
            return CheckExpect(x.expect, x.len);
          },
          [](const step::MmioWrite& x) -> Result<void> {
            if (!IsCpuWidth(x.bytes.size()))
              return Error(ErrorCode::kInvalidArgument, "mmio-write width must be 1, 2, 4 or 8");
            return Ok();
          },
          [](const step::MmioRead& x) -> Result<void> {
            if (!IsCpuWidth(x.len))
              return Error(ErrorCode::kInvalidArgument, "mmio-read width must be 1, 2, 4 or 8");
            return CheckExpect(x.expect, x.len);
          },
          [](const step::WriteRam& x) -> Result<void> {
            if (x.bytes.size() > kMaxRamAccessBytes)
              return Error(ErrorCode::kInvalidArgument, "ram write larger than kMaxRamAccessBytes");
            return Ok();
          },
          [](const step::ReadRam& x) -> Result<void> {
            if (x.len > kMaxRamAccessBytes)
              return Error(ErrorCode::kInvalidArgument, "ram read larger than kMaxRamAccessBytes");
            return CheckExpect(x.expect, x.len);
          },
          [](const step::WaitIrq& x) -> Result<void> {
            if (x.pin >= kNumIrqPins)
              return Error(ErrorCode::kInvalidArgument, "wait-irq pin out of range");
            if (x.timeout_ns > kMaxStepNs)
              return Error(ErrorCode::kInvalidArgument, "wait-irq timeout above kMaxStepNs");
            return Ok();
          },
          [](const step::Advance& x) -> Result<void> {
            if (x.ns > kMaxStepNs)
              return Error(ErrorCode::kInvalidArgument, "advance above kMaxStepNs");
            return Ok();
          },
          [](const step::Count& x) -> Result<void> {
            if (x.gpa % 8 != 0) return Error(ErrorCode::kInvalidArgument, "count gpa not 8-aligned");
            return Ok();
          },
          [](const step::Halt&) -> Result<void> { return Ok(); },
      },
      s);
}

std::string ExpectText(const std::optional<std::vector<uint8_t>>& expect) {
  return expect ? " expect " + HexBytes(*expect) : "";
}

}  // namespace

Result<void> ValidateScript(const GuestScript& script) {
  for (size_t i = 0; i < script.steps.size(); ++i) {
    auto r = ValidateStep(script.steps[i]);
    if (!r.ok()) {
      return std::move(r).Wrap("step " + std::to_string(i) + " (" + DescribeStep(script.steps[i]) +
                               ")");
    }
  }
  return Ok();
}

std::string DescribeStep(const Step& s) {
  return std::visit(
      Overloaded{
          [](const step::PioOut& x) { return "pio-out " + Hex(x.port) + " " + HexBytes(x.bytes); },
          [](const step::PioIn& x) {
            return "pio-in " + Hex(x.port) + " len " + std::to_string(x.len) + ExpectText(x.expect);
          },
          [](const step::MmioWrite& x) {
            return "mmio-write " + Hex(x.gpa) + " " + HexBytes(x.bytes);
          },
          [](const step::MmioRead& x) {
            return "mmio-read " + Hex(x.gpa) + " len " + std::to_string(x.len) +
                   ExpectText(x.expect);
          },
          [](const step::WriteRam& x) {
            return "ram-write " + Hex(x.gpa) + " len " + std::to_string(x.bytes.size());
          },
          [](const step::ReadRam& x) {
            return "ram-read " + Hex(x.gpa) + " len " + std::to_string(x.len) +
                   ExpectText(x.expect);
          },
          [](const step::WaitIrq& x) {
            return "wait-irq pin " + std::to_string(x.pin) + " timeout " +
                   std::to_string(x.timeout_ns) + "ns";
          },
          [](const step::Advance& x) { return "advance " + std::to_string(x.ns) + "ns"; },
          [](const step::Count& x) {
            return "count " + Hex(x.gpa) + " times " + std::to_string(x.times);
          },
          [](const step::Halt&) { return std::string("halt"); },
      },
      s);
}

std::vector<uint8_t> ScriptBuilder::Le(uint64_t v, uint32_t width) {
  std::vector<uint8_t> out(width);
  for (uint32_t i = 0; i < width && i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

ScriptBuilder& ScriptBuilder::Add(Step s) {
  script_.steps.push_back(std::move(s));
  return *this;
}

ScriptBuilder& ScriptBuilder::Append(const GuestScript& other) {
  script_.steps.insert(script_.steps.end(), other.steps.begin(), other.steps.end());
  return *this;
}

ScriptBuilder& ScriptBuilder::Out(uint16_t port, std::vector<uint8_t> bytes) {
  return Add(step::PioOut{port, std::move(bytes)});
}
ScriptBuilder& ScriptBuilder::In(uint16_t port, uint32_t len,
                                 std::optional<std::vector<uint8_t>> expect) {
  return Add(step::PioIn{port, len, std::move(expect)});
}
ScriptBuilder& ScriptBuilder::MmioWrite(uint64_t gpa, std::vector<uint8_t> bytes) {
  return Add(step::MmioWrite{gpa, std::move(bytes)});
}
ScriptBuilder& ScriptBuilder::MmioRead(uint64_t gpa, uint32_t len,
                                       std::optional<std::vector<uint8_t>> expect) {
  return Add(step::MmioRead{gpa, len, std::move(expect)});
}
ScriptBuilder& ScriptBuilder::WriteRam(uint64_t gpa, std::vector<uint8_t> bytes) {
  return Add(step::WriteRam{gpa, std::move(bytes)});
}
ScriptBuilder& ScriptBuilder::ReadRam(uint64_t gpa, uint32_t len,
                                      std::optional<std::vector<uint8_t>> expect) {
  return Add(step::ReadRam{gpa, len, std::move(expect)});
}
ScriptBuilder& ScriptBuilder::WaitIrq(uint32_t pin, uint64_t timeout_ns) {
  return Add(step::WaitIrq{pin, timeout_ns});
}
ScriptBuilder& ScriptBuilder::Advance(uint64_t ns) {
  return Add(step::Advance{ns});
}
ScriptBuilder& ScriptBuilder::Count(uint64_t gpa, uint64_t times) {
  return Add(step::Count{gpa, times});
}
ScriptBuilder& ScriptBuilder::Halt() {
  return Add(step::Halt{});
}

}  // namespace petrel::sim
