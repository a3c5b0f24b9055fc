// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockMuxer: the host side of Cloud Hypervisor's hybrid vsock (after
// Firecracker's): the UNIX sockets behind the guest's connections, and
// which connection's packet goes to the guest next.
//
// It owns:
//   - the listener at the device's socket path, bound at Create() (an error
//     if the path exists, as Cloud Hypervisor: a stale socket file is not
//     replaced) and unlinked when the muxer is destroyed. Between Start()
//     and Stop() it is watched: a host program connects and sends
//     "CONNECT <port>\n" ("connect" in any case, at most 32 bytes up to the
//     newline, read without consuming a byte past it); the muxer then
//     sends the guest a REQUEST from (2, a host port from 2^30 upwards) to
//     (guest cid, port), and on the guest's RESPONSE writes
//     "OK <host port>\n" to the host program. Anything else closes it;
//   - for a guest REQUEST to (2, P): a non-blocking connect() to the UNIX
//     socket "<path>_P"; connected: RESPONSE; refused, missing, or a full
//     listen backlog (EAGAIN; the loop never waits): RST;
//   - one VsockConnection per live connection (at most
//     kVsockMaxConnections; more are refused), its host socket, and its fd
//     watches and timer on the loop. Guest data the host socket does not
//     take at once waits in the connection (within its credit) and goes
//     out when the socket is writable: a dup() of the socket is watched for
//     writing, since an fd is watched once per loop and the socket itself
//     is watched for reading (on a loop that cannot wait for writable fds,
//     a 1 ms timer retries instead);
//   - the queue of packets owed to the guest: RSTs for packets that name no
//     connection (at most kVsockMaxPendingRefusals: the device stops
//     taking tx chains while it is full), RSTs owed after a restore, and
//     the connections with a control packet or host data due (each once, in
//     turn).
// Everything runs on the device's loop: no locks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "core/event/event_loop.h"
#include "devices/virtio/vsock/vsock_connection.h"
#include "devices/virtio/vsock/vsock_spec.h"

namespace petrel::virtio {

// RSTs for packets that name no connection, waiting for rx buffers
// (Cloud Hypervisor's MUXER_RXQ_SIZE).
inline constexpr size_t kVsockMaxPendingRefusals = 256;
// "CONNECT <port>\n" is read up to this many bytes.
inline constexpr size_t kVsockMaxConnectLine = 32;

class VsockMuxer {
 public:
  // A connection as the guest names it: (host port, guest port).
  using Key = std::pair<uint32_t, uint32_t>;

  // Binds and listens on `socket_path` now.
  static Result<std::unique_ptr<VsockMuxer>> Create(const std::string& socket_path,
                                                    uint64_t guest_cid);
  ~VsockMuxer();
  VsockMuxer(const VsockMuxer&) = delete;
  VsockMuxer& operator=(const VsockMuxer&) = delete;

  // Serves on `loop` until Stop(). `on_rx` runs (on the loop, never inside
  // a call into the muxer) when a packet for the guest became due.
  Result<void> Start(EventLoop& loop, std::function<void()> on_rx);
  // Closes every connection and every host program still to send its
  // CONNECT line, forgets every packet owed, stops watching. The listener
  // stays bound: host programs wait in its backlog for the next Start().
  void Stop();
  // Closes every connection (a transport reset) but keeps serving.
  void CloseAll();

  // ---- guest -> host
  // A packet from the guest whose cids and type the device checked, with
  // `payload` its len bytes (RW) or empty.
  void OnGuestPacket(const VsockHeader& h, std::span<const uint8_t> payload);
  // The guest's packet `h` is refused (malformed): the connection it names
  // is reset, or an RST answers it. An RST is never answered.
  void Refuse(const VsockHeader& h);
  // Whether another tx packet can be taken (its refusal would fit).
  bool CanTakeTx() const { return refusals_.size() < kVsockMaxPendingRefusals; }

