// VmmControl: what the API server asks of the VMM. The VMM implements it; the
// server (and tests, with a fake) call it.
//
// Every method runs on the API server's event-loop thread and must not block
// for long: a request that takes time (a shutdown) is started and reported
// done, and the VMM finishes it on its own threads. The response is written
// to the client right after the method returns, before the loop runs
// anything else, so ShutdownVmm() may Post() the VMM's exit to the loop and
// the client still gets its 204.
//
// Errors become HTTP responses: ErrorCode::kNotFound -> 404 (CH: "VM not
// created"), kBusy -> 429 (retry later), anything else -> 500; the body is
// the CH-style JSON array of messages.
#pragma once

#include <string>

#include "core/base/result.h"

namespace petrel::api {

class VmmControl {
 public:
  virtual ~VmmControl() = default;
  // PUT /api/v1/vm.power-button: raise the ACPI power-button event.
  virtual Result<void> PowerButton() = 0;
  // PUT /api/v1/vm.shutdown: stop the VM (the VMM stays up).
  virtual Result<void> ShutdownVm() = 0;
  // PUT /api/v1/vm.reboot: reset the VM.
  virtual Result<void> RebootVm() = 0;
  // PUT /api/v1/vmm.shutdown: stop the VMM process.
  virtual Result<void> ShutdownVmm() = 0;
  // GET /api/v1/vm.info: a JSON object with at least "config" and "state"
  // (CH's VmInfo: config, state, memory_actual_size, device_tree). The
  // server checks it is a JSON object and sends it as the body.
  virtual Result<std::string> VmInfoJson() = 0;
};

}  // namespace petrel::api
