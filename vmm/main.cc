// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The petrel binary: parse the command line, start the API server if asked,
// and run the VMM (vmm/vmm.h) on KVM, or on MSHV where /dev/kvm does not
// exist but /dev/mshv does (vmm/hypervisor_choice.h).
//
//   petrel --kernel ... [--api-socket ...]   boot that VM at once
//   petrel --api-socket path=...             an empty VMM: the API creates
//                                            and boots the VM (vm.create)
//   --event-monitor path=...|fd=N            the VMM's events, as CH writes them
//   --landlock [--landlock-rules ...]        the VM thread confines itself to
//                                            the VM's files (vmm/landlock_paths.h)
//
// Exit status: 0 when the guest powers off, on vmm.shutdown, or on SIGTERM /
// SIGINT (the VM is shut down, the terminal restored, the API socket
// removed); 1 on any configuration or host error (one line on stderr); 2
// when the hypervisor failed. A guest reset or triple fault reboots the VM.
// Called as cloud-hypervisor (the drop-in name, vmm/build_info.h), it uses
// Cloud Hypervisor's statuses: 1 for every failure, 2 for a usage error.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/event/epoll_event_loop.h"
#include "core/io/io_trace.h"
#include "core/isolation/seccomp.h"
#include "hv_kvm/kvm_hypervisor.h"
#include "hv_mshv/mshv_hypervisor.h"
#include "vmm/api/api_server.h"
#include "vmm/config/cli.h"
#include "vmm/event_monitor.h"
#include "vmm/hypervisor_choice.h"
#include "vmm/landlock_paths.h"
#include "vmm/terminal.h"
#include "vmm/thread_syscalls.h"
#include "vmm/vmm.h"

namespace {

int Fail(const std::string& message) {
  petrel::vmm::RawTerminal::Restore();
  std::fprintf(stderr, "petrel: error: %s\n", message.c_str());
  return 1;
}

// The API server runs on its own loop and thread for the whole process, so
// it outlives every VM the VMM builds.
class ApiThread {
 public:
  static petrel::Result<std::unique_ptr<ApiThread>> Start(const petrel::config::ApiSocketConfig& cfg,
                                                          petrel::api::VmmControl& control,
                                                          petrel::isolation::ThreadSandbox& sandbox) {
    std::unique_ptr<ApiThread> t(new ApiThread());
    PETREL_ASSIGN_OR_RETURN(t->loop_, petrel::EpollEventLoop::Create(t->clock_));
    if (cfg.fd >= 0) {
      PETREL_ASSIGN_OR_RETURN(t->server_,
                              petrel::api::ApiServer::Adopt(*t->loop_, t->clock_, control, cfg.fd));
    } else {
      PETREL_ASSIGN_OR_RETURN(
          t->server_, petrel::api::ApiServer::Listen(*t->loop_, t->clock_, control, cfg.path)
                          .Wrap("--api-socket"));
    }
    t->thread_ = std::thread([raw = t.get(), &sandbox] {
      // Confined before the first request is read.
      if (auto confined = sandbox.Confine("api", petrel::vmm::ApiThreadSyscalls()); !confined.ok()) {
        PETREL_LOG(kError) << "API server stopped: " << confined.error().message();
      } else {
        (void)raw->loop_->Run();
      }
      // The server (and its socket file, removed here) goes on this thread:
      // under --landlock the main thread may not remove it.
      raw->server_.reset();
    });
    return t;
  }
  ~ApiThread() {
    loop_->Stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();  // removes the socket file
  }

 private:
  ApiThread() = default;
  petrel::MonotonicClock clock_;
  std::unique_ptr<petrel::EventLoop> loop_;
  std::unique_ptr<petrel::api::ApiServer> server_;
  std::thread thread_;
};

// SIGTERM and SIGINT end the VMM cleanly: they are blocked in every thread
// and taken here with sigwait(), so the VMM shuts down from normal code, not
// from a signal handler. SIGUSR2 only ends this thread (at exit).
class SignalThread {
 public:
  // Call before any other thread starts, so they all inherit the mask.
  static sigset_t BlockSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
  }
  SignalThread(sigset_t set, petrel::vmm::Vmm& vmm, petrel::isolation::ThreadSandbox& sandbox)
      : thread_([set, &vmm, &sandbox] {
          if (auto confined = sandbox.Confine("signal", petrel::vmm::SignalThreadSyscalls());
              !confined.ok()) {
            PETREL_LOG(kError) << confined.error().message();
          }
          for (;;) {
            int signal = 0;
            if (sigwait(&set, &signal) != 0 || signal == SIGUSR2) return;
            PETREL_LOG(kInfo) << "signal " << signal << ": shutting down";
            vmm.RequestExit(0);
          }
        }) {}
  ~SignalThread() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }

 private:
  std::thread thread_;
};

bool UsesTerminal(const petrel::config::VmConfig& config) {
  using petrel::config::OutputMode;
  return config.serial.mode == OutputMode::kTty || config.console.mode == OutputMode::kTty;
}

