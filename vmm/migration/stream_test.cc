// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The migration channel (stream.h): round trips over a socketpair (with a
// large memory payload in chunks), each malformed stream read back as a clear
// Error, and memory-fd passing with SCM_RIGHTS.
#include "vmm/migration/stream.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

namespace petrel::vmm::migration {
namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
      a.reset(fds[0]);
      b.reset(fds[1]);
    }
  }
  UniqueFd a, b;
};

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

template <size_t N>
void Append(std::vector<uint8_t>* out, const std::array<uint8_t, N>& a) {
  out->insert(out->end(), a.begin(), a.end());
}

// Reads one request from `wire` (delivered `max_read` bytes at a time).
Result<ReceivedRequest> ReadFrom(const std::vector<uint8_t>& wire, size_t max_read = SIZE_MAX,
                                 StreamLimits limits = {}) {
  MemoryStream stream(wire, max_read);
  MigrationChannel channel(stream, limits);
  return channel.ReadRequest();
}

void ExpectError(const Result<ReceivedRequest>& r, ErrorCode code, std::string_view text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), code) << r.error().message();
  EXPECT_NE(r.error().message().find(text), std::string::npos) << r.error().message();
}

TEST(MigrationStream, RequestsRoundTripOverSocketpair) {
  SocketPair p;
  ASSERT_TRUE(p.a.valid());
  FdStream sa(p.a.get()), sb(p.b.get());
  MigrationChannel sender(sa), receiver(sb);
  const std::vector<uint8_t> config = Bytes(R"({"cpus":{"boot_vcpus":2}})");
  ASSERT_TRUE(sender.SendRequest(Command::kStart).ok());
  ASSERT_TRUE(sender.SendRequest(Command::kConfig, config).ok());
  ASSERT_TRUE(sender.SendRequest(Command::kComplete).ok());

  Result<ReceivedRequest> start = receiver.ReadRequest();
  ASSERT_TRUE(start.ok()) << start.error().message();
  EXPECT_EQ(start->request, Request::Start());
  Result<ReceivedRequest> got = receiver.ReadRequest();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->request.command, Command::kConfig);
  EXPECT_EQ(got->payload, config);
  Result<ReceivedRequest> complete = receiver.ReadRequest();
  ASSERT_TRUE(complete.ok());
  EXPECT_EQ(complete->request.command, Command::kComplete);

  ASSERT_TRUE(receiver.SendResponse(Status::kOk).ok());
  ASSERT_TRUE(receiver.SendResponse(Status::kError).ok());
  EXPECT_TRUE(sender.ExpectOk("config").ok());
  Result<void> refused = sender.ExpectOk("state");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "state: the receiver answered Error");

  p.a.reset();  // the sender goes away between messages
  Result<ReceivedRequest> closed = receiver.ReadRequest();
  ExpectError(closed, ErrorCode::kFailedPrecondition, "the peer closed the connection");
}

TEST(MigrationStream, ResponsePayloadWithinLimit) {
  std::vector<uint8_t> wire;
  Append(&wire, EncodeResponse(Response{Status::kOk, 3}));
  wire.insert(wire.end(), {7, 8, 9});
  MemoryStream stream(wire);
  MigrationChannel channel(stream);
  Result<ReceivedResponse> r = channel.ReadResponse(4096);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->payload, (std::vector<uint8_t>{7, 8, 9}));

  MemoryStream again(wire);
  MigrationChannel strict(again);
  Result<ReceivedResponse> over = strict.ReadResponse();
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), ErrorCode::kOutOfRange);
}

// The guest bytes of a range: a pattern that depends on the address.
uint8_t PatternAt(uint64_t gpa) { return static_cast<uint8_t>(gpa * 7 + (gpa >> 12)); }

