// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockMuxer: the hybrid vsock's host sockets (see the header).
#include "devices/virtio/vsock/vsock_muxer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/base/log.h"

namespace petrel::virtio {
namespace {

// "connect 0\n": reading this much never passes the newline.
constexpr size_t kMinConnectLine = 10;
// Host programs accepted per wake of the listener.
constexpr int kAcceptsPerWake = 16;
// Retry delays: a writable wait on a loop without WatchFdWritable, and the
// listener after an accept() error (EMFILE would keep it readable).
constexpr uint64_t kWriteRetryNs = 1'000'000;
constexpr uint64_t kListenerRetryNs = 100'000'000;

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Error(ErrorCode::kInvalidArgument, "UNIX socket path '" + path + "' is empty or too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// "CONNECT <port>\n" (Cloud Hypervisor: "connect " in any case, the port
// trimmed of blanks). nullopt if malformed.
std::optional<uint32_t> ParseConnectLine(std::string_view line) {
  constexpr std::string_view kPrefix = "connect ";
  if (line.size() < kPrefix.size() + 1 || line.back() != '\n') return std::nullopt;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    const char c = line[i];
    if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != kPrefix[i]) return std::nullopt;
  }
  std::string_view rest = line.substr(kPrefix.size(), line.size() - kPrefix.size() - 1);
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!rest.empty() && blank(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && blank(rest.back())) rest.remove_suffix(1);
  if (rest.empty() || rest.size() > 10) return std::nullopt;
  uint64_t port = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint64_t>(c - '0');
  }
  if (port > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(port);
}

// Whether the host closed its socket both ways (POLLHUP), rather than only
// its write side (shutdown(SHUT_WR): POLLRDHUP without POLLHUP).
bool HungUp(int fd) {
  pollfd p{fd, POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

// send() that neither blocks nor raises SIGPIPE; 0 if the socket is full,
// -1 (errno set) on an error.
ssize_t SendSome(int fd, std::span<const uint8_t> bytes) {
  ssize_t n;
  do {
    n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return n;
}

ssize_t ReadSome(int fd, void* buf, size_t len) {
  ssize_t n;
  do {
    n = ::read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

Result<std::unique_ptr<VsockMuxer>> VsockMuxer::Create(const std::string& socket_path,
                                                       uint64_t guest_cid) {
  PETREL_ASSIGN_OR_RETURN(sockaddr_un addr, UnixAddress(socket_path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error::FromErrno("socket(AF_UNIX)");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    if (err == EADDRINUSE) {
      return Error(ErrorCode::kAlreadyExists,
                   "socket=" + socket_path +
                       ": the path exists (another VM's socket, or a stale one from an earlier "
                       "run: remove it first)",
                   err);
    }
    return Error::FromErrno("bind(" + socket_path + ")", err);
  }
  auto muxer = std::unique_ptr<VsockMuxer>(new VsockMuxer(socket_path, guest_cid, std::move(fd)));
  // From here the destructor unlinks the path.
  if (::listen(muxer->listener_.get(), SOMAXCONN) != 0) {
    return Error::FromErrno("listen(" + socket_path + ")");
  }
  return muxer;
}

VsockMuxer::~VsockMuxer() {
  Stop();
  listener_.reset();
  // Cloud Hypervisor removes its socket when the VMM shuts down.
  ::unlink(path_.c_str());
}

Result<void> VsockMuxer::Start(EventLoop& loop, std::function<void()> on_rx) {
  Stop();
  loop_ = &loop;
  on_rx_ = std::move(on_rx);
  auto id = loop.WatchFd(listener_.get(), [this] { OnListenerReadable(); });
  if (!id.ok()) {
    loop_ = nullptr;
    on_rx_ = nullptr;
    return std::move(id).error().Wrap("watching " + path_);
  }
  listener_watch_ = *id;
  return Ok();
}

void VsockMuxer::Stop() {
  CloseAll();
  while (!pending_.empty()) ClosePending(pending_.begin()->first);
  if (loop_ != nullptr) {
    if (listener_watch_) loop_->Remove(*listener_watch_);
    if (listener_retry_) loop_->Remove(*listener_retry_);
  }
  listener_watch_.reset();
  listener_retry_.reset();
  refusals_.clear();
  owed_.clear();
  ready_.clear();
  loop_ = nullptr;
  on_rx_ = nullptr;
}

void VsockMuxer::CloseAll() {
  while (!conns_.empty()) Remove(conns_.begin()->first);
  ready_.clear();
  local_ports_.clear();
}

void VsockMuxer::NotifyRx() {
  if (!on_rx_ || !HasRx()) return;
  // A copy: the device may Stop() the muxer from inside.
  const std::function<void()> on_rx = on_rx_;
  on_rx();
}

// ---------------------------------------------------------------------------
// Host-initiated connections

void VsockMuxer::WatchListener() {
  listener_retry_.reset();
  if (loop_ == nullptr || listener_watch_) return;
  auto id = loop_->WatchFd(listener_.get(), [this] { OnListenerReadable(); });
  if (id.ok()) listener_watch_ = *id;
}

void VsockMuxer::OnListenerReadable() {
  for (int i = 0; i < kAcceptsPerWake; ++i) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED) continue;
      // Out of descriptors (or worse): the listener stays readable, so
      // stop watching it for a while rather than spin.
      PETREL_LOG_ONCE(kError, "virtio-vsock-accept")
          << "virtio-vsock: accept on " << path_ << ": " << std::strerror(err);
      if (listener_watch_) loop_->Remove(*listener_watch_);
      listener_watch_.reset();
      auto t = loop_->AddTimer(loop_->NowNs() + kListenerRetryNs, [this] { WatchListener(); });
      if (t.ok()) listener_retry_ = *t;
      return;
    }
    if (conns_.size() + pending_.size() >= kVsockMaxConnections) {
      PETREL_LOG_ONCE(kWarn, "virtio-vsock-host-limit")
          << "virtio-vsock: " << kVsockMaxConnections
          << " connections open; refusing host connections on " << path_;
      continue;  // closed
    }
    const uint64_t id = next_pending_id_++;
    auto p = std::make_unique<PendingHost>();
    auto watch = loop_->WatchFd(fd.get(), [this, id] { OnPendingReadable(id); });
    if (!watch.ok()) {
      PETREL_LOG_ONCE(kError, "virtio-vsock-watch")
          << "virtio-vsock: cannot watch a host connection: " << watch.error().message();
      continue;
    }
    p->fd = std::move(fd);
    p->watch = *watch;
    pending_.emplace(id, std::move(p));
  }
}

void VsockMuxer::ClosePending(uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (it->second->watch && loop_ != nullptr) loop_->Remove(*it->second->watch);
  pending_.erase(it);
}

void VsockMuxer::OnPendingReadable(uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  PendingHost& p = *it->second;
  // Never read past the newline: what follows it is the guest's data.
  const size_t want = std::min(std::max(kMinConnectLine, p.len + 1), kVsockMaxConnectLine) - p.len;
  const ssize_t n = ReadSome(p.fd.get(), p.line + p.len, want);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) return ClosePending(id);  // gone before its CONNECT line
  p.len += static_cast<size_t>(n);
  const std::string_view seen(p.line, p.len);
  const size_t nl = seen.find('\n');
  if (nl == std::string_view::npos) {
    if (p.len == kVsockMaxConnectLine) {
      PETREL_LOG_ONCE(kWarn, "virtio-vsock-connect-line")
          << "virtio-vsock: a host connection sent no \"CONNECT <port>\\n\" line; closed";
      ClosePending(id);
    }
    return;
  }
  const std::optional<uint32_t> port = ParseConnectLine(seen.substr(0, nl + 1));
  if (!port) {
    PETREL_LOG_ONCE(kWarn, "virtio-vsock-connect-line")
        << "virtio-vsock: a host connection sent no \"CONNECT <port>\\n\" line; closed";
    return ClosePending(id);
  }
  UniqueFd fd = std::move(p.fd);
  ClosePending(id);
  AddHostInitiated(std::move(fd), *port);
  NotifyRx();
}

uint32_t VsockMuxer::AllocateLocalPort(uint32_t guest_port) {
  // Cloud Hypervisor's: the next port in [2^30, 2^31), skipping live ones
  // (at most kVsockMaxConnections are, so this ends).
  for (;;) {
    last_local_port_ = ((last_local_port_ + 1) & ~(1u << 31)) | kVsockFirstLocalPort;
    if (local_ports_.count(last_local_port_) == 0 &&
        conns_.count(Pack({last_local_port_, guest_port})) == 0) {
      return last_local_port_;
    }
  }
}

void VsockMuxer::AddHostInitiated(UniqueFd fd, uint32_t guest_port) {
  if (conns_.size() >= kVsockMaxConnections) return;  // fd closed
  const uint32_t local = AllocateLocalPort(guest_port);
  local_ports_.insert(local);
  const uint64_t key = Pack({local, guest_port});
  auto c = std::make_unique<HostConn>(VsockConnection::HostInitiated(guest_cid_, local, guest_port));
  c->fd = std::move(fd);
  c->host_initiated = true;
  conns_.emplace(key, std::move(c));
  Sync(key);
}

void VsockMuxer::AckHost(HostConn& c) {
  const std::string ok = "OK " + std::to_string(c.conn.local_port()) + "\n";
  const ssize_t n =
      SendSome(c.fd.get(), {reinterpret_cast<const uint8_t*>(ok.data()), ok.size()});
  if (n != static_cast<ssize_t>(ok.size())) c.conn.Kill();  // the host program is gone
}

// ---------------------------------------------------------------------------
// Guest-initiated connections

void VsockMuxer::ConnectToHost(const VsockHeader& request) {
  const Key key{request.dst_port, request.src_port};
  if (conns_.size() >= kVsockMaxConnections) {
    PETREL_LOG_ONCE(kWarn, "virtio-vsock-guest-limit")
        << "virtio-vsock: " << kVsockMaxConnections << " connections open; refusing the guest's";
    return QueueRefusal(key);
  }
  const std::string path = path_ + "_" + std::to_string(request.dst_port);
  auto addr = UnixAddress(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!addr.ok() || !fd.valid()) return QueueRefusal(key);
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un));
  } while (r != 0 && errno == EINTR);
  // A UNIX stream connect completes at once; EAGAIN means the listener's
  // backlog is full, which the loop does not wait out.
  if (r != 0) return QueueRefusal(key);
  auto c = std::make_unique<HostConn>(VsockConnection::GuestInitiated(guest_cid_, request));
  c->fd = std::move(fd);
  const uint64_t packed = Pack(key);
  conns_.emplace(packed, std::move(c));
  Sync(packed);
}

