// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Vmm (see vmm.h).
#include "vmm/vmm.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/base/log.h"
#include "vmm/api/json_text.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/snapshot/snapshot_files.h"

namespace petrel::vmm {
namespace {

using nlohmann::json;

}  // namespace

Error WrongState(std::string_view what, VmmState state) {
  return Error(ErrorCode::kFailedPrecondition,
               std::string(what) + ": the VM is " + VmmStateName(state));
}

namespace {

// CH's DeviceNode (vmm/src/device_tree.rs): resources are vm_device's
// Resource enum as serde writes it, here the PciBar variant per BAR.
json DeviceNode(const VirtioDevices::Placed& placed) {
  json resources = json::array();
  const PciConfigSpace& config = placed.device->config();
  for (int bar = 0; bar < kPciBarCount; ++bar) {
    std::optional<uint64_t> base = config.BarAddress(bar);
    std::optional<uint64_t> size = config.BarSize(bar);
    std::optional<PciBarKind> kind = config.BarKindAt(bar);
    if (!base || !size || !kind) continue;
    const char* type = *kind == PciBarKind::kIo       ? "Io"
                       : *kind == PciBarKind::kMmio32 ? "Mmio32"
                                                      : "Mmio64";
    resources.push_back({{"PciBar",
                          {{"index", bar},
                           {"base", *base},
                           {"size", *size},
                           {"type_", type},
                           {"prefetchable", false}}}});
  }
  return {{"id", placed.name},
          {"resources", std::move(resources)},
          {"children", json::array()},
          {"pci_bdf", config::FormatBdf({placed.name, 0, 0, placed.slot, 0})}};
}

}  // namespace

const char* VmmStateName(VmmState state) {
  switch (state) {
    case VmmState::kNone: return "not created";
    case VmmState::kCreated: return "Created";
    case VmmState::kRunning: return "Running";
    case VmmState::kPaused: return "Paused";
  }
  return "?";
}

Vmm::Vmm(VmmServices services) : services_(std::move(services)) {
  if (services_.events == nullptr) services_.events = &no_events_;
  // Here, not in Run(): the API thread may serve vm.create/vm.delete (and
  // emit their events) before the VMM thread reaches Run().
  Emit("vmm", "starting");
}

Vmm::~Vmm() {
  std::unique_lock lock(mu_);
  DestroyVm(lock);
}

void Vmm::Emit(std::string_view source, std::string_view event) {
  services_.events->Emit(source, event);
}

VmmState Vmm::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

int Vmm::Run(bool boot_first) {
  std::unique_lock lock(mu_);
  if (boot_first && config_ && request_ == Request::kNone) request_ = Request::kBoot;
  while (!exit_status_) {
    changed_.wait(lock, [this] { return exit_status_.has_value() || request_ != Request::kNone; });
    if (exit_status_) break;
    if (request_ != Request::kBoot) {  // shutdown or reboot with no VM: nothing to do
      FinishRequest(WrongState("no VM is running", state_));
      continue;
    }
    const bool restoring = restore_.has_value();
    if (!restoring) Emit("vm", "booting");
    Result<void> built = BuildVm(lock);
    if (built.ok() && !restoring) Emit("vm", "booted");
    if (!built.ok() && boot_first) {
      std::fprintf(stderr, "petrel: error: %s\n", built.error().message().c_str());
      exit_status_ = 1;
    }
    boot_first = false;
    FinishRequest(std::move(built));

    // Run the VM until it is gone: every guest reset or vm.reboot builds it
    // again from the same config.
    while (vm_ != nullptr) {
      VmInstance* vm = vm_.get();
      lock.unlock();
      Result<StopReason> stop = vm->Run();
      lock.lock();
      const Request request = request_;
      if (exit_status_ || request == Request::kShutdown) {
        DestroyVm(lock);
        Emit("vm", "shutdown");
        if (request == Request::kShutdown) FinishRequest(Ok());
        break;
      }
      if (!stop.ok() || stop->kind == StopReason::Kind::kError) {
        const std::string why = stop.ok() ? stop->detail : stop.error().message();
        std::fprintf(stderr, "petrel: guest stopped: %s\n", why.c_str());
        DestroyVm(lock);
        Emit("vm", "shutdown");
        exit_status_ = 2;
        break;
      }
      PETREL_LOG(kInfo) << "VM stopped: " << stop->detail;
      const bool reset = request == Request::kReboot ||
                         stop->kind == StopReason::Kind::kReset ||
                         stop->kind == StopReason::Kind::kTripleFault;  // a PC reboots, and CH
      if (reset) {
        Emit("vm", "rebooting");
        cmos_ = vm_->CmosAcrossReset();
        DestroyVm(lock);
        Result<void> rebuilt = BuildVm(lock);
        if (rebuilt.ok()) {
          Emit("vm", "rebooted");
        } else {
          PETREL_LOG(kError) << "rebooting the VM: " << rebuilt.error().message();
        }
        if (request == Request::kReboot) FinishRequest(std::move(rebuilt));
        continue;
      }
      // The guest powered off (or a stop with no request behind it): as
      // CH's, the VMM shuts down with it.
      DestroyVm(lock);
      Emit("vm", "shutdown");
      if (stop->kind == StopReason::Kind::kPowerOff) {
        ForgetConfig();
        state_ = VmmState::kNone;
        Emit("vm", "deleted");
        exit_status_ = 0;
      }
    }
  }
  DestroyVm(lock);
  // A request still waiting (the VMM is going away) learns so.
  if (request_ != Request::kNone) FinishRequest(Error(ErrorCode::kFailedPrecondition, "the VMM is shutting down"));
  Emit("vmm", "shutdown");
  return *exit_status_;
}

void Vmm::RequestExit(int status) {
  std::lock_guard lock(mu_);
  if (!exit_status_) exit_status_ = status;
  if (vm_ != nullptr) vm_->RequestStop({StopReason::Kind::kShutdown, "the VMM is exiting"});
  changed_.notify_all();
}

Result<void> Vmm::BuildVm(std::unique_lock<std::mutex>& /*lock: held*/) {
  if (config_->landlock_enable && !landlocked_ && services_.restrict_paths) {
    Result<void> restricted = services_.restrict_paths(*config_);
    if (!restricted.ok()) {
      return Error(ErrorCode::kSystem, restricted.error().message(), restricted.error().errnum());
    }
    landlocked_ = true;
  }
  VmOptions options = services_.vm_options(*config_);
  options.cmos_state = cmos_;
  if (options.events == nullptr) options.events = services_.events;
  // A restore is used once: a later reboot boots from the config.
  std::optional<PendingRestore> restore = std::move(restore_);
  restore_.reset();
  if (restore) {
    options.restore = &restore->state;
    options.memory = std::move(restore->memory);
  }
  auto vm = VmInstance::Create(*config_, services_.open_hypervisor, std::move(options));
  if (!vm.ok()) {
    state_ = VmmState::kCreated;
    // CH answers any failure to build the VM with 500, even a missing file
    // (a 404 would say "no VM config").
    return Error(ErrorCode::kSystem, vm.error().message(), vm.error().errnum());
  }
  vm_ = std::move(vm).value();
  if (services_.on_vm_built) services_.on_vm_built(*vm_);
  state_ = restore ? VmmState::kPaused : VmmState::kRunning;
  return Ok();
}

void Vmm::DestroyVm(std::unique_lock<std::mutex>& /*lock: held*/) {
  vm_.reset();
  if (state_ == VmmState::kRunning || state_ == VmmState::kPaused) state_ = VmmState::kCreated;
}

void Vmm::FinishRequest(Result<void> result) {
  request_ = Request::kNone;
  last_result_ = std::move(result);
  ++requests_done_;
  changed_.notify_all();
}

Result<void> Vmm::AskVmThread(std::unique_lock<std::mutex>& lock, Request request) {
  if (request_ != Request::kNone) {
    return Error(ErrorCode::kBusy, "another request to the VM is in progress");
  }
  if (exit_status_) return Error(ErrorCode::kFailedPrecondition, "the VMM is shutting down");
  request_ = request;
  const uint64_t ticket = requests_done_;
  if (vm_ != nullptr && request == Request::kShutdown) {
    vm_->RequestStop({StopReason::Kind::kShutdown, "API vm.shutdown"});
  } else if (vm_ != nullptr && request == Request::kReboot) {
    vm_->RequestStop({StopReason::Kind::kReset, "API vm.reboot"});
  }
  changed_.notify_all();
  if (!changed_.wait_for(lock, services_.request_timeout,
                         [&] { return requests_done_ != ticket; })) {
    return Error(ErrorCode::kInternal, "the VM did not answer in time");
  }
  return last_result_;
}

Result<VmInstance*> Vmm::RunningVm(std::string_view what) {
  if (vm_ == nullptr) return WrongState(what, state_);
  return vm_.get();
}

Result<void> Vmm::Create(config::VmConfig config) {
  std::lock_guard lock(mu_);
  if (config_) return Error(ErrorCode::kFailedPrecondition, "a VM is already created");
  if (receiving_) return WrongState("cannot create a VM: a migration is being received", state_);
  config_ = std::move(config);
  state_ = VmmState::kCreated;
  return Ok();
}

Result<void> Vmm::CreateVm(std::string_view config_json) {
  PETREL_ASSIGN_OR_RETURN(config::VmConfig config, config::VmConfigFromJson(config_json));
  return Create(std::move(config));
}

Result<void> Vmm::BootVm() {
  std::unique_lock lock(mu_);
  if (!config_) return Error(ErrorCode::kNotFound, "no VM config to boot (vm.create first)");
  if (vm_ != nullptr) return WrongState("cannot boot", state_);
  return AskVmThread(lock, Request::kBoot);
}

Result<void> Vmm::PauseVm() {
  std::lock_guard lock(mu_);
  if (state_ != VmmState::kRunning || vm_ == nullptr) return WrongState("cannot pause", state_);
  Emit("vm", "pausing");
  PETREL_TRY(vm_->Pause());
  state_ = VmmState::kPaused;
  Emit("vm", "paused");
  return Ok();
}

Result<void> Vmm::ResumeVm() {
  std::lock_guard lock(mu_);
  return ResumeLocked();
}

Result<void> Vmm::ResumeLocked() {
  if (state_ != VmmState::kPaused || vm_ == nullptr) return WrongState("cannot resume", state_);
  Emit("vm", "resuming");
  PETREL_TRY(vm_->Resume());
  state_ = VmmState::kRunning;
  Emit("vm", "resumed");
  return Ok();
}

Result<void> Vmm::PowerButton() {
  std::lock_guard lock(mu_);
  PETREL_ASSIGN_OR_RETURN(VmInstance * vm, RunningVm("cannot press the power button"));
  vm->PressPowerButton();
  return Ok();
}

Result<void> Vmm::Nmi() {
  std::lock_guard lock(mu_);
  PETREL_ASSIGN_OR_RETURN(VmInstance * vm, RunningVm("cannot inject an NMI"));
  return vm->InjectNmi();
}

Result<void> Vmm::ResizeDiskVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::ResizeDiskRequest request,
                          config::ParseResizeDiskJson(body_json));
  return ResizeDisk(request);
}

