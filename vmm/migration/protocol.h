// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The live-migration wire format: commands, the fixed-size request and
// response headers, and the memory range table. Mirrors Cloud Hypervisor's
// vm-migration protocol module, byte for byte: CH's structs are #[repr(C)]
// and go on the wire as their raw little-endian bytes.
//
// Request (16 bytes)                  Response (16 bytes)
//   0..2   command   u16 LE             0..2   status   u16 LE (0 Invalid, 1 Ok, 2 Error)
//   2..8   command_headers [u8; 6]      2..8   padding  [u8; 6], zero
//          (Start: bytes 2..4 carry the
//          sender's protocol version,
//          u16 LE; the rest is zero)
//   8..16  length    u64 LE             8..16  length   u64 LE
//
// `length` counts the payload bytes that follow the header. For Memory it is
// the size of the range table only; the guest pages of every range follow the
// table, in table order, and are not counted.
//
// MemoryRange (16 bytes): gpa u64 LE, length u64 LE. A MemoryRangeTable on the
// wire is its ranges back to back, nothing else (no count: the request length
// gives it).
//
// ConnectionRole (2 bytes, u16 LE: 0 Invalid, 1 PrecopyMemory, 2 Fault): the
// first message on an additional migration connection (CH's multi-connection
// precopy and its post-copy fault connection), before any request.
//
// MemoryFd (local migration over a UNIX socket): the request has length 4,
// and the payload is the memory slot (u32 LE) sent in one sendmsg() that
// carries the slot's memory fd as SCM_RIGHTS ancillary data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace petrel::vmm::migration {

// CH's Command, with its numeric values.
enum class Command : uint16_t {
  kInvalid = 0,
  kStart = 1,
  kConfig = 2,
  kState = 3,
  kMemory = 4,
  kComplete = 5,  // finish and resume the VM on the destination
  kAbandon = 6,
  kMemoryFd = 7,
  kCompletePaused = 8,  // finish, leaving the VM paused (it was paused on the source)
  kPageFault = 9,       // post-copy: one MemoryRange to fault in
};

// "Start", "Config", ...; "Unknown" for a value outside the enum.
std::string_view CommandName(Command command);
// The Command for a wire value, if CH defines one.
std::optional<Command> CommandFromWire(uint16_t value);

enum class Status : uint16_t { kInvalid = 0, kOk = 1, kError = 2 };
std::string_view StatusName(Status status);

// The migration protocol version sent in Start; the receiver accepts this
// version and the one before it (CH's supported_protocol_versions).
inline constexpr uint16_t kCurrentProtocolVersion = 0;

inline constexpr size_t kRequestSize = 16;
inline constexpr size_t kResponseSize = 16;
inline constexpr size_t kMemoryRangeSize = 16;
inline constexpr size_t kMemoryFdPayloadSize = 4;  // the slot, u32 LE

using RequestBytes = std::array<uint8_t, kRequestSize>;
using ResponseBytes = std::array<uint8_t, kResponseSize>;

struct Request {
  Command command = Command::kInvalid;
  std::array<uint8_t, 6> command_headers{};
  uint64_t length = 0;

  // A request with zeroed command headers.
  static Request Of(Command command, uint64_t length);
  // Start carrying `version` in command_headers[0..2].
  static Request Start(uint16_t version = kCurrentProtocolVersion);
  // The version a Start request carries (the other header bytes are ignored).
  uint16_t SenderProtocolVersion() const;

  bool operator==(const Request&) const = default;
};

RequestBytes EncodeRequest(const Request& request);
// Exactly kRequestSize bytes; an unknown command is kMalformed. Command
// kInvalid decodes (CH's decoder accepts it); the stream rejects it.
Result<Request> DecodeRequest(std::span<const uint8_t> bytes);
// kUnsupported unless a Start request's version is the current or previous one.
Result<void> CheckSenderProtocolVersion(const Request& start);

struct Response {
  Status status = Status::kInvalid;
  uint64_t length = 0;  // payload bytes after the header (PageFault replies)

  bool operator==(const Response&) const = default;
};

ResponseBytes EncodeResponse(const Response& response);
// Exactly kResponseSize bytes; an unknown status is kMalformed. The padding
// bytes are ignored, as CH ignores them.
Result<Response> DecodeResponse(std::span<const uint8_t> bytes);

enum class ConnectionRole : uint16_t { kInvalid = 0, kPrecopyMemory = 1, kFault = 2 };
inline constexpr size_t kConnectionRoleSize = 2;
std::array<uint8_t, kConnectionRoleSize> EncodeConnectionRole(ConnectionRole role);
// Exactly kConnectionRoleSize bytes; an unknown role is kMalformed (Invalid
// decodes, as in CH).
Result<ConnectionRole> DecodeConnectionRole(std::span<const uint8_t> bytes);

struct MemoryRange {
  uint64_t gpa = 0;
  uint64_t length = 0;
  bool operator==(const MemoryRange&) const = default;
};

// Bounds on a received table. CH sends the whole dirty set of an iteration
// as one table, so the entry bound is generous; the bytes it stands for are
// bounded by the guest-physical address width.
struct MemoryTableLimits {
  uint64_t max_entries = uint64_t{1} << 24;     // 256 MiB of table
  uint64_t max_total_bytes = uint64_t{1} << 52;  // the widest guest-physical space
};

class MemoryRangeTable {
 public:
  MemoryRangeTable() = default;
  explicit MemoryRangeTable(std::vector<MemoryRange> ranges) : ranges_(std::move(ranges)) {}

  const std::vector<MemoryRange>& ranges() const { return ranges_; }
  void Push(MemoryRange range) { ranges_.push_back(range); }
  bool empty() const { return ranges_.empty(); }
  size_t size() const { return ranges_.size(); }
  // The table's size on the wire: a Memory request's length.
  uint64_t WireLength() const { return ranges_.size() * kMemoryRangeSize; }
  // The sum of the range lengths: the page bytes that follow the table.
  // Saturates at UINT64_MAX (a decoded table never gets there).
  uint64_t TotalBytes() const;

  std::vector<uint8_t> Encode() const;
  // Ranges back to back: the size must be a multiple of kMemoryRangeSize,
  // within limits.max_entries; no range may wrap past 2^64, and the lengths
  // together must stay within limits.max_total_bytes.
  static Result<MemoryRangeTable> Decode(std::span<const uint8_t> bytes,
                                         const MemoryTableLimits& limits = {});

  bool operator==(const MemoryRangeTable&) const = default;

 private:
  std::vector<MemoryRange> ranges_;
};

// The checks Decode makes on a table's wire length alone (before its bytes
// are read): a multiple of kMemoryRangeSize and at most max_entries entries.
Result<void> CheckMemoryTableLength(uint64_t wire_length, const MemoryTableLimits& limits);

}  // namespace petrel::vmm::migration
