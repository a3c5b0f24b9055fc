// VirtioDevices (see virtio_devices.h).
#include "vmm/virtio_devices.h"

#include <cstdlib>

#include "core/base/log.h"
#include "devices/block/io_engine.h"
#include "core/base/random.h"
#include "devices/virtio/blk/blk_device.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/rng/rng_device.h"

namespace petrel::vmm {

namespace {

Result<IoEngineKind> EngineFromEnvironment() {
  const char* value = std::getenv("PETREL_IO_ENGINE");
  if (value == nullptr || *value == '\0') return IoEngineKind::kAuto;
  return ParseIoEngineKind(value).Wrap("PETREL_IO_ENGINE");
}

}  // namespace

VirtioDevices::~VirtioDevices() {
  for (auto& worker : workers_) worker->Stop();
  devices_.clear();  // on this thread, with no handler running
}

Result<void> VirtioDevices::Place(const VirtioDevicesArgs& args, std::string name,
                                  std::shared_ptr<virtio::VirtioDevice> device) {
  // A handler that throws fails the device it serves.
  auto served = std::make_shared<std::weak_ptr<virtio::VirtioPciDevice>>();
  auto on_fault = [served](const std::string& what) {
    if (auto dev = served->lock()) dev->FailFromHost("worker: " + what);
  };
  PETREL_ASSIGN_OR_RETURN(auto worker, args.workers->Create(name, on_fault).Wrap(name));
  virtio::VirtioPciOptions options;
  options.name = name;
  PETREL_ASSIGN_OR_RETURN(auto pci_device,
                          virtio::VirtioPciDevice::Create(std::move(device), args.memory,
                                                          worker->loop(), *args.io, args.vm,
                                                          options)
                              .Wrap(name));
  *served = pci_device;
  workers_.push_back(std::move(worker));
  Worker* w = workers_.back().get();
  devices_.push_back({name, 0, pci_device, w});  // kept from here on, placed or not
  PETREL_ASSIGN_OR_RETURN(uint8_t slot, args.pci->AddDevice(pci_device).Wrap(name));
  devices_.back().slot = slot;
  PETREL_LOG(kInfo) << name << ": PCI 00:" << std::hex << int{slot} << ".0";
  return w->Start();
}

Result<void> VirtioDevices::PlaceAll(const VirtioDevicesArgs& args) {
  auto place = [&](std::string name, std::shared_ptr<virtio::VirtioDevice> device) {
    return Place(args, std::move(name), std::move(device));
  };
  if (args.console_output != nullptr) {
    ConsoleOutput* out = args.console_output;
    console_ = std::make_shared<virtio::ConsoleDevice>(
        [out](std::span<const uint8_t> bytes) { out->Write(bytes); });
    PETREL_TRY(place("console", console_));
  }

  virtio::RngOptions rng;
  rng.src = args.config->rng.src;
  PETREL_ASSIGN_OR_RETURN(auto rng_device, virtio::RngDevice::Create(rng).Wrap("--rng"));
  PETREL_TRY(place("rng", std::move(rng_device)));

  PETREL_ASSIGN_OR_RETURN(IoEngineKind engine, EngineFromEnvironment());
  for (size_t i = 0; i < args.config->disks.size(); ++i) {
    const config::DiskConfig& disk = args.config->disks[i];
    virtio::BlkOptions blk;
    blk.path = disk.path;
    blk.readonly = disk.readonly;
    blk.direct = disk.direct;
    blk.serial = disk.serial;
    blk.num_queues = disk.num_queues;
    blk.queue_size = disk.queue_size;
    blk.engine = engine;
    const std::string name = disk.id.empty() ? "disk" + std::to_string(i) : disk.id;
    PETREL_ASSIGN_OR_RETURN(auto blk_device,
                            virtio::BlkDevice::Create(blk).Wrap("--disk " + disk.path));
    PETREL_TRY(place(name, std::move(blk_device)));
  }

  for (size_t i = 0; i < args.config->nets.size(); ++i) {
    const config::NetConfig& net = args.config->nets[i];
    virtio::VirtioNetOptions options;
    options.tap = net.tap;
    options.ip = net.ip;
    options.mask = net.mask;
    if (net.mac) options.mac = *net.mac;
    if (net.host_mac) options.host_mac = *net.host_mac;
    options.mtu = net.mtu;
    options.num_queues = net.num_queues;
    options.queue_size = net.queue_size;
    options.offload_tso = net.offload_tso;
    options.offload_ufo = net.offload_ufo;
    options.offload_csum = net.offload_csum;
    const std::string name = net.id.empty() ? "net" + std::to_string(i) : net.id;
    SystemRandom random;  // only for the MAC when none is given
    PETREL_ASSIGN_OR_RETURN(auto net_device,
                            virtio::VirtioNet::Create(options, random).Wrap("--net " + name));
    PETREL_LOG(kInfo) << name << ": tap " << net_device->tap_name();
    PETREL_TRY(place(name, std::move(net_device)));
  }
  return Ok();
}

}  // namespace petrel::vmm