int RunVmm(const petrel::config::CliOptions& options) {
  const sigset_t signals = SignalThread::BlockSignals();
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error, not an exit
  // --seccomp: this thread (the VMM thread) is confined first, so every
  // thread it starts inherits its filter and then adds its own.
  petrel::isolation::SeccompSandbox sandbox(options.seccomp);
  if (auto confined = sandbox.Confine("vmm", petrel::vmm::VmmThreadSyscalls()); !confined.ok()) {
    return Fail(confined.error().message());
  }

  // The terminal goes raw only when a VM's console uses it, and stays so
  // until exit (every exit path restores it).
  std::mutex terminal_mu;
  std::optional<petrel::vmm::RawTerminal> terminal;
  petrel::MonotonicClock clock;
  std::unique_ptr<petrel::vmm::EventMonitor> event_monitor;
  if (options.event_monitor) {
    auto opened = petrel::vmm::EventMonitor::Open(*options.event_monitor, clock);
    if (!opened.ok()) return Fail(opened.error().message());
    event_monitor = std::move(opened).value();
  }
  // --record-io: one trace across every build of the VM (reboots), written
  // when the VMM exits.
  std::unique_ptr<petrel::IoTrace> io_trace;
  if (options.record_io) io_trace = std::make_unique<petrel::IoTrace>();
  petrel::vmm::VmmServices services;
  services.open_hypervisor = [] {
    return petrel::vmm::OpenFirstHypervisor([] { return petrel::OpenKvm(); },
                                            [] { return petrel::OpenMshv(); });
  };
  services.events = event_monitor.get();
  services.restrict_paths = [&options](const petrel::config::VmConfig& config) {
    std::vector<std::string> output_files;  // written by this (then confined) thread at exit
    if (options.record_io) output_files.push_back(*options.record_io);
    return petrel::vmm::RestrictToVmPaths(config, output_files);
  };
  services.vm_options = [&](const petrel::config::VmConfig& config) {
    if (UsesTerminal(config)) {
      std::lock_guard lock(terminal_mu);
      if (!terminal) {
        auto entered = petrel::vmm::RawTerminal::Enter();
        if (entered.ok()) {
          terminal.emplace(std::move(entered).value());
        } else {
          PETREL_LOG(kWarn) << entered.error().message();
        }
      }
    }
    petrel::vmm::VmOptions vm_options;
    vm_options.io_trace = io_trace.get();
    vm_options.sandbox = &sandbox;
    return vm_options;
  };
  petrel::vmm::Vmm vmm(std::move(services));
  if (options.has_vm) {
    auto created = vmm.Create(options.vm);
    if (!created.ok()) return Fail(created.error().message());
  }
  std::unique_ptr<ApiThread> api;
  if (options.api_socket) {
    auto started = ApiThread::Start(*options.api_socket, vmm, sandbox);
    if (!started.ok()) return Fail(started.error().message());
    api = std::move(started).value();
  }
  int status = 0;
  {
    SignalThread signal_thread(signals, vmm, sandbox);
    // --restore: asked of the VM thread (Run) like an API vm.restore.
    std::thread restorer;
    if (options.restore) {
      restorer = std::thread([&vmm, &options] {
        petrel::Result<void> restored = vmm.Restore(*options.restore);
        if (!restored.ok()) {
          std::fprintf(stderr, "petrel: error: %s\n", restored.error().message().c_str());
          vmm.RequestExit(1);
        }
      });
    }
    status = vmm.Run(/*boot_first=*/options.has_vm);
    if (restorer.joinable()) restorer.join();
  }
  api.reset();
  petrel::vmm::RawTerminal::Restore();
  if (io_trace) {
    auto written = io_trace->WriteFile(*options.record_io);
    if (!written.ok()) return Fail(written.error().message());
    if (io_trace->dropped() != 0) {
      PETREL_LOG(kWarn) << "--record-io: " << io_trace->dropped() << " accesses past the first "
                        << petrel::IoTrace::kMaxRecords << " were not recorded";
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  auto outcome = petrel::config::ParseCommandLine(argc, argv);
  if (outcome.action == petrel::config::CliOutcome::Action::kExit) {
    std::fputs(outcome.message.c_str(), outcome.exit_code == 0 ? stdout : stderr);
    if (!outcome.message.empty() && outcome.message.back() != '\n')
      std::fputc('\n', outcome.exit_code == 0 ? stdout : stderr);
    return outcome.exit_code;
  }
  petrel::log::SetVerbosity(outcome.options.verbosity);
  if (!outcome.options.log_file.empty()) {
    auto r = petrel::log::SetLogFile(outcome.options.log_file);
    if (!r.ok()) return Fail(r.error().message());
  }
  const int status = RunVmm(outcome.options);
  // Cloud Hypervisor exits 1 for every failure, the hypervisor's included.
  return outcome.program.cloud_hypervisor && status != 0 ? 1 : status;
}
