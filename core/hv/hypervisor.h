// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The hypervisor interface: what every backend (hv_kvm, hv_mshv, hv_sim)
// implements and all of Petrel above core/ uses.
//
//   Hypervisor  -> creates Vm (shared, thread-safe)
//   Vm          -> maps guest memory, creates Vcpus, interrupt lines and MSI
//                  routes, takes ioevent (doorbell) registrations
//   Vcpu        -> owned by one thread; Run() executes the guest and completes
//                  every PIO/MMIO access *inside* run() through GuestIo
//
// Design notes (see ARCHITECTURE.md):
// - Run() returns only control exits; I/O never leaves it, because one
//   instruction may make several accesses on backends that emulate.
// - Code branches on Caps, never on which backend it has.
// - GSIs and ioctls stay inside the backend.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/base/result.h"
#include "core/event/notifier.h"
#include "core/hv/x86_state.h"
#include "core/isolation/syscall_rules.h"
#include "core/memory/guest_memory.h"

namespace petrel::hv {

enum class BackendKind : uint8_t { kKvm, kMshv, kSim };
const char* BackendName(BackendKind kind);

struct Caps {
  uint32_t max_vcpus = 1;
  bool kernel_ioevents = false;   // RegisterIoEvent can be served in the kernel
  bool kernel_irqchip = false;    // the LAPIC is in the hypervisor (KVM; not hv_sim)
  // LegacyInterrupt() pins are routed by the backend itself (KVM's full
  // in-kernel irqchip with its IOAPIC, PIC and PIT; hv_sim's pin model).
  // False: the VMM provides the IOAPIC (devices/ioapic), whose pins reach
  // the guest as MSIs from CreateIoapicPinInterrupt(), and LegacyInterrupt()
  // is unsupported (KVM's split irqchip, hv_sim with userspace_ioapic).
  bool kernel_ioapic = false;
  bool deterministic = false;     // same inputs give the same trace (hv_sim)
  bool vm_clock = false;          // Vm::GetClock/SetClock work (KVM: KVM_CAP_ADJUST_CLOCK)
};

// The VM's paravirtual clock as the guest reads it (KVM: kvmclock, the
// `clock` of struct kvm_clock_data; hv_sim: its virtual time plus an
// offset), in nanoseconds. Saved when a VM pauses and set again when it
// resumes, so the guest does not see the paused time (as Cloud Hypervisor).
struct VmClock {
  uint64_t ns = 0;
  bool operator==(const VmClock&) const = default;
};

// Called by a backend, on the vCPU thread, for every guest PIO/MMIO access.
// Implemented by IoDispatcher. May be called concurrently from several vCPUs.
class GuestIo {
 public:
  virtual ~GuestIo() = default;
  virtual void MmioRead(uint32_t vcpu, uint64_t gpa, std::span<uint8_t> data) = 0;
  virtual void MmioWrite(uint32_t vcpu, uint64_t gpa, std::span<const uint8_t> data) = 0;
  virtual void PioRead(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) = 0;
  virtual void PioWrite(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) = 0;
  // vCPU `vcpu`'s local APIC broadcast an EOI for `vector`, a level-triggered
  // vector a userspace IOAPIC may have delivered (KVM split irqchip:
  // KVM_EXIT_IOAPIC_EOI, api.rst). Default: nothing listens.
  virtual void EndOfInterrupt(uint32_t vcpu, uint8_t vector) {
    (void)vcpu;
    (void)vector;
  }
};

// Control exits from Vcpu::Run(). PIO/MMIO have already been completed.
namespace exit {
struct Handled {};      // something was handled; run again
struct Interrupted {};  // kicked, signalled, or the sim quantum ran out
struct Halted {};       // HLT with nothing pending (only without an in-kernel LAPIC)
struct Reset {};        // the guest asked for a reset (reboot)
struct Shutdown {       // triple fault or power off
  enum class Why : uint8_t { kPowerOff, kTripleFault };
  Why why;
};
struct FailEntry { uint64_t hardware_reason; };
struct InternalError { std::string what; };
struct ScriptEnd {};    // hv_sim: the scripted guest finished
}  // namespace exit
using VcpuExit = std::variant<exit::Handled, exit::Interrupted, exit::Halted,
                              exit::Reset, exit::Shutdown, exit::FailEntry, exit::InternalError,
                              exit::ScriptEnd>;
std::string DescribeExit(const VcpuExit& e);

// A legacy interrupt pin (ISA IRQ / IOAPIC input).
class InterruptLine {
 public:
  virtual ~InterruptLine() = default;
  virtual void SetLevel(bool high) = 0;
  // Edge: high then low.
  void Pulse() {
    SetLevel(true);
    SetLevel(false);
  }
};

// An MSI/MSI-X message (PCI 3.0 §6.8; the x86 address/data format is Intel
// SDM Vol. 3 §11.11): the guest writes `data` to `address`.
struct MsiMessage {
  uint64_t address = 0;
  uint32_t data = 0;
  bool operator==(const MsiMessage&) const = default;
};

// One interrupt vector routed to the guest as an MSI (KVM: a GSI with an MSI
// routing entry and an irqfd; hv_sim: a trace record). The owner (e.g. an
// MSI-X table) programs the message whenever the guest changes it and signals
// while the vector is unmasked.
class MsiInterrupt {
 public:
  virtual ~MsiInterrupt() = default;
  // Sets the message the next Signal() delivers. Fails if the backend cannot
  // route it (e.g. the routing table is full).
  virtual Result<void> SetMessage(const MsiMessage& message) = 0;
  // Delivers the message once. Safe from any thread.
  virtual void Signal() = 0;
};

// Where a doorbell write lands. len 0 matches any access width.
struct IoEventAddr {
  enum class Space : uint8_t { kPio, kMmio };
  Space space;
  uint64_t addr;
  uint8_t len;
};

// Keeps a kernel ioevent registered; unregisters on destruction.
class IoEventRegistration {
 public:
  virtual ~IoEventRegistration() = default;
};

// Copyable handle that makes a vCPU's Run() return Interrupted soon.
// Safe from any thread.
class VcpuKicker {
 public:
  virtual ~VcpuKicker() = default;
  virtual void Kick() = 0;
};

class Vcpu {
 public:
  virtual ~Vcpu() = default;
  virtual uint32_t id() const = 0;
  // Runs the guest until a control exit. Only the owning thread calls it.
  virtual Result<VcpuExit> Run(GuestIo& io) = 0;
  virtual std::shared_ptr<VcpuKicker> kicker() = 0;

