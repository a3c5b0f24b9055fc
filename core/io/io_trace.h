// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IoTrace: a recording of every guest device access a VM made (port and
// MMIO reads with the data the device returned, writes with the data the
// guest wrote, local APIC EOIs) and every interrupt its devices raised
// (MSIs, legacy pin levels), with the time and the vCPU of each, and its
// file format. RecordingGuestIo (recording_guest_io.h) fills one on a
// real backend; vmm/replay turns one into hv_sim guest scripts that replay
// the run against fresh devices and report the first read whose data
// differs (docs/record-replay.md).
//
// File format (text, one record per line, '\n' line ends):
//   petrel-io-trace 1
//   <time_ns> <vcpu> <kind> <addr hex, 0x prefix> <data hex, lowercase; "-" if empty>
// kind: pio-read, pio-write, mmio-read, mmio-write, eoi (addr = vector),
// msi (addr = the MSI address, data = the 4 data bytes), pin (addr = a
// legacy interrupt pin, data = its new level, 00 or 01). Interrupts belong
// to no vCPU: their vcpu field is "-" (kNoVcpu).
// time_ns counts from the start of the recording. ParseIoTrace refuses anything else with the line number: another
// header or version, a bad field, a port above 0xffff, data of more than 8
// bytes (or any for eoi), more than kMaxRecords records.
//
// Thread-safety: Append() may be called from every vCPU thread at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace petrel {

struct IoTraceRecord {
  enum class Kind : uint8_t { kPioRead, kPioWrite, kMmioRead, kMmioWrite, kEoi, kMsi, kPin };
  static constexpr uint32_t kNoVcpu = 0xffffffff;  // an interrupt's vcpu
  uint64_t time_ns = 0;
  uint32_t vcpu = 0;
  Kind kind = Kind::kPioRead;
  uint64_t addr = 0;
  std::vector<uint8_t> data;  // at most kMaxAccessBytes
  bool operator==(const IoTraceRecord&) const = default;
};
const char* IoTraceKindName(IoTraceRecord::Kind kind);
// An interrupt a device raised (msi, pin), not an access a vCPU made.
bool IsInterruptRecord(const IoTraceRecord& record);
// Bytes as the trace writes them: lowercase hex, "-" when empty.
std::string IoTraceHex(std::span<const uint8_t> bytes);
// "vcpu 0 pio-write 0x3f8 50": a record without its time.
std::string DescribeAccess(const IoTraceRecord& record);

class IoTrace {
 public:
  // One access moves at most 8 bytes (an MMIO access; PIO at most 4).
  static constexpr size_t kMaxAccessBytes = 8;
  // A recording stops growing here (about 0.5 GiB in memory); the records
  // past it are counted in dropped().
  static constexpr size_t kMaxRecords = 8u << 20;

  void Append(IoTraceRecord record);
  std::vector<IoTraceRecord> records() const;
  uint64_t dropped() const;

  std::string ToText() const;
  // Writes ToText() to `path` (created or truncated, 0600).
  Result<void> WriteFile(const std::string& path) const;

 private:
  mutable std::mutex mu_;
  std::vector<IoTraceRecord> records_;
  uint64_t dropped_ = 0;
};

Result<std::vector<IoTraceRecord>> ParseIoTrace(std::string_view text);
Result<std::vector<IoTraceRecord>> ReadIoTraceFile(const std::string& path);

}  // namespace petrel
