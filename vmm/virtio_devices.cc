// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioDevices (see virtio_devices.h).
#include "vmm/virtio_devices.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include <condition_variable>

#include "vmm/config/device_ids.h"

#include "core/base/log.h"
#include "core/base/random.h"
#include "core/ratelimit/shared_rate_limiter.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/rng/rng_device.h"

#include <type_traits>

namespace petrel::vmm {

namespace {

// Cloud Hypervisor refuses it too (InvalidIommuHotplug): the VIOT the
// guest read at boot does not name the new device.
Result<void> RefuseIommuHotplug(bool iommu, const std::string& id) {
  if (!iommu) return Ok();
  return Error(ErrorCode::kUnsupported,
               id + ": a device behind the virtio-iommu (iommu=on) cannot be hot-plugged");
}

}  // namespace

VirtioDevices::~VirtioDevices() {
  for (auto& worker : workers_) worker->Stop();
  devices_.clear();  // on this thread, with no handler running
  // The guest's view of each pmem file goes before the file's mapping.
  for (const Pmem& pmem : pmems_) {
    if (Result<void> r = vm_->UnmapDeviceMemory(pmem.mapping); !r.ok()) {
      PETREL_LOG(kError) << pmem.id << ": " << r.error().message();
    }
  }
}

void VirtioDevices::PauseWorkers() {
  std::lock_guard lock(mu_);
  for (auto& worker : workers_) worker->Stop();
}

Result<void> VirtioDevices::ResumeWorkers() {
  std::lock_guard lock(mu_);
  Result<void> first = Ok();
  for (auto& worker : workers_) {
    Result<void> r = worker->Start();
    if (!r.ok() && first.ok()) first = std::move(r).Wrap("resuming worker " + worker->name());
  }
  return first;
}

template <class Device>
Result<void> VirtioDevices::Place(const VirtioDevicesArgs& args, std::string name,
                                  std::shared_ptr<Device> device, bool behind_iommu) {
  PETREL_TRY(PlaceTransport(args, name, device, behind_iommu));
  std::lock_guard lock(mu_);
  Placed& placed = devices_.back();
  placed.save_type = [device]() -> VirtioTypeState {
    if constexpr (std::is_same_v<Device, virtio::RngDevice>) {
      return std::monostate{};
    } else {
      return device->Save();
    }
  };
  placed.restore_type = [device, name](const VirtioTypeState& state) -> Result<void> {
    if constexpr (std::is_same_v<Device, virtio::RngDevice>) {
      if (std::holds_alternative<std::monostate>(state)) return Ok();
    } else {
      using State = decltype(device->Save());
      if (const auto* typed = std::get_if<State>(&state)) return device->Restore(*typed);
    }
    return Error(ErrorCode::kInvalidArgument, name + ": the snapshot holds another device type's state");
  };
  return Ok();
}

Result<void> VirtioDevices::PlaceTransport(const VirtioDevicesArgs& args, std::string name,
                                           std::shared_ptr<virtio::VirtioDevice> device,
                                           bool behind_iommu) {
  // A handler that throws fails the device it serves.
  auto served = std::make_shared<std::weak_ptr<virtio::VirtioPciDevice>>();
  auto on_fault = [served](const std::string& what) {
    if (auto dev = served->lock()) dev->FailFromHost("worker: " + what);
  };
  // One worker per queue group (issue 8): "<name>-q<k>"; group 0's loop is
  // also the device's control loop (activation, reset).
  // Its workers' threads may do what the hypervisor and the device need,
  // and a console's output.
  std::lock_guard lock(mu_);
  isolation::SyscallRules syscalls = args.worker_syscalls;
  syscalls.Add(device->WorkerSyscalls());
  if (device == console_) syscalls.Add(ConsoleOutputSyscalls());
  std::vector<EventLoop*> loops;
  const size_t first = workers_.size();
  for (size_t k = 0; k < device->QueueGroups().size(); ++k) {
    const std::string wname = name + "-q" + std::to_string(k);
    PETREL_ASSIGN_OR_RETURN(auto worker,
                            args.workers->Create(wname, on_fault, syscalls).Wrap(wname));
    loops.push_back(&worker->loop());
    workers_.push_back(std::move(worker));
  }
  virtio::VirtioPciOptions options;
  options.name = name;
  std::optional<uint8_t> wanted;
  if (auto it = args.slots.find(name); it != args.slots.end()) wanted = it->second;
  if (behind_iommu) {
    if (iommu_ == nullptr) return Error(ErrorCode::kInternal, name + ": no virtio-iommu to go behind");
    // The endpoint id is the BDF, so the slot is chosen now.
    if (!wanted) {
      for (uint8_t slot = 1; slot < PciBus::kMaxDevices && !wanted; ++slot) {
        if (args.pci->bus().GetDevice(slot) == nullptr) wanted = slot;
      }
      if (!wanted) return Error(ErrorCode::kOutOfRange, name + ": no free PCI slot");
    }
    const uint16_t bdf = static_cast<uint16_t>(*wanted << 3);
    iommu_->mappings()->AddEndpoint(bdf);
    options.dma = iommu_->DmaFor(bdf);
  }
  if (VmmEvents* events = args.events) {
    options.on_lifecycle = [events, name](std::string_view event) {
      events->Emit("virtio-device", event, {{"id", name}});
    };
  }
  PETREL_ASSIGN_OR_RETURN(auto pci_device,
                          virtio::VirtioPciDevice::Create(std::move(device), args.memory, loops,
                                                          *args.io, args.vm, options)
                              .Wrap(name));
  *served = pci_device;
  Worker* w = workers_[first].get();
  std::vector<Worker*> its_workers;
  for (size_t i = first; i < workers_.size(); ++i) its_workers.push_back(workers_[i].get());
  devices_.push_back({name, 0, pci_device, w, its_workers});  // kept from here on, placed or not
  PETREL_ASSIGN_OR_RETURN(uint8_t slot, args.pci->AddDevice(pci_device, wanted).Wrap(name));
  devices_.back().slot = slot;
  if (behind_iommu) iommu_endpoints_.push_back(static_cast<uint16_t>(slot << 3));
  PETREL_LOG(kInfo) << name << ": PCI 00:" << std::hex << int{slot} << ".0";
  for (size_t i = first; i < workers_.size(); ++i) PETREL_TRY(workers_[i]->Start());
  return Ok();
}

Result<std::shared_ptr<virtio::BlkDevice>> VirtioDevices::MakeDisk(
    const virtio::DiskConfig& disk) {
  PETREL_ASSIGN_OR_RETURN(auto blk_device,
                          virtio::BlkDevice::Create(disk).Wrap("--disk " + disk.path));
  if (disk.rate_limit_group) {
    auto group = groups_.find(*disk.rate_limit_group);
    if (group == groups_.end()) {
      return Error(ErrorCode::kInvalidArgument, "--disk " + disk.path + ": rate_limit_group=" +
                                                    *disk.rate_limit_group + ": no such group");
    }
    blk_device->UseRateLimitGroup(group->second);
  }
  return std::shared_ptr<virtio::BlkDevice>(std::move(blk_device));
}

Result<void> VirtioDevices::PlaceAll(const VirtioDevicesArgs& args) {
  args_ = args;
  args_.config = nullptr;  // the boot's: hot-plug brings its own
  args_.slots.clear();
  auto place = [&](std::string name, auto device, bool behind_iommu = false) {
    return Place(args, std::move(name), std::shared_ptr(std::move(device)), behind_iommu);
  };
  // Made first, placed after the devices behind it (their DMA goes through it).
  if (config::HasIommu(*args.config)) iommu_ = std::make_shared<virtio::IommuDevice>(std::set<uint32_t>{});
  if (args.console_output != nullptr) {
    ConsoleOutput* out = args.console_output;
    console_ = std::make_shared<virtio::ConsoleDevice>(
        [out](std::span<const uint8_t> bytes) { out->Write(bytes); });
    PETREL_TRY(place(config::kConsoleDeviceId, console_));
  }

  PETREL_ASSIGN_OR_RETURN(auto rng_device,
                          virtio::RngDevice::Create(args.config->rng).Wrap("--rng"));
  PETREL_TRY(place(config::kRngDeviceId, std::move(rng_device), args.config->rng.iommu));

  // One limiter per --rate-limit-group, shared by the disks naming it; its
  // buckets start full (any time in the past fills them).
  for (const ratelimit::RateLimitGroupConfig& group : args.config->rate_limit_groups) {
    groups_[group.id] =
        std::make_shared<ratelimit::SharedRateLimiter>(group.rate_limiter_config, 0);
  }
  for (size_t i = 0; i < args.config->disks.size(); ++i) {
    const virtio::DiskConfig& disk = args.config->disks[i];
    const std::string name = disk.id.empty() ? "disk" + std::to_string(i) : disk.id;
    PETREL_ASSIGN_OR_RETURN(auto blk_device, MakeDisk(disk));
    PETREL_TRY(Place(args, name, blk_device, disk.iommu));
    // Place() kept the transport, placed or not.
    std::lock_guard lock(mu_);
    disks_.push_back({name, blk_device, devices_.back().device});
  }

  for (size_t i = 0; i < args.config->nets.size(); ++i) {
    const virtio::NetConfig& net = args.config->nets[i];
    const std::string name = net.id.empty() ? "net" + std::to_string(i) : net.id;
    SystemRandom system_random;  // only for the MAC when none is given
    RandomSource& random = args.random != nullptr ? *args.random : system_random;
    PETREL_ASSIGN_OR_RETURN(auto net_device,
                            virtio::VirtioNet::Create(net, random).Wrap("--net " + name));
    PETREL_LOG(kInfo) << name << ": tap " << net_device->tap_name();
    PETREL_TRY(place(name, std::move(net_device), net.iommu));
  }

  vm_ = args.vm;
  for (size_t i = 0; i < args.config->pmem.size(); ++i) {
    virtio::PmemConfig config = args.config->pmem[i];
    if (config.id.empty()) config.id = "pmem" + std::to_string(i);
    std::optional<uint64_t> at;
    if (auto it = args.pmem_addresses.find(config.id); it != args.pmem_addresses.end()) {
      at = it->second;
    }
    PETREL_ASSIGN_OR_RETURN(auto device, MakePmem(config, at));
    PETREL_TRY(Place(args, config.id, std::move(device), config.iommu));
  }
  if (args.config->vsock) {
    virtio::VsockConfig config = *args.config->vsock;
    if (config.id.empty()) config.id = "vsock0";
    PETREL_ASSIGN_OR_RETURN(auto vsock, MakeVsock(config));
    PETREL_TRY(Place(args, config.id, std::move(vsock), config.iommu));
  }
  if (iommu_ != nullptr) {
    PETREL_TRY(Place(args, config::kIommuDeviceId, iommu_));
    std::lock_guard lock(mu_);
    iommu_slot_ = devices_.back().slot;
  }

  // Last, so a balloon never moves the other devices' PCI slots.
  if (args.config->balloon) {
    PETREL_TRY(virtio::Validate(*args.config->balloon).Wrap("--balloon"));
    balloon_ = std::make_shared<virtio::BalloonDevice>(*args.config->balloon);
    PETREL_TRY(Place(args, config::kBalloonDeviceId, balloon_));
    balloon_transport_ = devices_.back().device;
  }
  // Then one virtio-mem device per zone with a hot-plug area, in zone
  // order, named after its zone (CH: "mem0", the default zone, for
  // --memory hotplug_method=virtio-mem).
  const config::MemoryConfig& memory = args.config->memory;
  const std::vector<config::MemoryZoneConfig> zones = memory.EffectiveZones();
  const bool virtio_mem =
      memory.user_zones() || memory.hotplug_method == config::HotplugMethod::kVirtioMem;
  for (uint32_t i = 0; virtio_mem && i < zones.size(); ++i) {
    const GuestRegion* area = args.memory->hotplug_area(i);
    if (area == nullptr) continue;
    virtio::VirtioMemConfig mem;
    mem.addr = area->gpa;
    mem.size = area->size;
    mem.requested_size = zones[i].hotplugged_size.value_or(0);
    mem.id = zones[i].id;
    // The guest NUMA node holding the zone (--numa memory_zones=), told
    // to the driver as VIRTIO_MEM_F_ACPI_PXM's node_id.
    for (const config::NumaConfig& node : args.config->numa) {
      const auto& names = node.memory_zones;
      if (names && std::find(names->begin(), names->end(), zones[i].id) != names->end()) {
        mem.numa_node = static_cast<uint16_t>(node.guest_numa_id);
      }
    }
    const std::string what = memory.user_zones() ? "--memory-zone id=" + zones[i].id
                                                 : std::string("--memory hotplug_method=virtio-mem");
    PETREL_ASSIGN_OR_RETURN(auto created, virtio::MemDevice::Create(mem).Wrap(what));
    std::shared_ptr<virtio::MemDevice> mem_device = std::move(created);
    PETREL_TRY(Place(args, zones[i].id, mem_device));
    std::lock_guard lock(mu_);
    mems_.push_back({zones[i].id, std::move(mem_device), devices_.back().device});
  }
  // Last of all (Cloud Hypervisor places it after virtio-mem and the
  // balloon too).
  if (args.config->watchdog) {
    auto on_expired = args.on_watchdog_expired;
    PETREL_TRY(Place(args, config::kWatchdogDeviceId,
                     std::make_shared<virtio::WatchdogDevice>([on_expired](const std::string& why) {
                       if (on_expired) on_expired(why);
                     })));
  }
  return Ok();
}

Result<std::shared_ptr<virtio::PmemDevice>> VirtioDevices::MakePmem(
    const virtio::PmemConfig& config, std::optional<uint64_t> at) {
  const std::string what = "pmem " + config.id;
  PETREL_TRY(virtio::Validate(config).Wrap(what));
  PETREL_ASSIGN_OR_RETURN(std::shared_ptr<virtio::PmemBacking> backing,
                          virtio::PmemBacking::Open(config).Wrap(what));
  PETREL_ASSIGN_OR_RETURN(
      uint64_t gpa,
      args_.pci->AllocateMemory(backing->size(), virtio::kPmemAlignment, at).Wrap(what));
  auto mapped = vm_->MapDeviceMemory(gpa, backing->size(), backing->data());
  if (!mapped.ok()) {
    args_.pci->ReleaseMemory(gpa);
    return std::move(mapped).error().Wrap(what);
  }
  {
    std::lock_guard lock(mu_);
    pmems_.push_back({config.id, backing, gpa, *mapped});
  }
  PETREL_LOG(kInfo) << config.id << ": " << config.file << " at guest 0x" << std::hex << gpa
                    << std::dec << " (" << backing->size() << " bytes"
                    << (config.discard_writes ? ", writes discarded)" : ")");
  return std::make_shared<virtio::PmemDevice>(gpa, backing->size(),
                                              [backing] { return backing->Flush(); });
}

void VirtioDevices::DropPmem(const std::string& id) {
  std::optional<Pmem> gone;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(pmems_.begin(), pmems_.end(), [&](const Pmem& p) { return p.id == id; });
    if (it == pmems_.end()) return;
    gone = std::move(*it);
    pmems_.erase(it);
  }
  if (Result<void> r = vm_->UnmapDeviceMemory(gone->mapping); !r.ok()) {
    PETREL_LOG(kError) << id << ": " << r.error().message();
  }
  args_.pci->ReleaseMemory(gone->gpa);
}