  virtual Result<Regs> GetRegs() = 0;
  virtual Result<void> SetRegs(const Regs& regs) = 0;
  virtual Result<Sregs> GetSregs() = 0;
  virtual Result<void> SetSregs(const Sregs& sregs) = 0;
  virtual Result<void> SetFpu(const Fpu& fpu) = 0;
  virtual Result<void> SetCpuid(std::span<const CpuidEntry> entries) = 0;
  virtual Result<void> SetMsrs(std::span<const MsrEntry> msrs) = 0;
  virtual Result<void> GetMsrs(std::span<MsrEntry> msrs) = 0;  // fills value per index
  // The vCPU's complete state (VcpuState), for snapshots and migration.
  // From the owning thread, out of Run().
  virtual Result<VcpuState> SaveState() = 0;
  // Sets all of it, e.g. on a restored or migrated vCPU before its first
  // Run(). Fails on a state this backend cannot take (an XSAVE area of a
  // size it does not use, an MSR it refuses); the vCPU may then be partly
  // set and must not run.
  virtual Result<void> RestoreState(const VcpuState& state) = 0;
  // Tells the guest's paravirtual clock that the host stopped this vCPU (a
  // pause), so the guest's soft-lockup watchdog does not fire when it runs
  // again (KVM: KVM_KVMCLOCK_CTRL, which sets PVCLOCK_GUEST_STOPPED;
  // Cloud Hypervisor does the same on pause). From the owning thread, out of
  // Run(). A guest that does not use the clock is no error. Default: nothing.
  virtual Result<void> NotifyGuestPaused() { return Ok(); }
};

// VM-wide state a backend holds outside the vCPUs and guest memory.
struct VmState {
  std::optional<VmClock> clock;        // when caps().vm_clock
  std::optional<IrqchipState> irqchip;  // when caps().kernel_ioapic (KVM)
  bool operator==(const VmState&) const = default;
};

struct VmConfig {
  // The vCPUs the VM may ever have (--cpus max, hot-plug included);
  // CreateVcpu takes ids below it.
  uint32_t vcpus = 1;
  // Asks for the IOAPIC in the VMM instead of the backend (caps().kernel_ioapic
  // false): KVM's split irqchip (KVM_CAP_SPLIT_IRQCHIP, no PIC or PIT, as
  // Cloud Hypervisor), hv_sim without its pin model. A backend with no
  // IOAPIC of its own (MSHV) ignores false.
  bool userspace_ioapic = false;
};

class Vm {
 public:
  virtual ~Vm() = default;
  virtual const Caps& caps() const = 0;

  // Maps every region of `memory` into the guest. Called once, before vCPUs run.
  virtual Result<void> MapMemory(std::shared_ptr<GuestMemory> memory) = 0;
  virtual Result<std::unique_ptr<Vcpu>> CreateVcpu(uint32_t id) = 0;

  // Legacy interrupt pin `pin` (0..23); kUnsupported unless caps().kernel_ioapic.
  virtual Result<std::shared_ptr<InterruptLine>> LegacyInterrupt(uint32_t pin) = 0;

  // The MSI that carries pin `pin` (0..23) of the VMM's IOAPIC. KVM's split
  // irqchip needs it on GSI `pin` (it sets a level-triggered vector's EOI
  // exit from the routes below its IOAPIC pin count); elsewhere it is any
  // MSI. Default: CreateMsiInterrupt().
  virtual Result<std::shared_ptr<MsiInterrupt>> CreateIoapicPinInterrupt(uint32_t pin) {
    (void)pin;
    return CreateMsiInterrupt();
  }

