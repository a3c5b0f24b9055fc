// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioDevices (see virtio_devices.h).
#include "vmm/virtio_devices.h"

#include <map>
#include <mutex>

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

VirtioDevices::~VirtioDevices() {
  for (auto& worker : workers_) worker->Stop();
  devices_.clear();  // on this thread, with no handler running
}

void VirtioDevices::PauseWorkers() {
  for (auto& worker : workers_) worker->Stop();
}

Result<void> VirtioDevices::ResumeWorkers() {
  Result<void> first = Ok();
  for (auto& worker : workers_) {
    Result<void> r = worker->Start();
    if (!r.ok() && first.ok()) first = std::move(r).Wrap("resuming worker " + worker->name());
  }
  return first;
}

template <class Device>
Result<void> VirtioDevices::Place(const VirtioDevicesArgs& args, std::string name,
                                  std::shared_ptr<Device> device) {
  PETREL_TRY(PlaceTransport(args, name, device));
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
                                           std::shared_ptr<virtio::VirtioDevice> device) {
  // A handler that throws fails the device it serves.
  auto served = std::make_shared<std::weak_ptr<virtio::VirtioPciDevice>>();
  auto on_fault = [served](const std::string& what) {
    if (auto dev = served->lock()) dev->FailFromHost("worker: " + what);
  };
  // One worker per queue group (issue 8): "<name>-q<k>"; group 0's loop is
  // also the device's control loop (activation, reset).
  // Its workers' threads may do what the hypervisor and the device need,
  // and a console's output.
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
  devices_.push_back({name, 0, pci_device, w});  // kept from here on, placed or not
  PETREL_ASSIGN_OR_RETURN(uint8_t slot, args.pci->AddDevice(pci_device).Wrap(name));
  devices_.back().slot = slot;
  PETREL_LOG(kInfo) << name << ": PCI 00:" << std::hex << int{slot} << ".0";
  for (size_t i = first; i < workers_.size(); ++i) PETREL_TRY(workers_[i]->Start());
  return Ok();
}

Result<void> VirtioDevices::PlaceAll(const VirtioDevicesArgs& args) {
  auto place = [&](std::string name, auto device) {
    return Place(args, std::move(name), std::shared_ptr(std::move(device)));
  };
  if (args.console_output != nullptr) {
    ConsoleOutput* out = args.console_output;
    console_ = std::make_shared<virtio::ConsoleDevice>(
        [out](std::span<const uint8_t> bytes) { out->Write(bytes); });
    PETREL_TRY(place(config::kConsoleDeviceId, console_));
  }

  PETREL_ASSIGN_OR_RETURN(auto rng_device,
                          virtio::RngDevice::Create(args.config->rng).Wrap("--rng"));
  PETREL_TRY(place(config::kRngDeviceId, std::move(rng_device)));

  // One limiter per --rate-limit-group, shared by the disks naming it; its
  // buckets start full (any time in the past fills them).
  std::map<std::string, std::shared_ptr<ratelimit::SharedRateLimiter>> groups;
  for (const ratelimit::RateLimitGroupConfig& group : args.config->rate_limit_groups) {
    groups[group.id] =
        std::make_shared<ratelimit::SharedRateLimiter>(group.rate_limiter_config, 0);
  }
  for (size_t i = 0; i < args.config->disks.size(); ++i) {
    const virtio::DiskConfig& disk = args.config->disks[i];
    const std::string name = disk.id.empty() ? "disk" + std::to_string(i) : disk.id;
    PETREL_ASSIGN_OR_RETURN(auto blk_device,
                            virtio::BlkDevice::Create(disk).Wrap("--disk " + disk.path));
    if (disk.rate_limit_group) {
      auto group = groups.find(*disk.rate_limit_group);
      if (group == groups.end()) {
        return Error(ErrorCode::kInvalidArgument, "--disk " + disk.path + ": rate_limit_group=" +
                                                      *disk.rate_limit_group + ": no such group");
      }
      blk_device->UseRateLimitGroup(group->second);
    }
    std::shared_ptr<virtio::BlkDevice> shared = std::move(blk_device);
    PETREL_TRY(Place(args, name, shared));
    // Place() kept the transport, placed or not.
    disks_.push_back({name, shared, devices_.back().device});
  }

  for (size_t i = 0; i < args.config->nets.size(); ++i) {
    const virtio::NetConfig& net = args.config->nets[i];
    const std::string name = net.id.empty() ? "net" + std::to_string(i) : net.id;
    SystemRandom system_random;  // only for the MAC when none is given
    RandomSource& random = args.random != nullptr ? *args.random : system_random;
    PETREL_ASSIGN_OR_RETURN(auto net_device,
                            virtio::VirtioNet::Create(net, random).Wrap("--net " + name));
    PETREL_LOG(kInfo) << name << ": tap " << net_device->tap_name();
    PETREL_TRY(place(name, std::move(net_device)));
  }

  // Last, so a balloon never moves the other devices' PCI slots.
  if (args.config->balloon) {
    PETREL_TRY(virtio::Validate(*args.config->balloon).Wrap("--balloon"));
    balloon_ = std::make_shared<virtio::BalloonDevice>(*args.config->balloon);
    PETREL_TRY(Place(args, config::kBalloonDeviceId, balloon_));
    balloon_transport_ = devices_.back().device;
  }
  return Ok();
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
  Result<void> first = Ok();
  for (const auto& disk : disks_) {
    Result<void> locked = disk.device->LockImage();
    if (!locked.ok() && first.ok()) first = std::move(locked);
  }
  return first;
}

void VirtioDevices::UnlockDisks() {
  for (const auto& disk : disks_) disk.device->UnlockImage();
}

Result<void> VirtioDevices::ResizeDisk(std::string_view id, uint64_t new_bytes) {
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
  auto latch = std::make_shared<Latch>();
  latch->left = devices_.size();
  for (const Placed& d : devices_) {
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
  for (const Placed& d : devices_) d.device->Unquiesce();
}

}  // namespace petrel::vmm
