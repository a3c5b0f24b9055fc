// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SwtpmBackend: swtpm's control protocol and the data channel (see
// swtpm_backend.h).
#include "devices/tpm/swtpm_backend.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>

#include "core/base/bytes.h"
#include "core/base/hex.h"
#include "core/base/log.h"
#include "devices/tpm/crb_registers.h"

namespace petrel::tpm {

namespace {

// TPM 2.0 Part 3 §9.3 TPM2_Startup(TPM_SU_CLEAR), no sessions.
constexpr uint8_t kStartupClear[] = {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c,
                                     0x00, 0x00, 0x01, 0x44, 0x00, 0x00};
constexpr uint32_t kRcSuccess = 0;
constexpr uint32_t kRcInitialize = 0x100;  // TPM_RC_INITIALIZE: started already
// PTM_BLOB_TYPE_* and PTM_STATE_FLAG_DECRYPTED (swtpm_ioctls(3)).
constexpr uint32_t kBlobPermanent = 1;
constexpr uint32_t kBlobVolatile = 2;
constexpr uint32_t kBlobSavestate = 3;
constexpr uint32_t kStateFlagDecrypted = 1;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Polls `fds`; kDeadlineExceeded once `deadline_ms` (NowMs()) passes.
Result<void> PollUntil(std::span<pollfd> fds, int64_t deadline_ms) {
  for (;;) {
    const int64_t left = deadline_ms - NowMs();
    if (left <= 0) return Error::FromErrno("swtpm did not answer in time", ETIMEDOUT);
    const int n = poll(fds.data(), fds.size(), static_cast<int>(left));
    if (n > 0) return Ok();
    if (n < 0 && errno != EINTR) return Error::FromErrno("poll");
  }
}

Result<void> ReadExact(int fd, std::span<uint8_t> out, int64_t deadline_ms) {
  size_t done = 0;
  while (done < out.size()) {
    pollfd p{fd, POLLIN, 0};
    PETREL_TRY(PollUntil({&p, 1}, deadline_ms));
    const ssize_t n = recv(fd, out.data() + done, out.size() - done, MSG_DONTWAIT);
    if (n == 0) return Error::FromErrno("swtpm closed the connection", ECONNRESET);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::FromErrno("reading from swtpm");
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

Result<void> WriteAll(int fd, std::span<const uint8_t> data, int64_t deadline_ms) {
  size_t done = 0;
  while (done < data.size()) {
    pollfd p{fd, POLLOUT, 0};
    PETREL_TRY(PollUntil({&p, 1}, deadline_ms));
    const ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::FromErrno("writing to swtpm");
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

// One sendmsg() of `data` with `fd` as SCM_RIGHTS: swtpm reads each control
// message with one read, and takes the descriptor from it.
Result<void> SendWithFd(int socket, std::span<const uint8_t> data, int fd) {
  iovec iov{const_cast<uint8_t*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  for (;;) {
    const ssize_t n = sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(data.size())) return Ok();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("sending to swtpm");
    return Error(ErrorCode::kMalformed, "swtpm: short control message");
  }
}

}  // namespace

Result<std::unique_ptr<SwtpmBackend>> SwtpmBackend::Connect(const std::string& socket_path,
                                                            const Options& options,
                                                            const SwtpmState* restore) {
  std::unique_ptr<SwtpmBackend> b(new SwtpmBackend());
  b->command_timeout_ms_ = options.command_timeout_ms;
  b->control_timeout_ms_ = options.control_timeout_ms;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    return Error(ErrorCode::kInvalidArgument, "tpm: bad socket path '" + socket_path + "'");
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  b->control_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!b->control_.valid()) return Error::FromErrno("tpm: socket");
  if (connect(b->control_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return Error::FromErrno("tpm: cannot connect to swtpm's control socket " + socket_path +
                            " (is `swtpm socket --tpm2 --ctrl type=unixio,path=" + socket_path +
                            "` running?)");
  }
  b->cancel_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!b->cancel_.valid()) return Error::FromErrno("tpm: eventfd");

  PETREL_ASSIGN_OR_RETURN(std::vector<uint8_t> caps,
                          b->Control(SwtpmCommand::kGetCapability, {}, 8));
  b->caps_ = LoadBe<uint64_t>(caps, 0);
  if ((b->caps_ & kSwtpmRequiredCaps) != kSwtpmRequiredCaps) {
    return Error(ErrorCode::kUnsupported,
                 "tpm: swtpm lacks capabilities Petrel needs (has " + Hex(b->caps_) + ", needs " +
                     Hex(kSwtpmRequiredCaps) + ")");
  }

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return Error::FromErrno("tpm: socketpair");
  }
  b->data_.reset(pair[0]);
  UniqueFd theirs(pair[1]);
  PETREL_TRY(b->Control(SwtpmCommand::kSetDatafd, {}, 4, theirs.get()).Wrap("tpm"));
  theirs.reset();

  PETREL_TRY(b->Startup(options.buffer_size, restore)
                 .Wrap(restore != nullptr ? "tpm: restoring swtpm's state" : "tpm: starting swtpm"));
  return b;
}

Result<void> SwtpmBackend::Startup(size_t buffer_size, const SwtpmState* restore) {
  // CMD_SET_BUFFERSIZE only works on a stopped TPM.
  PETREL_TRY(Control(SwtpmCommand::kStop, {}, 4));
  uint8_t want[4];
  StoreBe<uint32_t>(want, 0, static_cast<uint32_t>(buffer_size));
  PETREL_ASSIGN_OR_RETURN(std::vector<uint8_t> sizes,
                          Control(SwtpmCommand::kSetBufferSize, want, 16));
  // The answer: result, buffersize, minsize, maxsize.
  buffer_size_ = std::min<size_t>(buffer_size, LoadBe<uint32_t>(sizes, 4));
  if (buffer_size_ < kTpmHeaderSize) {
    return Error(ErrorCode::kMalformed, "swtpm offers a " + std::to_string(buffer_size_) +
                                              "-byte buffer");
  }
  if (restore != nullptr) {
    PETREL_TRY(SetBlob(kBlobPermanent, restore->permanent));
    PETREL_TRY(SetBlob(kBlobVolatile, restore->volatile_state));
    if (!restore->savestate.empty()) PETREL_TRY(SetBlob(kBlobSavestate, restore->savestate));
  }
  // Flags 0: a volatile state set above is loaded, not deleted.
  const uint8_t init_flags[4] = {};
  PETREL_TRY(Control(SwtpmCommand::kInit, init_flags, 4));
  PETREL_ASSIGN_OR_RETURN(std::vector<uint8_t> est,
                          Control(SwtpmCommand::kGetTpmEstablished, {}, 8));
  established_ = (est[4] & 1) != 0;
  if (restore != nullptr) return Ok();  // started before the snapshot

  uint8_t buffer[64] = {};
  std::memcpy(buffer, kStartupClear, sizeof kStartupClear);
  PETREL_ASSIGN_OR_RETURN(size_t n, Execute(buffer, sizeof kStartupClear));
  const uint32_t rc = LoadBe<uint32_t>(std::span<const uint8_t>(buffer, n), 6);
  if (rc != kRcSuccess && rc != kRcInitialize) {
    return Error(ErrorCode::kMalformed, "TPM2_Startup(CLEAR) answered " + Hex(rc));
  }
  return Ok();
}

// One control message: the command number and its payload, in one send()
// when it fits the socket buffer (swtpm reads the header with one read).
Result<void> SwtpmBackend::SendControlLocked(SwtpmCommand command,
                                            std::span<const uint8_t> payload,
                                            int64_t deadline_ms) {
  std::vector<uint8_t> message(4 + payload.size());
  StoreBe<uint32_t>(message, 0, static_cast<uint32_t>(command));
  std::copy(payload.begin(), payload.end(), message.begin() + 4);
  return WriteAll(control_.get(), message, deadline_ms);
}

Result<std::vector<uint8_t>> SwtpmBackend::Control(SwtpmCommand command,
                                                   std::span<const uint8_t> payload,
                                                   size_t answer_size, int fd) {
  std::lock_guard lock(control_mu_);
  const int64_t deadline = NowMs() + control_timeout_ms_;
  if (fd >= 0) {
    std::vector<uint8_t> message(4 + payload.size());
    StoreBe<uint32_t>(message, 0, static_cast<uint32_t>(command));
    std::copy(payload.begin(), payload.end(), message.begin() + 4);
    PETREL_TRY(SendWithFd(control_.get(), message, fd));
  } else {
    PETREL_TRY(SendControlLocked(command, payload, deadline));
  }
  // The result first: on an error swtpm sends nothing else.
  std::vector<uint8_t> answer(std::max<size_t>(answer_size, 4));
  PETREL_TRY(ReadExact(control_.get(), std::span(answer).first(4), deadline));
  const uint32_t result = LoadBe<uint32_t>(answer, 0);
  // CMD_GET_CAPABILITY answers a 64-bit value without a result; its high
  // half is 0.
  if (result != kRcSuccess) {
    return Error(ErrorCode::kMalformed, "swtpm control command " +
                                              std::to_string(static_cast<uint32_t>(command)) +
                                              " failed with " + Hex(result));
  }
  PETREL_TRY(ReadExact(control_.get(), std::span(answer).subspan(4), deadline));
  return answer;
}

Result<size_t> SwtpmBackend::Execute(std::span<uint8_t> buffer, size_t command_size) {
  if (command_size < kTpmHeaderSize || command_size > buffer.size()) {
    return Error(ErrorCode::kInvalidArgument, "tpm: a " + std::to_string(command_size) +
                                                  "-byte command");
  }
  if (command_size > buffer_size_) {
    // More than swtpm takes: answered here as a TPM would, the stream to
    // swtpm stays in step.
    return WriteTpmErrorResponse(buffer, kTpmRcCommandSize);
  }
  const int64_t deadline = NowMs() + command_timeout_ms_;
  PETREL_TRY(WriteAll(data_.get(), buffer.first(command_size), deadline));
  // The header, then the rest its size field announces; a cancel request
  // meanwhile goes to swtpm's control channel.
  size_t done = 0, want = kTpmHeaderSize;
  while (done < want) {
    pollfd p[2] = {{data_.get(), POLLIN, 0}, {cancel_.get(), POLLIN, 0}};
    PETREL_TRY(PollUntil(p, deadline));
    if ((p[1].revents & POLLIN) != 0) {
      uint64_t ignored;
      (void)!read(cancel_.get(), &ignored, sizeof ignored);
      if ((caps_ & kSwtpmCapCancelTpmCmd) != 0) {
        Result<std::vector<uint8_t>> r = Control(SwtpmCommand::kCancelTpmCmd, {}, 4);
        if (!r.ok()) {
          PETREL_LOG(kWarn) << "tpm: cancel: " << r.error().message();
        }
      }
    }
    if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = recv(data_.get(), buffer.data() + done, want - done, MSG_DONTWAIT);
    if (n == 0) return Error::FromErrno("swtpm closed the data channel", ECONNRESET);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::FromErrno("tpm: reading the response");
    }
    done += static_cast<size_t>(n);
    if (done == kTpmHeaderSize && want == kTpmHeaderSize) {
      const uint32_t size = LoadBe<uint32_t>(buffer, kTpmHeaderSizeOffset);
      if (size < kTpmHeaderSize || size > buffer.size()) {
        return Error(ErrorCode::kMalformed,
                     "swtpm sent a response of " + std::to_string(size) + " bytes");
      }
      want = size;
    }
  }
  return done;
}

// CMD_GET_STATEBLOB on the socket interface: the request {state_flags,
// type, offset 0}; the answer {result, state_flags, totlength, length}
// and then all `totlength` bytes, into `blob`. False: swtpm has no such
// blob (it answered with a TPM error, e.g. no save state).
Result<bool> SwtpmBackend::GetBlob(uint32_t type, std::vector<uint8_t>& blob) {
  uint8_t request[12];
  StoreBe<uint32_t>(request, 0, kStateFlagDecrypted);
  StoreBe<uint32_t>(request, 4, type);
  StoreBe<uint32_t>(request, 8, 0);
  std::lock_guard lock(control_mu_);
  const int64_t deadline = NowMs() + control_timeout_ms_;
  PETREL_TRY(SendControlLocked(SwtpmCommand::kGetStateBlob, request, deadline));
  uint8_t header[16];
  PETREL_TRY(ReadExact(control_.get(), header, deadline));
  blob.clear();
  if (LoadBe<uint32_t>(header, 0) != kRcSuccess) return false;
  const uint32_t total = LoadBe<uint32_t>(header, 8);
  if (total > kSwtpmMaxBlobSize) {
    return Error(ErrorCode::kMalformed, "swtpm: a state blob of " + std::to_string(total) +
                                            " bytes (Petrel takes " +
                                            std::to_string(kSwtpmMaxBlobSize) + ")");
  }
  blob.resize(total);
  PETREL_TRY(ReadExact(control_.get(), blob, deadline));
  return true;
}

// CMD_SET_STATEBLOB: the header {state_flags, type, length}, the blob, then
// the result.
Result<void> SwtpmBackend::SetBlob(uint32_t type, std::span<const uint8_t> blob) {
  if (blob.size() > kSwtpmMaxBlobSize) {
    return Error(ErrorCode::kInvalidArgument, "a TPM state blob of " +
                                                  std::to_string(blob.size()) + " bytes");
  }
  std::vector<uint8_t> request(12 + blob.size());
  StoreBe<uint32_t>(request, 0, 0);  // not encrypted
  StoreBe<uint32_t>(request, 4, type);
  StoreBe<uint32_t>(request, 8, static_cast<uint32_t>(blob.size()));
  std::copy(blob.begin(), blob.end(), request.begin() + 12);
  std::lock_guard lock(control_mu_);
  const int64_t deadline = NowMs() + control_timeout_ms_;
  PETREL_TRY(SendControlLocked(SwtpmCommand::kSetStateBlob, request, deadline));
  uint8_t result[4];
  PETREL_TRY(ReadExact(control_.get(), result, deadline));
  if (LoadBe<uint32_t>(result, 0) != kRcSuccess) {
    return Error(ErrorCode::kMalformed, "swtpm: CMD_SET_STATEBLOB(" + std::to_string(type) +
                                            ") failed with " + Hex(LoadBe<uint32_t>(result, 0)));
  }
  return Ok();
}

Result<SwtpmState> SwtpmBackend::SaveState() {
  SwtpmState state;
  PETREL_ASSIGN_OR_RETURN(const bool permanent, GetBlob(kBlobPermanent, state.permanent));
  PETREL_ASSIGN_OR_RETURN(const bool volatile_state,
                          GetBlob(kBlobVolatile, state.volatile_state));
  if (!permanent || !volatile_state) {
    return Error(ErrorCode::kMalformed, "swtpm gave no permanent or volatile state");
  }
  // No save state is the usual case (no TPM2_Shutdown(STATE) happened).
  PETREL_TRY(GetBlob(kBlobSavestate, state.savestate));
  return state;
}

void SwtpmBackend::Cancel() {
  const uint64_t one = 1;
  (void)!write(cancel_.get(), &one, sizeof one);
}

isolation::SyscallRules SwtpmBackend::WorkerSyscalls() {
  return {
      SYS_sendto, SYS_recvfrom,  // send()/recv() on the data and control sockets
      SYS_poll, SYS_ppoll,       // bounded waits for swtpm
      SYS_read,                  // the cancel eventfd
  };
}

}  // namespace petrel::tpm
