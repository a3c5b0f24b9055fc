// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SendApiRequest and the response parsing (see api_client.h).
#include "vmm/api/api_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>
#include <optional>

namespace petrel::api {
namespace {

constexpr std::string_view kHeaderEnd = "\r\n\r\n";

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  return true;
}

struct Head {
  int status = 0;
  std::optional<size_t> content_length;
  size_t body_start = 0;
};

// RFC 9112 section 4: status-line = HTTP-version SP status-code SP [reason].
std::optional<Head> ParseHead(std::string_view bytes) {
  size_t end = bytes.find(kHeaderEnd);
  if (end == std::string_view::npos) return std::nullopt;
  Head head;
  head.body_start = end + kHeaderEnd.size();
  std::string_view lines = bytes.substr(0, end + 2);
  size_t eol = lines.find("\r\n");
  std::string_view status_line = lines.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ')
    return Head{-1, std::nullopt, 0};
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return Head{-1, std::nullopt, 0};
    status = status * 10 + (status_line[i] - '0');
  }
  head.status = status;
  lines.remove_prefix(eol + 2);
  while (!lines.empty()) {
    eol = lines.find("\r\n");
    std::string_view field = lines.substr(0, eol);
    lines.remove_prefix(eol + 2);
    if (!StartsWithIgnoreCase(field, "content-length:")) continue;
    std::string_view v = field.substr(15);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty() || v.size() > 10) return Head{-1, std::nullopt, 0};
    size_t n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return Head{-1, std::nullopt, 0};
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    head.content_length = n;
  }
  // RFC 9110 6.4.1: 1xx, 204 and 304 have no body.
  if (head.status < 200 || head.status == 204 || head.status == 304) head.content_length = 0;
  return head;
}

Error Malformed(std::string what) {
  return Error(ErrorCode::kMalformed, "malformed API response: " + std::move(what));
}

Result<int> Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Error(ErrorCode::kInvalidArgument, "bad API socket path '" + path + "'");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::FromErrno("socket");
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    if (err == ENOENT) {
      return Error(ErrorCode::kNotFound, "connecting to " + path + ": no such socket", err);
    }
    return Error::FromErrno("connecting to " + path, err);
  }
  return fd;
}

// Waits for `events` on `fd`; false on timeout.
Result<bool> Wait(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return Error::FromErrno("poll");
  }
}

// send() of `data`, with `fds` as SCM_RIGHTS when there are any.
ssize_t SendWithFds(int fd, std::string_view data, std::span<const int> fds) {
  if (fds.empty()) return send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  iovec iov{const_cast<char*>(data.data()), data.size()};
  std::vector<char> control(CMSG_SPACE(fds.size_bytes()), 0);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(fds.size_bytes());
  std::memcpy(CMSG_DATA(c), fds.data(), fds.size_bytes());
  return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

// Writes `data`, `fds` with its first bytes; stops quietly if the server
// closed its end (it may have answered already).
Result<void> WriteAll(int fd, std::string_view data, int timeout_ms,
                      std::span<const int> fds = {}) {
  while (!data.empty()) {
    ssize_t n = SendWithFds(fd, data, fds);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      fds = {};  // they went with these bytes
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return Ok();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      PETREL_ASSIGN_OR_RETURN(bool ready, Wait(fd, POLLOUT, timeout_ms));
      if (!ready) return Error(ErrorCode::kSystem, "timed out sending the request");
      continue;
    }
    return Error::FromErrno("sending the request");
  }
  return Ok();
}

// Reads until EOF or, if `stop_when_complete`, a complete response.
Result<std::string> ReadResponse(int fd, int timeout_ms, bool stop_when_complete) {
  std::string bytes;
  char chunk[16 * 1024];
  for (;;) {
    if (stop_when_complete && CompleteResponseLength(bytes) != 0) return bytes;
    PETREL_ASSIGN_OR_RETURN(bool ready, Wait(fd, POLLIN, timeout_ms));
    if (!ready) return Error(ErrorCode::kSystem, "timed out waiting for the response");
    ssize_t n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      bytes.append(chunk, static_cast<size_t>(n));
      if (bytes.size() > kMaxClientResponseBytes) return Malformed("response too large");
      continue;
    }
    if (n == 0) return bytes;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    if (errno == ECONNRESET) return bytes;  // closed with our unread request in its queue
    return Error::FromErrno("reading the response");
  }
}

}  // namespace

long CompleteResponseLength(std::string_view bytes) {
  std::optional<Head> head = ParseHead(bytes);
  if (!head) return 0;
  if (head->status < 0) return -1;
  if (!head->content_length) return 0;  // delimited by EOF
  if (bytes.size() - head->body_start < *head->content_length) return 0;
  return static_cast<long>(head->body_start + *head->content_length);
}

Result<ApiResponse> ParseApiResponse(std::string_view bytes) {
  if (bytes.empty()) return Malformed("the server closed the connection without answering");
  std::optional<Head> head = ParseHead(bytes);
  if (!head) return Malformed("incomplete header");
  if (head->status < 0) return Malformed("bad status line or Content-Length");
  ApiResponse r;
  r.status = head->status;
  std::string_view body = bytes.substr(head->body_start);
  if (head->content_length) {
    if (body.size() < *head->content_length) return Malformed("body shorter than Content-Length");
    body = body.substr(0, *head->content_length);
  }
  r.body = std::string(body);
  return r;
}

Result<ApiResponse> SendApiRequest(const std::string& socket_path, std::string_view method,
                                   std::string_view endpoint, std::string_view body,
                                   int timeout_ms, std::span<const int> fds) {
  std::string request = std::string(method) + " /api/v1/" + std::string(endpoint) +
                        " HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nConnection: close\r\n";
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  PETREL_ASSIGN_OR_RETURN(int fd, Connect(socket_path));
  Result<void> sent = WriteAll(fd, request, timeout_ms, fds);
  if (!sent.ok()) {
    close(fd);
    return std::move(sent).error();
  }
  Result<std::string> bytes = ReadResponse(fd, timeout_ms, /*stop_when_complete=*/true);
  close(fd);
  if (!bytes.ok()) return std::move(bytes).error();
  return ParseApiResponse(*bytes);
}

Result<std::string> SendRawBytes(const std::string& socket_path, std::string_view raw,
                                 int timeout_ms) {
  PETREL_ASSIGN_OR_RETURN(int fd, Connect(socket_path));
  Result<void> sent = WriteAll(fd, raw, timeout_ms);
  if (sent.ok()) shutdown(fd, SHUT_WR);
  Result<std::string> bytes = sent.ok() ? ReadResponse(fd, timeout_ms, /*stop_when_complete=*/false)
                                        : Result<std::string>(std::move(sent).error());
  close(fd);
  return bytes;
}

}  // namespace petrel::api
