// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Vmm: the VMM process's one VM, driven through Cloud Hypervisor's REST API
// (api::VmmControl) or the command line, from empty to deleted.
//
// States (Cloud Hypervisor's, vmm/src/lib.rs and vm.rs):
//
//   (none) --create--> Created --boot--> Running <--pause/resume--> Paused
//      ^                 |  ^                |                        |
//      +-----delete------+  +---shutdown-----+------------------------+
//
//   - vm.create stores a VmConfig (validated: 400, or 409 for a duplicate
//     device id); a second create is refused (500) until vm.delete.
//   - vm.boot builds a VmInstance from it and runs it (404 without a
//     config, 500 when a VM runs already or the build fails).
//   - vm.shutdown destroys the VM and keeps the config, so vm.boot starts
//     it again (vm.info then says "Created", as CH's does).
//   - vm.reboot (404 without a VM, as CH) and a guest reset rebuild the VM
//     from the same config, the CMOS RAM kept as on a PC.
//   - vm.pause / vm.resume (500 in the wrong state): VmInstance::Pause and
//     Resume.
//   - vm.power-button, vm.nmi, vm.counters: 500 without a VM.
//   - vm.resize desired_vcpus: Created -> the config's boot count; Running
//     -> vCPU hot-plug; 404 without a config, 400 above --cpus max, 500
//     when paused.
//   - vm.resize-disk: a running or paused VM's disk grows (raw images).
//   - vm.snapshot (Paused only, else 500): writes config.json, state.json and
//     the memory to a directory (vmm/snapshot/); the VM stays paused.
//   - vm.restore (no VM created, else 500): reads a snapshot directory and
//     builds the VM from it on the VM thread, Paused (Running with
//     resume=true); its config is the snapshot's from then on.
//   - vm.delete: shuts the VM down if any and forgets the config; always 204.
//   - vmm.shutdown: vm.delete, then Run() returns 0.
//   - the guest powering off: the VMM exits (0), as CH's does.
//
// Threads: Run() is the VM thread (the petrel binary's main thread): it
// builds each VmInstance and runs it (VmInstance::Run) until it stops, then
// acts on why. API calls arrive on the API thread; the ones that change
// which VM exists (boot, reboot, shutdown, delete) ask the VM thread and wait
// for it (up to VmmServices::request_timeout), so the VM thread alone
// creates and destroys VmInstances. Pause, resume, power button and NMI act
// on the running VmInstance directly. One mutex guards the state.
//
// Host services come in through VmmServices, so a whole VMM runs on hv_sim
// in tests exactly as the binary runs it on KVM.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "vmm/api/vmm_control.h"
#include "vmm/config/hotplug_request.h"
#include "vmm/config/migration_config.h"
#include "vmm/config/resize_config.h"
#include "vmm/config/snapshot_config.h"
#include "vmm/config/vm_config.h"
#include "vmm/vm_instance.h"
#include "vmm/vmm_events.h"

namespace petrel::vmm {

struct VmmServices {
  VmInstance::HypervisorFactory open_hypervisor;
  // The options for each VmInstance the VMM builds from `config` (the
  // binary: defaults, and the terminal in raw mode when a console uses it;
  // tests: captured serial output, no stdin).
  std::function<VmOptions(const config::VmConfig& config)> vm_options =
      [](const config::VmConfig&) { return VmOptions{}; };
  // Called on the VM thread with each VmInstance just built, before it runs
  // (tests give hv_sim's vCPUs their guest scripts here). May be empty.
  std::function<void(VmInstance& vm)> on_vm_built;
  // Where events go; nullptr: nowhere. Must outlive the Vmm.
  VmmEvents* events = nullptr;
  // How long an API call waits for the VM thread (boot, reboot, shutdown).
  std::chrono::milliseconds request_timeout{30000};
  // --landlock (config.landlock_enable): called on the VM thread before the
  // config's first build, so the vCPU and device threads the build starts
  // inherit the restriction; once per config (reboots rebuild within it,
  // and nothing lifts it). Its error fails that boot. The binary:
  // RestrictToVmPaths (vmm/landlock_paths.h). Empty: nothing is restricted.
  std::function<Result<void>(const config::VmConfig& config)> restrict_paths;
};

// Cloud Hypervisor's VmState as vm.info reports it; kNone: no config.
enum class VmmState { kNone, kCreated, kRunning, kPaused };
const char* VmmStateName(VmmState state);

// CH's VmNotRunning and friends: a request in the wrong state (HTTP 500).
Error WrongState(std::string_view what, VmmState state);

class Vmm final : public api::VmmControl {
 public:
  explicit Vmm(VmmServices services);
  ~Vmm() override;
  Vmm(const Vmm&) = delete;
  Vmm& operator=(const Vmm&) = delete;

