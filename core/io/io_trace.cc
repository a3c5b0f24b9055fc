// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IoTrace and its text format (see io_trace.h).
#include "core/io/io_trace.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "core/base/whole_file.h"

namespace petrel {
namespace {

constexpr std::string_view kHeader = "petrel-io-trace 1";
// Largest trace file read back: kMaxRecords lines of at most ~80 bytes.
constexpr uint64_t kMaxFileBytes = 1ull << 30;

constexpr std::array<std::pair<IoTraceRecord::Kind, const char*>, 7> kKinds = {{
    {IoTraceRecord::Kind::kPioRead, "pio-read"},
    {IoTraceRecord::Kind::kPioWrite, "pio-write"},
    {IoTraceRecord::Kind::kMmioRead, "mmio-read"},
    {IoTraceRecord::Kind::kMmioWrite, "mmio-write"},
    {IoTraceRecord::Kind::kEoi, "eoi"},
    {IoTraceRecord::Kind::kMsi, "msi"},
    {IoTraceRecord::Kind::kPin, "pin"},
}};

std::string VcpuText(uint32_t vcpu) {
  return vcpu == IoTraceRecord::kNoVcpu ? std::string("-") : std::to_string(vcpu);
}

}  // namespace

std::string IoTraceHex(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return "-";
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string DescribeAccess(const IoTraceRecord& r) {
  char addr[24];
  std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(r.addr));
  return "vcpu " + VcpuText(r.vcpu) + ' ' + IoTraceKindName(r.kind) + ' ' + addr + ' ' +
         IoTraceHex(r.data);
}

namespace {

Error LineError(size_t line, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "io trace line " + std::to_string(line) + ": " + what);
}

template <class T>
bool ParseNumber(std::string_view s, T& out, int base) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<IoTraceRecord> ParseLine(std::string_view line, size_t number) {
  std::array<std::string_view, 5> fields;
  size_t n = 0;
  while (!line.empty()) {
    const size_t space = line.find(' ');
    const std::string_view field = line.substr(0, space);
    if (field.empty()) return LineError(number, "two spaces in a row");
    if (n == fields.size()) return LineError(number, "more than 5 fields");
    fields[n++] = field;
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
    if (line.empty()) return LineError(number, "a trailing space");
  }
  if (n != fields.size()) return LineError(number, "expected 5 fields");
  IoTraceRecord r;
  if (!ParseNumber(fields[0], r.time_ns, 10)) return LineError(number, "bad time");
  if (fields[1] == "-") {
    r.vcpu = IoTraceRecord::kNoVcpu;
  } else if (!ParseNumber(fields[1], r.vcpu, 10) || r.vcpu == IoTraceRecord::kNoVcpu) {
    return LineError(number, "bad vcpu");
  }
  bool known = false;
  for (const auto& [kind, name] : kKinds) {
    if (fields[2] == name) {
      r.kind = kind;
      known = true;
    }
  }
  if (!known) return LineError(number, "unknown kind '" + std::string(fields[2]) + "'");
  if (fields[3].size() < 3 || fields[3].substr(0, 2) != "0x" ||
      !ParseNumber(fields[3].substr(2), r.addr, 16)) {
    return LineError(number, "bad address");
  }
  const bool pio = r.kind == IoTraceRecord::Kind::kPioRead || r.kind == IoTraceRecord::Kind::kPioWrite;
  if (pio && r.addr > 0xffff) return LineError(number, "port above 0xffff");
  if (r.kind == IoTraceRecord::Kind::kEoi && r.addr > 0xff) return LineError(number, "vector above 0xff");
  const std::string_view hex = fields[4];
  if (hex != "-") {
    if (hex.size() % 2 != 0 || hex.size() / 2 > IoTrace::kMaxAccessBytes) {
      return LineError(number, "data must be 1 to 8 bytes of hex");
    }
    for (size_t i = 0; i < hex.size(); i += 2) {
      const int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
      if (hi < 0 || lo < 0) return LineError(number, "bad hex data");
      r.data.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
  }
  if (r.kind == IoTraceRecord::Kind::kEoi ? !r.data.empty() : r.data.empty()) {
    return LineError(number, r.kind == IoTraceRecord::Kind::kEoi ? "an eoi has no data"
                                                                 : "an access needs data");
  }
  const bool interrupt = IsInterruptRecord(r);
  if (interrupt != (r.vcpu == IoTraceRecord::kNoVcpu)) {
    return LineError(number, interrupt ? "an interrupt's vcpu is '-'" : "an access needs a vcpu");
  }
  if (r.kind == IoTraceRecord::Kind::kMsi && r.data.size() != 4) {
    return LineError(number, "an msi's data is 4 bytes");
  }
  if (r.kind == IoTraceRecord::Kind::kPin &&
      (r.addr > 0xff || r.data.size() != 1 || r.data[0] > 1)) {
    return LineError(number, "a pin is at most 0xff and its level 00 or 01");
  }
  return r;
}

}  // namespace

const char* IoTraceKindName(IoTraceRecord::Kind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "?";
}

bool IsInterruptRecord(const IoTraceRecord& r) {
  return r.kind == IoTraceRecord::Kind::kMsi || r.kind == IoTraceRecord::Kind::kPin;
}

void IoTrace::Append(IoTraceRecord record) {
  std::lock_guard lock(mu_);
  if (records_.size() >= kMaxRecords) {
    ++dropped_;
    return;
  }
  records_.push_back(std::move(record));
}

std::vector<IoTraceRecord> IoTrace::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

uint64_t IoTrace::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::string IoTrace::ToText() const {
  std::lock_guard lock(mu_);
  std::string out(kHeader);
  out.push_back('\n');
  char addr[24];
  for (const auto& r : records_) {
    std::snprintf(addr, sizeof addr, "0x%llx", static_cast<unsigned long long>(r.addr));
    out += std::to_string(r.time_ns) + ' ' + VcpuText(r.vcpu) + ' ' +
           IoTraceKindName(r.kind) + ' ' + addr + ' ' + IoTraceHex(r.data) + '\n';
  }
  return out;
}

Result<void> IoTrace::WriteFile(const std::string& path) const {
  return WriteWholeFile(path, ToText());
}

Result<std::vector<IoTraceRecord>> ParseIoTrace(std::string_view text) {
  std::vector<IoTraceRecord> out;
  size_t number = 0;
  bool header = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return LineError(number + 1, "no line end");
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++number;
    if (!header) {
      if (line != kHeader) return LineError(number, "expected '" + std::string(kHeader) + "'");
      header = true;
      continue;
    }
    if (out.size() >= IoTrace::kMaxRecords) return LineError(number, "too many records");
    PETREL_ASSIGN_OR_RETURN(IoTraceRecord r, ParseLine(line, number));
    out.push_back(std::move(r));
  }
  if (!header) return LineError(1, "empty trace");
  return out;
}

Result<std::vector<IoTraceRecord>> ReadIoTraceFile(const std::string& path) {
  PETREL_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(path, kMaxFileBytes));
  return ParseIoTrace(text).Wrap(path);
}

}  // namespace petrel
