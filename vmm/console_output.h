// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Console backends: where bytes the guest writes to a console go and where
// the console's input comes from, per the `--serial` / `--console` mode:
//   off          no device at all (OpenConsoleOutput returns nullptr)
//   null         output discarded, no input
//   tty          output to stdout, input from stdin (raw mode: vmm/terminal.h)
//   file=PATH    output appended to PATH, no input; a regular file stops
//                growing at OutputConfig::file_max_bytes (1 GiB by default)
//   socket=PATH  Petrel listens on a UNIX socket at PATH; one client at a
//                time gets the output and sends the input (a newer client
//                replaces the older one), as Cloud Hypervisor's socket mode
//   pty          a pseudo-terminal; its slave's path is printed on stderr
//
// Output never blocks the writer (a vCPU thread for the UART, a device worker
// for virtio-console). A stream whose reader can stall -- stdout when it is a
// terminal, pipe or FIFO; the pty; file= naming a FIFO or device -- is written
// through a descriptor of Petrel's own in non-blocking mode: what the reader
// does not take at once is queued, up to kConsoleOutputBufferBytes per
// console, and written in order as the reader catches up, by the control loop
// (`loop`, watching the fd for room) or by the next Write(); only what does
// not fit in the queue is dropped (counted in bytes_dropped(), the first drop
// logged). A regular file is written directly, up to its cap. The socket
// mode sends with MSG_DONTWAIT and drops what the socket buffer does not take
// (not queued yet). Destroying an output writes what is still queued while
// the reader makes progress (giving up after 200 ms without any).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "core/isolation/syscall_rules.h"
#include "vmm/config/vm_config.h"

namespace petrel::vmm {

class ConsoleOutput {
 public:
  using InputSink = std::function<void(std::span<const uint8_t>)>;
  virtual ~ConsoleOutput() = default;
  // Thread-safe (vCPU threads, device workers). Never blocks on the reader:
  // output that cannot be delivered or queued is dropped.
  virtual void Write(std::span<const uint8_t> bytes) = 0;
  // Bytes the guest wrote so far, delivered or not (for tests and boot-time
  // measurement).
  virtual uint64_t bytes_written() const = 0;
  // Bytes of those dropped: queue full, file cap reached, no socket client,
  // reader gone.
  virtual uint64_t bytes_dropped() const { return 0; }
  // Starts delivering console input to `sink`, from handlers on `loop`.
  // Backends without input do nothing.
  virtual Result<void> AttachInput(EventLoop& loop, InputSink sink) {
    (void)loop;
    (void)sink;
    return Ok();
  }
};

// What ConsoleOutput::Write asks of the kernel on the writer's thread (a
// vCPU for the UART, the virtio-console worker): write(2) to a stream or
// file, send(2) to a socket client, and a writable-fd watch on the control
// loop when a stalled reader leaves output queued.
const isolation::SyscallRules& ConsoleOutputSyscalls();

// The queue per console for a reader that stalls (see above).
inline constexpr size_t kConsoleOutputBufferBytes = size_t{1} << 20;

// Opens the backend for `mode`. kOff yields nullptr: no device at all.
// `what` names the option in errors ("--serial"). `loop` (the VMM's control
// loop; it must outlive the output) drains queued output; without it, queued
// output moves only on later Write() calls.
// --serial null: counts what the guest writes and drops it.
std::unique_ptr<ConsoleOutput> MakeNullOutput();

Result<std::unique_ptr<ConsoleOutput>> OpenConsoleOutput(const config::OutputConfig& mode,
                                                         const std::string& what,
                                                         EventLoop* loop = nullptr);

}  // namespace petrel::vmm
