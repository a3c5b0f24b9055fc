// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The migration wire format (see protocol.h).
#include "vmm/migration/protocol.h"

#include <limits>
#include <string>

namespace petrel::vmm::migration {
namespace {

void PutU16(uint8_t* out, uint16_t v) {
  out[0] = static_cast<uint8_t>(v);
  out[1] = static_cast<uint8_t>(v >> 8);
}

void PutU64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint16_t GetU16(const uint8_t* in) { return static_cast<uint16_t>(in[0] | in[1] << 8); }

uint64_t GetU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | in[i];
  return v;
}

Error Malformed(std::string message) { return Error(ErrorCode::kMalformed, std::move(message)); }

Result<void> CheckSize(std::span<const uint8_t> bytes, size_t want, std::string_view what) {
  if (bytes.size() == want) return Ok();
  return Malformed(std::string(what) + " is " + std::to_string(want) + " bytes, got " +
                   std::to_string(bytes.size()));
}

}  // namespace

std::string_view CommandName(Command command) {
  switch (command) {
    case Command::kInvalid: return "Invalid";
    case Command::kStart: return "Start";
    case Command::kConfig: return "Config";
    case Command::kState: return "State";
    case Command::kMemory: return "Memory";
    case Command::kComplete: return "Complete";
    case Command::kAbandon: return "Abandon";
    case Command::kMemoryFd: return "MemoryFd";
    case Command::kCompletePaused: return "CompletePaused";
    case Command::kPageFault: return "PageFault";
  }
  return "Unknown";
}

std::optional<Command> CommandFromWire(uint16_t value) {
  if (value > static_cast<uint16_t>(Command::kPageFault)) return std::nullopt;
  return static_cast<Command>(value);
}

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kInvalid: return "Invalid";
    case Status::kOk: return "Ok";
    case Status::kError: return "Error";
  }
  return "Unknown";
}

Request Request::Of(Command command, uint64_t length) {
  Request r;
  r.command = command;
  r.length = length;
  return r;
}

Request Request::Start(uint16_t version) {
  Request r = Of(Command::kStart, 0);
  PutU16(r.command_headers.data(), version);
  return r;
}

uint16_t Request::SenderProtocolVersion() const { return GetU16(command_headers.data()); }

RequestBytes EncodeRequest(const Request& request) {
  RequestBytes out{};
  PutU16(&out[0], static_cast<uint16_t>(request.command));
  for (size_t i = 0; i < request.command_headers.size(); ++i) out[2 + i] = request.command_headers[i];
  PutU64(&out[8], request.length);
  return out;
}

Result<Request> DecodeRequest(std::span<const uint8_t> bytes) {
  PETREL_TRY(CheckSize(bytes, kRequestSize, "a migration request header"));
  const uint16_t wire = GetU16(&bytes[0]);
  std::optional<Command> command = CommandFromWire(wire);
  if (!command) return Malformed("migration request with unknown command " + std::to_string(wire));
  Request r = Request::Of(*command, GetU64(&bytes[8]));
  for (size_t i = 0; i < r.command_headers.size(); ++i) r.command_headers[i] = bytes[2 + i];
  return r;
}

Result<void> CheckSenderProtocolVersion(const Request& start) {
  const uint16_t version = start.SenderProtocolVersion();
  const uint16_t oldest = kCurrentProtocolVersion == 0 ? 0 : kCurrentProtocolVersion - 1;
  if (version >= oldest && version <= kCurrentProtocolVersion) return Ok();
  return Error(ErrorCode::kUnsupported,
               "migration protocol version " + std::to_string(version) +
                   " is not supported (supported: " + std::to_string(oldest) + " to " +
                   std::to_string(kCurrentProtocolVersion) + ")");
}

ResponseBytes EncodeResponse(const Response& response) {
  ResponseBytes out{};
  PutU16(&out[0], static_cast<uint16_t>(response.status));
  PutU64(&out[8], response.length);
  return out;
}

Result<Response> DecodeResponse(std::span<const uint8_t> bytes) {
  PETREL_TRY(CheckSize(bytes, kResponseSize, "a migration response header"));
  const uint16_t wire = GetU16(&bytes[0]);
  if (wire > static_cast<uint16_t>(Status::kError)) {
    return Malformed("migration response with unknown status " + std::to_string(wire));
  }
  Response r;
  r.status = static_cast<Status>(wire);
  r.length = GetU64(&bytes[8]);
  return r;
}

std::array<uint8_t, kConnectionRoleSize> EncodeConnectionRole(ConnectionRole role) {
  std::array<uint8_t, kConnectionRoleSize> out{};
  PutU16(out.data(), static_cast<uint16_t>(role));
  return out;
}

Result<ConnectionRole> DecodeConnectionRole(std::span<const uint8_t> bytes) {
  PETREL_TRY(CheckSize(bytes, kConnectionRoleSize, "a connection role"));
  const uint16_t wire = GetU16(bytes.data());
  if (wire > static_cast<uint16_t>(ConnectionRole::kFault)) {
    return Malformed("unknown connection role " + std::to_string(wire));
  }
  return static_cast<ConnectionRole>(wire);
}

uint64_t MemoryRangeTable::TotalBytes() const {
  uint64_t total = 0;
  for (const MemoryRange& r : ranges_) {
    if (r.length > std::numeric_limits<uint64_t>::max() - total) {
      return std::numeric_limits<uint64_t>::max();
    }
    total += r.length;
  }
  return total;
}

std::vector<uint8_t> MemoryRangeTable::Encode() const {
  std::vector<uint8_t> out(ranges_.size() * kMemoryRangeSize);
  for (size_t i = 0; i < ranges_.size(); ++i) {
    PutU64(&out[i * kMemoryRangeSize], ranges_[i].gpa);
    PutU64(&out[i * kMemoryRangeSize + 8], ranges_[i].length);
  }
  return out;
}

Result<void> CheckMemoryTableLength(uint64_t wire_length, const MemoryTableLimits& limits) {
  if (wire_length % kMemoryRangeSize != 0) {
    return Malformed("memory range table of " + std::to_string(wire_length) +
                     " bytes is not a whole number of 16-byte ranges");
  }
  if (wire_length / kMemoryRangeSize > limits.max_entries) {
    return Error(ErrorCode::kOutOfRange,
                 "memory range table of " + std::to_string(wire_length / kMemoryRangeSize) +
                     " ranges exceeds the limit of " + std::to_string(limits.max_entries));
  }
  return Ok();
}

Result<MemoryRangeTable> MemoryRangeTable::Decode(std::span<const uint8_t> bytes,
                                                  const MemoryTableLimits& limits) {
  PETREL_TRY(CheckMemoryTableLength(bytes.size(), limits));
  std::vector<MemoryRange> ranges(bytes.size() / kMemoryRangeSize);
  uint64_t total = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const MemoryRange r{GetU64(&bytes[i * kMemoryRangeSize]),
                        GetU64(&bytes[i * kMemoryRangeSize + 8])};
    if (r.length > std::numeric_limits<uint64_t>::max() - r.gpa) {
      return Malformed("memory range " + std::to_string(i) + " wraps past the end of the address space");
    }
    if (r.length > limits.max_total_bytes - total) {
      return Error(ErrorCode::kOutOfRange, "memory range table covers more than " +
                                               std::to_string(limits.max_total_bytes) + " bytes");
    }
    total += r.length;
    ranges[i] = r;
  }
  return MemoryRangeTable(std::move(ranges));
}

}  // namespace petrel::vmm::migration