  // A new MSI vector (message 0:0 until SetMessage()).
  virtual Result<std::shared_ptr<MsiInterrupt>> CreateMsiInterrupt() = 0;

  // Asks the backend to signal `notifier` on guest writes to `addr` (with
  // `datamatch` if set) without a trip through GuestIo. kUnsupported when the
  // backend cannot; IoDispatcher then keeps it in its software table.
  virtual Result<std::unique_ptr<IoEventRegistration>> RegisterIoEvent(
      std::shared_ptr<Notifier> notifier, IoEventAddr addr, std::optional<uint64_t> datamatch) = 0;

  // The guest's clock (see VmClock). kUnsupported unless caps().vm_clock.
  // SetClock sets the value the guest reads now, from which it runs on;
  // call it while no vCPU runs (KVM requires nothing of the kind, but the
  // guest would see its clock jump under its feet).
  virtual Result<VmClock> GetClock() {
    return Error(ErrorCode::kUnsupported, "this backend has no VM clock control");
  }
  virtual Result<void> SetClock(const VmClock& /*clock*/) {
    return Error(ErrorCode::kUnsupported, "this backend has no VM clock control");
  }

  // Dirty-page logging of the guest's own (vCPU) writes, for live migration
  // (Cloud Hypervisor's start_dirty_log / get_dirty_log / stop_dirty_log;
  // KVM: KVM_MEM_LOG_DIRTY_PAGES on every slot, KVM_GET_DIRTY_LOG). The
  // VMM's writes are GuestMemory's own log; a migration takes both and Or()s
  // them. kFailedPrecondition if no memory is mapped; StartDirtyLog clears
  // what an earlier logging left.
  virtual Result<void> StartDirtyLog() = 0;
  virtual Result<void> StopDirtyLog() = 0;
  // The pages vCPUs wrote since StartDirtyLog or the last take, shaped like
  // the mapped GuestMemory; clears them. kFailedPrecondition if not logging
  // or no memory is mapped.
  virtual Result<DirtyBitmap> TakeDirtyLog() = 0;

  // Device memory: host pages the guest sees at `gpa`, outside GuestMemory
  // (virtio-pmem's file; Cloud Hypervisor's "userspace mapping"). The guest
  // reads and writes them without exits. `gpa`, `size` and `host` must be
  // page aligned, and the range must not overlap RAM or other device memory
  // (the caller allocates it from the PCI window). Not in dirty logs or
  // memory snapshots: the device owns what is there. The host pages must
  // stay mapped until UnmapDeviceMemory(id). Thread-safe.
  virtual Result<uint32_t> MapDeviceMemory(uint64_t gpa, uint64_t size, void* host) {
    (void)gpa;
    (void)size;
    (void)host;
    return Error(ErrorCode::kUnsupported, "this backend cannot map device memory");
  }
  virtual Result<void> UnmapDeviceMemory(uint32_t id) {
    (void)id;
    return Error(ErrorCode::kUnsupported, "this backend cannot map device memory");
  }

  // The VM-wide state (VmState), with no vCPU running. RestoreState takes
  // what SaveState gave on a VM of the same shape; a part the backend does
  // not have (an irqchip on a backend without one) is an error.
  virtual Result<VmState> SaveState() = 0;
  virtual Result<void> RestoreState(const VmState& state) = 0;

  // The VMM has parked every vCPU (Pause) or is about to let them run again
  // (Resume), as Cloud Hypervisor's hypervisor::Vm::pause/resume. MSHV
  // freezes the partition's time (TIME_FREEZE); KVM and hv_sim keep the
  // guest's time with GetClock/SetClock instead and do nothing here.
  virtual Result<void> Pause() { return Ok(); }
  virtual Result<void> Resume() { return Ok(); }
};

// The kinds of thread that call into a backend, for their seccomp lists
// (core/isolation): the VMM thread creates VMs, vCPUs and memory; a vCPU
// thread runs its vCPU and the device handlers its exits reach (which may
// reprogram MSI routes and eventfds); a device worker raises interrupts and
// registers eventfds when its device activates.
enum class ThreadKind { kVmm, kVcpu, kDeviceWorker };

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;
  // The system calls and ioctls this backend makes on `kind` of thread.
  virtual isolation::SyscallRules ThreadSyscalls(ThreadKind kind) const = 0;
  virtual BackendKind kind() const = 0;
  virtual const Caps& caps() const = 0;
  // CPUID the VMM may offer; the VMM edits it (topology, hypervisor leaves).
  virtual Result<std::vector<CpuidEntry>> SupportedCpuid() const = 0;
  virtual Result<std::shared_ptr<Vm>> CreateVm(const VmConfig& config) = 0;
};

}  // namespace petrel::hv
