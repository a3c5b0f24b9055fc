// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmInstance: one VM built from a VmConfig on any hypervisor backend.
//
// Create() does the whole set-up, in order: guest memory (split around the
// 32-bit hole), the hypervisor VM and its memory slots, the legacy platform
// devices, the kernel/initramfs/cmdline load, the virtio devices (each
// with its worker, started at once), and the vCPUs with CPUID, boot MSRs and
// the boot vCPU's entry state. Run() starts one thread per vCPU and runs the
// VMM's control loop (console input, stop requests) on the calling thread
// until a vCPU reports a stop (reset, power off, triple fault or error).
//
// Pause() and Resume() (from any thread, e.g. the API's; a Pause() that
// comes before Run() has started the vCPUs waits for them, up to the pause
// timeout):
// pause parks every vCPU thread (each saves its complete state, see
// PausedVcpuStates()), then lets every virtio device finish the requests it
// has in flight (VirtioDevices::QuiesceAll), then stops every device
// worker, then saves the VM clock; resume sets the clock back (so the guest does not see the paused
// time, unless VmOptions::hide_paused_time is off), starts the workers, then
// lets the vCPUs run. RequestStop() works in both states.
//
// Host services are inputs (VmOptions): the control loop, the monotonic and
// wall clocks, the randomness, the device workers and the vCPU runner each
// default to the real thing (an EpollEventLoop, CLOCK_MONOTONIC,
// CLOCK_REALTIME, getrandom(2), a thread per device queue group, a thread
// per vCPU).
// With a DeterministicEventLoop, VirtualClocks, a seeded RandomSource,
// SharedLoopWorkers on that loop and VcpuRunner::kInline, a whole VM on
// hv_sim runs on the caller's thread alone and the same scenario gives the
// same trace (ARCHITECTURE.md, determinism).
//
// Backend-neutral: the petrel binary passes hv_kvm; tests pass hv_sim.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/arch/cpu_topology.h"
#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/event/event_loop.h"
#include "core/event/thread_worker.h"
#include "core/event/worker.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "devices/tpm/swtpm_backend.h"
#include "devices/tpm/tpm_crb.h"
#include "vmm/acpi_platform.h"
#include "vmm/config/hotplug_request.h"
#include "vmm/config/vm_config.h"
#include "vmm/console_output.h"
#include "core/io/recording_guest_io.h"
#include "core/io/recording_vm.h"
#include "vmm/legacy_platform.h"
#include "vmm/pci_platform.h"
#include "vmm/virtio_devices.h"
#include "vmm/vcpu_thread.h"
#include "vmm/vm_snapshot_state.h"
#include "vmm/vmm_events.h"

namespace petrel {
class PvpanicDevice;
}  // namespace petrel

