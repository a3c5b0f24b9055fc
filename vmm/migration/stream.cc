// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The migration message channel (see stream.h).
#include "vmm/migration/stream.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace petrel::vmm::migration {
namespace {

Error Malformed(std::string message) { return Error(ErrorCode::kMalformed, std::move(message)); }

std::string CommandLabel(Command command) { return std::string(CommandName(command)) + " request"; }

// The fds of an SCM_RIGHTS control message, owned; anything else is ignored.
Result<void> TakeFds(msghdr* msg, UniqueFd* fd) {
  Result<void> result = Ok();
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      UniqueFd owned(received);
      if (fd->valid()) {
        result = Malformed("more than one file descriptor passed with a message");
        continue;  // `owned` closes it
      }
      *fd = std::move(owned);
    }
  }
  if (!result.ok()) fd->reset();
  return result;
}

// How many bytes a request of `command` may carry, or an error for a length
// the command cannot have.
Result<void> CheckRequestLength(const Request& r, const StreamLimits& limits) {
  const auto exactly = [&](uint64_t want) -> Result<void> {
    if (r.length == want) return Ok();
    return Malformed(CommandLabel(r.command) + " with a " + std::to_string(r.length) +
                     "-byte payload (expected " + std::to_string(want) + ")");
  };
  switch (r.command) {
    case Command::kInvalid: return Malformed("request with command Invalid (0)");
    case Command::kStart:
    case Command::kComplete:
    case Command::kCompletePaused:
    case Command::kAbandon: return exactly(0);
    case Command::kMemoryFd: return exactly(kMemoryFdPayloadSize);
    case Command::kPageFault: return exactly(kMemoryRangeSize);
    case Command::kMemory: return CheckMemoryTableLength(r.length, limits.memory);
    case Command::kConfig:
    case Command::kState:
      if (r.length <= limits.max_json_payload) return Ok();
      return Error(ErrorCode::kOutOfRange, CommandLabel(r.command) + " payload of " +
                                               std::to_string(r.length) + " bytes exceeds the limit of " +
                                               std::to_string(limits.max_json_payload));
  }
  return Malformed("request with unknown command");
}

}  // namespace

// --- ByteStream -------------------------------------------------------------

Result<size_t> ByteStream::ReadWithFd(std::span<uint8_t> buffer, UniqueFd* /*fd*/) {
  return Read(buffer);
}

Result<void> ByteStream::WriteWithFd(std::span<const uint8_t> /*bytes*/, int /*fd*/) {
  return Error(ErrorCode::kUnsupported, "this stream cannot pass file descriptors");
}

Result<size_t> FdStream::Read(std::span<uint8_t> buffer) {
  for (;;) {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Error::FromErrno("reading the migration stream");
  }
}

Result<size_t> FdStream::Write(std::span<const uint8_t> bytes) {
  for (;;) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd_, bytes.data(), bytes.size());
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Error(ErrorCode::kSystem, "writing the migration stream: wrote nothing");
    if (errno != EINTR) return Error::FromErrno("writing the migration stream");
  }
}

Result<size_t> FdStream::ReadWithFd(std::span<uint8_t> buffer, UniqueFd* fd) {
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("receiving from the migration socket");
  PETREL_TRY(TakeFds(&msg, fd));
  if (msg.msg_flags & MSG_CTRUNC) {
    fd->reset();
    return Malformed("too many file descriptors passed with a message (control data truncated)");
  }
  return static_cast<size_t>(n);
}

Result<void> FdStream::WriteWithFd(std::span<const uint8_t> bytes, int fd) {
  if (bytes.empty()) return Error(ErrorCode::kInvalidArgument, "an fd needs at least one byte to travel with");
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("sending a file descriptor on the migration socket");
  // The fd went with the first byte; the rest (if the kernel took less) is plain data.
  return WriteAll(*this, bytes.subspan(static_cast<size_t>(n)));
}

Result<size_t> MemoryStream::Read(std::span<uint8_t> buffer) {
  const size_t n = std::min({buffer.size(), max_read_, input_.size() - at_});
  if (n > 0) std::memcpy(buffer.data(), input_.data() + at_, n);
  at_ += n;
  return n;
}

