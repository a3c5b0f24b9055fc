// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PCI hot-plug's requests and answers (see hotplug_request.h).
#include "vmm/config/hotplug_request.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "vmm/config/device_config.h"
#include "vmm/config/request_json.h"
#include "vmm/config/vm_config_json.h"

namespace petrel::config {

using nlohmann::json;

Result<RemoveDeviceRequest> ParseRemoveDeviceJson(std::string_view body) {
  PETREL_ASSIGN_OR_RETURN(json doc, ParseObject(body, "vm.remove-device"));
  PETREL_TRY(OnlyKnownFields(doc, {"id"}, {}));
  RemoveDeviceRequest r;
  PETREL_ASSIGN_OR_RETURN(r.id, StringField(doc, "id", /*required=*/true));
  if (r.id.empty()) return Invalid("id: must not be empty");
  return r;
}

std::string RemoveDeviceRequestToJson(const RemoveDeviceRequest& request) {
  return json{{"id", request.id}}.dump();
}

std::string FormatBdf(const PciDeviceInfo& info) {
  char text[16];
  std::snprintf(text, sizeof text, "%04x:%02x:%02x.%x", info.segment, info.bus, info.device,
                info.function);
  return text;
}

std::string PciDeviceInfoToJson(const PciDeviceInfo& info) {
  return json{{"id", info.id}, {"bdf", FormatBdf(info)}}.dump();
}

Result<std::string> AddDiskBodyFromOption(std::string_view option) {
  PETREL_ASSIGN_OR_RETURN(auto disk, ParseDisk(option).Wrap("add-disk"));
  return DiskConfigToJson(disk).dump();
}

Result<std::string> AddNetBodyFromOption(std::string_view option) {
  PETREL_ASSIGN_OR_RETURN(auto net, ParseNet(option).Wrap("add-net"));
  return NetConfigToJson(net).dump();
}

Result<std::string> AddPmemBodyFromOption(std::string_view option) {
  PETREL_ASSIGN_OR_RETURN(auto pmem, ParsePmem(option).Wrap("add-pmem"));
  return PmemConfigToJson(pmem).dump();
}

Result<std::string> AddVsockBodyFromOption(std::string_view option) {
  PETREL_ASSIGN_OR_RETURN(auto vsock, ParseVsock(option).Wrap("add-vsock"));
  return VsockConfigToJson(vsock).dump();
}

Result<std::vector<int>> AddNetFdsFromOption(std::string_view option) {
  PETREL_ASSIGN_OR_RETURN(auto net, ParseNet(option).Wrap("add-net"));
  return net.fds.value_or(std::vector<int>{});
}

}  // namespace petrel::config
