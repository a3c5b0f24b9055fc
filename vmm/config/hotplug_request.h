// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PCI hot-plug's requests and answers (Cloud Hypervisor's schemas):
//
//   vm.add-disk   body: a DiskConfig   answer: PciDeviceInfo
//   vm.add-net    body: a NetConfig    answer: PciDeviceInfo
//   vm.remove-device  body: {"id": "_disk1"}   (VmRemoveDevice)
//   PciDeviceInfo: {"id": "_disk1", "bdf": "0000:00:06.0"}
//
// The add bodies are read by vm_config_json.h (DiskConfigFromJson,
// NetConfigFromJson); this file has the rest, and petrel-remote's
// add-disk / add-net / remove-device arguments (ch-remote's: the device
// as on the command line, "path=/img,id=disk1", or the id).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace petrel::config {

struct RemoveDeviceRequest {
  std::string id;
  bool operator==(const RemoveDeviceRequest&) const = default;
};

// "id" is required and non-empty.
Result<RemoveDeviceRequest> ParseRemoveDeviceJson(std::string_view body);
std::string RemoveDeviceRequestToJson(const RemoveDeviceRequest& request);

// Where a hot-plugged device went: its id and its PCI address.
struct PciDeviceInfo {
  std::string id;
  uint16_t segment = 0;
  uint8_t bus = 0, device = 0, function = 0;
  bool operator==(const PciDeviceInfo&) const = default;
};
// "ssss:bb:dd.f" in hex, as Cloud Hypervisor prints a PciBdf.
std::string FormatBdf(const PciDeviceInfo& info);
std::string PciDeviceInfoToJson(const PciDeviceInfo& info);

// petrel-remote add-disk <disk>, add-net <net>: the device in the command
// line's key=value form, as the JSON body to send. kInvalidArgument as
// --disk / --net would say it.
Result<std::string> AddDiskBodyFromOption(std::string_view option);
Result<std::string> AddNetBodyFromOption(std::string_view option);
Result<std::string> AddPmemBodyFromOption(std::string_view option);
Result<std::string> AddVsockBodyFromOption(std::string_view option);
// add-net's tap fds (fd=[3,4]): this process's fds, which ch-remote sends
// with the request (SCM_RIGHTS); empty without fd=.
Result<std::vector<int>> AddNetFdsFromOption(std::string_view option);

}  // namespace petrel::config