Result<void> Vmm::ResizeDisk(const config::ResizeDiskRequest& request) {
  std::lock_guard lock(mu_);
  PETREL_ASSIGN_OR_RETURN(VmInstance * vm, RunningVm("cannot resize a disk"));
  Result<void> grown = vm->ResizeDisk(request.id, request.desired_size);
  if (!grown.ok() && (grown.error().code() == ErrorCode::kUnsupported ||
                      grown.error().code() == ErrorCode::kFailedPrecondition)) {
    // The disk cannot take it (a format without resize, read-only): the
    // request's fault as far as the client is concerned.
    return Error(ErrorCode::kInvalidArgument, grown.error().message());
  }
  return grown;
}

Result<void> Vmm::ShutdownVm() {
  std::unique_lock lock(mu_);
  if (vm_ == nullptr) return WrongState("cannot shut down", state_);
  return AskVmThread(lock, Request::kShutdown);
}

Result<void> Vmm::RebootVm() {
  std::unique_lock lock(mu_);
  // CH answers a reboot without a VM with VmNotCreated (404).
  if (vm_ == nullptr) return Error(ErrorCode::kNotFound, "no VM is running to reboot");
  return AskVmThread(lock, Request::kReboot);
}

Result<void> Vmm::DeleteVm() {
  std::unique_lock lock(mu_);
  if (!config_) return Ok();
  if (vm_ != nullptr) PETREL_TRY(AskVmThread(lock, Request::kShutdown));
  ForgetConfig();
  cmos_.reset();
  state_ = VmmState::kNone;
  Emit("vm", "deleted");
  return Ok();
}

