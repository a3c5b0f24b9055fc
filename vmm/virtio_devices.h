// VirtioDevices: the virtio-pci devices a VmConfig asks for -- virtio-console
// (unless --console off), virtio-rng (always, as Cloud Hypervisor), one
// virtio-blk per --disk, one virtio-net per --net -- created and placed on the
// VM's PCI bus in a fixed order (console, rng, disks, nets, each in
// command-line order), so slots and BAR
// addresses are the same on every boot.
//
// The block I/O engine is chosen automatically (io_uring, falling back to
// synchronous I/O); PETREL_IO_ENGINE=sync|io_uring|auto in the environment
// forces one (benchmarks compare both).
//
// Lifetime: the devices watch doorbells on the VM's EventLoop and use its
// IoDispatcher and hv::Vm; destroy this before them, while the loop is not
// running.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/event/event_loop.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "vmm/config/vm_config.h"
#include "devices/virtio/console/console_device.h"
#include "vmm/console_output.h"
#include "vmm/pci_platform.h"

namespace petrel::vmm {

struct VirtioDevicesArgs {
  const config::VmConfig* config;
  std::shared_ptr<GuestMemory> memory;
  EventLoop* loop;
  IoDispatcher* io;
  hv::Vm* vm;
  PciPlatform* pci;
  // --console's sink; nullptr with --console off (no virtio-console).
  ConsoleOutput* console_output = nullptr;
};

class VirtioDevices {
 public:
  static Result<std::unique_ptr<VirtioDevices>> Create(const VirtioDevicesArgs& args);

  struct Placed {
    std::string name;  // "rng", "disk0", ...
    uint8_t slot;
    std::shared_ptr<virtio::VirtioPciDevice> device;
  };
  const std::vector<Placed>& devices() const { return devices_; }
  // The virtio-console, or nullptr with --console off.
  virtio::ConsoleDevice* console() const { return console_.get(); }

 private:
  VirtioDevices() = default;
  std::vector<Placed> devices_;
  std::shared_ptr<virtio::ConsoleDevice> console_;
};

}  // namespace petrel::vmm