namespace petrel::vmm {

// How Run() runs the vCPUs.
enum class VcpuRunner {
  // One thread per vCPU (VcpuThread); Run()'s thread runs the control loop.
  kThreads,
  // Run()'s thread alone: each round calls Vcpu::Run() once per vCPU, in
  // vCPU order (on hv_sim each returns after a quantum), handling the exit
  // as a VcpuThread does, then runs the control loop's due work
  // (RunOnce(0)); until a stop (RequestStop() from another thread too).
  // Pause() and Resume() are kUnsupported. For hv_sim (a KVM vCPU in a
  // halted guest would block its round); a guest whose vCPUs all halt with
  // nothing to wake them keeps Run() turning until a RequestStop().
  kInline,
};

struct VmOptions {
  // Feed the serial port from its console backend's input (stdin in tty
  // mode, the client in socket mode). Off in tests.
  bool attach_input = true;
  // Replace the sinks the config chooses for the serial port and for the
  // virtio-console (used only when the config has a console): tests capture
  // output, and no terminal, pty, file or socket is opened.
  std::unique_ptr<ConsoleOutput> serial_output_override;
  std::unique_ptr<ConsoleOutput> console_output_override;
  // What survived the previous boot's guest reset (see StateAcrossReset()).
  std::optional<Cmos::State> cmos_state;
  // Runs the virtio devices' work; nullptr: a thread per queue group
  // (ThreadWorkers). Must outlive the VmInstance.
  WorkerFactory* device_workers = nullptr;
  // Pause saves the VM clock and resume sets it back, so the guest's clock
  // does not jump by the paused time (Cloud Hypervisor does the same). Off:
  // the guest's clock runs on while paused (on KVM, kvmclock follows the
  // host). Ignored on a backend without caps().vm_clock.
  bool hide_paused_time = true;
  // The IOAPIC in the VMM (devices/ioapic) instead of the backend's: KVM's
  // split irqchip without PIC or PIT, as Cloud Hypervisor (see
  // hv::VmConfig::userspace_ioapic). Off: KVM's full in-kernel irqchip, or
  // hv_sim's pin model, which scripted guests wait on (WaitIrq). A restore
  // takes the snapshot's choice instead.
  bool userspace_ioapic = true;
  // Records every guest device access the vCPUs make (RecordingGuestIo)
  // into this trace; nullptr: none. Must outlive the VmInstance.
  IoTrace* io_trace = nullptr;
  // Confines each vCPU thread and device worker to its system calls
  // (seccomp, --seccomp); nullptr: nothing is confined. Must outlive the
  // VmInstance.
  isolation::ThreadSandbox* sandbox = nullptr;
  // How long Pause() waits for each vCPU to leave the guest.
  std::chrono::milliseconds pause_timeout{5000};
  // The VMM's control loop (console input, stop requests, RTC timers); its
  // clock should be `monotonic_clock`. A stop calls its Stop(). With
  // kThreads, Run() waits in RunOnce(-1), which on a DeterministicEventLoop
  // with nothing queued returns at once (Run() then spins until the stop).
  // nullptr: an EpollEventLoop of the VM's own. Must outlive the VmInstance.
  EventLoop* control_loop = nullptr;
  // Time for the PM timer, debug-port stamps and thread workers; nullptr:
  // CLOCK_MONOTONIC. Must outlive the VmInstance.
  const Clock* monotonic_clock = nullptr;
  // Calendar time for the CMOS RTC; nullptr: CLOCK_REALTIME. Must outlive
  // the VmInstance.
  const Clock* wall_clock = nullptr;
  // Randomness (a --net's generated MAC); nullptr: SystemRandom. Must
  // outlive the VmInstance.
  RandomSource* random = nullptr;
  VcpuRunner vcpu_runner = VcpuRunner::kThreads;
  // Where the devices' activated/reset events go (Vmm passes its own);
  // nullptr: nowhere. Must outlive the VmInstance.
  VmmEvents* events = nullptr;
  // Restore (a snapshot or an incoming migration): build the VM from this
  // state instead of booting it. No payload is loaded (guest memory holds
  // it); every device and vCPU takes its saved state; the VM starts Paused
  // (Run() starts the vCPU threads parked, the device workers stopped) and
  // Resume() runs it. The config must describe the same VM (the same
  // devices in the same order, the same vCPU count). Must outlive Create().
  const VmSnapshotState* restore = nullptr;
  // Guest memory to use instead of new anonymous memory (a restored
  // snapshot's file mapping, migrated memory); its size must be the
  // config's.
  std::shared_ptr<GuestMemory> memory;
};

// Where a VmInstance is in its life (Cloud Hypervisor's VmState, less
// Shutdown/BreakPoint): Created until Run() starts the vCPUs, Stopped once
// Run() has returned.
enum class VmRunState { kCreated, kRunning, kPaused, kStopped };
const char* VmRunStateName(VmRunState state);

class VmInstance {
 public:
  // Opens the hypervisor with `open_hypervisor` only after the payload
  // (kernel, initramfs, command line) has loaded into guest memory, so a bad
  // payload is reported the same way on every host.
  using HypervisorFactory = std::function<Result<std::unique_ptr<hv::Hypervisor>>()>;
  static Result<std::unique_ptr<VmInstance>> Create(const config::VmConfig& config,
                                                    const HypervisorFactory& open_hypervisor,
                                                    VmOptions options = {});
  ~VmInstance();

