// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// JSON encoding and decoding of the plain state structs a snapshot holds:
// the hypervisor's vCPU and VM state (core/hv) and each device's Save()
// state (devices/), plus the versioned section that wraps each of them.
//
// One pair per type: ToJson(const T&) (overloads) and <Type>FromJson(json)
// (named functions, so a caller states what it expects). The JSON field
// names are the C++ field names; the encoding rules (integers as numbers,
// byte arrays as lowercase hex, every field required, unknown fields
// refused) are json_fields.h's.
//
// Decoding never throws and never crashes, whatever the input: a wrong
// type, a missing or unknown field, a number out of the field's range, an
// array of the wrong length or too long is kInvalidArgument "<path>: <what
// is wrong>". The optional `path` names where the value sits in the caller's
// document ("vcpus[1]" makes errors read "vcpus[1].lapic: 1023 bytes, 1024
// expected"); empty, paths start at the value's own fields. Decoders check
// only shape and ranges: the device's Restore() checks the semantics.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/base/result.h"
#include "core/hv/hypervisor.h"
#include "devices/ioapic/ioapic.h"
#include "core/hv/x86_state.h"
#include "devices/acpi/acpi_pm.h"
#include "devices/tpm/swtpm_backend.h"
#include "devices/tpm/tpm_crb.h"
#include "devices/acpi/ged.h"
#include "devices/acpi/pm_timer.h"
#include "devices/acpi/cpu_hotplug_controller.h"
#include "devices/acpi/memory_hotplug_controller.h"
#include "devices/acpi/pci_hotplug_controller.h"
#include "devices/legacy/cmos.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/serial.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_config_space.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/split_queue.h"

namespace petrel::vmm::snapshot {

// Bounds on variable-length state, far above what a real VM has (a bigger
// array is refused before any of it is decoded).
inline constexpr size_t kMaxMsrs = 4096;
inline constexpr size_t kMaxXcrs = 16;              // KVM_MAX_XCRS
inline constexpr size_t kMaxXsaveBytes = 1u << 20;  // AMX makes it ~11 KiB today

// Deepest nesting a section's state may have (the states here nest at most
// 5 deep); Unversioned() refuses deeper ones before copying them, as a copy
// recurses once per level.
inline constexpr size_t kMaxStateDepth = 32;

// A versioned section: {"version": N, "state": {...}}.
nlohmann::json Versioned(uint32_t version, nlohmann::json state);
// The "state" of a section if its version is `expected`, else a clear error:
// "<what>: state version 3, this Petrel reads version 1" (or what is wrong
// with the section's shape, or that the state nests deeper than
// kMaxStateDepth).
Result<nlohmann::json> Unversioned(const nlohmann::json& section, uint32_t expected,
                                   const std::string& what);

// Hypervisor state.
nlohmann::json ToJson(const hv::VcpuState& s);
Result<hv::VcpuState> VcpuStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const hv::VmState& s);
Result<hv::VmState> VmStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const hv::IrqchipState& s);
Result<hv::IrqchipState> IrqchipStateFromJson(const nlohmann::json& j,
                                              const std::string& path = {});
nlohmann::json ToJson(const hv::PicState& s);
Result<hv::PicState> PicStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const hv::IoapicState& s);
Result<hv::IoapicState> IoapicStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const hv::PitState& s);
Result<hv::PitState> PitStateFromJson(const nlohmann::json& j, const std::string& path = {});

// The userspace IOAPIC (devices/ioapic; split irqchip, hv_sim).
nlohmann::json ToJson(const Ioapic::State& s);
Result<Ioapic::State> IoapicDeviceStateFromJson(const nlohmann::json& j,
                                                const std::string& path = {});

// Legacy devices.
nlohmann::json ToJson(const Serial::State& s);
Result<Serial::State> SerialStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const I8042::State& s);
Result<I8042::State> I8042StateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const Cmos::State& s);
Result<Cmos::State> CmosStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const DebugPort::State& s);
Result<DebugPort::State> DebugPortStateFromJson(const nlohmann::json& j,
                                                const std::string& path = {});

// ACPI devices.
nlohmann::json ToJson(const AcpiPmDevice::State& s);
Result<AcpiPmDevice::State> AcpiPmStateFromJson(const nlohmann::json& j,
                                                const std::string& path = {});
nlohmann::json ToJson(const PmTimer::State& s);
Result<PmTimer::State> PmTimerStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const GedDevice::State& s);
Result<GedDevice::State> GedStateFromJson(const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const CpuHotplugController::State& s);
Result<CpuHotplugController::State> CpuHotplugStateFromJson(const nlohmann::json& j,
                                                            const std::string& path = {});
nlohmann::json ToJson(const MemoryHotplugController::State& s);
Result<MemoryHotplugController::State> MemoryHotplugStateFromJson(const nlohmann::json& j,
                                                                  const std::string& path);
nlohmann::json ToJson(const PciHotplugController::State& s);
Result<PciHotplugController::State> PciHotplugStateFromJson(const nlohmann::json& j,
                                                            const std::string& path = {});

// PCI. The bus itself holds no state; its 0xCF8 port (PciConfigIo) does.
nlohmann::json ToJson(const PciConfigIo::State& s);
Result<PciConfigIo::State> PciConfigIoStateFromJson(const nlohmann::json& j,
                                                    const std::string& path = {});
nlohmann::json ToJson(const PciConfigSpace::State& s);
Result<PciConfigSpace::State> PciConfigSpaceStateFromJson(const nlohmann::json& j,
                                                          const std::string& path = {});
nlohmann::json ToJson(const MsixTable::State& s);
Result<MsixTable::State> MsixTableStateFromJson(const nlohmann::json& j,
                                                const std::string& path = {});

// The TPM (--tpm): the CRB device's registers and buffer, and swtpm's state
// blobs (hex).
nlohmann::json ToJson(const tpm::TpmCrb::State& s);
Result<tpm::TpmCrb::State> TpmCrbStateFromJson(const nlohmann::json& j,
                                              const std::string& path = {});
nlohmann::json ToJson(const tpm::SwtpmState& s);
Result<tpm::SwtpmState> SwtpmStateFromJson(const nlohmann::json& j, const std::string& path = {});

// Virtio.
nlohmann::json ToJson(const virtio::SplitQueue::State& s);
Result<virtio::SplitQueue::State> SplitQueueStateFromJson(const nlohmann::json& j,
                                                          const std::string& path = {});
nlohmann::json ToJson(const virtio::VirtioPciDevice::QueueState& s);
Result<virtio::VirtioPciDevice::QueueState> VirtioPciQueueStateFromJson(
    const nlohmann::json& j, const std::string& path = {});
nlohmann::json ToJson(const virtio::VirtioPciDevice::State& s);
Result<virtio::VirtioPciDevice::State> VirtioPciDeviceStateFromJson(const nlohmann::json& j,
                                                                    const std::string& path = {});

}  // namespace petrel::vmm::snapshot
