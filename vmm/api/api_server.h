// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ApiServer: Petrel's Cloud-Hypervisor-compatible REST API, HTTP/1.1 over a
// UNIX stream socket, served on an EventLoop.
//
// The server owns no thread: it watches the listening socket and each
// connection on the loop it is given (level-triggered readability), does
// only non-blocking I/O, and calls VmmControl on the loop's thread. Requests
// are parsed by ParseHttpRequest (http_request.h) and answered by
// RouteRequest (api_router.h). Keep-alive and pipelined requests are served
// in order, one response in flight per connection.
//
// Defences against slow or hostile clients (all named caps below):
//   - per-connection input is bounded by the parser's caps; a request that
//     breaks them gets its 4xx and the connection is closed;
//   - the EventLoop has no "writable" watch, so a response the socket does not
//     take at once is retried from a timer (backing off from kWriteRetryMinNs
//     to kWriteRetryMaxNs); reading that connection pauses meanwhile, and a
//     client that takes nothing for kWriteTimeoutNs is dropped;
//   - a request must arrive whole within request_timeout_ns (kRequestTimeoutNs)
//     of its first byte, else 408 and the connection is closed, so a client
//     that sends half a request cannot hold a slot; an idle keep-alive
//     connection (nothing buffered) has no deadline;
//   - at most kMaxConnections at once; a new client evicts the idle
//     connection that has been quiet longest, so idle clients cannot lock the
//     API out; a connection in the middle of a request or a response is
//     never evicted, and when every slot is busy the newcomer gets 503 and is
//     closed (the request timeout frees busy slots);
//   - a body is refused (413) as soon as the headers say it is longer than
//     the route takes (MaxRequestBodyBytes), so it is never buffered;
//   - an exception escaping the router or a VmmControl call becomes a 500
//     for that request; it never unwinds into the loop (and the process);
//   - each wake-up reads at most kMaxReadPerWakeBytes per connection and
//     accepts at most kMaxAcceptsPerWake clients, so one client cannot starve
//     the loop; out of fds, accepting pauses for kAcceptRetryNs;
//   - fds a client passes with SCM_RIGHTS (as ch-remote does for vm.restore's
//     net_fds) belong to the next request completed on that connection and
//     go to the router with it; at most kMaxFdsPerConnection are held (any
//     beyond are closed), and whatever a request does not take is closed.
//
// Threading and lifetime: create, use and destroy the server on the loop's
// thread (or while the loop is not running). `loop`, `clock` (the loop's
// clock, used for timer deadlines) and `control` must outlive it. Do not
// destroy it from inside a VmmControl call; Post() the destruction instead.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/base/unique_fd.h"
#include "core/event/event_loop.h"
#include "vmm/api/api_router.h"
#include "vmm/api/vmm_control.h"