// ---------------------------------------------------------------------------
// Guest packets

void VsockMuxer::OnGuestPacket(const VsockHeader& h, std::span<const uint8_t> payload) {
  const uint64_t key = Pack({h.dst_port, h.src_port});
  auto it = conns_.find(key);
  if (it == conns_.end()) {
    if (h.op == kVsockOpRequest) return ConnectToHost(h);
    if (h.op != kVsockOpRst) QueueRefusal({h.dst_port, h.src_port});
    return;
  }
  HostConn& c = *it->second;
  switch (c.conn.OnGuestPacket(h)) {
    case VsockConnection::GuestAction::kForward:
      tx_bytes_.fetch_add(payload.size(), std::memory_order_relaxed);
      Forward(c, payload);
      break;
    case VsockConnection::GuestAction::kAckHost:
      AckHost(c);
      break;
    case VsockConnection::GuestAction::kClose:
    case VsockConnection::GuestAction::kNone:
      break;
  }
  Sync(key);
}

void VsockMuxer::Refuse(const VsockHeader& h) {
  if (h.op == kVsockOpRst) return;
  const uint64_t key = Pack({h.dst_port, h.src_port});
  auto it = conns_.find(key);
  if (it == conns_.end()) return QueueRefusal({h.dst_port, h.src_port});
  it->second->conn.Kill();
  Sync(key);
}

