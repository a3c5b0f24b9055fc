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

Result<std::unique_ptr<VirtioDevices>> VirtioDevices::Create(const VirtioDevicesArgs& args) {
  std::unique_ptr<VirtioDevices> d(new VirtioDevices());
  auto place = [&](std::string name,
                   std::shared_ptr<virtio::VirtioDevice> device) -> Result<void> {
    virtio::VirtioPciOptions options;
    options.name = name;
    PETREL_ASSIGN_OR_RETURN(
        auto pci_device, virtio::VirtioPciDevice::Create(std::move(device), args.memory, *args.loop,
                                                         *args.io, args.vm, options)
                             .Wrap(name));
    PETREL_ASSIGN_OR_RETURN(uint8_t slot, args.pci->AddDevice(pci_device).Wrap(name));
    PETREL_LOG(kInfo) << name << ": PCI 00:" << std::hex << int{slot} << ".0";
    d->devices_.push_back({std::move(name), slot, std::move(pci_device)});
    return Ok();
  };

  if (args.console_output != nullptr) {
    ConsoleOutput* out = args.console_output;
    d->console_ = std::make_shared<virtio::ConsoleDevice>(
        [out](std::span<const uint8_t> bytes) { out->Write(bytes); });
    PETREL_TRY(place("console", d->console_));
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
  return d;
}

}  // namespace petrel::vmm
