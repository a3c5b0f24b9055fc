// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The migration message channel: framed requests and responses (protocol.h)
// over a blocking byte stream, with per-command payload bounds, memory pages
// read and written in bounded chunks, and memory-fd passing (SCM_RIGHTS) for
// local migration. Mirrors how Cloud Hypervisor's VMM reads and writes its
// vm-migration protocol on the migration socket (its transport module and
// the send/receive migration functions).
//
// Nothing here trusts the peer: a truncated header, an end of stream inside a
// message, an unknown command or a length over its bound is an Error, and
// buffers grow only as bytes actually arrive (a header announcing 16 MiB that
// is followed by 10 bytes allocates about 10 bytes' worth).
//
// Errors: the peer closing the stream cleanly between messages is
// kFailedPrecondition ("the peer closed the connection"); an end of stream
// inside a message, a bad header or a bad payload is kMalformed; a length
// over a limit is kOutOfRange; a failed system call is kSystem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "vmm/migration/protocol.h"

namespace petrel::vmm::migration {

// A blocking, unbuffered byte stream. The channel reads exactly what each
// message needs, never ahead, so fd-carrying reads line up with messages.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads 1..buffer.size() bytes; 0 means end of stream.
  virtual Result<size_t> Read(std::span<uint8_t> buffer) = 0;
  // Writes 1..bytes.size() bytes.
  virtual Result<size_t> Write(std::span<const uint8_t> bytes) = 0;
  // Like Read; a file descriptor passed along with the bytes lands in `*fd`
  // (more than one is an error). The default passes no descriptors.
  virtual Result<size_t> ReadWithFd(std::span<uint8_t> buffer, UniqueFd* fd);
  // Writes all of `bytes` (at least one) in one message carrying `fd`. The
  // default: kUnsupported.
  virtual Result<void> WriteWithFd(std::span<const uint8_t> bytes, int fd);
};

// A connected fd (socket or pipe), not owned. EINTR is retried; writes use
// MSG_NOSIGNAL on sockets (a closed peer is EPIPE, not SIGPIPE); the fd
// calls use recvmsg/sendmsg with SCM_RIGHTS (UNIX sockets only).
class FdStream : public ByteStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  Result<size_t> Read(std::span<uint8_t> buffer) override;
  Result<size_t> Write(std::span<const uint8_t> bytes) override;
  Result<size_t> ReadWithFd(std::span<uint8_t> buffer, UniqueFd* fd) override;
  Result<void> WriteWithFd(std::span<const uint8_t> bytes, int fd) override;

 private:
  int fd_;
};

// Reads from a byte array, at most `max_read` bytes per call (short reads on
// demand), and collects what is written. For tests and the fuzzer.
class MemoryStream : public ByteStream {
 public:
  explicit MemoryStream(std::span<const uint8_t> input, size_t max_read = SIZE_MAX)
      : input_(input), max_read_(max_read == 0 ? 1 : max_read) {}
  Result<size_t> Read(std::span<uint8_t> buffer) override;
  Result<size_t> Write(std::span<const uint8_t> bytes) override;
  const std::vector<uint8_t>& written() const { return written_; }
  size_t remaining() const { return input_.size() - at_; }

 private:
  std::span<const uint8_t> input_;
  size_t max_read_;
  size_t at_ = 0;
  std::vector<uint8_t> written_;
};

// Fills `buffer` completely. An end of stream before the first byte is
// kFailedPrecondition when `eof_ok_at_start`, else kMalformed (as it is after
// the first byte); `what` names the message part in errors.
Result<void> ReadExact(ByteStream& stream, std::span<uint8_t> buffer, std::string_view what,
                       bool eof_ok_at_start = false);
Result<void> WriteAll(ByteStream& stream, std::span<const uint8_t> bytes);

struct StreamLimits {
  uint64_t max_json_payload = uint64_t{16} << 20;  // Config and State (JSON)
  MemoryTableLimits memory;                        // Memory tables
  size_t memory_chunk = size_t{1} << 20;           // page bytes per read/write
};

// A received request with its payload, decoded by command:
//   Config, State: `payload` (the JSON bytes, at most max_json_payload);
//   Memory: `table`; the page bytes follow: read them with ReceiveMemoryData;
//   PageFault: `table` with its one range;
//   MemoryFd: `slot` and `fd`;
//   Start, Complete, CompletePaused, Abandon: nothing (their length must be 0).
struct ReceivedRequest {
  Request request;
  std::vector<uint8_t> payload;
  MemoryRangeTable table;
  uint32_t slot = 0;
  UniqueFd fd;
};

struct ReceivedResponse {
  Response response;
  std::vector<uint8_t> payload;
};

// Fills `out` with the guest bytes at `gpa` (sender side).
using MemorySource = std::function<Result<void>(uint64_t gpa, std::span<uint8_t> out)>;
// Places received bytes at `gpa` (receiver side, into guest memory).
using MemorySink = std::function<Result<void>(uint64_t gpa, std::span<const uint8_t> bytes)>;

class MigrationChannel {
 public:
  explicit MigrationChannel(ByteStream& stream, StreamLimits limits = {})
      : stream_(stream), limits_(limits) {}

  const StreamLimits& limits() const { return limits_; }

  // Sends a header for `command` with length payload.size(), then the
  // payload. Start carries kCurrentProtocolVersion.
  Result<void> SendRequest(Command command, std::span<const uint8_t> payload = {});
  // Sends `request` as given (its length must equal payload.size()).
  Result<void> SendRequest(const Request& request, std::span<const uint8_t> payload);
  // A Memory request: the table, then each range's bytes from `source`, in
  // chunks of at most limits().memory_chunk.
  Result<void> SendMemory(const MemoryRangeTable& table, const MemorySource& source);
  // A MemoryFd request: header, then the slot (u32 LE) in one message with `fd`.
  Result<void> SendMemoryFd(uint32_t slot, int fd);

  // The 2-byte role announced first on an additional connection.
  Result<void> SendConnectionRole(ConnectionRole role);
  Result<ConnectionRole> ReadConnectionRole();

  // Reads one request and its payload (see ReceivedRequest), within limits.
  Result<ReceivedRequest> ReadRequest();
  // Reads the page bytes that follow a Memory request's table, handing
  // `sink` at most limits().memory_chunk bytes at a time.
  Result<void> ReceiveMemoryData(const MemoryRangeTable& table, const MemorySink& sink);

  Result<void> SendResponse(Status status, std::span<const uint8_t> payload = {});
  // Reads a response; a payload longer than `max_payload` is kOutOfRange.
  Result<ReceivedResponse> ReadResponse(uint64_t max_payload = 0);
  // Reads a response and fails unless its status is Ok (sender side).
  Result<void> ExpectOk(std::string_view what);

 private:
  Result<void> ReadPayload(uint64_t length, std::vector<uint8_t>* out, std::string_view what);
  Result<void> ReadRequestPayload(ReceivedRequest* received);
  Result<void> ReadMemoryFdPayload(ReceivedRequest* received);

  ByteStream& stream_;
  StreamLimits limits_;
};

}  // namespace petrel::vmm::migration
