// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// hv_sim: a deterministic, in-process hypervisor whose guests are scripts.
//
// MakeSimHypervisor() gives a Hypervisor whose VMs (SimVm) run scripted vCPUs
// (SimVcpu) on virtual time. Every guest access goes through the GuestIo the
// caller passes to Run() (IoDispatcher in practice), so device models are
// exercised exactly as on KVM, without /dev/kvm, threads or wall-clock time.
// Same config + same scripts + same devices = the same trace hash.
//
// Caps: deterministic; no kernel ioevents (IoDispatcher reads the cap and
// keeps doorbells in its software table; RegisterIoEvent is kUnsupported); no kernel irqchip;
// a VM clock (SimVm::GetClock: virtual time plus an offset SetClock moves).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/hv/hypervisor.h"
#include "core/x86emu/decoder.h"
#include "hv_sim/guest_script.h"
#include "hv_sim/sim_vcpu.h"
#include "hv_sim/sim_vm.h"
#include "hv_sim/trace.h"

namespace petrel::sim {

struct SimConfig {
  uint64_t seed = 1;  // seeds each VM's random() (every VM the same)
  uint32_t max_vcpus = 8;
  uint64_t ns_per_step = 10;    // virtual time one script step costs (min 1)
  uint32_t quantum_steps = 64;  // steps per Vcpu::Run() before Interrupted (min 1)
  // The script each new vCPU starts with, by vCPU id: the guest's program,
  // as a real guest's is in its memory. A restored VM (VmOptions::restore)
  // needs it, because its vCPUs take their saved script position as they
  // are created. Others may instead get theirs with SimVm::SetScript.
  std::map<uint32_t, GuestScript> vcpu_scripts;
  // A vCPU without a script runs the guest's own code from guest memory
  // (SimInterpreter: x86emu's sim profile) instead of ending at once.
  bool interpret = false;
  // The interpreter's instruction decoder; nullptr: Zydis. Tests put a
  // deliberately wrong one here to show the differential tests catch it.
  // Must outlive the VMs.
  const x86emu::InstructionDecoder* decoder = nullptr;
};

class SimHypervisor final : public hv::Hypervisor {
 public:
  explicit SimHypervisor(const SimConfig& config);

  hv::BackendKind kind() const override { return hv::BackendKind::kSim; }
  const hv::Caps& caps() const override { return caps_; }
  // The simulator runs in the process: its threads need no system call
  // beyond every thread's (mutexes, memory).
  isolation::SyscallRules ThreadSyscalls(hv::ThreadKind) const override { return {}; }
  // A small fixed, plausible x86_64 set; vendor "PetrelSimCPU".
  Result<std::vector<hv::CpuidEntry>> SupportedCpuid() const override;
  Result<std::shared_ptr<hv::Vm>> CreateVm(const hv::VmConfig& config) override;
  // Same as CreateVm, typed.
  Result<std::shared_ptr<SimVm>> CreateSimVm(const hv::VmConfig& config = {});

  const SimConfig& config() const { return config_; }

 private:
  SimConfig config_;
  hv::Caps caps_;
};

std::unique_ptr<SimHypervisor> MakeSimHypervisor(const SimConfig& config = {});

// The fixed CPUID table SimHypervisor::SupportedCpuid returns.
std::vector<hv::CpuidEntry> SimCpuidTable();

}  // namespace petrel::sim
