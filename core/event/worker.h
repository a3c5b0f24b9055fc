// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Worker: an EventLoop on which one device does all its work, and what runs
// that loop.
//
// Devices own no thread (determinism rule 1); the VMM gives each queue
// group of each virtio device a worker (VirtioDevice::QueueGroups; one
// group unless the device splits its queues) and runs the group's
// doorbells, completions and fd watches on the worker's loop. In production every worker's loop runs on a
// thread of its own (ThreadWorker, thread_worker.h): a device that a guest
// keeps busy then delays only itself, never the VMM's control loop (API,
// console, lifecycle) or another device. Device tests may instead give the
// workers one DeterministicEventLoop that the test steps (SharedLoopWorkers
// below), so a run is reproducible; a whole VmInstance on hv_sim still uses
// thread workers unless VmOptions::device_workers says otherwise (the
// deterministic whole-VM test passes SharedLoopWorkers there).
//
// Life cycle: Create -> Start -> ... -> Stop. After Stop() no handler runs
// on the loop any more and none will until Start() again, so the owner may
// destroy the devices (which remove their watches from the loop) on its own
// thread; destroy the worker after them.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "core/isolation/syscall_rules.h"

namespace petrel {

class Worker {
 public:
  virtual ~Worker() = default;
  virtual EventLoop& loop() = 0;
  virtual const std::string& name() const = 0;
  // Starts running the loop's handlers. Idempotent.
  virtual Result<void> Start() = 0;
  // Returns once no handler runs on the loop (a ThreadWorker's thread has
  // been joined). Idempotent; not from a handler of this loop.
  virtual void Stop() = 0;
};

class WorkerFactory {
 public:
  // Told, on the worker's thread, when a handler of worker `name` threw:
  // the handler's work is lost; the owner fails the device it serves.
  using FaultHandler = std::function<void(const std::string& what)>;
  virtual ~WorkerFactory() = default;
  // `syscalls`: what the worker's handlers ask of the kernel beyond every
  // thread's needs (the device's, its hypervisor's, its event loop's); a
  // worker on a thread of its own confines that thread to them
  // (isolation::ThreadSandbox) before its first handler runs.
  virtual Result<std::unique_ptr<Worker>> Create(const std::string& name, FaultHandler on_fault,
                                                 const isolation::SyscallRules& syscalls) = 0;
};

// Every worker's loop is one EventLoop the caller runs (hv_sim, tests):
// Start() and Stop() do nothing, and handlers run wherever the caller runs
// that loop, so the order of all device work is the loop's order.
class SharedLoopWorkers final : public WorkerFactory {
 public:
  // `loop` must outlive every worker created.
  explicit SharedLoopWorkers(EventLoop& loop) : loop_(loop) {}
  Result<std::unique_ptr<Worker>> Create(const std::string& name, FaultHandler on_fault,
                                         const isolation::SyscallRules& syscalls) override;

 private:
  EventLoop& loop_;
};

}  // namespace petrel
