// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// What the whole-VMM hv_sim tests share: the null-guest VmConfig (64 MiB, no
// virtio console), a HypervisorFactory that makes the simulator, a
// ConsoleOutput that captures serial output into a string, a WorkerFactory
// that records the workers asked for, and a scratch disk image.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/event/worker.h"
#include "hv_sim/sim_hypervisor.h"
#include "vmm/api/api_router.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm::testing {

// Appends every byte written to `sink` (thread-safe: vCPU threads write).
class CapturedOutput final : public ConsoleOutput {
 public:
  explicit CapturedOutput(std::shared_ptr<std::string> sink = std::make_shared<std::string>())
      : sink_(std::move(sink)) {}
  void Write(std::span<const uint8_t> bytes) override {
    std::lock_guard lock(mu_);
    sink_->append(bytes.begin(), bytes.end());
  }
  uint64_t bytes_written() const override {
    std::lock_guard lock(mu_);
    return sink_->size();
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<std::string> sink_;
};

// The null guest (tests/guests) as the kernel; serial on the tty (tests
// replace its output with VmOptions::serial_output_override), no virtio console.
inline config::VmConfig NullGuestConfig() {
  config::VmConfig c;
  c.payload.kernel = PETREL_NULL_GUEST_ELF;
  c.memory.size = 64ULL << 20;
  c.serial = {config::OutputMode::kTty, {}};
  c.console = {config::OutputMode::kOff, {}};
  return c;
}

inline VmInstance::HypervisorFactory SimFactory() {
  return [] { return Result<std::unique_ptr<hv::Hypervisor>>(sim::MakeSimHypervisor()); };
}

// Options for a test VM: no stdin, serial output captured into `sink`.
inline VmOptions CapturingOptions(std::shared_ptr<std::string> sink =
                                      std::make_shared<std::string>()) {
  VmOptions options;
  options.attach_input = false;
  options.serial_output_override = std::make_unique<CapturedOutput>(std::move(sink));
  return options;
}

// SharedLoopWorkers on `loop` that remember the name of every worker asked
// for, in order.
class RecordingWorkers final : public WorkerFactory {
 public:
  explicit RecordingWorkers(EventLoop& loop) : shared_(loop) {}
  Result<std::unique_ptr<Worker>> Create(const std::string& name, FaultHandler on_fault,
                                         const isolation::SyscallRules& syscalls) override {
    names.push_back(name);
    this->syscalls.push_back(syscalls);
    return shared_.Create(name, std::move(on_fault), syscalls);
  }
  std::vector<std::string> names;
  std::vector<isolation::SyscallRules> syscalls;  // each worker's, in order

 private:
  SharedLoopWorkers shared_;
};

// A zero-filled disk image of `size` bytes in /tmp, removed with the object.
class ScratchDisk {
 public:
  explicit ScratchDisk(off_t size) {
    char path[] = "/tmp/petrel-scratch-disk-XXXXXX";
    const int fd = mkstemp(path);
    if (fd >= 0) {
      ok_ = ftruncate(fd, size) == 0;
      close(fd);
      path_ = path;
    }
  }
  ~ScratchDisk() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  ScratchDisk(const ScratchDisk&) = delete;
  ScratchDisk& operator=(const ScratchDisk&) = delete;
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool ok_ = false;
};

// The HTTP status the API router answers `method /api/v1/<endpoint>` with
// (a Vmm in the whole-VMM tests), as a client would see it. Link petrel_api.
// `fds`: what the request carries (SCM_RIGHTS on the socket).
inline api::HttpResponse ApiCall(api::VmmControl& control, const char* method,
                                 const char* endpoint, std::string body = {},
                                 std::vector<UniqueFd> fds = {}) {
  static const api::VmmIdentity identity{"v0-test", "0", 1, {}};
  api::HttpRequest request;
  request.method = method;
  request.target = std::string("/api/v1/") + endpoint;
  request.body = std::move(body);
  return api::RouteRequest(request, control, identity, std::move(fds));
}
inline int ApiStatus(api::VmmControl& control, const char* method, const char* endpoint,
                     std::string body = {}) {
  return ApiCall(control, method, endpoint, std::move(body)).status;
}

}  // namespace petrel::vmm::testing
