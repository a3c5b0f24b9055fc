// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Trace (see trace.h).
#include "hv_sim/trace.h"

#include <cstdio>

namespace petrel::sim {

namespace {

// FNV-1a 64 (Fowler/Noll/Vo; draft-eastlake-fnv): offset basis and prime.
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

class Fnv1a64 {
 public:
  void Byte(uint8_t b) {
    h_ ^= b;
    h_ *= kFnvPrime;
  }
  // Integers are hashed little-endian, whatever the host.
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = kFnvOffsetBasis;
};

}  // namespace

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kPioWrite: return "pio-write";
    case TraceKind::kPioRead: return "pio-read";
    case TraceKind::kMmioWrite: return "mmio-write";
    case TraceKind::kMmioRead: return "mmio-read";
    case TraceKind::kRamWrite: return "ram-write";
    case TraceKind::kRamRead: return "ram-read";
    case TraceKind::kIrqLevel: return "irq-level";
    case TraceKind::kMsi: return "msi";
    case TraceKind::kIrqWake: return "irq-wake";
    case TraceKind::kIrqTimeout: return "irq-timeout";
    case TraceKind::kMismatch: return "mismatch";
    case TraceKind::kAdvance: return "advance";
    case TraceKind::kHalt: return "halt";
    case TraceKind::kScriptEnd: return "script-end";
    case TraceKind::kFault: return "fault";
  }
  return "unknown";
}

std::string HexBytes(std::span<const uint8_t> bytes) {
  std::string out = "[";
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", bytes[i]);
    out += buf;
  }
  out += "]";
  return out;
}

void Trace::Append(uint64_t time_ns, uint32_t vcpu, TraceKind kind, uint64_t addr,
                   std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  TraceRecord r;
  r.seq = records_.size();
  r.time_ns = time_ns;
  r.vcpu = vcpu;
  r.kind = kind;
  r.addr = addr;
  r.bytes.assign(bytes.begin(), bytes.end());
  records_.push_back(std::move(r));
}

std::vector<TraceRecord> Trace::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

size_t Trace::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

void Trace::Clear() {
  std::lock_guard lock(mu_);
  records_.clear();
}

// Canonical encoding, per record: seq u64, time_ns u64, vcpu u32, kind u8,
// addr u64, byte count u32, bytes; integers little-endian. The count keeps
// record boundaries unambiguous.
uint64_t Trace::HashRecords(std::span<const TraceRecord> records) {
  Fnv1a64 h;
  for (const auto& r : records) {
    h.U64(r.seq);
    h.U64(r.time_ns);
    h.U32(r.vcpu);
    h.Byte(static_cast<uint8_t>(r.kind));
    h.U64(r.addr);
    h.U32(static_cast<uint32_t>(r.bytes.size()));
    for (uint8_t b : r.bytes) h.Byte(b);
  }
  return h.value();
}

uint64_t Trace::Hash() const {
  std::lock_guard lock(mu_);
  return HashRecords(records_);
}

std::string Trace::FormatRecord(const TraceRecord& r) {
  char head[96];
  std::string who = r.vcpu == kNoVcpu ? "dev" : "vcpu" + std::to_string(r.vcpu);
  std::snprintf(head, sizeof head, "#%llu t=%llu %s %s 0x%llx",
                static_cast<unsigned long long>(r.seq), static_cast<unsigned long long>(r.time_ns),
                who.c_str(), TraceKindName(r.kind), static_cast<unsigned long long>(r.addr));
  std::string line = head;
  if (!r.bytes.empty()) line += " " + HexBytes(r.bytes);
  return line;
}

std::string Trace::ToText() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& r : records_) out += FormatRecord(r) + "\n";
  return out;
}

}  // namespace petrel::sim
