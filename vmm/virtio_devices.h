// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioDevices: the virtio-pci devices a VmConfig asks for -- virtio-console
// (unless --console off), virtio-rng (always, as Cloud Hypervisor), one
// virtio-blk per --disk, one virtio-net per --net, one virtio-pmem per
// --pmem, --vsock's virtio-vsock, --balloon's virtio-balloon, one virtio-mem per memory zone with a
// hot-plug area, --watchdog's virtio-watchdog -- created and placed on the
// VM's PCI bus in that fixed order (each kind in command-line order), so
// slots, BAR addresses and pmem addresses are the same on every boot.
//
// virtio-pmem: its file (PmemBacking) is mapped into the guest with
// hv::Vm::MapDeviceMemory at an address PciPlatform::AllocateMemory gives
// (the 64-bit PCI window, 2 MiB aligned, as Cloud Hypervisor); the mapping
// goes in the destructor, before the file's.
//
// Each device runs on workers of its own (core/event/worker.h), one per
// queue group (VirtioDevice::QueueGroups; named "<name>-q<k>"): a queue's
// doorbells, I/O completions and tap reads are handled on its group's
// worker, so a device (or queue pair) a guest keeps busy delays only itself. The workers start as
// the devices are placed; a handler that throws fails only its device
// (DEVICE_NEEDS_RESET), never the VMM.
//
// virtio-iommu: a VM whose config has one (config::HasIommu) gets it as
// "__iommu", placed after the other devices PlaceAll places (as Cloud
// Hypervisor adds it after the devices behind it), before the balloon and
// virtio-mem. Each device with iommu=on goes behind it: its endpoint id is
// its BDF, its transport translates every guest address through the
// IOMMU's mappings (VirtioPciOptions::dma), and iommu_topology() gives the
// VIOT table what it describes. Its mappings are its type state in a
// snapshot (VmInstance restores them before the devices behind it). A
// device behind the IOMMU cannot be
// hot-plugged (as in Cloud Hypervisor, whose hot-plug behind it needs an
// iommu segment).
//
// Each device is made from its config struct as the user gave it (already
// validated by the CLI or the API); the block I/O engine is the disk's
// io_engine option (auto: io_uring, falling back to synchronous I/O).
//
// PCI hot-plug: AddDisk / AddNet create a device while the guest runs and
// place it in the lowest free slot (its workers start); RemoveAt takes an
// ejected device off the bus and destroys it (its workers stop first, and
// go last, as in the destructor). A restore places every device in the
// slot it had (VirtioDevicesArgs::slots), so hot-plugged devices come back
// where the guest saw them.
//
// Thread-safety: the device list has a lock; one thread at a time adds or
// removes (the VM thread), any thread may read the list (devices(), a copy).
//
// Lifetime: the devices use the VM's IoDispatcher and hv::Vm; destroy this
// before them, and after the PciPlatform (which holds the devices too). The
// destructor stops every worker (joins its thread), then destroys the
// devices, then the workers.
#pragma once

#include <chrono>
#include <variant>
#include <functional>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "core/event/event_loop.h"
#include "core/event/worker.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "vmm/config/vm_config.h"
#include "devices/virtio/console/console_device.h"
#include "vmm/console_output.h"
#include "core/acpi/tables.h"
#include "devices/virtio/balloon/balloon_device.h"
#include "devices/virtio/iommu/iommu_device.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/mem/mem_device.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/pmem/pmem_backing.h"
#include "devices/virtio/pmem/pmem_device.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "devices/virtio/watchdog/watchdog_device.h"
#include "core/ratelimit/shared_rate_limiter.h"
#include "vmm/pci_platform.h"
#include "vmm/vmm_events.h"