void VsockMuxer::QueueRefusal(Key key) {
  // The device takes no tx chain while the queue is full (CanTakeTx), so
  // this bound only guards against a caller that did not ask.
  if (refusals_.size() >= 2 * kVsockMaxPendingRefusals) return;
  refusals_.push_back(key);
}

void VsockMuxer::Forward(HostConn& c, std::span<const uint8_t> payload) {
  size_t sent = 0;
  if (c.conn.tx_empty()) {
    const ssize_t n = SendSome(c.fd.get(), payload);
    if (n < 0) {
      c.conn.Kill();  // EPIPE, ECONNRESET: the host program is gone
      return;
    }
    sent = static_cast<size_t>(n);
    c.conn.OnForwarded(static_cast<uint32_t>(sent));
  }
  if (sent < payload.size()) c.conn.Buffer(payload.subspan(sent));
}

// ---------------------------------------------------------------------------
// Host events

void VsockMuxer::OnHostReadable(uint64_t key) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  HostConn& c = *it->second;
  if (c.read_watch) loop_->Remove(*c.read_watch);  // until the data is taken
  c.read_watch.reset();
  c.conn.SetHostReadable(true);
  Sync(key);
  NotifyRx();
}

void VsockMuxer::OnHostWritable(uint64_t key) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  HostConn& c = *it->second;
  if (c.write_by_timer) c.write_watch.reset();  // a one-shot retry
  while (!c.conn.tx_empty() && c.fd.valid()) {
    const std::span<const uint8_t> front = c.conn.tx_front();
    const ssize_t n = SendSome(c.fd.get(), front);
    if (n < 0) {
      c.conn.Kill();
      break;
    }
    c.conn.OnFlushed(static_cast<uint32_t>(n));
    if (static_cast<size_t>(n) < front.size()) break;
  }
  Sync(key);
  NotifyRx();  // a credit update or the final RST may be due
}