Result<void> Vmm::ShutdownVmm() {
  PETREL_TRY(DeleteVm());
  RequestExit(0);
  return Ok();
}

Result<void> Vmm::SnapshotVm(std::string_view body_json) {
  PETREL_ASSIGN_OR_RETURN(config::SnapshotConfig request, config::SnapshotConfigFromJson(body_json));
  return Snapshot(request);
}

Result<void> Vmm::RestoreVm(std::string_view body_json, std::vector<UniqueFd> fds) {
  // `fds` close on every early return: nothing received stays open unused.
  PETREL_ASSIGN_OR_RETURN(config::RestoreConfig request, config::RestoreConfigFromJson(body_json));
  std::vector<int> numbers;
  for (const UniqueFd& fd : fds) numbers.push_back(fd.get());
  PETREL_TRY(config::AttachReceivedFds(request.net_fds, numbers));
  return Restore(request, std::move(fds));
}

Result<void> Vmm::Snapshot(const config::SnapshotConfig& request) {
  PETREL_ASSIGN_OR_RETURN(std::string dir,
                          config::SnapshotDirectoryFromUrl(request.destination_url));
  std::lock_guard lock(mu_);
  // CH snapshots only a paused VM (VmSnapshot needs VmState::Paused).
  if (state_ != VmmState::kPaused || vm_ == nullptr) return WrongState("cannot snapshot", state_);
  Emit("vm", "snapshotting");
  PETREL_ASSIGN_OR_RETURN(VmSnapshotState state, vm_->SaveSnapshotState());
  PETREL_TRY(snapshot::WriteSnapshot(dir, *config_, state, vm_->memory()));
  Emit("vm", "snapshotted");
  return Ok();
}

