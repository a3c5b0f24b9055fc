// The petrel binary: parse the command line, build the VM on KVM, run it.
//
// Exit status: 0 when the guest resets (reboot) or powers off, 1 on any
// configuration or host error (one line on stderr), 2 when the guest crashed
// the VM (triple fault) or the hypervisor failed.
#include <cstdio>

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

int RunVm(const petrel::config::CliOptions& options) {
  using petrel::vmm::StopReason;
  auto vm = petrel::vmm::VmInstance::Create(options.vm, [] { return petrel::OpenKvm(); });
  if (!vm.ok()) return Fail(vm.error().message());

  auto terminal = petrel::vmm::RawTerminal::Enter();
  if (!terminal.ok()) return Fail(terminal.error().message());

  auto stop = (*vm)->Run();
  petrel::vmm::RawTerminal::Restore();
  if (!stop.ok()) return Fail(stop.error().message());
  PETREL_LOG(kInfo) << "VM stopped: " << stop->detail;
  switch (stop->kind) {
    case StopReason::Kind::kReset:
    case StopReason::Kind::kPowerOff:
      return 0;
    case StopReason::Kind::kTripleFault:
    case StopReason::Kind::kError:
      std::fprintf(stderr, "petrel: guest stopped: %s\n", stop->detail.c_str());
      return 2;
  }
  return 2;
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