TEST(MigrationStream, LargeMemoryPayloadInChunks) {
  SocketPair p;
  ASSERT_TRUE(p.a.valid());
  StreamLimits limits;
  limits.memory_chunk = 64 * 1024;
  // 8 MiB + a page over three ranges; the pair's buffer is far smaller, so
  // the sender runs on its own thread.
  const MemoryRangeTable table({{0x100000, 4 << 20}, {0x10000000, 0x1000}, {0x800000000, 4 << 20}});
  Result<void> sent = Ok();
  size_t source_calls = 0;
  std::thread sender_thread([&] {
    FdStream sa(p.a.get());
    MigrationChannel sender(sa, limits);
    sent = sender.SendMemory(table, [&](uint64_t gpa, std::span<uint8_t> out) -> Result<void> {
      ++source_calls;
      if (out.size() > limits.memory_chunk) return Error(ErrorCode::kInternal, "chunk too big");
      for (size_t i = 0; i < out.size(); ++i) out[i] = PatternAt(gpa + i);
      return Ok();
    });
  });
  FdStream sb(p.b.get());
  MigrationChannel receiver(sb, limits);
  Result<ReceivedRequest> got = receiver.ReadRequest();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->request.command, Command::kMemory);
  EXPECT_EQ(got->request.length, 48u);
  EXPECT_EQ(got->table, table);
  uint64_t received = 0, mismatches = 0, sink_calls = 0;
  Result<void> data = receiver.ReceiveMemoryData(
      got->table, [&](uint64_t gpa, std::span<const uint8_t> bytes) -> Result<void> {
        ++sink_calls;
        EXPECT_LE(bytes.size(), limits.memory_chunk);
        for (size_t i = 0; i < bytes.size(); ++i) mismatches += bytes[i] != PatternAt(gpa + i);
        received += bytes.size();
        return Ok();
      });
  sender_thread.join();
  ASSERT_TRUE(sent.ok()) << sent.error().message();
  ASSERT_TRUE(data.ok()) << data.error().message();
  EXPECT_EQ(received, table.TotalBytes());
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(source_calls, 129u);  // 64 + 1 + 64 chunks
  EXPECT_EQ(sink_calls, 129u);
}

TEST(MigrationStream, ShortReadsOneByteAtATime) {
  std::vector<uint8_t> wire;
  const std::vector<uint8_t> state = Bytes(R"({"id":"vm"})");
  Append(&wire, EncodeRequest(Request::Of(Command::kState, state.size())));
  wire.insert(wire.end(), state.begin(), state.end());
  Result<ReceivedRequest> got = ReadFrom(wire, 1);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->payload, state);
}

TEST(MigrationStream, TruncatedHeaderIsMalformed) {
  std::vector<uint8_t> wire;
  Append(&wire, EncodeRequest(Request::Of(Command::kConfig, 2)));
  wire.resize(5);
  ExpectError(ReadFrom(wire), ErrorCode::kMalformed, "the stream ended in a request header (5 of 16 bytes)");
}

TEST(MigrationStream, EndOfStreamInPayloadIsMalformed) {
  std::vector<uint8_t> wire;
  Append(&wire, EncodeRequest(Request::Of(Command::kConfig, 16 << 20)));  // at the limit
  wire.insert(wire.end(), 10, 'x');
  ExpectError(ReadFrom(wire), ErrorCode::kMalformed, "the stream ended in Config request's payload");
}

TEST(MigrationStream, UnknownCommandIsMalformed) {
  std::vector<uint8_t> wire(16, 0);
  wire[0] = 0x2a;
  ExpectError(ReadFrom(wire), ErrorCode::kMalformed, "unknown command 42");
  wire[0] = 0;  // Invalid
  ExpectError(ReadFrom(wire), ErrorCode::kMalformed, "command Invalid (0)");
}

TEST(MigrationStream, LengthOverTheLimitIsRejectedBeforeReading) {
  std::vector<uint8_t> wire;
  Append(&wire, EncodeRequest(Request::Of(Command::kState, (16 << 20) + 1)));
  ExpectError(ReadFrom(wire), ErrorCode::kOutOfRange, "exceeds the limit of 16777216");

  wire.clear();
  Append(&wire, EncodeRequest(Request::Of(Command::kConfig, ~uint64_t{0})));
  ExpectError(ReadFrom(wire), ErrorCode::kOutOfRange, "exceeds the limit");

  wire.clear();
  Append(&wire, EncodeRequest(Request::Of(Command::kMemory, uint64_t{16} << 40)));
  ExpectError(ReadFrom(wire), ErrorCode::kOutOfRange, "ranges exceeds the limit");
}

