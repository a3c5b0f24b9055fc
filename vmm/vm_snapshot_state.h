// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmSnapshotState: everything a snapshot or a migration carries about a VM
// except its guest memory and its config -- the VM-wide hypervisor state,
// every vCPU's state and every device's state, each a plain struct (no
// pointers). VmInstance::SaveSnapshotState() fills it from a paused VM;
// VmOptions::restore builds a VM from it. vmm/snapshot/ writes it as
// state.json.
#pragma once

#include <string>
#include <vector>

#include <optional>

#include "core/hv/hypervisor.h"
#include "devices/ioapic/ioapic.h"
#include "devices/tpm/swtpm_backend.h"
#include "devices/tpm/tpm_crb.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "vmm/acpi_platform.h"
#include "vmm/legacy_platform.h"
#include "vmm/pci_platform.h"
#include "vmm/virtio_devices.h"

namespace petrel::vmm {

// One virtio-pci device's state, by its device-tree id ("_disk0", "__rng").
struct VirtioDeviceSnapshot {
  std::string id;
  virtio::VirtioPciDevice::State transport;
  VirtioTypeState device;  // the device type's own state
  // Its PCI slot (device number on bus 0); absent before format 4, where
  // devices were placed in config order. Hot-plugged devices need it.
  std::optional<uint8_t> slot;
  bool operator==(const VirtioDeviceSnapshot&) const = default;
};

// The pvpanic device's state (--pvpanic): its config space and slot.
struct PvpanicSnapshot {
  PciConfigSpace::State config;
  uint8_t slot = 0;
  bool operator==(const PvpanicSnapshot&) const = default;
};

// The TPM's state (--tpm): the CRB device's and swtpm's (its blobs, so a
// restore on another host, with another swtpm, goes on where it was).
struct TpmSnapshot {
  tpm::TpmCrb::State crb;
  tpm::SwtpmState swtpm;
  bool operator==(const TpmSnapshot&) const = default;
};

struct VmSnapshotState {
  // The clock is the one the guest read when it was paused.
  hv::VmState vm;
  std::vector<hv::VcpuState> vcpus;  // in vCPU order
  // The VMM's IOAPIC, when the VM has one (hv::Caps::kernel_ioapic false);
  // a restore builds the VM in the same irqchip mode.
  std::optional<Ioapic::State> ioapic;
  LegacyPlatform::State legacy;
  AcpiPlatform::State acpi;
  PciPlatform::State pci;
  std::vector<VirtioDeviceSnapshot> virtio;  // in placement order
  std::optional<PvpanicSnapshot> pvpanic;     // with --pvpanic (format 5)
  std::optional<TpmSnapshot> tpm;             // with --tpm (format 6)
  bool operator==(const VmSnapshotState&) const = default;
};

}  // namespace petrel::vmm
