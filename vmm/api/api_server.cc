// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ApiServer (see api_server.h): sockets, connections and their buffers.
#include "vmm/api/api_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "core/base/log.h"
#include "vmm/api/http_request.h"
#include "vmm/api/http_response.h"

namespace petrel::api {
namespace {

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return Error(ErrorCode::kInvalidArgument, "API socket path is empty");
  if (path.size() >= sizeof(addr.sun_path)) {
    return Error(ErrorCode::kInvalidArgument, "API socket path is longer than " +
                                                  std::to_string(sizeof(addr.sun_path) - 1) +
                                                  " bytes: " + path);
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// True if a process accepts connections on the socket file at `addr`.
bool SomeoneListens(const sockaddr_un& addr) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  bool live = rc == 0 || errno == EAGAIN;  // EAGAIN: alive, backlog full
  close(fd);
  return live;
}

// Removes a stale socket file at `path`; refuses anything else.
Result<void> ClearPath(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return Error::FromErrno("API socket: stat " + path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error(ErrorCode::kInvalidArgument,
                 "API socket: " + path + " exists and is not a socket (not removing it)");
  }
  if (SomeoneListens(addr)) {
    return Error(ErrorCode::kBusy, "API socket: " + path + " is in use by a running process");
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error::FromErrno("API socket: removing stale " + path);
  }
  return Ok();
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Listen(EventLoop& loop, const Clock& clock,
                                                     VmmControl& control, const std::string& path,
                                                     ApiServerOptions options) {
  PETREL_ASSIGN_OR_RETURN(sockaddr_un addr, UnixAddress(path));
  PETREL_TRY(ClearPath(path, addr));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::FromErrno("API socket: socket");
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    Error e = Error::FromErrno("API socket: bind " + path);
    close(fd);
    return e;
  }
  std::unique_ptr<ApiServer> server(new ApiServer(loop, clock, control, fd, std::move(options)));
  // Only this user may drive the VMM. No client can connect before
  // listen(), so there is no window with wider permissions.
  if (chmod(path.c_str(), 0600) != 0) return Error::FromErrno("API socket: chmod " + path);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    server->path_ = path;  // from here on the destructor removes the file
    server->path_dev_ = st.st_dev;
    server->path_ino_ = st.st_ino;
  }
  if (listen(fd, kListenBacklog) != 0) return Error::FromErrno("API socket: listen " + path);
  return Start(std::move(server));
}

Result<std::unique_ptr<ApiServer>> ApiServer::Adopt(EventLoop& loop, const Clock& clock,
                                                    VmmControl& control, int fd,
                                                    ApiServerOptions options) {
  if (fd < 0) return Error(ErrorCode::kInvalidArgument, "API socket: negative fd");
  std::unique_ptr<ApiServer> server(new ApiServer(loop, clock, control, fd, std::move(options)));
  const std::string what = "API socket fd " + std::to_string(fd);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int type = 0;
  socklen_t type_len = sizeof type;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0) {
    return Error::FromErrno(what + ": not a socket");
  }
  if (addr.ss_family != AF_UNIX || type != SOCK_STREAM) {
    return Error(ErrorCode::kInvalidArgument, what + ": not a UNIX stream socket");
  }
  int accepting = 0;
  socklen_t acc_len = sizeof accepting;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &acc_len) != 0 || accepting == 0) {
    if (listen(fd, kListenBacklog) != 0) return Error::FromErrno(what + ": listen");
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return Error::FromErrno(what + ": fcntl");
  }
  return Start(std::move(server));
}

Result<std::unique_ptr<ApiServer>> ApiServer::Start(std::unique_ptr<ApiServer> server) {
  ApiServerOptions& o = server->options_;
  o.max_connections = std::clamp<size_t>(o.max_connections, 1, kMaxConnections);
  PETREL_TRY(server->WatchListener());
  return server;
}

Result<void> ApiServer::WatchListener() {
  PETREL_ASSIGN_OR_RETURN(listen_watch_, loop_.WatchFd(listen_fd_, [this] { OnAcceptable(); }));
  return Ok();
}

ApiServer::~ApiServer() {
  while (!connections_.empty()) Close(connections_.begin()->first);
  if (accept_timer_ != 0) loop_.Remove(accept_timer_);
  if (listen_watch_ != 0) loop_.Remove(listen_watch_);
  close(listen_fd_);
  if (!path_.empty()) {
    struct stat st {};
    if (lstat(path_.c_str(), &st) == 0 && st.st_dev == path_dev_ && st.st_ino == path_ino_) {
      unlink(path_.c_str());
    }
  }
}

void ApiServer::OnAcceptable() {
  for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      AddConnection(fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    // Out of fds or memory: the listener stays readable, so stop watching it
    // for a while instead of spinning.
    PETREL_LOG_ONCE(kWarn, "api-accept")
        << "API server: accept: " << std::strerror(errno) << "; pausing accepts";
    PauseAccepting();
    return;
  }
}

