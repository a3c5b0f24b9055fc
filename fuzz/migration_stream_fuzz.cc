// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the live-migration wire protocol (vmm/migration): the input is the
// byte stream a migration peer sends. The first byte picks how the stream is
// delivered (short reads) and the chunk size; the rest is read as requests,
// each Memory request's pages placed through a sink, until the first error.
// The same stream then drives the receiver's loop (ReceiveMigration) against
// a target that checks it is called in the protocol's order. Then the same
// bytes go through the range-table, header and URL decoders.
// Checks:
//   - nothing crashes, and allocation stays bounded by the input and the
//     limits (libFuzzer's -rss_limit_mb and -malloc_limit_mb catch growth);
//   - accepted payloads respect their bounds, memory chunks are no larger
//     than the chunk size and stay inside their range;
//   - the receiver calls its target in order only (Config before Memory and
//     State, State before Complete), and a migration that did not complete
//     always ends in Abandon;
//   - every error has a message; decoded headers and tables re-encode to the
//     bytes they came from; a parsed URL formats and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <span>
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "vmm/migration/protocol.h"
#include "vmm/migration/receiver.h"
#include "vmm/migration/stream.h"
#include "vmm/migration/url.h"

namespace {

namespace mig = petrel::vmm::migration;

void Check(bool condition) {
  if (!condition) std::abort();
}

template <class T>
void CheckError(const petrel::Result<T>& r) {
  if (!r.ok()) Check(!r.error().message().empty());
}

bool InTable(const mig::MemoryRangeTable& table, uint64_t gpa, size_t size) {
  for (const mig::MemoryRange& r : table.ranges()) {
    if (gpa >= r.gpa && size <= r.length && gpa - r.gpa <= r.length - size) return true;
  }
  return false;
}

// Reads requests until the stream ends or fails.
void ReadRequests(std::span<const uint8_t> bytes, size_t max_read, const mig::StreamLimits& limits) {
  mig::MemoryStream stream(bytes, max_read);
  mig::MigrationChannel channel(stream, limits);
  for (;;) {
    petrel::Result<mig::ReceivedRequest> got = channel.ReadRequest();
    CheckError(got);
    if (!got.ok()) return;
    const mig::ReceivedRequest& r = *got;
    Check(r.request.command != mig::Command::kInvalid);
    Check(r.payload.size() <= limits.max_json_payload);
    Check(r.table.size() <= limits.memory.max_entries);
    Check(r.table.TotalBytes() <= limits.memory.max_total_bytes);
    Check(!r.fd.valid());  // a memory stream passes no descriptors
    if (r.request.command != mig::Command::kMemory) continue;
    petrel::Result<void> data = channel.ReceiveMemoryData(
        r.table, [&](uint64_t gpa, std::span<const uint8_t> chunk) -> petrel::Result<void> {
          Check(!chunk.empty() && chunk.size() <= limits.memory_chunk);
          Check(InTable(r.table, gpa, chunk.size()));
          return petrel::Ok();
        });
    CheckError(data);
    if (!data.ok()) return;
  }
}

// A target that checks the receiver's order. A Config payload starting
// with 'x' is refused, so refusals are reached too.
class OrderCheckingTarget final : public mig::MigrationTarget {
 public:
  petrel::Result<void> Configure(std::span<const uint8_t> payload) override {
    Check(!configured && !restored && !completed);
    if (!payload.empty() && payload[0] == 'x') {
      return petrel::Error(petrel::ErrorCode::kInvalidArgument, "refused");
    }
    configured = true;
    return petrel::Ok();
  }
  petrel::Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> bytes) override {
    Check(configured && !restored && !bytes.empty());
    if (gpa >= (uint64_t{1} << 20) || bytes.size() > (uint64_t{1} << 20) - gpa) {
      return petrel::Error(petrel::ErrorCode::kOutOfRange, "outside guest memory");
    }
    return petrel::Ok();
  }
  petrel::Result<void> Restore(std::span<const uint8_t>) override {
    Check(configured && !restored);
    restored = true;
    return petrel::Ok();
  }
  petrel::Result<void> Complete(bool) override {
    Check(restored && !completed);
    completed = true;
    return petrel::Ok();
  }
  void Abandon() override {
    Check(!abandoned);
    abandoned = true;
  }
  bool configured = false, restored = false, completed = false, abandoned = false;
};

