// Console output sinks: where bytes the guest writes to a console go, per the
// `--serial` / `--console` mode (off, null, tty, file=PATH; pty and socket
// arrive with the console issue).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/base/result.h"
#include "vmm/config/vm_config.h"

namespace petrel::vmm {

class ConsoleOutput {
 public:
  virtual ~ConsoleOutput() = default;
  virtual void Write(std::span<const uint8_t> bytes) = 0;
  // Bytes written so far (for tests and boot-time measurement).
  virtual uint64_t bytes_written() const = 0;
};

// Opens the sink for `mode`. kOff yields nullptr: no device at all.
// `what` names the option in errors ("--serial").
Result<std::unique_ptr<ConsoleOutput>> OpenConsoleOutput(const config::OutputConfig& mode,
                                                         const std::string& what);

}  // namespace petrel::vmm