  // Runs the VM until it stops; returns why.
  Result<StopReason> Run();

  hv::Vm& hv_vm() { return *vm_; }
  GuestMemory& memory() { return *memory_; }
  IoDispatcher& io() { return io_; }
  // The ACPI devices (hot-plug controllers, the GED). For tests and the VMM.
  AcpiPlatform& acpi() { return *acpi_; }
  LegacyPlatform& platform() { return *platform_; }
  PciPlatform& pci() { return *pci_; }
  const VirtioDevices& virtio() const { return *virtio_; }
  // The disks' image locks (VirtioDevices::LockDisks): a live migration's
  // source releases them before the destination opens the disks.
  Result<void> LockDisks() { return virtio_->LockDisks(); }
  void UnlockDisks() { virtio_->UnlockDisks(); }
  // The CMOS RAM and RTC offset, which a PC keeps across a reboot: pass them
  // in VmOptions::cmos_state when rebuilding the VM after a guest reset.
  Cmos::State CmosAcrossReset() const { return platform_->cmos().Save(); }
  // Stops the VM (Run() returns `reason` unless another stop came first).
  // Thread-safe.
  void RequestStop(const StopReason& reason) { OnStop(reason); }
  // Raises the ACPI power-button event (Cloud Hypervisor's vm.power-button).
  void PressPowerButton() { acpi_->PressPowerButton(); }
  // Sends an NMI to every vCPU (Cloud Hypervisor's vm.nmi): an MSI with
  // delivery mode NMI (Intel SDM Vol. 3 section 11.11.2) to each APIC id.
  // Thread-safe.
  Result<void> InjectNmi();

  // Pauses a running VM: every vCPU leaves the guest and parks (its state
  // saved), then every device worker stops (no virtqueue processing in
  // flight), then the VM clock is saved. Ok only when all of it is done;
  // on an error the VM runs on. kFailedPrecondition unless running (a
  // paused VM stays paused); kUnsupported with VcpuRunner::kInline.
  // Thread-safe.
  Result<void> Pause();
  // Resumes a paused VM: the VM clock is set back (see
  // VmOptions::hide_paused_time), the workers start, the vCPUs run.
  // kFailedPrecondition unless paused; kUnsupported with
  // VcpuRunner::kInline. Thread-safe.
  Result<void> Resume();
  VmRunState state() const;

