// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmmControl: what the API server asks of the VMM. The VMM (vmm/vmm.h)
// implements it; the server (and tests, with a fake) call it.
//
// Every method runs on the API server's event-loop thread. Most return at
// once; vm.boot and vm.reboot wait until the VM runs (or failed to start),
// as Cloud Hypervisor's do, and vm.pause until every vCPU and device worker
// is quiet. The response is written right after the method returns, before
// the loop runs anything else, so ShutdownVmm() may hand the VMM's exit to
// another thread and the client still gets its 204.
//
// Errors become HTTP responses as Cloud Hypervisor maps them
// (vmm/src/api/http/mod.rs): ErrorCode::kNotFound -> 404 (no VM config:
// VmNotCreated / VmMissingConfig), kInvalidArgument -> 400 (a config that
// fails validation), kAlreadyExists -> 409 (a duplicate device id), kBusy ->
// 429, anything else -> 500 (e.g. a request in the wrong state); the body is
// the CH-style JSON array of messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/base/unique_fd.h"

namespace petrel::api {

class VmmControl {
 public:
  virtual ~VmmControl() = default;
  // PUT /api/v1/vm.create: store a VmConfig (CH's JSON schema) to boot later.
  virtual Result<void> CreateVm(std::string_view config_json) = 0;
  // PUT /api/v1/vm.boot: build the VM from the stored config and run it.
  virtual Result<void> BootVm() = 0;
  // PUT /api/v1/vm.pause and vm.resume.
  virtual Result<void> PauseVm() = 0;
  virtual Result<void> ResumeVm() = 0;
  // PUT /api/v1/vm.power-button: raise the ACPI power-button event.
  virtual Result<void> PowerButton() = 0;
  // PUT /api/v1/vm.nmi: an NMI to every vCPU.
  virtual Result<void> Nmi() = 0;
  // PUT /api/v1/vm.shutdown: stop the VM (the VMM and the config stay).
  virtual Result<void> ShutdownVm() = 0;
  // PUT /api/v1/vm.reboot: reset the VM.
  virtual Result<void> RebootVm() = 0;
  // PUT /api/v1/vm.delete: stop the VM if it runs and forget its config.
  virtual Result<void> DeleteVm() = 0;
  // PUT /api/v1/vmm.shutdown: delete the VM and stop the VMM process.
  virtual Result<void> ShutdownVmm() = 0;
  // PUT /api/v1/vm.snapshot: write the paused VM to a directory (body: CH's
  // VmSnapshotConfig JSON).
  virtual Result<void> SnapshotVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.restore: build the VM from a snapshot (body: CH's
  // RestoreConfig JSON), paused unless it asks to resume. `fds`: the fds the
  // request carried (SCM_RIGHTS), new tap fds for the body's net_fds in
  // order; the VMM keeps what it uses and closes the rest.
  virtual Result<void> RestoreVm(std::string_view body_json, std::vector<UniqueFd> fds) = 0;
  // PUT /api/v1/vm.resize: vCPUs, memory or balloon to a new size (body:
  // CH's VmResize); answers once the guest has been asked (it onlines or
  // ejects vCPUs afterwards).
  virtual Result<void> ResizeVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.resize-disk: grow a disk of the running VM (body: CH's
  // VmResizeDisk); its driver is told at once.
  virtual Result<void> ResizeDiskVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.resize-zone: a memory zone (--memory-zone) to a new size
  // (body: CH's VmResizeZone {"id", "desired_ram"}), through the zone's
  // virtio-mem device.
  virtual Result<void> ResizeZoneVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.add-disk and vm.add-net: hot-plug a device (body: CH's
  // DiskConfig / NetConfig). The answer is CH's PciDeviceInfo JSON for a
  // running VM; empty (204) when the VM is not booted, where the device
  // only joins the config.
  virtual Result<std::string> AddDiskVm(std::string_view body_json) = 0;
  // `fds`: tap fds the request carried (SCM_RIGHTS, as ch-remote sends
  // add-net's fd=[...]): when there are any they are the net's fds, in
  // place of the numbers in the body (CH's rule), and the VMM keeps them
  // while the net is in its config.
  virtual Result<std::string> AddNetVm(std::string_view body_json, std::vector<UniqueFd> fds) = 0;
  // PUT /api/v1/vm.add-pmem (body: CH's PmemConfig), as vm.add-disk.
  virtual Result<std::string> AddPmemVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.add-vsock (body: CH's VsockConfig), as vm.add-disk.
  virtual Result<std::string> AddVsockVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.remove-device: hot-unplug a device (body: CH's
  // VmRemoveDevice); answers once the guest has been asked (it ejects the
  // device afterwards).
  virtual Result<void> RemoveDeviceVm(std::string_view body_json) = 0;
  // PUT /api/v1/vm.send-migration: migrate the VM to another VMM (body:
  // CH's SendMigrationData); answers once the migration ended.
  virtual Result<void> SendMigration(std::string_view body_json) = 0;
  // PUT /api/v1/vm.receive-migration: wait for a migration and become its
  // VM (body: CH's ReceiveMigrationData); answers once it ended.
  virtual Result<void> ReceiveMigration(std::string_view body_json) = 0;
  // GET /api/v1/vm.info: a JSON object with at least "config" and "state"
  // (CH's VmInfo: config, state, memory_actual_size, device_tree). The
  // server checks it is a JSON object and sends it as the body.
  virtual Result<std::string> VmInfoJson() = 0;
  // GET /api/v1/vm.counters: a JSON object, device id -> counter name ->
  // value (CH's vm.counters).
  virtual Result<std::string> VmCountersJson() = 0;
};

}  // namespace petrel::api
