// Console backends: where bytes the guest writes to a console go and where
// the console's input comes from, per the `--serial` / `--console` mode:
//   off          no device at all (OpenConsoleOutput returns nullptr)
//   null         output discarded, no input
//   tty          output to stdout, input from stdin (raw mode: vmm/terminal.h)
//   file=PATH    output appended to PATH, no input
//   socket=PATH  Petrel listens on a UNIX socket at PATH; one client at a
//                time gets the output and sends the input (a newer client
//                replaces the older one), as Cloud Hypervisor's socket mode
//   pty          not yet
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "vmm/config/vm_config.h"

namespace petrel::vmm {

class ConsoleOutput {
 public:
  using InputSink = std::function<void(std::span<const uint8_t>)>;
  virtual ~ConsoleOutput() = default;
  // Thread-safe (vCPU threads). Never blocks the guest for long: output that
  // cannot be delivered is dropped.
  virtual void Write(std::span<const uint8_t> bytes) = 0;
  // Bytes written so far (for tests and boot-time measurement).
  virtual uint64_t bytes_written() const = 0;
  // Starts delivering console input to `sink`, from handlers on `loop`.
  // Backends without input do nothing.
  virtual Result<void> AttachInput(EventLoop& loop, InputSink sink) {
    (void)loop;
    (void)sink;
    return Ok();
  }
};

// Opens the backend for `mode`. kOff yields nullptr: no device at all.
// `what` names the option in errors ("--serial").
Result<std::unique_ptr<ConsoleOutput>> OpenConsoleOutput(const config::OutputConfig& mode,
                                                         const std::string& what);

}  // namespace petrel::vmm