void ApiServer::PauseAccepting() {
  if (listen_watch_ != 0) loop_.Remove(listen_watch_);
  listen_watch_ = 0;
  auto timer = loop_.AddTimer(clock_.NowNs() + kAcceptRetryNs, [this] {
    accept_timer_ = 0;
    auto watched = WatchListener();
    if (!watched.ok()) {
      PETREL_LOG(kError) << "API server: " << watched.error().message();
    }
  });
  if (timer.ok()) accept_timer_ = *timer;
}

void ApiServer::AddConnection(int fd) {
  if (connections_.size() >= options_.max_connections && !EvictQuietestIdle()) {
    Refuse(fd);
    return;
  }
  const uint64_t id = next_id_++;
  Connection& c = connections_[id];
  c.fd = fd;
  c.last_active = ++activity_;
  SetReading(c, id, true);
  if (c.read_watch == 0) Close(id);
}

size_t ApiServer::busy_connection_count() const {
  return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(),
                                           [](const auto& c) { return !IsIdle(c.second); }));
}

bool ApiServer::EvictQuietestIdle() {
  auto quietest = connections_.end();
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    const Connection& c = it->second;
    if (IsIdle(c) && (quietest == connections_.end() || c.last_active < quietest->second.last_active)) {
      quietest = it;
    }
  }
  if (quietest == connections_.end()) return false;
  PETREL_LOG(kDebug) << "API server: connection limit reached; closing the quietest idle client";
  Close(quietest->first);
  return true;
}

void ApiServer::Refuse(int fd) {
  PETREL_LOG(kDebug) << "API server: every connection is busy; refusing a client";
  HttpResponse response = ErrorResponse(503, {"Service Unavailable", "too many busy connections"});
  response.close = true;
  const std::string wire = SerializeResponse(response);
  (void)send(fd, wire.data(), wire.size(), MSG_DONTWAIT | MSG_NOSIGNAL);  // best effort
  close(fd);
}

ApiServer::Connection* ApiServer::Find(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : &it->second;
}

void ApiServer::SetReading(Connection& c, uint64_t id, bool on) {
  if (on && c.read_watch == 0 && !c.peer_eof) {
    auto watch = loop_.WatchFd(c.fd, [this, id] { OnReadable(id); });
    if (watch.ok()) {
      c.read_watch = *watch;
    } else {
      PETREL_LOG(kWarn) << "API server: " << watch.error().message();
    }
  } else if (!on && c.read_watch != 0) {
    loop_.Remove(c.read_watch);
    c.read_watch = 0;
  }
}

void ApiServer::Close(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (c.read_watch != 0) loop_.Remove(c.read_watch);
  if (c.retry_timer != 0) loop_.Remove(c.retry_timer);
  if (c.request_timer != 0) loop_.Remove(c.request_timer);
  close(c.fd);
  connections_.erase(it);
}

namespace {

// recv() that also takes the fds of SCM_RIGHTS messages into `fds`, up to
// kMaxFdsPerConnection (the rest are closed).
ssize_t ReceiveWithFds(int socket, char* buffer, size_t size, std::vector<UniqueFd>& fds) {
  iovec iov{buffer, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerConnection)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(socket, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      UniqueFd owned(fd);
      if (fds.size() < kMaxFdsPerConnection) fds.push_back(std::move(owned));
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    PETREL_LOG(kWarn) << "API server: a client passed more than " << kMaxFdsPerConnection
                         << " fds; the rest were dropped";
  }
  return n;
}

}  // namespace