void Receive(std::span<const uint8_t> bytes, size_t max_read, const mig::StreamLimits& limits) {
  mig::MemoryStream stream(bytes, max_read);
  mig::MigrationChannel channel(stream, limits);
  OrderCheckingTarget target;
  petrel::Result<void> received = mig::ReceiveMigration(channel, target);
  CheckError(received);
  if (received.ok()) {
    Check(target.completed && !target.abandoned);
  } else {
    Check(target.abandoned || target.completed);  // completed: only the last answer failed
  }
}

void ReadResponses(std::span<const uint8_t> bytes, size_t max_read) {
  mig::MemoryStream stream(bytes, max_read);
  mig::MigrationChannel channel(stream);
  for (;;) {
    petrel::Result<mig::ReceivedResponse> got = channel.ReadResponse(4096);
    CheckError(got);
    if (!got.ok()) return;
    Check(got->payload.size() == got->response.length && got->payload.size() <= 4096);
  }
}

void DecodeHeaders(std::span<const uint8_t> bytes) {
  if (bytes.size() < mig::kRequestSize) return;
  const std::span<const uint8_t> header = bytes.first(mig::kRequestSize);
  petrel::Result<mig::Request> request = mig::DecodeRequest(header);
  CheckError(request);
  if (request.ok()) {
    const mig::RequestBytes again = mig::EncodeRequest(*request);
    Check(std::equal(again.begin(), again.end(), header.begin()));
  }
  petrel::Result<mig::Response> response = mig::DecodeResponse(header);
  CheckError(response);
  if (response.ok()) Check(*mig::DecodeResponse(mig::EncodeResponse(*response)) == *response);
}

void ReadRole(std::span<const uint8_t> bytes) {
  mig::MemoryStream stream(bytes);
  mig::MigrationChannel channel(stream);
  petrel::Result<mig::ConnectionRole> role = channel.ReadConnectionRole();
  CheckError(role);
  if (role.ok()) Check(static_cast<uint16_t>(*role) <= 2);
}

void DecodeTable(std::span<const uint8_t> bytes, const mig::MemoryTableLimits& limits) {
  petrel::Result<mig::MemoryRangeTable> table = mig::MemoryRangeTable::Decode(bytes, limits);
  CheckError(table);
  if (!table.ok()) return;
  Check(table->WireLength() == bytes.size());
  const std::vector<uint8_t> again = table->Encode();
  Check(std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()));
}

void ParseUrl(std::span<const uint8_t> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  petrel::Result<mig::MigrationUrl> url = mig::ParseMigrationUrl(text);
  CheckError(url);
  if (!url.ok()) return;
  petrel::Result<mig::MigrationUrl> again = mig::ParseMigrationUrl(mig::FormatMigrationUrl(*url));
  Check(again.ok() && *again == *url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  petrel::fuzz::FuzzInput in(data, size);
  const uint8_t mode = in.Byte();
  const uint8_t* rest = nullptr;
  const size_t n = in.Rest(&rest);
  const std::span<const uint8_t> stream(rest, n);

  // Short reads of 1 to 15 bytes or unlimited; chunks of 1 byte to 32 KiB.
  const size_t max_read = (mode & 0x0f) == 0 ? SIZE_MAX : (mode & 0x0f);
  mig::StreamLimits limits;
  limits.memory_chunk = size_t{1} << (mode >> 4);
  if (mode & 0x80) {  // tight limits, to reach the over-limit paths with small inputs
    limits.max_json_payload = 64;
    limits.memory.max_entries = 4;
    limits.memory.max_total_bytes = 0x10000;
  }
  ReadRequests(stream, max_read, limits);
  Receive(stream, max_read, limits);
  ReadResponses(stream, max_read);
  DecodeHeaders(stream);
  ReadRole(stream);
  DecodeTable(stream, limits.memory);
  ParseUrl(stream);
  return 0;
}
