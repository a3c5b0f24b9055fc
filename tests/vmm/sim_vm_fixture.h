// What the whole-VMM hv_sim tests share: the null-guest VmConfig (64 MiB, no
// virtio console), a HypervisorFactory that makes the simulator, and a
// ConsoleOutput that captures serial output into a string.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "hv_sim/sim_hypervisor.h"
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

}  // namespace petrel::vmm::testing
