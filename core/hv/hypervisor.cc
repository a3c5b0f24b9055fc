// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Helpers shared by all backends (see hypervisor.h).
#include "core/hv/hypervisor.h"

#include "core/base/overloaded.h"

namespace petrel::hv {

const char* BackendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kKvm: return "kvm";
    case BackendKind::kMshv: return "mshv";
    case BackendKind::kSim: return "sim";
  }
  return "unknown";
}

std::string DescribeExit(const VcpuExit& e) {
  return std::visit(
      Overloaded{
          [](const exit::Handled&) -> std::string { return "handled"; },
          [](const exit::Interrupted&) -> std::string { return "interrupted"; },
          [](const exit::Halted&) -> std::string { return "halted"; },
          [](const exit::Reset&) -> std::string { return "reset"; },
          [](const exit::Shutdown& x) -> std::string {
            return x.why == exit::Shutdown::Why::kPowerOff ? "shutdown (power off)"
                                                           : "shutdown (triple fault)";
          },
          [](const exit::FailEntry& x) -> std::string {
            return "entry failed, hardware reason " + std::to_string(x.hardware_reason);
          },
          [](const exit::InternalError& x) -> std::string { return "internal error: " + x.what; },
          [](const exit::ScriptEnd&) -> std::string { return "script end"; },
      },
      e);
}

}  // namespace petrel::hv
