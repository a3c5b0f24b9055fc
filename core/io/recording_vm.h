// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RecordingVm: an hv::Vm that passes everything to another one (the
// backend's) and records in an IoTrace every interrupt raised through the
// interrupt objects it hands out: each MSI signalled (the message at that
// moment) and each legacy pin level change. With RecordingGuestIo it makes
// `--record-io`'s trace: the devices' interrupts beside the guest's
// accesses, on one time base (docs/record-replay.md).
//
// Only interrupts are recorded; every other call is the inner Vm's, unchanged.
// Devices get the RecordingVm where they would get the backend's Vm; the
// VMM keeps the backend's for the rest.
//
// Thread-safety: as the inner Vm; the interrupt objects may be signalled
// from any thread, each record appended under the IoTrace's lock.
#pragma once

#include <memory>

#include "core/base/clock.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_trace.h"

namespace petrel {

class RecordingVm final : public hv::Vm {
 public:
  // `inner` is shared; `trace` and `clock` must outlive the RecordingVm and
  // every interrupt object it made. Times count from `start_ns`.
  RecordingVm(std::shared_ptr<hv::Vm> inner, IoTrace& trace, const Clock& clock, uint64_t start_ns)
      : inner_(std::move(inner)), recorder_{&trace, &clock, start_ns} {}

  const hv::Caps& caps() const override { return inner_->caps(); }
  Result<void> MapMemory(std::shared_ptr<GuestMemory> memory) override {
    return inner_->MapMemory(std::move(memory));
  }
  Result<std::unique_ptr<hv::Vcpu>> CreateVcpu(uint32_t id) override { return inner_->CreateVcpu(id); }
  Result<std::shared_ptr<hv::InterruptLine>> LegacyInterrupt(uint32_t pin) override;
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateIoapicPinInterrupt(uint32_t pin) override;
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiInterrupt() override;
  Result<std::unique_ptr<hv::IoEventRegistration>> RegisterIoEvent(
      std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr,
      std::optional<uint64_t> datamatch) override {
    return inner_->RegisterIoEvent(std::move(notifier), addr, datamatch);
  }
  Result<hv::VmClock> GetClock() override { return inner_->GetClock(); }
  Result<void> SetClock(const hv::VmClock& clock) override { return inner_->SetClock(clock); }
  Result<void> StartDirtyLog() override { return inner_->StartDirtyLog(); }
  Result<void> StopDirtyLog() override { return inner_->StopDirtyLog(); }
  Result<DirtyBitmap> TakeDirtyLog() override { return inner_->TakeDirtyLog(); }
  Result<hv::VmState> SaveState() override { return inner_->SaveState(); }
  Result<void> RestoreState(const hv::VmState& state) override { return inner_->RestoreState(state); }
  Result<void> Pause() override { return inner_->Pause(); }
  Result<void> Resume() override { return inner_->Resume(); }

  // What the interrupt objects record with.
  struct Recorder {
    IoTrace* trace;
    const Clock* clock;
    uint64_t start_ns;
    void Record(IoTraceRecord::Kind kind, uint64_t addr, std::vector<uint8_t> data) const;
  };

 private:
  std::shared_ptr<hv::Vm> inner_;
  Recorder recorder_;
};

}  // namespace petrel
