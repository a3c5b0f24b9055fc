// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RecordingGuestIo: a GuestIo that passes every access to another one (the
// VM's IoDispatcher) and records it in an IoTrace: reads with the data the
// device returned, writes with the data written, EOIs; each stamped with
// `clock`'s time since the recorder was made. For `--record-io` (a KVM
// run's device traffic, replayed on hv_sim by vmm/replay).
//
// Thread-safety: as the wrapped GuestIo; every vCPU thread may use it.
#pragma once

#include "core/base/clock.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_trace.h"

namespace petrel {

class RecordingGuestIo final : public hv::GuestIo {
 public:
  // `inner`, `trace` and `clock` must outlive the recorder. Times count from
  // `start_ns` (a RecordingVm of the same VM takes the same).
  RecordingGuestIo(hv::GuestIo& inner, IoTrace& trace, const Clock& clock)
      : RecordingGuestIo(inner, trace, clock, clock.NowNs()) {}
  RecordingGuestIo(hv::GuestIo& inner, IoTrace& trace, const Clock& clock, uint64_t start_ns)
      : inner_(inner), trace_(trace), clock_(clock), start_ns_(start_ns) {}

  void MmioRead(uint32_t vcpu, uint64_t gpa, std::span<uint8_t> data) override {
    inner_.MmioRead(vcpu, gpa, data);
    Record(vcpu, IoTraceRecord::Kind::kMmioRead, gpa, data);
  }
  void MmioWrite(uint32_t vcpu, uint64_t gpa, std::span<const uint8_t> data) override {
    Record(vcpu, IoTraceRecord::Kind::kMmioWrite, gpa, data);
    inner_.MmioWrite(vcpu, gpa, data);
  }
  void PioRead(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) override {
    inner_.PioRead(vcpu, port, data);
    Record(vcpu, IoTraceRecord::Kind::kPioRead, port, data);
  }
  void PioWrite(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) override {
    Record(vcpu, IoTraceRecord::Kind::kPioWrite, port, data);
    inner_.PioWrite(vcpu, port, data);
  }
  void EndOfInterrupt(uint32_t vcpu, uint8_t vector) override {
    Record(vcpu, IoTraceRecord::Kind::kEoi, vector, {});
    inner_.EndOfInterrupt(vcpu, vector);
  }

 private:
  void Record(uint32_t vcpu, IoTraceRecord::Kind kind, uint64_t addr,
              std::span<const uint8_t> data) {
    // An access wider than a trace record holds is recorded by its first
    // bytes (no backend makes one: MMIO is at most 8 bytes).
    const size_t n = data.size() < IoTrace::kMaxAccessBytes ? data.size() : IoTrace::kMaxAccessBytes;
    trace_.Append({clock_.NowNs() - start_ns_, vcpu, kind, addr, {data.begin(), data.begin() + n}});
  }

  hv::GuestIo& inner_;
  IoTrace& trace_;
  const Clock& clock_;
  const uint64_t start_ns_;
};

}  // namespace petrel