Result<size_t> MemoryStream::Write(std::span<const uint8_t> bytes) {
  written_.insert(written_.end(), bytes.begin(), bytes.end());
  return bytes.size();
}

Result<void> ReadExact(ByteStream& stream, std::span<uint8_t> buffer, std::string_view what,
                       bool eof_ok_at_start) {
  size_t got = 0;
  while (got < buffer.size()) {
    PETREL_ASSIGN_OR_RETURN(size_t n, stream.Read(buffer.subspan(got)));
    if (n == 0) {
      if (got == 0 && eof_ok_at_start) {
        return Error(ErrorCode::kFailedPrecondition, "the peer closed the connection");
      }
      return Malformed("the stream ended in " + std::string(what) + " (" + std::to_string(got) +
                       " of " + std::to_string(buffer.size()) + " bytes)");
    }
    got += n;
  }
  return Ok();
}

Result<void> WriteAll(ByteStream& stream, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    PETREL_ASSIGN_OR_RETURN(size_t n, stream.Write(bytes));
    bytes = bytes.subspan(std::min(n, bytes.size()));
  }
  return Ok();
}

// --- MigrationChannel: sending ---------------------------------------------

Result<void> MigrationChannel::SendRequest(Command command, std::span<const uint8_t> payload) {
  Request request = command == Command::kStart ? Request::Start() : Request::Of(command, 0);
  request.length = payload.size();
  return SendRequest(request, payload);
}

Result<void> MigrationChannel::SendRequest(const Request& request,
                                           std::span<const uint8_t> payload) {
  if (request.length != payload.size()) {
    return Error(ErrorCode::kInvalidArgument, "request length does not match its payload");
  }
  const RequestBytes header = EncodeRequest(request);
  PETREL_TRY(WriteAll(stream_, header));
  return WriteAll(stream_, payload);
}

Result<void> MigrationChannel::SendMemory(const MemoryRangeTable& table, const MemorySource& source) {
  const std::vector<uint8_t> encoded = table.Encode();
  PETREL_TRY(SendRequest(Request::Of(Command::kMemory, encoded.size()), encoded));
  std::vector<uint8_t> chunk(std::min<uint64_t>(std::max<size_t>(limits_.memory_chunk, 1),
                                                table.TotalBytes()));
  for (const MemoryRange& range : table.ranges()) {
    for (uint64_t done = 0; done < range.length;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), range.length - done));
      const std::span<uint8_t> out(chunk.data(), n);
      PETREL_TRY(source(range.gpa + done, out));
      PETREL_TRY(WriteAll(stream_, out));
      done += n;
    }
  }
  return Ok();
}

Result<void> MigrationChannel::SendMemoryFd(uint32_t slot, int fd) {
  // The header goes as plain bytes; the slot travels with the fd.
  const RequestBytes header = EncodeRequest(Request::Of(Command::kMemoryFd, kMemoryFdPayloadSize));
  PETREL_TRY(WriteAll(stream_, header));
  const uint8_t bytes[kMemoryFdPayloadSize] = {
      static_cast<uint8_t>(slot), static_cast<uint8_t>(slot >> 8), static_cast<uint8_t>(slot >> 16),
      static_cast<uint8_t>(slot >> 24)};
  return stream_.WriteWithFd(bytes, fd);
}

Result<void> MigrationChannel::SendConnectionRole(ConnectionRole role) {
  const auto bytes = EncodeConnectionRole(role);
  return WriteAll(stream_, bytes);
}

Result<ConnectionRole> MigrationChannel::ReadConnectionRole() {
  std::array<uint8_t, kConnectionRoleSize> bytes;
  PETREL_TRY(ReadExact(stream_, bytes, "a connection role", /*eof_ok_at_start=*/true));
  return DecodeConnectionRole(bytes);
}

Result<void> MigrationChannel::SendResponse(Status status, std::span<const uint8_t> payload) {
  const ResponseBytes header = EncodeResponse(Response{status, payload.size()});
  PETREL_TRY(WriteAll(stream_, header));
  return WriteAll(stream_, payload);
}

// --- MigrationChannel: receiving -------------------------------------------

