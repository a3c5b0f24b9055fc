// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimVm: one hv_sim virtual machine (see sim_hypervisor.h).
//
// Owns the VM's virtual clock, trace, seeded random source and the 24 legacy
// interrupt pins. Interrupt lines record each level change in the trace; a
// vCPU waiting in WaitIrq sees the change at its next step. RunAll() runs all
// vCPUs round-robin, in id order, one quantum each, until every script has
// ended or halted; with one thread driving it the result is deterministic.
//
// Thread-safety: like every hv::Vm, callable from any thread. Virtual time is
// shared by all vCPUs: each step any vCPU takes moves it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/hv/hypervisor.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/trace.h"

namespace petrel::sim {

struct SimConfig;
class SimVcpu;

class SimVm final : public hv::Vm, public std::enable_shared_from_this<SimVm> {
 public:
  // Use SimHypervisor::CreateSimVm.
  SimVm(const SimConfig& config, const hv::Caps& caps);
  ~SimVm() override;

  // hv::Vm
  const hv::Caps& caps() const override { return caps_; }
  Result<void> MapMemory(std::shared_ptr<GuestMemory> memory) override;
  Result<std::unique_ptr<hv::Vcpu>> CreateVcpu(uint32_t id) override;
  Result<std::shared_ptr<hv::InterruptLine>> LegacyInterrupt(uint32_t pin) override;
  Result<std::unique_ptr<hv::IoEventRegistration>> RegisterIoEvent(
      std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr,
      std::optional<uint64_t> datamatch) override;  // always kUnsupported
  // Each Signal() appends a kMsi trace record and is kept in DeliveredMsis().
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiInterrupt() override;
  // The guest's clock: clock() plus an offset, so it runs with virtual time
  // (and only while something moves virtual time: the vCPUs' steps, or a
  // test standing in for host time passing). SetClock moves the offset so
  // the guest reads `clock.ns` now; the clock may go backwards, as KVM's can.
  Result<hv::VmClock> GetClock() override;
  Result<void> SetClock(const hv::VmClock& clock) override;
  // The guest clock only (hv_sim has no irqchip; a state with one is refused).
  Result<hv::VmState> SaveState() override;
  Result<void> RestoreState(const hv::VmState& state) override;
  // Counted only (virtual time already stands still while no vCPU runs).
  Result<void> Pause() override {
    ++pause_calls_;
    return Ok();
  }
  Result<void> Resume() override {
    ++resume_calls_;
    return Ok();
  }
  uint64_t pause_calls() const { return pause_calls_; }
  uint64_t resume_calls() const { return resume_calls_; }
  // The scripted guests' writes (WriteRam, Count) in hv_sim's own log,
  // apart from GuestMemory's (the VMM's writes), so a test can tell which
  // side wrote a page.
  Result<void> StartDirtyLog() override;
  Result<void> StopDirtyLog() override;
  Result<DirtyBitmap> TakeDirtyLog() override;
  // Device memory: the scripted guests' writes (WriteRam) outside RAM land
  // there. Not dirty-logged. Ids count up from 1.
  Result<uint32_t> MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) override;
  Result<void> UnmapDeviceMemory(uint32_t id) override;
  // The device memory mapped now (tests), by id.
  struct DeviceRegion {
    uint64_t gpa, size;
    void* host;
  };
  std::map<uint32_t, DeviceRegion> device_memory() const;

  // Typed CreateVcpu.
  Result<std::unique_ptr<SimVcpu>> CreateSimVcpu(uint32_t id);
  // Gives vCPU `vcpu` (which must exist) a new script; see SimVcpu::SetScript.
  Result<void> SetScript(uint32_t vcpu, GuestScript script);
  // Each vCPU's SimVcpu::paused_notifications(), in id order.
  std::vector<uint64_t> PausedNotifications() const;
  // Runs every existing vCPU round-robin in id order until each returns
  // ScriptEnd or Halted. No vCPU may be created or destroyed meanwhile.
  Result<void> RunAll(hv::GuestIo& io);

  VirtualClock& clock() { return clock_; }
  const Trace& trace() const { return trace_; }
  Trace& trace() { return trace_; }
  // Seeded from SimConfig::seed: inject it into devices that need randomness.
  RandomSource& random() { return random_; }
  std::shared_ptr<GuestMemory> memory() const;
  const SimConfig& config() const { return *config_; }

  bool PinLevel(uint32_t pin) const;
  // Every MSI signalled so far, in order.
  std::vector<hv::MsiMessage> DeliveredMsis() const;
  // Failures of all vCPUs, in vCPU id order (see SimVcpu).
  std::vector<std::string> mismatches() const;
  std::vector<std::string> failures() const;
  bool failed() const { return !failures().empty(); }

  // Called on the vCPU's thread after each step moves virtual time, with the
  // new time; e.g. to run a deterministic event loop's due timers.
  void SetTimeHook(std::function<void(uint64_t now_ns)> hook);

 private:
  friend class SimVcpu;
  class Line;
  class Msi;
  struct Pin {
    bool level = false;
    uint64_t rising_edges = 0;
  };

  // A scripted guest's writes: into guest RAM through HostPointer (so
  // GuestMemory's log, the VMM's, is not marked), marking dirty_log_.
  Result<void> GuestWrite(uint64_t gpa, std::span<const uint8_t> bytes);
  Result<void> GuestStore64(uint64_t gpa, uint64_t value);  // aligned, release
  void SetPinLevel(uint32_t pin, bool high);
  void DeliverMsi(const hv::MsiMessage& message);
  // True if `pin` is high or rose since *seen_edges; updates *seen_edges.
  bool TakeIrq(uint32_t pin, uint64_t* seen_edges);
  std::array<uint64_t, kNumIrqPins> EdgeCounts() const;
  void AdvanceTime(uint64_t ns);
  void Unregister(uint32_t id);
  std::vector<SimVcpu*> VcpusInOrder() const;

  std::unique_ptr<SimConfig> config_;
  hv::Caps caps_;
  VirtualClock clock_;
  Trace trace_;
  SplitMix64 random_;

  mutable std::mutex mu_;
  std::shared_ptr<GuestMemory> memory_;
  std::shared_ptr<DirtyLog> dirty_log_;  // shaped like memory_, made by MapMemory
  std::map<uint32_t, DeviceRegion> device_memory_;
  uint32_t next_device_region_ = 1;
  std::array<Pin, kNumIrqPins> pins_{};
  std::vector<hv::MsiMessage> msis_;
  std::array<std::shared_ptr<hv::InterruptLine>, kNumIrqPins> lines_{};
  std::map<uint32_t, SimVcpu*> vcpus_;
  std::shared_ptr<const std::function<void(uint64_t)>> time_hook_;
  uint64_t guest_clock_offset_ = 0;  // guest clock = clock_ + this (mod 2^64)
  std::atomic<uint64_t> pause_calls_{0};
  std::atomic<uint64_t> resume_calls_{0};
};

// The hv_sim object behind an interface pointer, or null if it is another backend's.
SimVm* AsSim(hv::Vm* vm);
std::shared_ptr<SimVm> AsSim(const std::shared_ptr<hv::Vm>& vm);

}  // namespace petrel::sim
