// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ThreadWorkers and ThreadWorker (see thread_worker.h).
#include "core/event/thread_worker.h"

#include <pthread.h>
#include <signal.h>

#include <exception>

#include "core/base/log.h"

namespace petrel {

// Linux thread names hold 15 characters and the terminating NUL.
constexpr size_t kMaxThreadName = 15;

Result<std::unique_ptr<Worker>> ThreadWorkers::Create(const std::string& name,
                                                      FaultHandler on_fault,
                                                      const isolation::SyscallRules& syscalls) {
  PETREL_ASSIGN_OR_RETURN(auto worker,
                          ThreadWorker::Create(name, clock_, std::move(on_fault), sandbox_, syscalls));
  return std::unique_ptr<Worker>(std::move(worker));
}

Result<std::unique_ptr<ThreadWorker>> ThreadWorker::Create(const std::string& name,
                                                           const Clock& clock,
                                                           WorkerFactory::FaultHandler on_fault,
                                                           isolation::ThreadSandbox& sandbox,
                                                           isolation::SyscallRules syscalls) {
  PETREL_ASSIGN_OR_RETURN(auto loop, EpollEventLoop::Create(clock));
  syscalls.Add(EpollEventLoop::ThreadSyscalls());
  return std::unique_ptr<ThreadWorker>(new ThreadWorker(name, std::move(loop), std::move(on_fault),
                                                        sandbox, std::move(syscalls)));
}

ThreadWorker::~ThreadWorker() {
  Stop();
}

Result<void> ThreadWorker::Start() {
  if (thread_.joinable()) return Ok();
  stopping_ = false;
  // The new thread inherits this mask: every signal blocked.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { Main(); });
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return Error(ErrorCode::kInternal, "worker " + name_ + ": cannot start a thread: " + e.what());
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return Ok();
}

void ThreadWorker::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  loop_->Stop();
  thread_.join();
}

void ThreadWorker::Main() {
  // Named by the thread itself (prctl), before any handler runs: naming
  // another thread writes /proc/self/task/<tid>/comm, which a thread under
  // --landlock may not open.
  const std::string thread_name = ("petrel-" + name_).substr(0, kMaxThreadName);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  // Each start is a new thread, confined before it runs a handler; the
  // report names the worker (name_ outlives the thread, joined first).
  if (auto confined = sandbox_.Confine(name_.c_str(), syscalls_); !confined.ok()) {
    Fault("cannot confine the thread: " + confined.error().message());
    return;
  }
  while (!stopping_.load()) {
    try {
      Result<void> r = loop_->Run();
      if (!r.ok()) {
        // The loop cannot wait any more: nothing it serves can run.
        Fault("event loop failed: " + r.error().message());
        return;
      }
    } catch (const std::exception& e) {
      Fault(std::string("handler threw: ") + e.what());
    } catch (...) {
      Fault("handler threw a non-standard exception");
    }
  }
}

void ThreadWorker::Fault(const std::string& what) {
  ++faults_;
  PETREL_LOG_ONCE(kError, "worker-fault:" + name_) << "worker " << name_ << ": " << what;
  if (!on_fault_) return;
  try {
    on_fault_(what);
  } catch (...) {
    PETREL_LOG_ONCE(kError, "worker-fault-handler:" + name_)
        << "worker " << name_ << ": its fault handler threw too";
  }
}

}  // namespace petrel