  // vCPU hot-plug (Cloud Hypervisor's vm.resize desired_vcpus), on the VM
  // thread (this waits for it, up to the pause timeout): vCPUs above the
  // present count are created (or the ones unplugged before are reused),
  // started and announced to the guest, which onlines them; vCPUs above
  // `desired` are offered for ejection, and each goes when the guest has
  // offlined it and called its _EJ0 (its thread then ends); a removal the
  // guest has not done yet is withdrawn by a resize that keeps that vCPU.
  // Ok once asked; the guest acts later. kInvalidArgument for a count
  // outside 1..max, kFailedPrecondition unless running, kUnsupported with
  // VcpuRunner::kInline, kBusy if the VM thread does not answer in time.
  // Thread-safe.
  Result<void> ResizeVcpus(uint32_t desired);
  // The vCPUs that exist now (running threads, removals not yet ejected
  // included), and whether a removal waits for the guest's eject.
  // vm.resize-disk: VirtioDevices::ResizeDisk. Thread-safe.
  Result<void> ResizeDisk(std::string_view id, uint64_t new_bytes) {
    return virtio_->ResizeDisk(id, new_bytes);
  }
  // PCI hot-plug (vm.add-disk, vm.add-net), on the VM thread (this waits
  // for it, up to the pause timeout): the device is made from its config
  // (validated, with an id no other device has), placed in the lowest free
  // PCI slot, and announced to the guest (the GED's PCI event), whose
  // acpiphp driver then finds it. Returns its id and PCI address.
  // kAlreadyExists for an id in use, kFailedPrecondition unless running,
  // kUnsupported with VcpuRunner::kInline, kBusy if the VM thread does not
  // answer in time; the device's own errors (an image that will not open,
  // a tap that cannot be made, a full bus) as they come. Thread-safe.
  Result<config::PciDeviceInfo> AddDisk(const virtio::DiskConfig& disk);
  Result<config::PciDeviceInfo> AddNet(const virtio::NetConfig& net);
  Result<config::PciDeviceInfo> AddPmem(const virtio::PmemConfig& pmem);
  Result<config::PciDeviceInfo> AddVsock(const virtio::VsockConfig& vsock);
  // PCI hot-unplug (vm.remove-device): asks the guest to eject the device;
  // once it has (the slot's _EJ0), the VM thread stops the device's
  // workers, takes it off the bus and destroys it. Asking again is Ok.
  // kNotFound for an id no device has, kInvalidArgument for a device that
  // cannot go (the console, rng and balloon). Thread-safe.
  Result<void> RemoveDevice(std::string_view id);
  // A requested removal the guest has not ejected yet.
  bool device_removal_pending() const;

  // vm.resize desired_balloon: VirtioDevices::SetBalloonTarget. Thread-safe.
  Result<void> SetBalloonTarget(uint64_t bytes) { return virtio_->SetBalloonTarget(bytes); }
  // vm.resize desired_ram (virtio-mem): VirtioDevices::SetMemRequestedSize.
  // Thread-safe.
  Result<void> SetMemRequestedSize(std::string_view zone, uint64_t bytes) {
    return virtio_->SetMemRequestedSize(zone, bytes);
  }
  // vm.resize desired_ram with hotplug_method=acpi: `hotplugged` bytes of
  // the hot-plug area as DIMMs. Growing plugs one DIMM of the difference
  // (whole 128 MiB blocks) in a free slot and range; shrinking asks the
  // guest to eject whole DIMMs, the highest first, and is refused unless
  // they add up exactly; the guest's _EJ0 gives a DIMM's memory back to the
  // host. Removals not yet ejected count as plugged and are withdrawn when
  // no longer wanted. kInvalidArgument for what cannot be done (nothing
  // changes), kFailedPrecondition without ACPI memory hot-plug or unless
  // running. Thread-safe (runs on the VM thread).
  Result<void> ResizeAcpiMemory(uint64_t hotplugged);
  // The bytes the ACPI DIMMs hold (ejects pending included); 0 without.
  uint64_t acpi_plugged_bytes() const;
  // A DIMM removal the guest has not ejected yet.
  bool memory_removal_pending() const;
  uint32_t vcpu_count() const;
  bool vcpu_removal_pending() const;
  // Each vCPU's state as saved when it parked, in vCPU order; empty unless
  // paused. For snapshots.
  std::vector<VcpuState> PausedVcpuStates() const;
  // Everything but memory a snapshot holds (VmSnapshotState), from a
  // paused VM: kFailedPrecondition otherwise. Thread-safe.
  Result<VmSnapshotState> SaveSnapshotState() const;

  // Live migration's dirty tracking: from StartDirtyLog on, the pages the
  // guest writes (the hypervisor's log) and those the VMM's devices write
  // (GuestMemory's log). TakeDirtyRanges: both, since the start or the last
  // call, as merged (gpa, length) ranges of 4 KiB pages; clears them.
  Result<void> StartDirtyLog();
  Result<std::vector<DirtyRange>> TakeDirtyRanges();
  void StopDirtyLog();