  // The VM thread: runs until vmm.shutdown, RequestExit() or the guest
  // powering off, and returns the process's exit status (0; 2 when a VM
  // stopped with a hypervisor error). `boot_first` (the command line with a
  // payload): boot the created VM at once; if that fails, say why on stderr
  // and return 1.
  int Run(bool boot_first = false);
  // Makes Run() return `status` after shutting the VM down. Any thread.
  void RequestExit(int status);

  // The command line's door: vm.create with a config the CLI built.
  Result<void> Create(config::VmConfig config);
  // The typed doors of vm.snapshot and vm.restore (--restore uses Restore).
  Result<void> Snapshot(const config::SnapshotConfig& request);
  // `owned_fds`: fds the VMM received for request.net_fds (vm.restore's
  // SCM_RIGHTS); kept while the restored config lives. The command line's
  // net_fds are the process's own and not closed.
  Result<void> Restore(const config::RestoreConfig& request, std::vector<UniqueFd> owned_fds = {});
  // vm.resize's typed door. desired_vcpus: a created VM's boot count
  // changes (within --cpus max); a running one plugs or unplugs vCPUs
  // (VmInstance::ResizeVcpus) and its config's boot count follows, so a
  // reboot keeps the size and vm.info shows it. desired_balloon: the
  // balloon's new target (400 without --balloon or at or above the RAM),
  // kept in the config. desired_ram: with hotplug_method=virtio-mem, the
  // virtio-mem device's requested size becomes desired_ram less the boot
  // RAM (between 0 and hotplug_size, whole 2 MiB blocks), kept in the
  // config's hotplugged_size; hotplug_method=acpi is refused (400) until
  // ACPI memory hot-plug lands. Every field is checked before any is
  // applied (vmm_resize.cc).
  Result<void> Resize(const config::ResizeRequest& request);
  // vm.resize-disk's: grows a disk of the running VM (raw images; never
  // smaller). 500 without a VM running (CH's VmNotRunning), 404 for an id
  // that is no disk, 400 for a size the disk cannot take.
  Result<void> ResizeDisk(const config::ResizeDiskRequest& request);
  // vm.resize-zone's: a memory zone's virtio-mem device to desired_ram
  // less the zone's boot size. Not implemented yet (vmm_resize.cc): 404
  // without a VM (CH's VmNotCreated), else kUnsupported (500).
  Result<void> ResizeZone(const config::ResizeZoneRequest& request);
  // vm.add-disk's and vm.add-net's typed doors (vmm_hotplug.cc): the
  // device's id is checked against the VM's others (409 for one in use)
  // and generated when absent. A created VM's config gains the device (no
  // answer: 204); a running VM's gets it hot-plugged too
  // (VmInstance::AddDisk) and the answer is its PciDeviceInfo. 404 without
  // a VM, 500 in another state.
  Result<std::optional<config::PciDeviceInfo>> AddDisk(virtio::DiskConfig disk);
  Result<std::optional<config::PciDeviceInfo>> AddNet(virtio::NetConfig net);
  Result<std::optional<config::PciDeviceInfo>> AddPmem(virtio::PmemConfig pmem);
  // One vsock per VM: a second is refused (409-class kAlreadyExists).
  Result<std::optional<config::PciDeviceInfo>> AddVsock(virtio::VsockConfig vsock);
  // vm.remove-device's: a running VM's guest is asked to eject the device
  // (VmInstance::RemoveDevice); the config loses it at once, so a reboot or
  // a later boot does not bring it back (as CH). 404 for an id no device
  // has (or without a VM), 400 for a fixed device (console, rng, balloon).
  Result<void> RemoveDevice(const config::RemoveDeviceRequest& request);
  // vm.send-migration and vm.receive-migration (vmm_migration.cc).
  Result<void> SendMigration(const config::SendMigrationConfig& request);
  Result<void> ReceiveMigration(const config::ReceiveMigrationConfig& request);
  VmmState state() const;