void VsockMuxer::OnTimer(uint64_t key) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  HostConn& c = *it->second;
  c.timer.reset();
  if (!c.conn.WantsTimer()) return;
  PETREL_LOG(kDebug) << "virtio-vsock: connection " << c.conn.local_port() << " <-> "
                     << c.conn.peer_port() << " timed out";
  c.conn.OnExpired();
  Sync(key);
  NotifyRx();
}

// ---------------------------------------------------------------------------
// Connection bookkeeping

void VsockMuxer::Sync(uint64_t key) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  HostConn& c = *it->second;
  if (c.conn.done()) return Remove(key);
  if (c.conn.host_closed()) {
    CloseHost(c);
  } else if (!SyncHost(c, key)) {
    c.conn.Kill();
    CloseHost(c);
  }
  if (loop_ != nullptr) {
    if (c.conn.WantsTimer() && !c.timer) {
      auto t = loop_->AddTimer(loop_->NowNs() + kVsockConnTimeoutNs, [this, key] { OnTimer(key); });
      if (t.ok()) c.timer = *t;
    } else if (!c.conn.WantsTimer() && c.timer) {
      loop_->Remove(*c.timer);
      c.timer.reset();
    }
  }
  if (c.conn.HasRxWork() && !c.queued) {
    ready_.push_back(key);
    c.queued = true;
  }
}

bool VsockMuxer::SyncHost(HostConn& c, uint64_t key) {
  if (loop_ == nullptr || !c.fd.valid()) return false;
  if (c.conn.WantsHostWriteShutdown()) {
    ::shutdown(c.fd.get(), SHUT_WR);  // the host program reads EOF
    c.conn.OnHostWriteShutdown();
  }
  const bool want_read = c.conn.WantsHostData() && !c.conn.host_readable();
  if (want_read && !c.read_watch) {
    auto id = loop_->WatchFd(c.fd.get(), [this, key] { OnHostReadable(key); });
    if (!id.ok()) {
      PETREL_LOG_ONCE(kError, "virtio-vsock-watch")
          << "virtio-vsock: cannot watch a host connection: " << id.error().message();
      return false;
    }
    c.read_watch = *id;
  } else if (!want_read && c.read_watch) {
    loop_->Remove(*c.read_watch);
    c.read_watch.reset();
  }
  const bool want_write = !c.conn.tx_empty();
  if (want_write && !c.write_watch) {
    Result<WatchId> id = Error(ErrorCode::kUnsupported, "");
    if (!c.write_by_timer) {
      if (!c.write_fd.valid()) c.write_fd.reset(::fcntl(c.fd.get(), F_DUPFD_CLOEXEC, 0));
      if (c.write_fd.valid()) {
        id = loop_->WatchFdWritable(c.write_fd.get(), [this, key] { OnHostWritable(key); });
      }
      if (!id.ok() && id.error().code() == ErrorCode::kUnsupported) c.write_by_timer = true;
    }
    if (c.write_by_timer) {
      id = loop_->AddTimer(loop_->NowNs() + kWriteRetryNs, [this, key] { OnHostWritable(key); });
    }
    if (!id.ok()) {
      PETREL_LOG_ONCE(kError, "virtio-vsock-watch")
          << "virtio-vsock: cannot wait to write a host connection: " << id.error().message();
      return false;
    }
    c.write_watch = *id;
  } else if (!want_write && c.write_watch) {
    loop_->Remove(*c.write_watch);
    c.write_watch.reset();
  }
  return true;
}