 private:
  VmInstance() = default;
  // `boot_state` for vCPU 0 of a booting VM; `restore` (when set) instead
  // gives every vCPU its saved state.
  // VmConfig::test_device: devices/testdev on both buses, its pin and an MSI.
  Result<void> PlaceTestDevice();
  // --tpm: connects to swtpm (loading `restore` into it, from a snapshot),
  // starts the TPM's worker, places the CRB page.
  Result<void> PlaceTpm(const tpm::TpmConfig& config, WorkerFactory& workers,
                        const tpm::SwtpmState* restore);
  // --pvpanic: the pvpanic-pci device, in `slot` or the lowest free one;
  // its events go to `events` (may be null).
  Result<void> PlacePvpanic(VmmEvents* events, std::optional<uint8_t> slot);
  // What a vCPU thread's filter allows (see VcpuThread).
  isolation::SyscallRules VcpuThreadSyscalls() const;
  Result<void> CreateVcpus(const config::VmConfig& config, const hv::BootVcpuState& boot_state,
                           const VmSnapshotState* restore);
  // Every device's saved state (VmOptions::restore), after they were placed.
  Result<void> RestoreDevices(const VmSnapshotState& state);
  void OnStop(const StopReason& reason);
  // The thread that runs `vcpu` (not started).
  std::unique_ptr<VcpuThread> MakeVcpuThread(std::unique_ptr<hv::Vcpu> vcpu, uint64_t start_ns);
  // Runs `work` on the VM thread (the control loop) and waits for its
  // result, up to the pause timeout (kBusy after); `what` names it in the
  // errors. kUnsupported with VcpuRunner::kInline.
  Result<void> OnVmThread(std::function<Result<void>()> work, const std::string& what);
  // vm.add-*: on the VM thread, checks `id` is free, runs `place` and
  // announces the device; `what` names the request in errors.
  Result<config::PciDeviceInfo> AddPciDevice(const std::string& id,
                                             std::function<Result<VirtioDevices::Placed>()> place,
                                             const std::string& what);
  // PCI hot-plug's steps, on the VM thread.
  Result<config::PciDeviceInfo> AnnounceAdded(const VirtioDevices::Placed& placed);
  // Running, and no device has `id`.
  Result<void> CheckHotplugAllowed(const std::string& id);
  void UnplugPciDevice(uint8_t slot);  // after the guest's eject
  // ACPI memory hot-plug's steps, on the VM thread.
  Result<void> ResizeAcpiMemoryOnVmThread(uint64_t hotplugged);
  void UnplugDimm(uint32_t slot, uint64_t base, uint64_t length);  // after the guest's eject
  // vCPU hot-plug's steps, on the VM thread (the control loop).
  Result<void> ResizeOnVmThread(uint32_t desired);
  Result<void> PlugVcpu(uint32_t index);  // holds lifecycle_mu_
  void ReapVcpuLocked(uint32_t index);    // holds lifecycle_mu_: ends an ejected vCPU's thread
  void UnplugVcpu(uint32_t index);        // after the guest's eject
  bool StopRequested();
  // VcpuRunner::kInline's Run(): vCPU rounds and control-loop work on this thread.
  void RunInline();