namespace petrel::vmm {

// A device type's own snapshot state, beside its transport's: virtio-blk's
// cache mode, virtio-net's MAC, queue pairs and offloads, virtio-console's
// size and pending input, virtio-balloon's target and actual size,
// virtio-mem's requested size and plugged blocks, virtio-watchdog's armed
// flag, virtio-pmem's guest address and size, virtio-vsock's guest cid and
// open connections, virtio-iommu's domains, endpoints and mappings;
// virtio-rng has none (monostate).
using VirtioTypeState =
    std::variant<std::monostate, virtio::BlkDeviceState, virtio::VirtioNetState,
                 virtio::ConsoleDeviceState, virtio::BalloonDeviceState, virtio::MemDeviceState,
                 virtio::WatchdogDeviceState, virtio::PmemDeviceState, virtio::VsockDeviceState,
                 virtio::IommuMappings::State>;

struct VirtioDevicesArgs {
  const config::VmConfig* config;
  std::shared_ptr<GuestMemory> memory;
  WorkerFactory* workers;  // one worker per queue group of each device
  IoDispatcher* io;
  hv::Vm* vm;
  PciPlatform* pci;
  // --console's sink; nullptr with --console off (no virtio-console).
  ConsoleOutput* console_output = nullptr;
  // Generates the MAC of a --net without mac=; nullptr: SystemRandom.
  RandomSource* random = nullptr;
  // Gets each device's "virtio-device" activated/reset events (with its id);
  // nullptr: none.
  VmmEvents* events = nullptr;
  // --watchdog's device asks for a VM reset (on its worker's thread) with
  // why; nullptr: the request is only logged.
  std::function<void(const std::string& why)> on_watchdog_expired;
  // What the hypervisor asks of the kernel on a device worker's thread
  // (hv::ThreadKind::kDeviceWorker); each worker's list adds its device's.
  isolation::SyscallRules worker_syscalls;
  // A restore: the PCI slot each device had, by device id (a device not
  // listed takes the lowest free slot), and where each pmem device's memory
  // was (else the lowest free range).
  std::map<std::string, uint8_t> slots;
  std::map<std::string, uint64_t> pmem_addresses;
};

class VirtioDevices {
 public:
  VirtioDevices() = default;
  // Creates and places every device `args.config` asks for. On an error the
  // devices placed so far stay (the PCI bus holds them already) and are torn
  // down with this object as usual.
  Result<void> PlaceAll(const VirtioDevicesArgs& args);
  ~VirtioDevices();
  VirtioDevices(const VirtioDevices&) = delete;
  VirtioDevices& operator=(const VirtioDevices&) = delete;

  struct Placed {
    std::string name;  // the device id: "__rng", "_disk0", a user's id=, ...
    uint8_t slot;
    std::shared_ptr<virtio::VirtioPciDevice> device;
    Worker* worker;  // its group 0 worker: activation, reset, group 0's queues
    std::vector<Worker*> workers;  // all of its workers, group order
    // The device type's state (with the VM paused), and its restore (into a
    // device not yet active, before the transport's Restore).
    std::function<VirtioTypeState()> save_type;
    std::function<Result<void>(const VirtioTypeState&)> restore_type;
  };
  // Every device, in placement order (a copy: hot-plug may change the list).
  std::vector<Placed> devices() const;
  // The virtio-console, or nullptr with --console off.
  virtio::ConsoleDevice* console() const { return console_.get(); }

  // Pause (VmInstance::Pause): stops every worker (Worker::Stop: returns
  // once none of its handlers runs, and none runs until Start), so no
  // virtqueue is processed; work that arrives meanwhile (a doorbell, an I/O
  // completion, a tap packet) waits in the worker's loop. ResumeWorkers
  // starts them again; the first error is returned after trying them all.
  void PauseWorkers();
  Result<void> ResumeWorkers();
  // Before PauseWorkers (workers running): every device finishes the
  // requests it has in flight and takes no new ones
  // (VirtioPciDevice::Quiesce), so none is in flight in a snapshot.
  // kBusy if that takes longer than `timeout` (the devices are then told
  // to go on). UnquiesceAll, after ResumeWorkers, lets them serve again.
  Result<void> QuiesceAll(std::chrono::milliseconds timeout);
  void UnquiesceAll();
  // The disks' image locks (BlkDevice::LockImage): released when a live
  // migration hands the VM over, taken back if this VMM resumes it. Lock
  // tries every disk and returns the first error.
  Result<void> LockDisks();
  void UnlockDisks();
  // vm.resize-disk: grows the disk with device id `id` (BlkDevice::Grow)
  // and tells its driver. kNotFound for an id that is no disk.
  Result<void> ResizeDisk(std::string_view id, uint64_t new_bytes);
  // PCI hot-plug (vm.add-disk, vm.add-net, after PlaceAll): creates the
  // device from its config (validated, its id set and unused) and places
  // it in the lowest free slot; its workers start. On an error nothing of
  // it stays. Returns its entry.
  Result<Placed> AddDisk(const virtio::DiskConfig& disk);
  // Hot-plug of a virtio-pmem: its file mapped into the guest as at boot.
  Result<Placed> AddPmem(const virtio::PmemConfig& pmem);
  // Hot-plug of the virtio-vsock device (one per VM: the caller checks).
  Result<Placed> AddVsock(const virtio::VsockConfig& vsock);
  Result<Placed> AddNet(const virtio::NetConfig& net);
  // The device with id `id`, if any.
  std::optional<Placed> Find(std::string_view id) const;
  // PCI hot-unplug, once the guest has ejected the device in `slot`: its
  // workers stop, it leaves the bus (PciPlatform::RemoveDevice) and this
  // list, and it is destroyed, its workers after it. Returns its id.
  // kNotFound if no device of this list is in the slot.
  Result<std::string> RemoveAt(uint8_t slot);