void ApiServer::OnReadable(uint64_t id) {
  Connection* c = Find(id);
  if (c == nullptr) return;
  c->last_active = ++activity_;
  size_t total = 0;
  char chunk[kReadChunkBytes];
  while (total < kMaxReadPerWakeBytes) {
    ssize_t n = ReceiveWithFds(c->fd, chunk, sizeof chunk, c->fds);
    if (n > 0) {
      c->in.append(chunk, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      // The parser refuses anything longer than its caps; stop reading there.
      if (c->in.size() > kMaxHeaderBytes + kMaxBodyBytes) break;
      continue;
    }
    if (n == 0) {
      c->peer_eof = true;  // the client may still wait for answers (half-close)
      SetReading(*c, id, false);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    PETREL_LOG(kDebug) << "API server: recv: " << std::strerror(errno);
    Close(id);
    return;
  }
  Process(id);
}

void ApiServer::Process(uint64_t id) {
  while (Connection* c = Find(id)) {
    if (c->out_offset < c->out.size()) return;  // waiting for the retry timer
    if (c->close_after_flush) {
      Close(id);
      return;
    }
    HttpParseResult parsed = ParseHttpRequest(c->in, &MaxRequestBodyBytes);
    HttpResponse response;
    if (parsed.kind == HttpParseResult::Kind::kNeedMore) {
      if (c->peer_eof) {
        Close(id);  // nothing more will come
      } else if (c->in.empty()) {
        CancelRequestTimer(*c);
      } else {
        ArmRequestTimer(*c, id);
      }
      return;
    }
    CancelRequestTimer(*c);
    if (parsed.kind == HttpParseResult::Kind::kError) {
      PETREL_LOG(kDebug) << "API server: bad request: " << parsed.error;
      response =
          ErrorResponse(parsed.status, {std::string(ReasonPhrase(parsed.status)), parsed.error});
      response.close = true;
      c->in.clear();
      c->fds.clear();
    } else {
      c->in.erase(0, parsed.consumed);
      PETREL_LOG(kDebug) << "API server: " << parsed.request.method << " " << parsed.request.target;
      // VmmControl runs here; it cannot reach the connection map.
      response = Answer(parsed.request, std::move(c->fds));
      c->fds.clear();
      if (!parsed.request.keep_alive) response.close = true;
    }
    c->close_after_flush = response.close;
    c->out = SerializeResponse(response);
    c->out_offset = 0;
    c->blocked_since_ns = 0;
    c->retry_delay_ns = kWriteRetryMinNs;
    if (!Flush(id)) return;
  }
}

HttpResponse ApiServer::Answer(const HttpRequest& request, std::vector<UniqueFd> fds) {
  // The thread boundary: an exception must not unwind into the loop, where
  // nothing catches it and the process would end.
  std::string what;
  try {
    return RouteRequest(request, control_, options_.identity, std::move(fds));
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  PETREL_LOG_ONCE(kError, "api-exception " + std::string(request.Path()))
      << "API server: " << request.method << " " << request.Path() << ": " << what;
  return ErrorResponse(500, {"Internal Server Error", "exception: " + what});
}

void ApiServer::ArmRequestTimer(Connection& c, uint64_t id) {
  if (c.request_timer != 0) return;  // the deadline runs from the request's first byte
  auto timer = loop_.AddTimer(clock_.NowNs() + options_.request_timeout_ns,
                              [this, id] { OnRequestTimeout(id); });
  if (timer.ok()) {
    c.request_timer = *timer;
  } else {
    PETREL_LOG(kWarn) << "API server: " << timer.error().message();
  }
}

void ApiServer::CancelRequestTimer(Connection& c) {
  if (c.request_timer != 0) loop_.Remove(c.request_timer);
  c.request_timer = 0;
}

void ApiServer::OnRequestTimeout(uint64_t id) {
  Connection* c = Find(id);
  if (c == nullptr) return;
  c->request_timer = 0;
  if (!c->out.empty()) return;  // a response is pending; the write timeout covers it
  PETREL_LOG(kDebug) << "API server: request not complete in time; closing";
  HttpResponse response = ErrorResponse(408, {"Request Timeout", "the request did not arrive in time"});
  response.close = true;
  c->in.clear();
  SetReading(*c, id, false);
  c->close_after_flush = true;
  c->out = SerializeResponse(response);
  c->out_offset = 0;
  c->blocked_since_ns = 0;
  c->retry_delay_ns = kWriteRetryMinNs;
  Flush(id);
}

bool ApiServer::Flush(uint64_t id) {
  Connection* c = Find(id);
  if (c == nullptr) return false;
  bool progressed = false;
  while (c->out_offset < c->out.size()) {
    ssize_t n = send(c->fd, c->out.data() + c->out_offset, c->out.size() - c->out_offset,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c->out_offset += static_cast<size_t>(n);
      progressed = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    PETREL_LOG(kDebug) << "API server: send: " << std::strerror(errno);
    Close(id);
    return false;
  }
  if (c->out_offset == c->out.size()) {
    c->out.clear();
    c->out_offset = 0;
    c->blocked_since_ns = 0;
    if (c->close_after_flush) {
      Close(id);
      return false;
    }
    SetReading(*c, id, true);
    return true;
  }
  // The client is not reading: stop reading from it too, and retry later.
  const uint64_t now = clock_.NowNs();
  if (progressed || c->blocked_since_ns == 0) {
    c->blocked_since_ns = now;
    c->retry_delay_ns = kWriteRetryMinNs;
  } else if (now - c->blocked_since_ns >= kWriteTimeoutNs) {
    PETREL_LOG(kDebug) << "API server: client not reading its response; closing";
    Close(id);
    return false;
  }
  SetReading(*c, id, false);
  if (c->retry_timer == 0) {
    auto timer = loop_.AddTimer(now + c->retry_delay_ns, [this, id] { OnRetry(id); });
    if (!timer.ok()) {
      Close(id);
      return false;
    }
    c->retry_timer = *timer;
    c->retry_delay_ns = std::min(c->retry_delay_ns * 2, kWriteRetryMaxNs);
  }
  return false;
}

void ApiServer::OnRetry(uint64_t id) {
  Connection* c = Find(id);
  if (c == nullptr) return;
  c->retry_timer = 0;
  if (Flush(id)) Process(id);
}

}  // namespace petrel::api
