// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Golden byte layouts of the migration headers and range table (protocol.h):
// the bytes Cloud Hypervisor's #[repr(C)] structs have on the wire.
#include "vmm/migration/protocol.h"

#include <gtest/gtest.h>

#include <vector>

namespace petrel::vmm::migration {
namespace {

std::vector<uint8_t> V(std::initializer_list<int> bytes) {
  std::vector<uint8_t> v;
  for (int b : bytes) v.push_back(static_cast<uint8_t>(b));
  return v;
}

template <size_t N>
std::vector<uint8_t> V(const std::array<uint8_t, N>& a) {
  return std::vector<uint8_t>(a.begin(), a.end());
}

TEST(MigrationProtocol, CommandValuesAreCloudHypervisors) {
  EXPECT_EQ(static_cast<uint16_t>(Command::kInvalid), 0);
  EXPECT_EQ(static_cast<uint16_t>(Command::kStart), 1);
  EXPECT_EQ(static_cast<uint16_t>(Command::kConfig), 2);
  EXPECT_EQ(static_cast<uint16_t>(Command::kState), 3);
  EXPECT_EQ(static_cast<uint16_t>(Command::kMemory), 4);
  EXPECT_EQ(static_cast<uint16_t>(Command::kComplete), 5);
  EXPECT_EQ(static_cast<uint16_t>(Command::kAbandon), 6);
  EXPECT_EQ(static_cast<uint16_t>(Command::kMemoryFd), 7);
  EXPECT_EQ(static_cast<uint16_t>(Command::kCompletePaused), 8);
  EXPECT_EQ(static_cast<uint16_t>(Command::kPageFault), 9);
  EXPECT_FALSE(CommandFromWire(10).has_value());
  EXPECT_EQ(CommandName(Command::kMemoryFd), "MemoryFd");
}

TEST(MigrationProtocol, RequestGoldenBytes) {
  EXPECT_EQ(V(EncodeRequest(Request::Of(Command::kConfig, 0x0102030405060708))),
            V({2, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(V(EncodeRequest(Request::Start())), V({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(V(EncodeRequest(Request::Start(0x1234))),
            V({1, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(V(EncodeRequest(Request::Of(Command::kMemoryFd, 4))),
            V({7, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MigrationProtocol, RequestDecodes) {
  const auto bytes = V({4, 0, 1, 2, 3, 4, 5, 6, 0x20, 0, 0, 0, 0, 0, 0, 0x80});
  Result<Request> r = DecodeRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->command, Command::kMemory);
  EXPECT_EQ(r->command_headers, (std::array<uint8_t, 6>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(r->length, 0x8000000000000020u);
  EXPECT_EQ(V(EncodeRequest(*r)), bytes);
}

TEST(MigrationProtocol, RequestRejectsUnknownCommandAndWrongSize) {
  Result<Request> r = DecodeRequest(V({10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformed);
  EXPECT_NE(r.error().message().find("unknown command 10"), std::string::npos);
  EXPECT_FALSE(DecodeRequest(V({1, 0, 0})).ok());
  EXPECT_FALSE(DecodeRequest(V({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).ok());  // 256
  // Invalid (0) is a value of CH's enum: it decodes; the stream rejects it.
  EXPECT_TRUE(DecodeRequest(V({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).ok());
}

TEST(MigrationProtocol, SenderProtocolVersion) {
  Request start = Request::Start();
  start.command_headers[2] = 0xaa;  // residual header bytes are ignored
  EXPECT_EQ(start.SenderProtocolVersion(), kCurrentProtocolVersion);
  EXPECT_TRUE(CheckSenderProtocolVersion(start).ok());
  Result<void> bad = CheckSenderProtocolVersion(Request::Start(255));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kUnsupported);
}

TEST(MigrationProtocol, ResponseGoldenBytes) {
  EXPECT_EQ(V(EncodeResponse(Response{Status::kOk, 0})),
            V({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(V(EncodeResponse(Response{Status::kError, 0})),
            V({2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(V(EncodeResponse(Response{Status::kOk, 4096})),
            V({1, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0}));
}

TEST(MigrationProtocol, ResponseDecodes) {
  Result<Response> r = DecodeResponse(V({2, 0, 9, 9, 9, 9, 9, 9, 5, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Response{Status::kError, 5}));
  Result<Response> bad = DecodeResponse(V({3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("unknown status 3"), std::string::npos);
  EXPECT_FALSE(DecodeResponse(V({1, 0})).ok());
}

TEST(MigrationProtocol, ConnectionRoleGoldenBytes) {
  EXPECT_EQ(V(EncodeConnectionRole(ConnectionRole::kPrecopyMemory)), V({1, 0}));
  EXPECT_EQ(V(EncodeConnectionRole(ConnectionRole::kFault)), V({2, 0}));
  Result<ConnectionRole> fault = DecodeConnectionRole(V({2, 0}));
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(*fault, ConnectionRole::kFault);
  Result<ConnectionRole> unknown = DecodeConnectionRole(V({99, 0}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("unknown connection role 99"), std::string::npos);
  EXPECT_FALSE(DecodeConnectionRole(V({1})).ok());
}

TEST(MigrationProtocol, MemoryRangeTableGoldenBytes) {
  MemoryRangeTable table({{0x1000, 0x2000}, {0x100000000, 0x1000}});
  EXPECT_EQ(table.WireLength(), 32u);
  EXPECT_EQ(table.TotalBytes(), 0x3000u);
  EXPECT_EQ(table.Encode(), V({0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0,  //
                               0, 0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0}));
  Result<MemoryRangeTable> back = MemoryRangeTable::Decode(table.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, table);
  EXPECT_TRUE(MemoryRangeTable::Decode({}).ok());
}

TEST(MigrationProtocol, MemoryRangeTableLimits) {
  Result<MemoryRangeTable> partial = MemoryRangeTable::Decode(std::vector<uint8_t>(17));
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.error().code(), ErrorCode::kMalformed);

  MemoryTableLimits limits;
  limits.max_entries = 2;
  limits.max_total_bytes = 0x3000;
  Result<MemoryRangeTable> many =
      MemoryRangeTable::Decode(MemoryRangeTable({{0, 1}, {2, 1}, {4, 1}}).Encode(), limits);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(many.error().message().find("exceeds the limit of 2"), std::string::npos);

  Result<MemoryRangeTable> big =
      MemoryRangeTable::Decode(MemoryRangeTable({{0, 0x2000}, {0x4000, 0x1001}}).Encode(), limits);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(
      MemoryRangeTable::Decode(MemoryRangeTable({{0, 0x2000}, {0x4000, 0x1000}}).Encode(), limits).ok());

  Result<MemoryRangeTable> wraps =
      MemoryRangeTable::Decode(MemoryRangeTable({{~uint64_t{0} - 10, 11}}).Encode());
  ASSERT_FALSE(wraps.ok());
  EXPECT_NE(wraps.error().message().find("wraps"), std::string::npos);

  EXPECT_FALSE(CheckMemoryTableLength(16 * 3, limits).ok());
  EXPECT_TRUE(CheckMemoryTableLength(16 * 2, limits).ok());
}

}  // namespace
}  // namespace petrel::vmm::migration