Result<VirtioDevices::Placed> VirtioDevices::AddPmem(const virtio::PmemConfig& pmem) {
  if (pmem.id.empty()) return Error(ErrorCode::kInvalidArgument, "a hot-plugged pmem needs an id");
  PETREL_TRY(RefuseIommuHotplug(pmem.iommu, pmem.id));
  PETREL_ASSIGN_OR_RETURN(auto device, MakePmem(pmem, std::nullopt));
  auto placed = PlaceHotplugged(pmem.id, std::move(device));
  if (!placed.ok()) DropPmem(pmem.id);
  return placed;
}

virtio::MemDevice* VirtioDevices::mem(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const MemZone& zone : mems_) {
    if (zone.id == id) return zone.device.get();
  }
  return nullptr;
}

uint64_t VirtioDevices::mem_plugged_size() const {
  std::lock_guard lock(mu_);
  uint64_t plugged = 0;
  for (const MemZone& zone : mems_) plugged += zone.device->plugged_size();
  return plugged;
}

Result<void> VirtioDevices::SetMemRequestedSize(std::string_view id, uint64_t bytes) {
  std::shared_ptr<virtio::MemDevice> device;
  std::shared_ptr<virtio::VirtioPciDevice> transport;
  {
    std::lock_guard lock(mu_);
    for (const MemZone& zone : mems_) {
      if (zone.id == id) {
        device = zone.device;
        transport = zone.transport;
      }
    }
  }
  if (device == nullptr) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the VM has no virtio-mem device " + std::string(id) +
                     " (--memory hotplug_method=virtio-mem,hotplug_size=, or a --memory-zone "
                     "with hotplug_size=)");
  }
  PETREL_TRY(device->SetRequestedSize(bytes));
  transport->NotifyConfigChanged();
  PETREL_LOG(kInfo) << "virtio-mem " << id << ": requested " << bytes << " bytes";
  return Ok();
}