Result<void> MigrationChannel::ReadPayload(uint64_t length, std::vector<uint8_t>* out,
                                           std::string_view what) {
  // Grow with what arrives, one chunk at a time, never by the announced length.
  out->clear();
  const size_t step = std::max<size_t>(limits_.memory_chunk, 4096);
  while (out->size() < length) {
    const size_t old = out->size();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(step, length - old));
    out->resize(old + n);
    PETREL_TRY(ReadExact(stream_, std::span<uint8_t>(out->data() + old, n), what));
  }
  return Ok();
}

Result<void> MigrationChannel::ReadMemoryFdPayload(ReceivedRequest* received) {
  uint8_t bytes[kMemoryFdPayloadSize];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    UniqueFd fd;
    PETREL_ASSIGN_OR_RETURN(size_t n,
                            stream_.ReadWithFd(std::span<uint8_t>(bytes + got, sizeof(bytes) - got), &fd));
    if (fd.valid() && received->fd.valid()) return Malformed("MemoryFd request passed two descriptors");
    if (fd.valid()) received->fd = std::move(fd);
    if (n == 0) return Malformed("the stream ended in a MemoryFd request's slot");
    got += n;
  }
  if (!received->fd.valid()) return Malformed("MemoryFd request carried no file descriptor");
  received->slot = static_cast<uint32_t>(bytes[0] | bytes[1] << 8 | bytes[2] << 16) |
                   static_cast<uint32_t>(bytes[3]) << 24;
  return Ok();
}

Result<void> MigrationChannel::ReadRequestPayload(ReceivedRequest* received) {
  const Request& r = received->request;
  const std::string label = CommandLabel(r.command);
  switch (r.command) {
    case Command::kMemoryFd: return ReadMemoryFdPayload(received);
    case Command::kMemory:
    case Command::kPageFault: {
      std::vector<uint8_t> bytes;
      PETREL_TRY(ReadPayload(r.length, &bytes, label + "'s range table"));
      PETREL_ASSIGN_OR_RETURN(received->table, MemoryRangeTable::Decode(bytes, limits_.memory));
      return Ok();
    }
    default: return ReadPayload(r.length, &received->payload, label + "'s payload");
  }
}

Result<ReceivedRequest> MigrationChannel::ReadRequest() {
  RequestBytes header;
  PETREL_TRY(ReadExact(stream_, header, "a request header", /*eof_ok_at_start=*/true));
  ReceivedRequest received;
  PETREL_ASSIGN_OR_RETURN(received.request, DecodeRequest(header));
  PETREL_TRY(CheckRequestLength(received.request, limits_));
  PETREL_TRY(ReadRequestPayload(&received));
  return received;
}

Result<void> MigrationChannel::ReceiveMemoryData(const MemoryRangeTable& table, const MemorySink& sink) {
  std::vector<uint8_t> chunk(std::min<uint64_t>(std::max<size_t>(limits_.memory_chunk, 1),
                                                table.TotalBytes()));
  for (const MemoryRange& range : table.ranges()) {
    for (uint64_t done = 0; done < range.length;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), range.length - done));
      const std::span<uint8_t> in(chunk.data(), n);
      PETREL_TRY(ReadExact(stream_, in, "memory data"));
      PETREL_TRY(sink(range.gpa + done, in));
      done += n;
    }
  }
  return Ok();
}

Result<ReceivedResponse> MigrationChannel::ReadResponse(uint64_t max_payload) {
  ResponseBytes header;
  PETREL_TRY(ReadExact(stream_, header, "a response header", /*eof_ok_at_start=*/true));
  ReceivedResponse received;
  PETREL_ASSIGN_OR_RETURN(received.response, DecodeResponse(header));
  if (received.response.length > max_payload) {
    return Error(ErrorCode::kOutOfRange, "response payload of " +
                                             std::to_string(received.response.length) +
                                             " bytes exceeds the limit of " + std::to_string(max_payload));
  }
  PETREL_TRY(ReadPayload(received.response.length, &received.payload, "a response payload"));
  return received;
}

Result<void> MigrationChannel::ExpectOk(std::string_view what) {
  PETREL_ASSIGN_OR_RETURN(ReceivedResponse received, ReadResponse());
  if (received.response.status == Status::kOk) return Ok();
  return Error(ErrorCode::kFailedPrecondition,
               std::string(what) + ": the receiver answered " +
                   std::string(StatusName(received.response.status)));
}

}  // namespace petrel::vmm::migration
