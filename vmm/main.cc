// The petrel binary: parse the command line, build the VM on KVM, run it.
//
// Exit status: 0 when the guest powers off (a reboot restarts the VM), 1 on
// any configuration or host error (one line on stderr), 2 when the
// hypervisor failed. A triple fault reboots, as on a PC.
#include <cstdio>
#include <optional>

#include "core/base/log.h"
#include "hv_kvm/kvm_hypervisor.h"
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
int RunVm(const petrel::config::CliOptions& options) {
  using petrel::vmm::StopReason;
  auto terminal = petrel::vmm::RawTerminal::Enter();
  if (!terminal.ok()) return Fail(terminal.error().message());
  std::optional<petrel::Cmos::State> cmos;  // battery-backed: survives reboots
  for (uint64_t boot = 1;; ++boot) {
    petrel::vmm::VmOptions vm_options;
    vm_options.cmos_state = cmos;
    auto vm = petrel::vmm::VmInstance::Create(options.vm, [] { return petrel::OpenKvm(); },
                                              std::move(vm_options));
    if (!vm.ok()) return Fail(vm.error().message());
    auto stop = (*vm)->Run();
    if (!stop.ok()) return Fail(stop.error().message());
    PETREL_LOG(kInfo) << "VM stopped after boot " << boot << ": " << stop->detail;
    switch (stop->kind) {
      case StopReason::Kind::kReset:
      case StopReason::Kind::kTripleFault:  // what a PC does, and Cloud Hypervisor
        PETREL_LOG(kInfo) << "rebooting";
        cmos = (*vm)->CmosAcrossReset();
        continue;
      case StopReason::Kind::kPowerOff: petrel::vmm::RawTerminal::Restore(); return 0;
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
