// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RouteRequest (see api_router.h).
#include "vmm/api/api_router.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "vmm/api/json_text.h"
#include "vmm/build_info.h"


namespace petrel::api {
namespace {

using nlohmann::json;

enum class Action {
  kPing,
  kShutdownVmm,
  kCreate,
  kBoot,
  kPause,
  kResume,
  kVmInfo,
  kCounters,
  kPowerButton,
  kNmi,
  kReboot,
  kShutdownVm,
  kDelete,
  kSnapshot,
  kRestore,
  kSendMigration,
  kReceiveMigration,
  kResize,
  kResizeDisk,
  kResizeZone,
  kAddDisk,
  kAddNet,
  kAddPmem,
  kAddVsock,
  kRemoveDevice,
};

struct Route {
  std::string_view endpoint;  // after kApiRoot
  std::string_view method;
  Action action;
  size_t max_body = kMaxIgnoredBodyBytes;
};

constexpr Route kRoutes[] = {
    {"vmm.ping", "GET", Action::kPing},
    {"vmm.shutdown", "PUT", Action::kShutdownVmm},
    {"vm.create", "PUT", Action::kCreate, kMaxConfigBodyBytes},
    {"vm.boot", "PUT", Action::kBoot},
    {"vm.pause", "PUT", Action::kPause},
    {"vm.resume", "PUT", Action::kResume},
    {"vm.info", "GET", Action::kVmInfo},
    {"vm.counters", "GET", Action::kCounters},
    {"vm.power-button", "PUT", Action::kPowerButton},
    {"vm.nmi", "PUT", Action::kNmi},
    {"vm.reboot", "PUT", Action::kReboot},
    {"vm.shutdown", "PUT", Action::kShutdownVm},
    {"vm.delete", "PUT", Action::kDelete},
    {"vm.snapshot", "PUT", Action::kSnapshot, kMaxConfigBodyBytes},
    {"vm.restore", "PUT", Action::kRestore, kMaxConfigBodyBytes},
    {"vm.send-migration", "PUT", Action::kSendMigration, kMaxConfigBodyBytes},
    {"vm.receive-migration", "PUT", Action::kReceiveMigration, kMaxConfigBodyBytes},
    {"vm.resize", "PUT", Action::kResize, kMaxConfigBodyBytes},
    {"vm.resize-disk", "PUT", Action::kResizeDisk, kMaxConfigBodyBytes},
    {"vm.resize-zone", "PUT", Action::kResizeZone, kMaxConfigBodyBytes},
    {"vm.add-disk", "PUT", Action::kAddDisk, kMaxConfigBodyBytes},
    {"vm.add-net", "PUT", Action::kAddNet, kMaxConfigBodyBytes},
    {"vm.add-pmem", "PUT", Action::kAddPmem, kMaxConfigBodyBytes},
    {"vm.add-vsock", "PUT", Action::kAddVsock, kMaxConfigBodyBytes},
    {"vm.remove-device", "PUT", Action::kRemoveDevice, kMaxConfigBodyBytes},
};

int StatusForError(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kBusy: return 429;
    default: return 500;
  }
}

HttpResponse ControlError(std::string_view what, const Error& error) {
  return ErrorResponse(StatusForError(error),
                       {"Error from API", std::string(what), error.message()});
}

HttpResponse Unit(const Result<void>& result, std::string_view what) {
  if (!result.ok()) return ControlError(what, result.error());
  return NoContentResponse();
}

HttpResponse Ping(const VmmIdentity& identity) {
  json body = {{"build_version", identity.build_version},
               {"version", identity.version},
               {"pid", identity.pid},
               {"features", identity.features}};
  return JsonResponse(JsonText(body));
}

HttpResponse VmInfo(VmmControl& control) {
  Result<std::string> info = control.VmInfoJson();
  if (!info.ok()) return ControlError("Error getting VM info", info.error());
  if (info->size() > kMaxResponseBodyBytes) {
    return ErrorResponse(500, {"Internal Server Error", "VM info exceeds the response size cap"});
  }
  json parsed = json::parse(*info, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("config") || !parsed.contains("state")) {
    return ErrorResponse(500, {"Internal Server Error",
                               "VM info is not a JSON object with \"config\" and \"state\""});
  }
  return JsonResponse(std::move(*info));
}

HttpResponse Counters(VmmControl& control) {
  Result<std::string> counters = control.VmCountersJson();
  if (!counters.ok()) return ControlError("Error getting VM counters", counters.error());
  json parsed = json::parse(*counters, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return ErrorResponse(500, {"Internal Server Error", "VM counters are not a JSON object"});
  }
  return JsonResponse(std::move(*counters));
}

// A hot-plug answer: CH's PciDeviceInfo (200), or 204 when the VM was not
// booted and the device only joined the config.
HttpResponse Added(const Result<std::string>& result, std::string_view what) {
  if (!result.ok()) return ControlError(what, result.error());
  if (result->empty()) return NoContentResponse();
  return JsonResponse(*result);
}

HttpResponse Create(const HttpRequest& request, VmmControl& control) {
  // CH answers 400 to a vm.create without a body.
  if (request.body.empty()) return ErrorResponse(400, {"Bad Request", "vm.create needs a VmConfig body"});
  return Unit(control.CreateVm(request.body), "Error creating the VM");
}

HttpResponse Run(Action action, const HttpRequest& request, VmmControl& control,
                 const VmmIdentity& identity, std::vector<UniqueFd> fds) {
  switch (action) {
    case Action::kPing: return Ping(identity);
    case Action::kShutdownVmm: return Unit(control.ShutdownVmm(), "Error shutting down the VMM");
    case Action::kCreate: return Create(request, control);
    case Action::kBoot: return Unit(control.BootVm(), "Error booting the VM");
    case Action::kPause: return Unit(control.PauseVm(), "Error pausing the VM");
    case Action::kResume: return Unit(control.ResumeVm(), "Error resuming the VM");
    case Action::kVmInfo: return VmInfo(control);
    case Action::kCounters: return Counters(control);
    case Action::kNmi: return Unit(control.Nmi(), "Error injecting an NMI");
    case Action::kDelete: return Unit(control.DeleteVm(), "Error deleting the VM");
    case Action::kPowerButton:
      return Unit(control.PowerButton(), "Error triggering the power button");
    case Action::kReboot: return Unit(control.RebootVm(), "Error rebooting the VM");
    case Action::kShutdownVm: return Unit(control.ShutdownVm(), "Error shutting down the VM");
    case Action::kSnapshot:
      return Unit(control.SnapshotVm(request.body), "Error snapshotting the VM");
    case Action::kRestore:
      return Unit(control.RestoreVm(request.body, std::move(fds)), "Error restoring the VM");
    case Action::kSendMigration:
      return Unit(control.SendMigration(request.body), "Error sending the VM migration");
    case Action::kReceiveMigration:
      return Unit(control.ReceiveMigration(request.body), "Error receiving the VM migration");
    case Action::kResize: return Unit(control.ResizeVm(request.body), "Error resizing the VM");
    case Action::kResizeDisk:
      return Unit(control.ResizeDiskVm(request.body), "Error resizing the disk");
    case Action::kResizeZone:
      return Unit(control.ResizeZoneVm(request.body), "Error resizing the memory zone");
    case Action::kAddDisk: return Added(control.AddDiskVm(request.body), "Error adding the disk");
    case Action::kAddPmem: return Added(control.AddPmemVm(request.body), "Error adding the pmem device");
    case Action::kAddVsock:
      return Added(control.AddVsockVm(request.body), "Error adding the vsock device");
    case Action::kAddNet:
      return Added(control.AddNetVm(request.body, std::move(fds)), "Error adding the network device");
    case Action::kRemoveDevice:
      return Unit(control.RemoveDeviceVm(request.body), "Error removing the device");
  }
  return ErrorResponse(500, {"Internal Server Error"});
}

}  // namespace