std::vector<VirtioDevices::Placed> VirtioDevices::devices() const {
  std::lock_guard lock(mu_);
  return devices_;
}

std::optional<VirtioDevices::Placed> VirtioDevices::Find(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const Placed& d : devices_) {
    if (d.name == id) return d;
  }
  return std::nullopt;
}

void VirtioDevices::DiscardLastLocked() {
  if (devices_.empty()) return;
  Placed last = std::move(devices_.back());
  devices_.pop_back();
  std::vector<std::unique_ptr<Worker>> its_workers;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (std::find(last.workers.begin(), last.workers.end(), it->get()) != last.workers.end()) {
      (*it)->Stop();
      its_workers.push_back(std::move(*it));
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  last = {};  // the device before its workers
}

std::optional<acpi::AcpiConfig::Iommu> VirtioDevices::iommu_topology() const {
  std::lock_guard lock(mu_);
  if (iommu_ == nullptr || !iommu_slot_) return std::nullopt;
  return acpi::AcpiConfig::Iommu{.bdf = static_cast<uint16_t>(*iommu_slot_ << 3),
                                 .endpoints = iommu_endpoints_};
}

template <class Device>
Result<VirtioDevices::Placed> VirtioDevices::PlaceHotplugged(const std::string& id,
                                                             std::shared_ptr<Device> device) {
  const size_t before = devices().size();
  Result<void> placed = Place(args_, id, device);
  std::lock_guard lock(mu_);
  if (!placed.ok()) {
    if (devices_.size() > before) {  // Place() keeps the transport, placed or not
      if (devices_.back().slot != 0) (void)args_.pci->RemoveDevice(devices_.back().slot);
      DiscardLastLocked();
    }
    return placed.error();
  }
  if constexpr (std::is_same_v<Device, virtio::BlkDevice>) {
    disks_.push_back({id, device, devices_.back().device});
  }
  return devices_.back();
}

Result<std::shared_ptr<virtio::VsockDevice>> VirtioDevices::MakeVsock(
    const virtio::VsockConfig& config) {
  PETREL_ASSIGN_OR_RETURN(auto created, virtio::VsockDevice::Create(config).Wrap("vsock " + config.id));
  PETREL_LOG(kInfo) << config.id << ": guest cid " << config.cid << ", host socket "
                    << config.socket;
  return std::shared_ptr<virtio::VsockDevice>(std::move(created));
}

Result<VirtioDevices::Placed> VirtioDevices::AddVsock(const virtio::VsockConfig& vsock) {
  if (vsock.id.empty()) return Error(ErrorCode::kInvalidArgument, "a hot-plugged vsock needs an id");
  PETREL_TRY(RefuseIommuHotplug(vsock.iommu, vsock.id));
  PETREL_ASSIGN_OR_RETURN(auto device, MakeVsock(vsock));
  return PlaceHotplugged(vsock.id, std::move(device));
}

Result<VirtioDevices::Placed> VirtioDevices::AddDisk(const virtio::DiskConfig& disk) {
  if (disk.id.empty()) return Error(ErrorCode::kInvalidArgument, "a hot-plugged disk needs an id");
  PETREL_TRY(RefuseIommuHotplug(disk.iommu, disk.id));
  PETREL_ASSIGN_OR_RETURN(auto blk_device, MakeDisk(disk));
  return PlaceHotplugged(disk.id, blk_device);
}

Result<VirtioDevices::Placed> VirtioDevices::AddNet(const virtio::NetConfig& net) {
  if (net.id.empty()) return Error(ErrorCode::kInvalidArgument, "a hot-plugged net needs an id");
  PETREL_TRY(RefuseIommuHotplug(net.iommu, net.id));
  SystemRandom system_random;  // only for the MAC when none is given
  RandomSource& random = args_.random != nullptr ? *args_.random : system_random;
  PETREL_ASSIGN_OR_RETURN(auto net_device,
                          virtio::VirtioNet::Create(net, random).Wrap("net " + net.id));
  PETREL_LOG(kInfo) << net.id << ": tap " << net_device->tap_name();
  return PlaceHotplugged(net.id, std::shared_ptr(std::move(net_device)));
}

Result<std::string> VirtioDevices::RemoveAt(uint8_t slot) {
  Placed gone;
  std::vector<std::unique_ptr<Worker>> its_workers;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(devices_.begin(), devices_.end(),
                           [slot](const Placed& d) { return d.slot == slot && slot != 0; });
    if (it == devices_.end()) {
      return Error(ErrorCode::kNotFound, "no virtio device in PCI slot " + std::to_string(slot));
    }
    PETREL_TRY(args_.pci->RemoveDevice(slot).Wrap(it->name));
    gone = std::move(*it);
    devices_.erase(it);
    std::erase_if(disks_, [&](const Disk& d) { return d.transport == gone.device; });
    for (auto w = workers_.begin(); w != workers_.end();) {
      if (std::find(gone.workers.begin(), gone.workers.end(), w->get()) != gone.workers.end()) {
        its_workers.push_back(std::move(*w));
        w = workers_.erase(w);
      } else {
        ++w;
      }
    }
  }
  for (auto& w : its_workers) w->Stop();
  // A vCPU that was in one of its BARs as they were unmapped holds it a
  // moment longer; let that access end, so the device goes before its
  // workers' loops.
  for (int i = 0; i < 1000 && gone.device.use_count() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string id = gone.name;
  gone = {};
  its_workers.clear();
  DropPmem(id);  // a pmem's memory leaves the guest with its device
  PETREL_LOG(kInfo) << id << ": removed from PCI 00:" << std::hex << int{slot} << ".0";
  return id;
}

Result<void> VirtioDevices::SetBalloonTarget(uint64_t bytes) {
  if (balloon_ == nullptr) {
    return Error(ErrorCode::kFailedPrecondition, "the VM has no balloon (--balloon)");
  }
  PETREL_TRY(balloon_->SetTarget(bytes));
  balloon_transport_->NotifyConfigChanged();
  PETREL_LOG(kInfo) << "balloon: target " << bytes << " bytes";
  return Ok();
}

Result<void> VirtioDevices::LockDisks() {
  std::lock_guard lock(mu_);
  Result<void> first = Ok();
  for (const auto& disk : disks_) {
    Result<void> locked = disk.device->LockImage();
    if (!locked.ok() && first.ok()) first = std::move(locked);
  }
  return first;
}

void VirtioDevices::UnlockDisks() {
  std::lock_guard lock(mu_);
  for (const auto& disk : disks_) disk.device->UnlockImage();
}

Result<void> VirtioDevices::ResizeDisk(std::string_view id, uint64_t new_bytes) {
  std::lock_guard lock(mu_);
  for (const Disk& disk : disks_) {
    if (disk.id != id) continue;
    PETREL_TRY(disk.device->Grow(new_bytes).Wrap(disk.id));
    disk.transport->NotifyConfigChanged();
    PETREL_LOG(kInfo) << disk.id << ": grown to " << new_bytes << " bytes";
    return Ok();
  }
  return Error(ErrorCode::kNotFound, "no disk has the id '" + std::string(id) + "'");
}

Result<void> VirtioDevices::QuiesceAll(std::chrono::milliseconds timeout) {
  struct Latch {
    std::mutex mu;
    std::condition_variable cv;
    size_t left = 0;
  };
  const std::vector<Placed> devices = this->devices();
  auto latch = std::make_shared<Latch>();
  latch->left = devices.size();
  for (const Placed& d : devices) {
    d.device->Quiesce([latch] {
      std::lock_guard lock(latch->mu);
      if (--latch->left == 0) latch->cv.notify_all();
    });
  }
  std::unique_lock lock(latch->mu);
  if (!latch->cv.wait_for(lock, timeout, [&] { return latch->left == 0; })) {
    lock.unlock();
    UnquiesceAll();
    return Error(ErrorCode::kBusy, "virtio devices still had requests in flight after " +
                                       std::to_string(timeout.count()) + " ms");
  }
  return Ok();
}

void VirtioDevices::UnquiesceAll() {
  for (const Placed& d : devices()) d.device->Unquiesce();
}

}  // namespace petrel::vmm
