// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for ApiServer over a real UNIX socket in a temp dir, with the loop on
// its own thread and requests sent through the client library.
#include "vmm/api/api_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "vmm/api/api_client.h"
#include "vmm/api/api_server_test_util.h"

namespace petrel::api {
namespace {

using nlohmann::json;

// A connected client socket (blocking), or -1.
int ConnectRaw(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Counts the HTTP status lines in `bytes`.
size_t CountResponses(const std::string& bytes) {
  size_t n = 0;
  for (size_t at = bytes.find("HTTP/1.1 "); at != std::string::npos;
       at = bytes.find("HTTP/1.1 ", at + 1))
    ++n;
  return n;
}

class ApiServerTest : public ApiServerFixture {
 protected:
  ApiResponse Send(std::string_view method, std::string_view endpoint,
                   std::string_view body = {}) {
    auto r = SendApiRequest(socket_, method, endpoint, body, 5000);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : ApiResponse{};
  }
  void ExpectPingWorks() {
    ApiResponse r = Send("GET", "vmm.ping");
    EXPECT_EQ(r.status, 200);
  }
};

TEST_F(ApiServerTest, PingReportsIdentity) {
  ApiServerOptions options;
  options.identity = {"v1.2.3-test", "1.2.3", 42, {"kvm", "x"}};
  StartServer(options);
  ApiResponse r = Send("GET", "vmm.ping");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["build_version"], "v1.2.3-test");
  EXPECT_EQ(j["version"], "1.2.3");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["features"], json::array({"kvm", "x"}));
}

TEST_F(ApiServerTest, EveryRoute) {
  StartServer();
  EXPECT_EQ(Send("PUT", "vm.power-button").status, 204);
  EXPECT_EQ(Send("PUT", "vm.shutdown").status, 204);
  EXPECT_EQ(Send("PUT", "vm.reboot").status, 204);
  EXPECT_EQ(Send("PUT", "vmm.shutdown").status, 204);
  EXPECT_EQ(Send("PUT", "vm.create", R"({"payload":{"kernel":"/k"}})").status, 204);
  EXPECT_EQ(control_.last_config(), R"({"payload":{"kernel":"/k"}})");
  for (const char* put : {"vm.boot", "vm.pause", "vm.resume", "vm.nmi", "vm.delete"}) {
    EXPECT_EQ(Send("PUT", put).status, 204) << put;
  }
  EXPECT_EQ(Send("GET", "vm.counters").body, control_.counters_json);
  ApiResponse info = Send("GET", "vm.info");
  EXPECT_EQ(info.status, 200);
  EXPECT_EQ(info.body, control_.info_json);
  EXPECT_EQ(control_.power_button, 1);
  EXPECT_EQ(control_.shutdown_vm, 1);
  EXPECT_EQ(control_.reboot_vm, 1);
  EXPECT_EQ(control_.shutdown_vmm, 1);
  EXPECT_EQ(control_.vm_info, 1);
}

TEST_F(ApiServerTest, ErrorsOverTheWire) {
  StartServer();
  ApiResponse missing = Send("GET", "vm.nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "[\"Not Found\"]");
  EXPECT_EQ(Send("GET", "vm.shutdown").status, 405);
  EXPECT_EQ(control_.shutdown_vm, 0);
  control_.fail = true;
  ApiResponse failed = Send("PUT", "vm.reboot");
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("injected failure"), std::string::npos);
}

// Regression (issue 8): an exception escaping a VmmControl call used to
// unwind through the event loop and terminate the process.
TEST_F(ApiServerTest, ExceptionFromControlIs500AndServerKeepsServing) {
  StartServer();
  control_.throw_exception = true;
  for (std::string_view endpoint : {"vm.reboot", "vm.info"}) {
    ApiResponse r = Send(endpoint == "vm.info" ? "GET" : "PUT", endpoint);
    EXPECT_EQ(r.status, 500) << endpoint;
    ASSERT_TRUE(json::accept(r.body)) << r.body;
    EXPECT_TRUE(json::parse(r.body).is_array()) << r.body;
  }
  control_.throw_exception = false;
  ExpectPingWorks();
  EXPECT_EQ(Send("PUT", "vm.reboot").status, 204);
  EXPECT_EQ(control_.reboot_vm, 2);
}

TEST_F(ApiServerTest, MalformedRequestGets400AndClose) {
  StartServer();
  auto raw = SendRawBytes(socket_, "HELLO THERE\r\n\r\n", 5000);
  ASSERT_TRUE(raw.ok()) << raw.error().message();
  EXPECT_EQ(raw->rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << *raw;
  EXPECT_NE(raw->find("Connection: close\r\n"), std::string::npos);
  auto chunked = SendRawBytes(
      socket_, "PUT /api/v1/vm.reboot HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      5000);
  ASSERT_TRUE(chunked.ok());
  EXPECT_EQ(chunked->rfind("HTTP/1.1 411 ", 0), 0u) << *chunked;
  EXPECT_EQ(control_.reboot_vm, 0);
  ExpectPingWorks();
}

TEST_F(ApiServerTest, KeepAliveAndPipelining) {
  StartServer();
  std::string two =
      "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\n\r\n"
      "PUT /api/v1/vm.power-button HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
      "GET /api/v1/nope HTTP/1.1\r\n\r\n";
  auto raw = SendRawBytes(socket_, two, 5000);  // half-closes after sending
  ASSERT_TRUE(raw.ok()) << raw.error().message();
  EXPECT_EQ(CountResponses(*raw), 3u) << *raw;
  size_t ok = raw->find("HTTP/1.1 200 OK");
  size_t no_content = raw->find("HTTP/1.1 204 No Content");
  size_t not_found = raw->find("HTTP/1.1 404 Not Found");
  EXPECT_LT(ok, no_content);
  EXPECT_LT(no_content, not_found);
  EXPECT_NE(not_found, std::string::npos);
  EXPECT_EQ(control_.power_button, 1);
}

TEST_F(ApiServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  int fd = ConnectRaw(socket_);
  ASSERT_GE(fd, 0);
  std::string req = "GET /api/v1/vmm.ping HTTP/1.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(fd);  // reaching here means the server closed its end
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(WaitForConnections(0));
}

TEST_F(ApiServerTest, ClientDisconnectingMidRequest) {
  StartServer();
  int fd = ConnectRaw(socket_);
  ASSERT_GE(fd, 0);
  std::string part = "PUT /api/v1/vm.shutdown HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
  ASSERT_EQ(write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  ASSERT_TRUE(WaitForConnections(1));
  close(fd);
  EXPECT_TRUE(WaitForConnections(0));
  EXPECT_EQ(control_.shutdown_vm, 0);  // an incomplete request is never run
  ExpectPingWorks();
}

TEST_F(ApiServerTest, TenMiBOfJunk) {
  StartServer();
  std::string junk(10 << 20, 'x');
  auto raw = SendRawBytes(socket_, junk, 10000);
  ASSERT_TRUE(raw.ok()) << raw.error().message();
  EXPECT_EQ(raw->rfind("HTTP/1.1 431 ", 0), 0u) << raw->substr(0, 200);
  // Junk with line breaks is refused even sooner.
  std::string lines;
  for (int i = 0; i < (1 << 20); ++i) lines += "junk\n";
  auto raw2 = SendRawBytes(socket_, lines, 10000);
  ASSERT_TRUE(raw2.ok()) << raw2.error().message();
  EXPECT_EQ(raw2->rfind("HTTP/1.1 400 ", 0), 0u) << raw2->substr(0, 200);
  ExpectPingWorks();
  EXPECT_TRUE(WaitForConnections(0));
}

// A body up to what the route takes (kMaxIgnoredBodyBytes: no route reads
// one yet) is accepted; one byte more is refused. kMaxBodyBytes, the parser's
// own cap, is covered by the parser tests.
TEST_F(ApiServerTest, BodyAtTheRouteCapIsAcceptedAndOverIsRefused) {
  StartServer();
  std::string head =
      "PUT /api/v1/vm.power-button HTTP/1.1\r\nConnection: close\r\nContent-Length: ";
  auto ok = SendRawBytes(socket_,
                         head + std::to_string(kMaxIgnoredBodyBytes) + "\r\n\r\n" +
                             std::string(kMaxIgnoredBodyBytes, 'b'),
                         10000);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->rfind("HTTP/1.1 204 ", 0), 0u) << ok->substr(0, 200);
  auto big =
      SendRawBytes(socket_, head + std::to_string(kMaxIgnoredBodyBytes + 1) + "\r\n\r\n", 5000);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->rfind("HTTP/1.1 413 ", 0), 0u) << *big;
  auto over_parser_cap =
      SendRawBytes(socket_, head + std::to_string(kMaxBodyBytes + 1) + "\r\n\r\n", 5000);
  ASSERT_TRUE(over_parser_cap.ok());
  EXPECT_EQ(over_parser_cap->rfind("HTTP/1.1 413 ", 0), 0u) << *over_parser_cap;
  EXPECT_EQ(control_.power_button, 1);
}

TEST_F(ApiServerTest, ClientThatDoesNotReadDoesNotBlockOthers) {
  // ~256 KiB per vm.info answer; the client pipelines many and reads none.
  control_.info_json =
      R"({"config":{"pad":")" + std::string(256 << 10, 'p') + R"("},"state":"Running"})";
  StartServer();
  int fd = ConnectRaw(socket_);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  std::string req = "GET /api/v1/vm.info HTTP/1.1\r\n\r\n";
  std::string many;
  for (int i = 0; i < 200; ++i) many += req;
  ssize_t sent = write(fd, many.data(), many.size());
  EXPECT_GT(sent, 0);
  // The server is stuck writing to fd, yet serves another client at once.
  for (int i = 0; i < 3; ++i) ExpectPingWorks();
  EXPECT_LT(control_.vm_info, 20);  // it stopped taking requests from the stuck client
  close(fd);
  EXPECT_TRUE(WaitForConnections(0));
  ExpectPingWorks();
}

TEST_F(ApiServerTest, QuietestConnectionIsEvictedAtTheCap) {
  ApiServerOptions options;
  options.max_connections = 3;
  StartServer(options);
  int fds[3];
  for (int& fd : fds) {
    fd = ConnectRaw(socket_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(WaitForConnections(static_cast<size_t>(&fd - fds) + 1));
  }
  ExpectPingWorks();  // a fourth client: the oldest idle one goes
  char c;
  EXPECT_EQ(read(fds[0], &c, 1), 0);  // EOF: evicted
  for (int fd : fds) close(fd);
  EXPECT_TRUE(WaitForConnections(0));
}

// Regression (issue 8): a client that sent part of a request and then
// nothing held its connection slot forever. Now the request must be complete
// within request_timeout_ns of its first byte; the client gets 408 and the
// connection is closed.
TEST_F(ApiServerTest, PartialRequestTimesOut) {
  ApiServerOptions options;
  options.request_timeout_ns = 200'000'000;  // 200 ms
  StartServer(options);
  int fd = ConnectRaw(socket_);
  ASSERT_GE(fd, 0);
  std::string part = "GET /api/v1/vmm.ping HTTP/1.1\r\nHost:";
  ASSERT_EQ(write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  timeval tv{5, 0};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 408 ", 0), 0u) << got;
  EXPECT_TRUE(WaitForConnections(0));
  ExpectPingWorks();
}

// An idle keep-alive connection (no request in progress) has no deadline.
TEST_F(ApiServerTest, IdleConnectionIsNotTimedOut) {
  ApiServerOptions options;
  options.request_timeout_ns = 100'000'000;  // 100 ms
  StartServer(options);
  int fd = ConnectRaw(socket_);
  ASSERT_GE(fd, 0);
  std::string req = "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  char buf[4096];
  ASSERT_GT(read(fd, buf, sizeof buf), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Connections(), 1u);
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  ssize_t n = read(fd, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 200 ", 0), 0u);
  close(fd);
}

// Regression (issue 8): at the cap, a new client evicted the quietest
// connection even if it was in the middle of a request, so one client could
// push out the others by opening connections. Now only idle connections are
// evicted; when every slot is mid-request the newcomer is refused (503,
// closed) and the others keep their slots.
TEST_F(ApiServerTest, BusyConnectionsAreNotEvicted) {
  ApiServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  int fds[2];
  std::string part = "PUT /api/v1/vm.reboot HTTP/1.1\r\nContent-Length: 4\r\n\r\nab";
  for (int& fd : fds) {
    fd = ConnectRaw(socket_);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
    const size_t n = static_cast<size_t>(&fd - fds) + 1;
    bool busy = false;
    for (int i = 0; i < 500 && !busy; ++i) {
      busy = OnLoop([this] { return server_->busy_connection_count(); }) == n;
      if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(busy);
  }
  auto refused = SendApiRequest(socket_, "GET", "vmm.ping", {}, 5000);
  EXPECT_TRUE(!refused.ok() || refused->status == 503)
      << (refused.ok() ? refused->body : refused.error().message());
  // Both busy clients still hold their slots and finish their requests.
  for (int fd : fds) {
    ASSERT_EQ(send(fd, "cd", 2, MSG_NOSIGNAL), 2);
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 204 ", 0), 0u);
  }
  EXPECT_EQ(control_.reboot_vm, 2);
  // Now idle, they make room for a newcomer again.
  ExpectPingWorks();
  for (int fd : fds) close(fd);
}

// Regression (issue 8): no endpoint takes a body, yet a client could make
// the server buffer up to kMaxBodyBytes per connection. A Content-Length
// over what the route accepts is refused (413) as soon as the headers are in.
TEST_F(ApiServerTest, BodyTheRouteDoesNotTakeIsRefusedBeforeItArrives) {
  StartServer();
  int fd = ConnectRaw(socket_);
  ASSERT_GE(fd, 0);
  std::string head = "PUT /api/v1/vm.power-button HTTP/1.1\r\nContent-Length: " +
                     std::to_string(kMaxBodyBytes) + "\r\n\r\n";
  ASSERT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  timeval tv{5, 0};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);  // no body sent: the answer cannot wait for it
  close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 413 ", 0), 0u);
  EXPECT_EQ(control_.power_button, 0);
}

TEST_F(ApiServerTest, StaleSocketIsReplacedAndRemovedOnExit) {
  {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    close(fd);  // the file stays, nobody listens: stale
  }
  StartServer();
  ExpectPingWorks();
  StopLoop();
  server_.reset();
  struct stat st {};
  EXPECT_NE(lstat(socket_.c_str(), &st), 0);  // removed
}

TEST_F(ApiServerTest, SocketIsOnlyForItsOwner) {
  const mode_t old_umask = umask(0);  // the mode must not depend on the umask
  StartServer();
  umask(old_umask);
  struct stat st {};
  ASSERT_EQ(lstat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ApiServerTest, LiveSocketIsNotStolen) {
  StartServer();
  auto second = ApiServer::Listen(*loop_, clock_, control_, socket_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kBusy);
  ExpectPingWorks();  // the first server still owns the socket
}

TEST_F(ApiServerTest, RegularFileIsRefusedAndKept) {
  { std::ofstream(socket_) << "precious"; }
  auto server = ApiServer::Listen(*loop_, clock_, control_, socket_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(server.error().message().find("not a socket"), std::string::npos);
  std::ifstream in(socket_);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(ApiServerTest, TooLongPathIsRefused) {
  auto server = ApiServer::Listen(*loop_, clock_, control_, dir_ + "/" + std::string(200, 'a'));
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ApiServerTest, AdoptedFd) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  auto server = ApiServer::Adopt(*loop_, clock_, control_, fd);  // listen() done for us
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_TRUE((*server)->path().empty());
  server_ = std::move(*server);
  StartLoop();
  ExpectPingWorks();
}

TEST_F(ApiServerTest, AdoptRefusesNonSockets) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto server = ApiServer::Adopt(*loop_, clock_, control_, fd);  // takes (and closes) fd
  EXPECT_FALSE(server.ok());
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
  auto dgram = ApiServer::Adopt(*loop_, clock_, control_, pair[0]);
  EXPECT_FALSE(dgram.ok());
  close(pair[1]);
}

TEST_F(ApiServerTest, MissingSocketIsNotFoundForTheClient) {
  auto r = SendApiRequest(dir_ + "/nope.sock", "GET", "vmm.ping");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace petrel::api