Result<void> Vmm::Restore(const config::RestoreConfig& request, std::vector<UniqueFd> owned_fds) {
  PETREL_ASSIGN_OR_RETURN(std::string dir, config::SnapshotDirectoryFromUrl(request.source_url));
  std::unique_lock lock(mu_);
  if (config_) return WrongState("cannot restore: a VM is already created", state_);
  if (receiving_) return WrongState("cannot restore: a migration is being received", state_);
  Emit("vm", "restoring");
  snapshot::ReadOptions read;
  read.on_demand = request.memory_restore_mode == config::MemoryRestoreMode::kOnDemand;
  read.prefault = request.prefault;
  PETREL_ASSIGN_OR_RETURN(snapshot::Snapshot snap, snapshot::ReadSnapshot(dir, read));
  PETREL_TRY(config::ApplyRestoredNetFds(request.net_fds, snap.config).Wrap("restoring " + dir));
  received_net_fds_ = std::move(owned_fds);
  PETREL_TRY(BuildRestoredVm(lock, std::move(snap.config),
                             PendingRestore{std::move(snap.state), std::move(snap.memory)})
                 .Wrap("restoring " + dir));
  Emit("vm", "restored");
  if (!request.resume) return Ok();
  return ResumeLocked();
}

Result<void> Vmm::BuildRestoredVm(std::unique_lock<std::mutex>& lock, config::VmConfig config,
                                  PendingRestore restore) {
  config_ = std::move(config);
  state_ = VmmState::kCreated;
  restore_ = std::move(restore);
  Result<void> built = AskVmThread(lock, Request::kBoot);
  if (!built.ok()) {
    // Nothing of the snapshot stays: the VMM is empty again, as before.
    restore_.reset();
    if (vm_ == nullptr) {
      ForgetConfig();
      state_ = VmmState::kNone;
    }
    return built;
  }
  return Ok();
}