  // ---- host -> guest
  bool HasRx() const { return !owed_.empty() || !refusals_.empty() || !ready_.empty(); }
  // The next packet for the guest: its header, and its payload (RW) read
  // from the host into `payload` (at most its size); returns the payload
  // length, or nullopt if nothing could be produced now. With an empty
  // `payload` only control packets are produced (HasRx() may stay true).
  std::optional<uint32_t> NextRxPacket(std::span<uint8_t> payload, VsockHeader& hdr);

  // ---- snapshot
  // The connections the guest may think open (live ones, and RSTs still owed).
  std::vector<Key> Connections() const;
  // After a restore: the guest is sent an RST for each of `keys`.
  void OweResets(std::vector<Key> keys);

  size_t connection_count() const { return conns_.size(); }
  size_t pending_host_count() const { return pending_.size(); }
  size_t pending_refusals() const { return refusals_.size(); }
  const std::string& socket_path() const { return path_; }
  // Payload bytes guest -> host and host -> guest (any thread).
  uint64_t tx_bytes() const { return tx_bytes_.load(std::memory_order_relaxed); }
  uint64_t rx_bytes() const { return rx_bytes_.load(std::memory_order_relaxed); }

 private:
  struct HostConn {
    explicit HostConn(VsockConnection c) : conn(std::move(c)) {}
    VsockConnection conn;
    UniqueFd fd;
    UniqueFd write_fd;  // dup of fd, for the writable watch
    bool host_initiated = false;
    bool queued = false;  // in ready_
    bool write_by_timer = false;
    std::optional<WatchId> read_watch;
    std::optional<WatchId> write_watch;  // or the retry timer
    std::optional<WatchId> timer;        // kVsockConnTimeoutNs
  };
  // A host program that connected and has not finished its CONNECT line.
  struct PendingHost {
    UniqueFd fd;
    std::optional<WatchId> watch;
    char line[kVsockMaxConnectLine] = {};
    size_t len = 0;
  };

  VsockMuxer(std::string path, uint64_t guest_cid, UniqueFd listener)
      : path_(std::move(path)), guest_cid_(guest_cid), listener_(std::move(listener)) {}

  static uint64_t Pack(Key k) { return (uint64_t{k.first} << 32) | k.second; }
  static Key Unpack(uint64_t k) {
    return {static_cast<uint32_t>(k >> 32), static_cast<uint32_t>(k)};
  }

  void WatchListener();
  void OnListenerReadable();
  void OnPendingReadable(uint64_t id);
  void ClosePending(uint64_t id);
  void AddHostInitiated(UniqueFd fd, uint32_t guest_port);
  uint32_t AllocateLocalPort(uint32_t guest_port);
  void ConnectToHost(const VsockHeader& request);
  void Forward(HostConn& c, std::span<const uint8_t> payload);
  void AckHost(HostConn& c);
  void OnHostReadable(uint64_t key);
  void OnHostWritable(uint64_t key);
  void OnTimer(uint64_t key);
  void QueueRefusal(Key key);
  // Does what the connection now wants of its host socket, watches, timer
  // and place in ready_; removes it when done.
  void Sync(uint64_t key);
  bool SyncHost(HostConn& c, uint64_t key);
  void CloseHost(HostConn& c);
  void Remove(uint64_t key);
  void NotifyRx();

  const std::string path_;
  const uint64_t guest_cid_;
  UniqueFd listener_;
  EventLoop* loop_ = nullptr;  // between Start and Stop
  std::function<void()> on_rx_;
  std::optional<WatchId> listener_watch_;
  std::optional<WatchId> listener_retry_;

  std::unordered_map<uint64_t, std::unique_ptr<HostConn>> conns_;
  std::set<uint32_t> local_ports_;  // host ports of host-initiated connections
  uint32_t last_local_port_ = kVsockFirstLocalPort - 1;
  std::map<uint64_t, std::unique_ptr<PendingHost>> pending_;
  uint64_t next_pending_id_ = 1;

  std::deque<uint64_t> ready_;  // connections with rx work (stale entries skipped)
  std::deque<Key> refusals_;    // RSTs for packets naming no connection
  std::vector<Key> owed_;       // RSTs owed after a restore

  std::atomic<uint64_t> tx_bytes_{0};
  std::atomic<uint64_t> rx_bytes_{0};
};

}  // namespace petrel::virtio