TEST(MigrationStream, WrongFixedLengthsAreMalformed) {
  const struct {
    Command command;
    uint64_t length;
    const char* text;
  } cases[] = {
      {Command::kStart, 1, "Start request with a 1-byte payload (expected 0)"},
      {Command::kComplete, 8, "expected 0"},
      {Command::kAbandon, 1, "expected 0"},
      {Command::kCompletePaused, 2, "expected 0"},
      {Command::kMemoryFd, 8, "expected 4"},
      {Command::kPageFault, 32, "expected 16"},
      {Command::kMemory, 20, "not a whole number of 16-byte ranges"},
  };
  for (const auto& c : cases) {
    std::vector<uint8_t> wire;
    Append(&wire, EncodeRequest(Request::Of(c.command, c.length)));
    wire.resize(wire.size() + c.length);
    ExpectError(ReadFrom(wire), ErrorCode::kMalformed, c.text);
  }
}

TEST(MigrationStream, CorruptMemoryTableIsRejected) {
  std::vector<uint8_t> wire;
  const MemoryRangeTable table({{~uint64_t{0} - 0xfff, 0x2000}});
  Append(&wire, EncodeRequest(Request::Of(Command::kMemory, table.WireLength())));
  const std::vector<uint8_t> encoded = table.Encode();
  wire.insert(wire.end(), encoded.begin(), encoded.end());
  ExpectError(ReadFrom(wire), ErrorCode::kMalformed, "wraps past the end");
}

TEST(MigrationStream, EndOfStreamInMemoryDataIsMalformed) {
  std::vector<uint8_t> wire;
  const MemoryRangeTable table({{0x1000, 0x1000}, {0x3000, 0x1000}});
  Append(&wire, EncodeRequest(Request::Of(Command::kMemory, table.WireLength())));
  const std::vector<uint8_t> encoded = table.Encode();
  wire.insert(wire.end(), encoded.begin(), encoded.end());
  wire.insert(wire.end(), 0x1800, 0xab);  // one and a half ranges
  MemoryStream stream(wire, 777);
  MigrationChannel channel(stream);
  Result<ReceivedRequest> got = channel.ReadRequest();
  ASSERT_TRUE(got.ok()) << got.error().message();
  uint64_t placed = 0;
  Result<void> data = channel.ReceiveMemoryData(got->table, [&](uint64_t, std::span<const uint8_t> b) {
    placed += b.size();
    return Ok();
  });
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().code(), ErrorCode::kMalformed);
  EXPECT_NE(data.error().message().find("memory data (2048 of 4096 bytes)"), std::string::npos)
      << data.error().message();
  EXPECT_EQ(placed, 0x1000u);
}

TEST(MigrationStream, SinkErrorStopsTheTransfer) {
  std::vector<uint8_t> wire(0x2000, 1);
  MemoryStream stream(wire);
  MigrationChannel channel(stream);
  Result<void> data = channel.ReceiveMemoryData(
      MemoryRangeTable({{0xdead000, 0x2000}}),
      [](uint64_t gpa, std::span<const uint8_t>) -> Result<void> {
        return Error(ErrorCode::kOutOfRange, "gpa " + std::to_string(gpa) + " is not guest memory");
      });
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().code(), ErrorCode::kOutOfRange);
}

TEST(MigrationStream, TruncatedResponseIsMalformed) {
  const ResponseBytes ok = EncodeResponse(Response{Status::kOk, 0});
  MemoryStream stream(std::span<const uint8_t>(ok.data(), 9));
  MigrationChannel channel(stream);
  Result<ReceivedResponse> r = channel.ReadResponse();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
}