void Vmm::ForgetConfig() {
  config_.reset();
  landlocked_ = false;  // the thread stays confined; the next config's rules add to it
  received_net_fds_.clear();
  added_net_fds_.clear();
}

void Vmm::DropVm(std::unique_lock<std::mutex>& lock) {
  restore_.reset();
  if (vm_ != nullptr) {
    Result<void> stopped = AskVmThread(lock, Request::kShutdown);
    if (!stopped.ok()) {
      PETREL_LOG(kError) << "dropping the VM: " << stopped.error().message();
    }
  }
  if (vm_ == nullptr) {
    ForgetConfig();
    cmos_.reset();
    state_ = VmmState::kNone;
  }
}

Result<std::string> Vmm::VmInfoJson() {
  std::lock_guard lock(mu_);
  if (!config_) return Error(ErrorCode::kNotFound, "no VM is created");
  // Cloud Hypervisor's VmInfo: config (the same JSON vm.create reads),
  // state, memory_actual_size, and device_tree while a VM exists.
  json info;
  info["config"] = config::VmConfigToJson(*config_);
  info["state"] = VmmStateName(state_);
  // CH: the guest's RAM (here: boot RAM plus what virtio-mem has plugged)
  // less what its balloon holds.
  uint64_t actual = config_->memory.boot_size();
  if (vm_ != nullptr) actual += vm_->virtio().mem_plugged_size();
  if (vm_ != nullptr) actual += vm_->acpi_plugged_bytes();
  if (vm_ != nullptr && vm_->virtio().balloon() != nullptr) {
    actual -= std::min(vm_->virtio().balloon()->actual_bytes(), actual);
  }
  info["memory_actual_size"] = actual;
  if (vm_ != nullptr) {
    json tree = json::object();
    for (const auto& placed : vm_->virtio().devices()) tree[placed.name] = DeviceNode(placed);
    info["device_tree"] = std::move(tree);
  }
  // Paths and the command line may hold any bytes (the CLI takes them as
  // they are); JsonText replaces invalid UTF-8 rather than throwing.
  return api::JsonText(info);
}

Result<std::string> Vmm::VmCountersJson() {
  std::lock_guard lock(mu_);
  PETREL_ASSIGN_OR_RETURN(VmInstance * vm, RunningVm("no counters"));
  json counters = json::object();
  // The balloon's statistics are the driver's last report; ask for fresh
  // ones for the next call.
  if (vm->virtio().balloon() != nullptr) vm->virtio().balloon()->RequestStats();
  for (const auto& placed : vm->virtio().devices()) {
    json& device = counters[placed.name];
    device = json::object();
    for (const auto& [name, value] : placed.device->device().Counters()) device[name] = value;
    // The guest's protocol faults the transport counted (Petrel's own).
    const auto faults = placed.device->counters();
    device["bad_accesses"] = faults.bad_accesses;
    device["failures"] = faults.failures;
    device["ignored_notifies"] = faults.ignored_notifies;
  }
  return api::JsonText(counters);
}

}  // namespace petrel::vmm
