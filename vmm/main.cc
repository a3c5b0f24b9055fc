// The petrel binary: parse the command line, build the VM on KVM, run it.
//
// Exit status: 0 when the guest powers off (a reboot restarts the VM), 1 on
// any configuration or host error (one line on stderr), 2 when the
// hypervisor failed. A triple fault reboots, as on a PC.
#include <cstdio>
#include <optional>

#include <memory>
#include <thread>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/event/epoll_event_loop.h"
#include "hv_kvm/kvm_hypervisor.h"
#include "vmm/api/api_server.h"
#include "vmm/api_control.h"
#include "vmm/config/cli.h"
#include "vmm/terminal.h"
#include "vmm/vm_instance.h"

namespace {

int Fail(const std::string& message) {
  petrel::vmm::RawTerminal::Restore();
  std::fprintf(stderr, "petrel: error: %s\n", message.c_str());
  return 1;
}

// Runs the VM until the guest powers off. A guest reset (reboot) rebuilds the
// VM from the same configuration and boots it again, as Cloud Hypervisor does;
// the console stays attached throughout.
// The API server runs on its own loop and thread for the whole process, so
// it survives VM reboots.
class ApiThread {
 public:
  static petrel::Result<std::unique_ptr<ApiThread>> Start(const petrel::config::ApiSocketConfig& cfg,
                                                          petrel::api::VmmControl& control) {
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
    t->thread_ = std::thread([raw = t.get()] { (void)raw->loop_->Run(); });
    return t;
  }
  ~ApiThread() {
    loop_->Stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

 private:
  ApiThread() = default;
  petrel::MonotonicClock clock_;
  std::unique_ptr<petrel::EventLoop> loop_;
  std::unique_ptr<petrel::api::ApiServer> server_;
  std::thread thread_;
};

int RunVm(const petrel::config::CliOptions& options) {
  using petrel::vmm::StopReason;
  petrel::vmm::VmmApiControl control(options.vm);
  std::unique_ptr<ApiThread> api;
  if (options.api_socket) {
    auto started = ApiThread::Start(*options.api_socket, control);
    if (!started.ok()) return Fail(started.error().message());
    api = std::move(started).value();
  }
  auto terminal = petrel::vmm::RawTerminal::Enter();
  if (!terminal.ok()) return Fail(terminal.error().message());
  std::optional<petrel::Cmos::State> cmos;  // battery-backed: survives reboots
  for (uint64_t boot = 1;; ++boot) {
    petrel::vmm::VmOptions vm_options;
    vm_options.cmos_state = cmos;
    auto vm = petrel::vmm::VmInstance::Create(options.vm, [] { return petrel::OpenKvm(); },
                                              std::move(vm_options));
    if (!vm.ok()) return Fail(vm.error().message());
    control.SetVm(vm->get());
    auto stop = (*vm)->Run();
    control.ClearVm(stop.ok() && stop->kind == StopReason::Kind::kReset ? "Rebooting" : "Shutdown");
    if (!stop.ok()) return Fail(stop.error().message());
    PETREL_LOG(kInfo) << "VM stopped after boot " << boot << ": " << stop->detail;
    switch (stop->kind) {
      case StopReason::Kind::kReset:
      case StopReason::Kind::kTripleFault:  // what a PC does, and Cloud Hypervisor
        PETREL_LOG(kInfo) << "rebooting";
        cmos = (*vm)->CmosAcrossReset();
        continue;
      case StopReason::Kind::kPowerOff: petrel::vmm::RawTerminal::Restore(); return 0;
      case StopReason::Kind::kShutdown:
        // vm.shutdown keeps the VMM (and its API) up until vmm.shutdown, as
        // Cloud Hypervisor does.
        petrel::vmm::RawTerminal::Restore();
        if (api && !control.vmm_shutdown_requested()) control.WaitForVmmShutdown();
        return 0;
      case StopReason::Kind::kError:
        petrel::vmm::RawTerminal::Restore();
        std::fprintf(stderr, "petrel: guest stopped: %s\n", stop->detail.c_str());
        return 2;
    }
  }
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
  return RunVm(outcome.options);
}