  // The virtio-mem device of memory zone `id` (--memory
  // hotplug_method=virtio-mem: the default zone "mem0"; --memory-zone
  // hotplug_size=: that zone's), or nullptr.
  virtio::MemDevice* mem(std::string_view id = config::kDefaultMemoryZoneId) const;
  // What every virtio-mem device has plugged, added up.
  uint64_t mem_plugged_size() const;
  // vm.resize desired_ram, vm.resize-zone: the bytes of zone `id`'s
  // hot-plug area the guest is asked to plug, told to its driver.
  // kFailedPrecondition without such a device; the device refuses sizes it
  // cannot take.
  Result<void> SetMemRequestedSize(std::string_view id, uint64_t bytes);

  // --balloon's device, or nullptr.
  virtio::BalloonDevice* balloon() const { return balloon_.get(); }
  // The virtio-iommu, or nullptr.
  virtio::IommuDevice* iommu() const { return iommu_.get(); }
  // What the VIOT table describes (after PlaceAll): the IOMMU's BDF and the
  // BDFs behind it, in placement order; nullopt without an IOMMU.
  std::optional<acpi::AcpiConfig::Iommu> iommu_topology() const;
  // vm.resize desired_balloon: the balloon's new target, told to its driver.
  // kFailedPrecondition without a balloon.
  Result<void> SetBalloonTarget(uint64_t bytes);

 private:
  // `behind_iommu`: the device's DMA goes through the virtio-iommu.
  template <class Device>
  Result<void> Place(const VirtioDevicesArgs& args, std::string name,
                     std::shared_ptr<Device> device, bool behind_iommu = false);
  Result<void> PlaceTransport(const VirtioDevicesArgs& args, std::string name,
                              std::shared_ptr<virtio::VirtioDevice> device, bool behind_iommu);

  // Opens and maps one pmem file (at `at`, or the lowest free range) and
  // makes its device, not yet placed; DropPmem undoes it (a failed
  // placement, a removal).
  Result<std::shared_ptr<virtio::PmemDevice>> MakePmem(const virtio::PmemConfig& config,
                                                       std::optional<uint64_t> at);
  void DropPmem(const std::string& id);
  // The vsock device of `config`, its host socket bound; not yet placed.
  Result<std::shared_ptr<virtio::VsockDevice>> MakeVsock(const virtio::VsockConfig& config);
  // The disk `disk`, not yet placed, with its rate-limit group.
  Result<std::shared_ptr<virtio::BlkDevice>> MakeDisk(const virtio::DiskConfig& disk);
  // Hot-plug's Place(): on an error nothing of the device stays.
  template <class Device>
  Result<Placed> PlaceHotplugged(const std::string& id, std::shared_ptr<Device> device);
  // After a failed hot-add: drops the last entry and its workers.
  void DiscardLastLocked();

  VirtioDevicesArgs args_;  // PlaceAll's, for hot-plug (config and slots cleared)
  // One limiter per --rate-limit-group, shared by the disks naming it.
  std::map<std::string, std::shared_ptr<ratelimit::SharedRateLimiter>> groups_;
  mutable std::mutex mu_;  // guards the lists below
  std::vector<std::unique_ptr<Worker>> workers_;  // outlive the devices
  std::vector<Placed> devices_;
  std::shared_ptr<virtio::ConsoleDevice> console_;
  struct Disk {
    std::string id;
    std::shared_ptr<virtio::BlkDevice> device;
    std::shared_ptr<virtio::VirtioPciDevice> transport;
  };
  std::vector<Disk> disks_;
  struct MemZone {
    std::string id;  // the memory zone's, and the device's
    std::shared_ptr<virtio::MemDevice> device;
    std::shared_ptr<virtio::VirtioPciDevice> transport;
  };
  std::vector<MemZone> mems_;  // one per zone with a hot-plug area, in zone order
  std::shared_ptr<virtio::BalloonDevice> balloon_;
  std::shared_ptr<virtio::VirtioPciDevice> balloon_transport_;
  struct Pmem {
    std::string id;
    std::shared_ptr<virtio::PmemBacking> backing;  // the device's flush holds it too
    uint64_t gpa;
    uint32_t mapping;  // hv::Vm::MapDeviceMemory's id
  };
  std::vector<Pmem> pmems_;
  hv::Vm* vm_ = nullptr;  // PlaceAll's, to unmap pmem
  std::shared_ptr<virtio::IommuDevice> iommu_;
  std::optional<uint8_t> iommu_slot_;        // once placed
  std::vector<uint16_t> iommu_endpoints_;    // BDFs behind it, placement order
};

}  // namespace petrel::vmm