  // api::VmmControl
  Result<void> CreateVm(std::string_view config_json) override;
  Result<void> BootVm() override;
  Result<void> PauseVm() override;
  Result<void> ResumeVm() override;
  Result<void> PowerButton() override;
  Result<void> Nmi() override;
  Result<void> ShutdownVm() override;
  Result<void> RebootVm() override;
  Result<void> DeleteVm() override;
  Result<void> ShutdownVmm() override;
  Result<void> SnapshotVm(std::string_view body_json) override;
  Result<void> RestoreVm(std::string_view body_json, std::vector<UniqueFd> fds) override;
  Result<void> ResizeVm(std::string_view body_json) override;
  Result<void> ResizeDiskVm(std::string_view body_json) override;
  Result<void> ResizeZoneVm(std::string_view body_json) override;
  Result<std::string> AddDiskVm(std::string_view body_json) override;
  Result<std::string> AddNetVm(std::string_view body_json, std::vector<UniqueFd> fds) override;
  Result<std::string> AddPmemVm(std::string_view body_json) override;
  Result<std::string> AddVsockVm(std::string_view body_json) override;
  Result<void> RemoveDeviceVm(std::string_view body_json) override;
  Result<void> SendMigration(std::string_view body_json) override;
  Result<void> ReceiveMigration(std::string_view body_json) override;
  Result<std::string> VmInfoJson() override;
  Result<std::string> VmCountersJson() override;

 private:
  // AddDisk, AddNet, AddPmem, AddVsock: `device` joins the config's `slot`
  // (a list, or an optional that must be empty), its id checked or
  // generated, and, in a running VM, is hot-plugged by `hot_add`.
  template <class Device, class Slot>
  Result<std::optional<config::PciDeviceInfo>> AddDevice(
      Device device, Slot config::VmConfig::*slot, const char* what,
      Result<config::PciDeviceInfo> (VmInstance::*hot_add)(const Device&));
  // What the API asks of the VM thread.
  enum class Request { kNone, kBoot, kShutdown, kReboot };

  void Emit(std::string_view source, std::string_view event);
  // Asks the VM thread for `request` and waits until it has acted. Holds mu_.
  Result<void> AskVmThread(std::unique_lock<std::mutex>& lock, Request request);
  // The VM thread's steps. Hold mu_ (BuildVm releases it while building).
  Result<void> BuildVm(std::unique_lock<std::mutex>& lock);
  void DestroyVm(std::unique_lock<std::mutex>& lock);
  void FinishRequest(Result<void> result);
  Result<VmInstance*> RunningVm(std::string_view what);
  // Resumes the paused VM, with events. Holds mu_.
  Result<void> ResumeLocked();

  // A snapshot the next BuildVm restores instead of booting (vm.restore,
  // a received migration).
  struct PendingRestore {
    VmSnapshotState state;
    std::shared_ptr<GuestMemory> memory;
  };
  // Builds the VM of `config` from `restore`, paused; on failure the VMM is
  // empty again. Holds mu_.
  Result<void> BuildRestoredVm(std::unique_lock<std::mutex>& lock, config::VmConfig config,
                               PendingRestore restore);
  // Drops config_ and what lives with it (received_net_fds_,
  // added_net_fds_). Holds mu_.
  void ForgetConfig();
  // Shuts down and forgets whatever VM and config there are (a failed
  // migration's). Holds mu_.
  void DropVm(std::unique_lock<std::mutex>& lock);
  class ReceiveTarget;  // vmm_migration.cc

  VmmServices services_;
  NoEvents no_events_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::optional<config::VmConfig> config_;
  // Tap fds vm.restore received for config_'s nets (net_fds): each build
  // (reboots too) dups them, so they live exactly as long as config_.
  std::vector<UniqueFd> received_net_fds_;
  // Tap fds vm.add-net requests carried, by net id: kept while the net is
  // in config_ (vm.remove-device drops them).
  std::map<std::string, std::vector<UniqueFd>> added_net_fds_;
  std::unique_ptr<VmInstance> vm_;  // built and destroyed by the VM thread only
  VmmState state_ = VmmState::kNone;
  std::optional<Cmos::State> cmos_;  // battery-backed: survives guest resets
  std::optional<PendingRestore> restore_;
  bool receiving_ = false;  // vm.receive-migration waits for its sender
  Request request_ = Request::kNone;
  uint64_t requests_done_ = 0;
  Result<void> last_result_ = Ok();
  std::optional<int> exit_status_;
  bool landlocked_ = false;  // restrict_paths ran for config_
};

}  // namespace petrel::vmm