TEST(MigrationStream, ConnectionRoleThenRequests) {
  SocketPair p;
  ASSERT_TRUE(p.a.valid());
  FdStream sa(p.a.get()), sb(p.b.get());
  MigrationChannel sender(sa), receiver(sb);
  ASSERT_TRUE(sender.SendConnectionRole(ConnectionRole::kPrecopyMemory).ok());
  ASSERT_TRUE(sender.SendRequest(Command::kAbandon).ok());
  Result<ConnectionRole> role = receiver.ReadConnectionRole();
  ASSERT_TRUE(role.ok()) << role.error().message();
  EXPECT_EQ(*role, ConnectionRole::kPrecopyMemory);
  Result<ReceivedRequest> next = receiver.ReadRequest();
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ(next->request.command, Command::kAbandon);

  const uint8_t one = 1;  // half a role, then the end
  MemoryStream half(std::span<const uint8_t>(&one, 1));
  MigrationChannel truncated(half);
  Result<ConnectionRole> bad = truncated.ReadConnectionRole();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kMalformed);
}

TEST(MigrationStream, PageFaultCarriesOneRange) {
  std::vector<uint8_t> wire;
  Append(&wire, EncodeRequest(Request::Of(Command::kPageFault, kMemoryRangeSize)));
  const std::vector<uint8_t> range = MemoryRangeTable({{0x4000, 0x1000}}).Encode();
  wire.insert(wire.end(), range.begin(), range.end());
  Result<ReceivedRequest> got = ReadFrom(wire);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->table, MemoryRangeTable({{0x4000, 0x1000}}));
}

UniqueFd MemfdWith(std::string_view content) {
  UniqueFd fd(static_cast<int>(memfd_create("petrel-mig-test", MFD_CLOEXEC)));
  if (fd.valid() && write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    fd.reset();
  }
  return fd;
}

TEST(MigrationStream, MemoryFdPassesAMemfd) {
  SocketPair p;
  ASSERT_TRUE(p.a.valid());
  UniqueFd memfd = MemfdWith("guest RAM of slot 3");
  ASSERT_TRUE(memfd.valid());
  FdStream sa(p.a.get()), sb(p.b.get());
  MigrationChannel sender(sa), receiver(sb);
  ASSERT_TRUE(sender.SendMemoryFd(3, memfd.get()).ok());
  memfd.reset();  // the receiver's copy keeps the memory alive
  ASSERT_TRUE(sender.SendRequest(Command::kConfig, Bytes("{}")).ok());

  Result<ReceivedRequest> got = receiver.ReadRequest();
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->request, Request::Of(Command::kMemoryFd, 4));
  EXPECT_EQ(got->slot, 3u);
  ASSERT_TRUE(got->fd.valid());
  char buf[64] = {};
  ASSERT_EQ(pread(got->fd.get(), buf, sizeof(buf), 0), 19);
  EXPECT_STREQ(buf, "guest RAM of slot 3");
  Result<ReceivedRequest> next = receiver.ReadRequest();  // the stream stays in step
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ(next->payload, Bytes("{}"));
}

TEST(MigrationStream, MemoryFdWithoutADescriptorIsMalformed) {
  std::vector<uint8_t> wire;
  Append(&wire, EncodeRequest(Request::Of(Command::kMemoryFd, 4)));
  wire.insert(wire.end(), {3, 0, 0, 0});
  ExpectError(ReadFrom(wire), ErrorCode::kMalformed, "carried no file descriptor");

  SocketPair p;  // the same over a socket: plain bytes, no SCM_RIGHTS
  ASSERT_EQ(write(p.a.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  FdStream sb(p.b.get());
  MigrationChannel receiver(sb);
  ExpectError(receiver.ReadRequest(), ErrorCode::kMalformed, "carried no file descriptor");
}

TEST(MigrationStream, MemoryFdNeedsASocket) {
  MemoryStream stream({});
  MigrationChannel channel(stream);
  Result<void> r = channel.SendMemoryFd(0, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
}

TEST(MigrationStream, WriteToAClosedPeerIsAnError) {
  SocketPair p;
  ASSERT_TRUE(p.a.valid());
  p.b.reset();
  FdStream sa(p.a.get());
  MigrationChannel sender(sa);
  Result<void> r = sender.SendRequest(Command::kStart);  // EPIPE, not SIGPIPE
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), EPIPE);
}

}  // namespace
}  // namespace petrel::vmm::migration