  std::unique_ptr<hv::Hypervisor> hypervisor_;  // outlives everything below
  MonotonicClock own_monotonic_clock_;
  RealtimeClock own_wall_clock_;
  const Clock* monotonic_clock_ = &own_monotonic_clock_;  // VmOptions' or own_*
  const Clock* wall_clock_ = &own_wall_clock_;
  std::shared_ptr<GuestMemory> memory_;
  std::shared_ptr<hv::Vm> vm_;
  IoDispatcher io_;
  std::unique_ptr<RecordingGuestIo> recording_io_;  // VmOptions::io_trace; wraps io_
  std::unique_ptr<RecordingVm> recording_vm_;  // VmOptions::io_trace; wraps vm_ for the devices
  hv::Vm* device_vm_ = nullptr;                // recording_vm_ or vm_: what devices are given
  // Outlives the console, which watches fds on it (a VmOptions::control_loop
  // outlives the whole VmInstance).
  std::unique_ptr<EventLoop> own_loop_;
  EventLoop* loop_ = nullptr;  // VmOptions::control_loop or own_loop_
  std::unique_ptr<ThreadWorkers> thread_workers_;  // unless VmOptions::device_workers
  isolation::ThreadSandbox* sandbox_ = &isolation::NoSandbox();
  std::unique_ptr<ConsoleOutput> serial_output_;
  std::unique_ptr<ConsoleOutput> console_output_;  // --console (virtio-console); null if off
  std::unique_ptr<InterruptPlatform> interrupts_;  // before the devices that hold its lines
  std::unique_ptr<LegacyPlatform> platform_;
  std::unique_ptr<AcpiPlatform> acpi_;
  std::vector<Bus::Registration> test_device_;  // VmConfig::test_device
  // virtio_ is destroyed after pci_: the PCI bus holds the devices too, and
  // the last reference must go while their workers' loops still exist.
  std::unique_ptr<VirtioDevices> virtio_;
  std::unique_ptr<PciPlatform> pci_;
  std::shared_ptr<PvpanicDevice> pvpanic_;  // --pvpanic; also on the PCI bus
  // --tpm: the backend, the CRB device, the worker its commands run on and
  // its page on the MMIO bus. Destroyed in reverse: the page leaves the
  // bus, the worker stops (after the command it runs, if any), then the
  // device and the connection to swtpm go.
  std::unique_ptr<tpm::SwtpmBackend> tpm_backend_;
  std::shared_ptr<tpm::TpmCrb> tpm_;
  std::unique_ptr<Worker> tpm_worker_;
  Bus::Registration tpm_mmio_;
  uint8_t pvpanic_slot_ = 0;
  std::vector<std::unique_ptr<hv::Vcpu>> pending_vcpus_;  // created, not yet running
  // Indexed by vCPU index; null where a vCPU was unplugged (hot-plug keeps
  // the present ones at 0..n-1 once the guest has ejected what it was asked to).
  std::vector<std::unique_ptr<VcpuThread>> vcpu_threads_;
  // Unplugged vCPUs, by index, for the next plug (null: never created).
  std::vector<std::unique_ptr<hv::Vcpu>> unplugged_vcpus_;
  std::vector<uint32_t> apic_ids_;  // every possible vCPU's, in vCPU order
  x86::CpuTopology topology_{};
  std::vector<hv::CpuidEntry> supported_cpuid_;  // the backend's, for plugged vCPUs
  // Lets work posted to the control loop know this VmInstance still exists.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::mutex nmi_mu_;               // guards nmi_
  std::vector<std::shared_ptr<hv::MsiInterrupt>> nmi_;  // one per APIC id, made on first use
  bool attach_input_ = false;
  VcpuRunner vcpu_runner_ = VcpuRunner::kThreads;
  bool hide_paused_time_ = true;
  bool start_paused_ = false;  // restored: Run() starts Paused
  std::chrono::milliseconds pause_timeout_{5000};

  // Waits (up to pause_timeout_) for Run() to have started the vCPU
  // threads, so a Pause or Resume right after Create sees the real state.
  void WaitUntilStarted(std::unique_lock<std::mutex>& lock);

  // Serializes Pause, Resume and Run's start and end of the vCPU threads;
  // guards vcpu_threads_ against them, run_state_ and saved_clock_.
  mutable std::mutex lifecycle_mu_;
  std::condition_variable run_state_changed_;  // kCreated left (Pause, Resume wait for it)
  VmRunState run_state_ = VmRunState::kCreated;
  std::optional<hv::VmClock> saved_clock_;  // while paused, if hidden

  std::mutex stop_mu_;
  std::optional<StopReason> stop_reason_;
};

}  // namespace petrel::vmm