namespace petrel::api {

inline constexpr size_t kMaxConnections = 16;
inline constexpr int kListenBacklog = 16;
inline constexpr size_t kReadChunkBytes = size_t{16} << 10;
inline constexpr size_t kMaxReadPerWakeBytes = size_t{64} << 10;
// fds held for a connection's next request (CH's net_fds: a few per net).
inline constexpr size_t kMaxFdsPerConnection = 64;
inline constexpr int kMaxAcceptsPerWake = 16;
inline constexpr uint64_t kWriteRetryMinNs = 1'000'000;     // 1 ms
inline constexpr uint64_t kWriteRetryMaxNs = 100'000'000;   // 100 ms
inline constexpr uint64_t kWriteTimeoutNs = 5'000'000'000;  // 5 s
inline constexpr uint64_t kAcceptRetryNs = 100'000'000;     // 100 ms
inline constexpr uint64_t kRequestTimeoutNs = 10'000'000'000;  // 10 s

struct ApiServerOptions {
  VmmIdentity identity = DefaultVmmIdentity();
  size_t max_connections = kMaxConnections;  // 1..kMaxConnections
  uint64_t request_timeout_ns = kRequestTimeoutNs;  // tests shorten it
};

class ApiServer {
 public:
  // Creates a listening socket at `path`. An existing socket file is removed
  // if no process is listening on it (a stale one from a crash); if one is,
  // kBusy. A path that exists and is not a socket is an error
  // (kInvalidArgument), never removed. The destructor removes the socket file
  // if it is still the one this server created.
  static Result<std::unique_ptr<ApiServer>> Listen(EventLoop& loop, const Clock& clock,
                                                   VmmControl& control, const std::string& path,
                                                   ApiServerOptions options = {});
  // Serves on an inherited UNIX stream socket (CH's --api-socket fd=N); the
  // server takes ownership of `fd` and calls listen() on it if needed.
  static Result<std::unique_ptr<ApiServer>> Adopt(EventLoop& loop, const Clock& clock,
                                                  VmmControl& control, int fd,
                                                  ApiServerOptions options = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Open client connections (loop thread only).
  size_t connection_count() const { return connections_.size(); }
  // Of those, the ones in the middle of a request or a response (not idle,
  // so never evicted).
  size_t busy_connection_count() const;
  // The socket path; empty for an adopted fd.
  const std::string& path() const { return path_; }

 private:
  struct Connection {
    int fd = -1;
    WatchId read_watch = 0;  // 0: not reading (output pending, or EOF seen)
    WatchId retry_timer = 0;
    WatchId request_timer = 0;  // armed while a partial request is buffered
    std::string in;
    std::vector<UniqueFd> fds;  // received with SCM_RIGHTS, for the next request
    std::string out;
    size_t out_offset = 0;
    bool close_after_flush = false;
    bool peer_eof = false;
    uint64_t last_active = 0;       // activity sequence number, for eviction
    uint64_t blocked_since_ns = 0;  // when pending output last made progress
    uint64_t retry_delay_ns = 0;
  };

  ApiServer(EventLoop& loop, const Clock& clock, VmmControl& control, int listen_fd,
            ApiServerOptions options)
      : loop_(loop),
        clock_(clock),
        control_(control),
        listen_fd_(listen_fd),
        options_(std::move(options)) {}
  static Result<std::unique_ptr<ApiServer>> Start(std::unique_ptr<ApiServer> server);
  Result<void> WatchListener();

  void OnAcceptable();
  void PauseAccepting();
  void AddConnection(int fd);
  // Nothing buffered either way: no request or response in progress.
  static bool IsIdle(const Connection& c) { return c.in.empty() && c.out.empty(); }
  // Closes the idle connection quiet longest; false if none is idle.
  bool EvictQuietestIdle();
  // Answers 503 on a fresh connection (best effort) and closes it.
  void Refuse(int fd);
  void ArmRequestTimer(Connection& c, uint64_t id);
  void CancelRequestTimer(Connection& c);
  void OnRequestTimeout(uint64_t id);
  // RouteRequest, with any exception turned into a 500.
  HttpResponse Answer(const HttpRequest& request, std::vector<UniqueFd> fds);
  void OnReadable(uint64_t id);
  // Parses and answers buffered requests; may close the connection.
  void Process(uint64_t id);
  // Sends pending output. Returns true if all was sent and the connection
  // remains open; false if output is still pending or the connection closed.
  bool Flush(uint64_t id);
  void OnRetry(uint64_t id);
  void SetReading(Connection& c, uint64_t id, bool on);
  void Close(uint64_t id);
  Connection* Find(uint64_t id);

  EventLoop& loop_;
  const Clock& clock_;
  VmmControl& control_;
  int listen_fd_;
  ApiServerOptions options_;
  std::string path_;  // the socket file this server created, if any
  dev_t path_dev_ = 0;
  ino_t path_ino_ = 0;
  WatchId listen_watch_ = 0;
  WatchId accept_timer_ = 0;
  uint64_t next_id_ = 1;
  uint64_t activity_ = 0;
  std::map<uint64_t, Connection> connections_;
};

}  // namespace petrel::api
