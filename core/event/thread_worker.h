// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ThreadWorkers: the production WorkerFactory (worker.h). Each worker is an
// EpollEventLoop run by a thread of its own, named "petrel-<name>" (15
// characters at most, as Linux allows) so `top -H` shows which device is busy.
//
// The thread runs the loop until Stop(). A handler that throws does not end
// the thread or the process: the exception is caught at the thread boundary,
// logged, reported to the worker's FaultHandler (the VMM fails the device),
// and the loop goes on (a later reset of the device still runs there).
// Worker threads block every signal, so process signals (SIGTERM, SIGINT)
// reach the VMM's main thread and vCPU kicks only vCPU threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/event/epoll_event_loop.h"
#include "core/event/worker.h"
#include "core/isolation/thread_sandbox.h"

namespace petrel {

class ThreadWorkers final : public WorkerFactory {
 public:
  // `clock` (the loops' timer clock) and `sandbox` must outlive every worker
  // created.
  explicit ThreadWorkers(const Clock& clock,
                         isolation::ThreadSandbox& sandbox = isolation::NoSandbox())
      : clock_(clock), sandbox_(sandbox) {}
  Result<std::unique_ptr<Worker>> Create(const std::string& name, FaultHandler on_fault,
                                         const isolation::SyscallRules& syscalls) override;

 private:
  const Clock& clock_;
  isolation::ThreadSandbox& sandbox_;
};

class ThreadWorker final : public Worker {
 public:
  // The thread confines itself with `sandbox` to `syscalls` plus its event
  // loop's (EpollEventLoop::ThreadSyscalls) before its first handler; if it
  // cannot, it runs no handler and reports a fault.
  static Result<std::unique_ptr<ThreadWorker>> Create(
      const std::string& name, const Clock& clock, WorkerFactory::FaultHandler on_fault,
      isolation::ThreadSandbox& sandbox = isolation::NoSandbox(),
      isolation::SyscallRules syscalls = {});
  // Stops and joins the thread.
  ~ThreadWorker() override;
  ThreadWorker(const ThreadWorker&) = delete;
  ThreadWorker& operator=(const ThreadWorker&) = delete;

  EventLoop& loop() override { return *loop_; }
  const std::string& name() const override { return name_; }
  Result<void> Start() override;
  void Stop() override;
  // Handlers that threw so far.
  uint64_t faults() const { return faults_.load(); }

 private:
  ThreadWorker(std::string name, std::unique_ptr<EpollEventLoop> loop,
               WorkerFactory::FaultHandler on_fault, isolation::ThreadSandbox& sandbox,
               isolation::SyscallRules syscalls)
      : name_(std::move(name)),
        loop_(std::move(loop)),
        on_fault_(std::move(on_fault)),
        sandbox_(sandbox),
        syscalls_(std::move(syscalls)) {}
  void Main();
  void Fault(const std::string& what);

  const std::string name_;
  std::unique_ptr<EpollEventLoop> loop_;
  const WorkerFactory::FaultHandler on_fault_;
  isolation::ThreadSandbox& sandbox_;
  const isolation::SyscallRules syscalls_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> faults_{0};
};

}  // namespace petrel