VmmIdentity DefaultVmmIdentity() {
  VmmIdentity id;
  id.version = std::string(build_info::Version());
  id.build_version = std::string(build_info::BuildVersion());
  id.pid = static_cast<int64_t>(getpid());
  return id;
}

size_t MaxRequestBodyBytes(const HttpRequest& head) {
  std::string_view path = head.Path();
  const std::string_view root = kApiRoot;
  if (path.substr(0, root.size()) == root) {
    for (const Route& route : kRoutes) {
      if (route.endpoint == path.substr(root.size()) && route.method == head.method) {
        return route.max_body;
      }
    }
  }
  return kMaxIgnoredBodyBytes;  // 404 or 405 whatever the body
}

HttpResponse RouteRequest(const HttpRequest& request, VmmControl& control,
                          const VmmIdentity& identity, std::vector<UniqueFd> fds) {
  std::string_view path = request.Path();
  const std::string_view root = kApiRoot;
  if (path.substr(0, root.size()) != root) return ErrorResponse(404, {"Not Found"});
  std::string_view endpoint = path.substr(root.size());
  for (const Route& route : kRoutes) {
    if (route.endpoint != endpoint) continue;
    if (route.method != request.method) {
      HttpResponse r =
          ErrorResponse(405, {"Method Not Allowed", "use " + std::string(route.method)});
      r.extra_headers.emplace_back("Allow", std::string(route.method));
      return r;
    }
    return Run(route.action, request, control, identity, std::move(fds));
  }
  return ErrorResponse(404, {"Not Found"});
}

}  // namespace petrel::api
