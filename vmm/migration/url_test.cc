// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Migration URLs (url.h): the parsing table, and real UNIX-socket and
// 127.0.0.1 TCP listen / connect / accept round trips.
#include "vmm/migration/url.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "vmm/migration/stream.h"

namespace petrel::vmm::migration {
namespace {

MigrationUrl Unix(std::string path) {
  MigrationUrl u;
  u.path = std::move(path);
  return u;
}

MigrationUrl Tcp(std::string host, uint16_t port) {
  MigrationUrl u;
  u.kind = MigrationUrl::Kind::kTcp;
  u.host = std::move(host);
  u.port = port;
  return u;
}

TEST(MigrationUrl, ParsesValidUrls) {
  const struct {
    const char* text;
    MigrationUrl want;
  } cases[] = {
      {"unix:/run/mig.sock", Unix("/run/mig.sock")},
      {"unix:relative/path", Unix("relative/path")},
      {"tcp:127.0.0.1:6000", Tcp("127.0.0.1", 6000)},
      {"tcp:example.com:1", Tcp("example.com", 1)},
      {"tcp:0.0.0.0:0", Tcp("0.0.0.0", 0)},
      {"tcp:[::1]:65535", Tcp("::1", 65535)},
      {"tcp:[2001:db8::1]:1234", Tcp("2001:db8::1", 1234)},
  };
  for (const auto& c : cases) {
    Result<MigrationUrl> got = ParseMigrationUrl(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.error().message();
    EXPECT_EQ(*got, c.want) << c.text;
    EXPECT_EQ(FormatMigrationUrl(*got), c.text);
  }
}

TEST(MigrationUrl, RejectsInvalidUrlsWithReasons) {
  const struct {
    const char* text;
    const char* reason;
  } cases[] = {
      {"", "expected unix:<path> or tcp:<host>:<port>"},
      {"/run/mig.sock", "expected unix:"},
      {"http://x:1", "expected unix:"},
      {"unix:", "the socket path is empty"},
      {"tcp:192.168.1.1", "missing ':<port>'"},
      {"tcp::8080", "the host is empty"},
      {"tcp:host:", "the port is empty"},
      {"tcp:host:not-a-port", "is not a number"},
      {"tcp:host:65536", "is above 65535"},
      {"tcp:host:-1", "is not a number"},
      {"tcp:[2001:db8::1", "missing ']'"},
      {"tcp:[]:8080", "the host is empty"},
      {"tcp:[2001:db8::1]", "missing ':<port>' after ']'"},
      {"tcp:[2001:db8::1]:", "the port is empty"},
      {"tcp:[2001:db8::1]:99999", "is above 65535"},
      {"tcp:2001:db8::1:80", "needs brackets"},
      {"tcp:[example.com]:80", "in brackets is not an IPv6 address"},
      {"tcp:[[::1]:80", "contains '['"},
      {"tcp:a]b:80", "contains '['"},
  };
  for (const auto& c : cases) {
    Result<MigrationUrl> got = ParseMigrationUrl(c.text);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_EQ(got.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message().find(c.reason), std::string::npos)
        << c.text << ": " << got.error().message();
  }
  Result<MigrationUrl> long_path = ParseMigrationUrl("unix:/" + std::string(200, 'a'));
  ASSERT_FALSE(long_path.ok());
  EXPECT_NE(long_path.error().message().find("longer than 107"), std::string::npos);
}

// Sends Start over `client`, answers Ok on `server`.
void ExchangeStart(int client, int server) {
  FdStream client_stream(client), server_stream(server);
  MigrationChannel sender(client_stream), receiver(server_stream);
  ASSERT_TRUE(sender.SendRequest(Command::kStart).ok());
  Result<ReceivedRequest> got = receiver.ReadRequest();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->request.command, Command::kStart);
  ASSERT_TRUE(receiver.SendResponse(Status::kOk).ok());
  EXPECT_TRUE(sender.ExpectOk("start").ok());
}

std::string TempSocketPath() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/petrel-mig-" + std::to_string(::getpid()) + ".sock";
}

TEST(MigrationUrl, UnixListenConnectAccept) {
  const MigrationUrl url = Unix(TempSocketPath());
  ::unlink(url.path.c_str());
  {
    Result<MigrationListener> listener = MigrationListener::Listen(url);
    ASSERT_TRUE(listener.ok()) << listener.error().message();
    EXPECT_FALSE(MigrationListener::Listen(url).ok());  // the socket file exists
    Result<UniqueFd> client = ConnectMigration(url);
    ASSERT_TRUE(client.ok()) << client.error().message();
    Result<UniqueFd> server = listener->Accept(std::chrono::milliseconds(5000));
    ASSERT_TRUE(server.ok()) << server.error().message();
    ExchangeStart(client->get(), server->get());
  }
  EXPECT_NE(::access(url.path.c_str(), F_OK), 0);  // the listener removed its socket file
  EXPECT_FALSE(ConnectMigration(url).ok());
}

TEST(MigrationUrl, TcpLoopbackListenConnectAccept) {
  Result<MigrationListener> listener = MigrationListener::Listen(Tcp("127.0.0.1", 0));
  ASSERT_TRUE(listener.ok()) << listener.error().message();
  ASSERT_NE(listener->port(), 0);
  Result<UniqueFd> client = ConnectMigration(Tcp("127.0.0.1", listener->port()));
  ASSERT_TRUE(client.ok()) << client.error().message();
  Result<UniqueFd> server = listener->Accept(std::chrono::milliseconds(5000));
  ASSERT_TRUE(server.ok()) << server.error().message();
  for (int fd : {client->get(), server->get()}) {
    int nodelay = 0;
    socklen_t len = sizeof(nodelay);
    ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    EXPECT_EQ(nodelay, 1);
  }
  ExchangeStart(client->get(), server->get());
}

TEST(MigrationUrl, ListenAndAcceptOneConnection) {
  const MigrationUrl url = Unix(TempSocketPath() + ".2");
  ::unlink(url.path.c_str());
  Result<UniqueFd> server(Error(ErrorCode::kInternal, "not run"));
  std::thread receiver([&] { server = ListenAndAccept(url, std::chrono::milliseconds(10000)); });
  Result<UniqueFd> client(Error(ErrorCode::kInternal, "not connected"));
  for (int i = 0; i < 500 && !client.ok(); ++i) {
    client = ConnectMigration(url);
    if (!client.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  receiver.join();
  ASSERT_TRUE(client.ok()) << client.error().message();
  ASSERT_TRUE(server.ok()) << server.error().message();
  ExchangeStart(client->get(), server->get());
}

TEST(MigrationUrl, AcceptTimesOut) {
  Result<MigrationListener> listener = MigrationListener::Listen(Tcp("127.0.0.1", 0));
  ASSERT_TRUE(listener.ok()) << listener.error().message();
  Result<UniqueFd> none = listener->Accept(std::chrono::milliseconds(20));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ErrorCode::kBusy);
}

TEST(MigrationUrl, ConnectRefusedIsAnError) {
  Result<MigrationListener> listener = MigrationListener::Listen(Tcp("127.0.0.1", 0));
  ASSERT_TRUE(listener.ok());
  const uint16_t port = listener->port();
  { MigrationListener gone = std::move(*listener); }
  Result<UniqueFd> client = ConnectMigration(Tcp("127.0.0.1", port));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code(), ErrorCode::kSystem);
}

}  // namespace
}  // namespace petrel::vmm::migration
