// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The REST API's door to VmConfig: Cloud Hypervisor's VmConfig JSON schema
// (the body of vm.create, the "config" of vm.info, later a snapshot's
// config.json), read into and written from the same structs the command line
// fills (vm_config.h, and the devices' DiskConfig / NetConfig / RngConfig).
//
// Reading (VmConfigFromJson) is strict where CH is lenient:
//   - a field Petrel does not know is refused, naming it ("disks[0]: unknown
//     field 'sise'"), never ignored;
//   - a field CH has and Petrel does not implement is accepted only absent,
//     null, or at the value Petrel has anyway (e.g. "iommu": false,
//     "hotplug_method": "Acpi", "thp": true); anything else is refused with
//     "not supported by Petrel yet";
//   - null means "not given", so CH's default applies (as serde's Option);
//   - values are checked by the same Validate() the CLI runs, so a bad value
//     reads the same in both doors, only the prefix differs: the API says
//     "disks[0]: queue_size=2048: must be a power of two from 2 to 1024",
//     the CLI "--disk: queue_size=2048: ...".
// memory.zones and numa (CH's MemoryZoneConfig and NumaConfig) are read and
// checked as --memory-zone and --numa are (Validate, ValidateNuma), with
// ValidateBalloonSize; a zone's mergeable defaults to false, as serde's.
// Defaults are CH's: cpus 1/1, memory 512 MiB, serial Null, console Tty,
// rng /dev/urandom, disk num_queues 1 / queue_size 128, net 2 / 256.
// Every error is one line (kInvalidArgument), fit for a 400 response body.
//
// Writing (VmConfigToJson) gives every field CH's vm.info shows for the
// features Petrel has, with CH's names, and omits unset optional fields (CH's
// skip_serializing_none). Its output reads back into an equal VmConfig,
// except a net's fd numbers, which read back as -1 (see NetConfig::fds).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/base/result.h"
#include "vmm/config/vm_config.h"

namespace petrel::config {

// Parses a vm.create body. The returned config is complete and valid: the
// VM can be built from it without another check.
Result<VmConfig> VmConfigFromJson(std::string_view body);
// The same, from an already parsed document.
Result<VmConfig> VmConfigFromJsonValue(const nlohmann::json& document);

nlohmann::json VmConfigToJson(const VmConfig& config);

// vm.add-disk's and vm.add-net's bodies: one DiskConfig / NetConfig in the
// schema of a "disks" / "net" element, checked the same way (Validate; the
// id rules are the VM's to check, against its other devices).
Result<DiskConfig> DiskConfigFromJson(std::string_view body);
Result<NetConfig> NetConfigFromJson(std::string_view body);
Result<PmemConfig> PmemConfigFromJson(std::string_view body);
nlohmann::json PmemConfigToJson(const PmemConfig& pmem);
Result<VsockConfig> VsockConfigFromJson(std::string_view body);
nlohmann::json VsockConfigToJson(const VsockConfig& vsock);
nlohmann::json DiskConfigToJson(const DiskConfig& disk);
nlohmann::json NetConfigToJson(const NetConfig& net);

// CH's ConsoleOutputMode names: "Off", "Pty", "Tty", "File", "Socket", "Null".
const char* OutputModeJsonName(OutputMode mode);

}  // namespace petrel::config
