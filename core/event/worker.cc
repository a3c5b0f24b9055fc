// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SharedLoopWorkers (see worker.h).
#include "core/event/worker.h"

namespace petrel {
namespace {

class SharedLoopWorker final : public Worker {
 public:
  SharedLoopWorker(EventLoop& loop, std::string name) : loop_(loop), name_(std::move(name)) {}
  EventLoop& loop() override { return loop_; }
  const std::string& name() const override { return name_; }
  Result<void> Start() override { return Ok(); }
  void Stop() override {}

 private:
  EventLoop& loop_;
  const std::string name_;
};

}  // namespace

Result<std::unique_ptr<Worker>> SharedLoopWorkers::Create(
    const std::string& name, FaultHandler /*on_fault*/, const isolation::SyscallRules& /*syscalls*/) {
  return std::unique_ptr<Worker>(new SharedLoopWorker(loop_, name));
}

}  // namespace petrel
