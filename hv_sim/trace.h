// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Trace: hv_sim's record of everything a simulated guest did and saw.
//
// Each record is {seq, virtual time ns, vcpu, kind, addr, bytes}, where
// `bytes` is the data written, or the data a read returned. Interrupt line
// changes, completed and timed-out interrupt waits and failed expectations
// are records too. Hash() is the regression oracle ("same seed, same trace",
// architecture guide, determinism rule 5): FNV-1a 64 over a canonical
// little-endian encoding of every field, never over struct memory.
//
// Thread-safety: Append and the readers take an internal lock, so interrupt
// lines may be raised from any thread (the order is then the caller's).
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace petrel::sim {

enum class TraceKind : uint8_t {
  kPioWrite = 1,
  kPioRead = 2,
  kMmioWrite = 3,
  kMmioRead = 4,
  kRamWrite = 5,
  kRamRead = 6,
  kIrqLevel = 7,    // addr = pin, bytes = {new level}
  kIrqWake = 8,     // a WaitIrq was satisfied; addr = pin
  kIrqTimeout = 9,  // a WaitIrq timed out; addr = pin
  kMismatch = 10,   // a read differed from its expectation; bytes = expected
  kAdvance = 11,    // addr = nanoseconds skipped
  kHalt = 12,
  kScriptEnd = 13,
  kFault = 14,  // a RAM access outside guest memory; addr = gpa
  kMsi = 15,    // an MSI was delivered; addr = message address, bytes = data (LE32)
};
const char* TraceKindName(TraceKind kind);

// Not a vCPU: the record came from a device (e.g. an interrupt line).
inline constexpr uint32_t kNoVcpu = UINT32_MAX;

struct TraceRecord {
  uint64_t seq = 0;
  uint64_t time_ns = 0;
  uint32_t vcpu = kNoVcpu;
  TraceKind kind = TraceKind::kHalt;
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const TraceRecord&) const = default;
};

class Trace {
 public:
  // Appends a record; `seq` is assigned here (0, 1, 2, ...).
  void Append(uint64_t time_ns, uint32_t vcpu, TraceKind kind, uint64_t addr,
              std::span<const uint8_t> bytes = {});

  std::vector<TraceRecord> records() const;
  size_t size() const;
  void Clear();

  // FNV-1a 64 over the canonical encoding of every record (see trace.cc).
  uint64_t Hash() const;
  // One line per record, e.g. "#3 t=30 vcpu0 pio-read 0x3fd [60]".
  std::string ToText() const;

  static uint64_t HashRecords(std::span<const TraceRecord> records);
  static std::string FormatRecord(const TraceRecord& r);

 private:
  mutable std::mutex mu_;
  std::vector<TraceRecord> records_;
};

// "[41 0a]": bytes as hex, for trace text and mismatch messages.
std::string HexBytes(std::span<const uint8_t> bytes);

}  // namespace petrel::sim
