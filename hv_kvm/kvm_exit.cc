// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Decoding of kvm_run exits (see kvm_exit.h).
#include "hv_kvm/kvm_exit.h"

#include <algorithm>
#include <sstream>

namespace petrel::kvm {
namespace {

bool Internal(hv::VcpuExit* exit, std::string what) {
  *exit = hv::exit::InternalError{std::move(what)};
  return true;
}

bool HandleIo(kvm_run& run, size_t run_size, uint32_t vcpu, hv::GuestIo& io, hv::VcpuExit* exit) {
  const auto& x = run.io;
  // api.rst KVM_EXIT_IO: size in bytes (1, 2 or 4 for IN/OUT), count > 1 for
  // string I/O (INS/OUTS), `count` elements of `size` bytes back to back at
  // data_offset from the start of kvm_run.
  if (x.size != 1 && x.size != 2 && x.size != 4) {
    return Internal(exit, "KVM_EXIT_IO with access size " + std::to_string(x.size));
  }
  if (x.count == 0) return Internal(exit, "KVM_EXIT_IO with count 0");
  const uint64_t bytes = uint64_t{x.size} * x.count;  // < 2^35, no overflow
  if (x.data_offset > run_size || bytes > run_size - x.data_offset) {
    return Internal(exit, "KVM_EXIT_IO data outside the kvm_run mapping");
  }
  uint8_t* data = reinterpret_cast<uint8_t*>(&run) + x.data_offset;
  for (uint32_t i = 0; i < x.count; ++i) {
    uint8_t* p = data + uint64_t{i} * x.size;
    if (x.direction == KVM_EXIT_IO_OUT) {
      io.PioWrite(vcpu, x.port, std::span<const uint8_t>(p, x.size));
    } else {
      io.PioRead(vcpu, x.port, std::span<uint8_t>(p, x.size));
    }
  }
  return false;
}

bool HandleMmio(kvm_run& run, uint32_t vcpu, hv::GuestIo& io, hv::VcpuExit* exit) {
  auto& x = run.mmio;
  if (x.len == 0 || x.len > kMaxMmioLen) {
    return Internal(exit, "KVM_EXIT_MMIO with length " + std::to_string(x.len));
  }
  if (x.is_write) {
    io.MmioWrite(vcpu, x.phys_addr, std::span<const uint8_t>(x.data, x.len));
  } else {
    io.MmioRead(vcpu, x.phys_addr, std::span<uint8_t>(x.data, x.len));
  }
  return false;
}

hv::VcpuExit SystemEvent(const kvm_run& run) {
  auto internal = [](std::string what) -> hv::VcpuExit {
    return hv::exit::InternalError{std::move(what)};
  };
  switch (run.system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN: return hv::exit::Shutdown{hv::exit::Shutdown::Why::kPowerOff};
    case KVM_SYSTEM_EVENT_RESET: return hv::exit::Reset{};
    case KVM_SYSTEM_EVENT_CRASH: return internal("KVM system event: guest crash");
    default: return internal("KVM system event type " + std::to_string(run.system_event.type));
  }
}

const char* SuberrorName(uint32_t suberror) {
  switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "simultaneous exceptions";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "exit during event delivery";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected exit reason";
    default: return "unknown";
  }
}

}  // namespace

std::string DescribeInternalError(const kvm_run& run) {
  std::ostringstream s;
  const uint32_t sub = run.internal.suberror;
  s << "KVM internal error, suberror " << sub << " (" << SuberrorName(sub) << ")";
  // ndata is reported by the kernel; never trust it past the array.
  const uint32_t ndata = std::min<uint32_t>(run.internal.ndata, 16);
  if (sub == KVM_INTERNAL_ERROR_EMULATION && ndata >= 2 &&
      (run.emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
    const uint32_t n = std::min<uint32_t>(run.emulation_failure.insn_size, 15);
    s << ", instruction bytes:" << std::hex;
    for (uint32_t i = 0; i < n; ++i)
      s << ' ' << static_cast<int>(run.emulation_failure.insn_bytes[i]);
    return s.str();
  }
  if (ndata > 0) {
    s << ", data:" << std::hex;
    for (uint32_t i = 0; i < ndata; ++i) s << " 0x" << run.internal.data[i];
  }
  return s.str();
}

bool HandleKvmExit(kvm_run& run, size_t run_size, uint32_t vcpu, hv::GuestIo& io,
                   hv::VcpuExit* exit) {
  switch (run.exit_reason) {
    case KVM_EXIT_IO: return HandleIo(run, run_size, vcpu, io, exit);
    case KVM_EXIT_MMIO: return HandleMmio(run, vcpu, io, exit);
    case KVM_EXIT_HLT: *exit = hv::exit::Halted{}; return true;
    case KVM_EXIT_SHUTDOWN:
      *exit = hv::exit::Shutdown{hv::exit::Shutdown::Why::kTripleFault};
      return true;
    case KVM_EXIT_SYSTEM_EVENT: *exit = SystemEvent(run); return true;
    case KVM_EXIT_FAIL_ENTRY:
      *exit = hv::exit::FailEntry{run.fail_entry.hardware_entry_failure_reason};
      return true;
    case KVM_EXIT_INTERNAL_ERROR: return Internal(exit, DescribeInternalError(run));
    case KVM_EXIT_INTR: *exit = hv::exit::Interrupted{}; return true;
    case KVM_EXIT_IOAPIC_EOI:  // only with a split irqchip; re-entering needs nothing
      io.EndOfInterrupt(vcpu, run.eoi.vector);
      return false;
    case KVM_EXIT_UNKNOWN: {
      std::ostringstream s;
      s << "KVM_EXIT_UNKNOWN, hardware exit reason 0x" << std::hex << run.hw.hardware_exit_reason;
      return Internal(exit, s.str());
    }
    default: return Internal(exit, "unhandled KVM exit reason " + std::to_string(run.exit_reason));
  }
}

}  // namespace petrel::kvm