void VsockMuxer::CloseHost(HostConn& c) {
  if (loop_ != nullptr) {
    if (c.read_watch) loop_->Remove(*c.read_watch);
    if (c.write_watch) loop_->Remove(*c.write_watch);
  }
  c.read_watch.reset();
  c.write_watch.reset();
  c.write_fd.reset();
  c.fd.reset();
}

void VsockMuxer::Remove(uint64_t key) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  HostConn& c = *it->second;
  CloseHost(c);
  if (c.timer && loop_ != nullptr) loop_->Remove(*c.timer);
  if (c.host_initiated) local_ports_.erase(c.conn.local_port());
  conns_.erase(it);  // its ready_ entry, if any, is skipped
}

// ---------------------------------------------------------------------------
// Packets for the guest

std::optional<uint32_t> VsockMuxer::NextRxPacket(std::span<uint8_t> payload, VsockHeader& hdr) {
  auto rst = [&](Key k) {
    hdr = VsockHeader{};
    hdr.src_cid = kVsockHostCid;
    hdr.dst_cid = guest_cid_;
    hdr.src_port = k.first;
    hdr.dst_port = k.second;
    hdr.type = kVsockTypeStream;
    hdr.op = kVsockOpRst;
  };
  if (!owed_.empty()) {
    rst(owed_.back());
    owed_.pop_back();
    return 0;
  }
  if (!refusals_.empty()) {
    rst(refusals_.front());
    refusals_.pop_front();
    return 0;
  }
  size_t skipped = 0;
  while (!ready_.empty()) {
    const uint64_t key = ready_.front();
    auto it = conns_.find(key);
    if (it == conns_.end() || !it->second->queued) {
      ready_.pop_front();  // stale
      continue;
    }
    HostConn& c = *it->second;
    if (payload.empty() && !c.conn.HasControl()) {
      // Data does not fit this buffer (a header and no more): keep the
      // connection's turn, look for a control packet behind it.
      ready_.pop_front();
      ready_.push_back(key);
      if (++skipped >= ready_.size()) return std::nullopt;
      continue;
    }
    ready_.pop_front();
    c.queued = false;
    std::optional<uint32_t> len;
    if (auto control = c.conn.TakeControl()) {
      hdr = *control;
      len = 0;
    } else if (c.conn.HasData() && c.fd.valid()) {
      const size_t want = std::min<size_t>(payload.size(), c.conn.PeerCredit());
      const ssize_t n = ReadSome(c.fd.get(), payload.data(), want);
      if (n > 0) {
        // A short read drained the socket: watch it again.
        c.conn.SetHostReadable(static_cast<size_t>(n) == want);
        hdr = c.conn.TakeData(static_cast<uint32_t>(n));
        rx_bytes_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        len = static_cast<uint32_t>(n);
      } else if (n == 0) {
        c.conn.OnHostEof(HungUp(c.fd.get()));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c.conn.SetHostReadable(false);
      } else {
        c.conn.Kill();
      }
    }
    Sync(key);  // back in line (at the end) if it has more; removed if done
    if (len) return len;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Snapshot

std::vector<VsockMuxer::Key> VsockMuxer::Connections() const {
  std::vector<Key> keys(owed_.begin(), owed_.end());
  for (const auto& [key, c] : conns_) keys.push_back(Unpack(key));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void VsockMuxer::OweResets(std::vector<Key> keys) {
  owed_ = std::move(keys);
  // Served from the back: the lowest key first.
  std::sort(owed_.rbegin(), owed_.rend());
}

}  // namespace petrel::virtio
