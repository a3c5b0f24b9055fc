// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakePlatform: a Platform for tests and the fuzz target. Guest RAM is a
// byte vector at GPA 0; GPAs from kMmioBase up are an MMIO window that
// logs every access and reads a fixed pattern; anything else reads as
// all-ones and drops writes. Translation is WalkPageTables over the RAM,
// so tests build real page tables. Port I/O is logged. CPUID answers
// CpuidFor(leaf, subleaf); MSRs are the `msrs` map (others #GP); the TSC
// is `tsc`, which each read advances by tsc_step.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <vector>

#include "core/x86emu/page_walk.h"
#include "core/x86emu/platform.h"

namespace petrel::x86emu::testing {

class FakePlatform : public Platform, public PhysicalMemory {
 public:
  static constexpr uint64_t kMmioBase = 0xfe000000;
  static constexpr uint64_t kMmioSize = 0x100000;

  struct MmioAccess {
    bool write;
    uint64_t gpa;
    std::vector<uint8_t> data;
  };

  explicit FakePlatform(size_t ram_bytes = 1 << 20) : ram(ram_bytes, 0) {}

  // Platform
  Result<Translation> Translate(uint64_t gva, Access access, const PagingContext& paging) override {
    ++translations;
    return WalkPageTables(*this, paging, gva, access);
  }
  Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> data) override { return Read(gpa, data); }
  Result<void> WriteMemory(uint64_t gpa, std::span<const uint8_t> data) override {
    return Write(gpa, data);
  }
  // Port reads answer port_in_byte in every byte; both directions are logged.
  Result<void> PortIn(uint16_t port, std::span<uint8_t> data) override {
    std::memset(data.data(), port_in_byte, data.size());
    ports.push_back({false, port, std::vector<uint8_t>(data.begin(), data.end())});
    return Ok();
  }
  Result<void> PortOut(uint16_t port, std::span<const uint8_t> data) override {
    ports.push_back({true, port, std::vector<uint8_t>(data.begin(), data.end())});
    return Ok();
  }
  struct PortAccess {
    bool out;
    uint16_t port;
    std::vector<uint8_t> data;
    bool operator==(const PortAccess&) const = default;
  };
  std::vector<PortAccess> ports;
  uint8_t port_in_byte = 0xff;

  static CpuidResult CpuidFor(uint32_t leaf, uint32_t subleaf) {
    return {leaf ^ 0xc0de0000u, subleaf ^ 0x5ab00000u, leaf + subleaf, ~leaf};
  }
  Result<CpuidResult> Cpuid(uint32_t leaf, uint32_t subleaf) override { return CpuidFor(leaf, subleaf); }
  Result<std::optional<uint64_t>> ReadMsr(uint32_t index) override {
    auto it = msrs.find(index);
    if (it == msrs.end()) return std::optional<uint64_t>();
    return std::optional<uint64_t>(it->second);
  }
  // Writes to MSRs already in the map; others are refused.
  Result<bool> WriteMsr(uint32_t index, uint64_t value) override {
    auto it = msrs.find(index);
    if (it == msrs.end()) return false;
    it->second = value;
    return true;
  }
  Result<uint64_t> ReadTsc() override {
    const uint64_t now = tsc;
    tsc += tsc_step;
    return now;
  }
  std::map<uint32_t, uint64_t> msrs;
  uint64_t tsc = 0;
  uint64_t tsc_step = 0;

  // PhysicalMemory
  Result<void> Read(uint64_t gpa, std::span<uint8_t> data) override {
    if (InRam(gpa, data.size())) {
      std::memcpy(data.data(), ram.data() + gpa, data.size());
    } else if (InMmio(gpa, data.size())) {
      for (size_t i = 0; i < data.size(); ++i) data[i] = MmioByte(gpa + i);
      mmio.push_back({false, gpa, std::vector<uint8_t>(data.begin(), data.end())});
    } else {
      std::memset(data.data(), 0xff, data.size());
    }
    return Ok();
  }
  Result<void> Write(uint64_t gpa, std::span<const uint8_t> data) override {
    if (InRam(gpa, data.size())) {
      std::memcpy(ram.data() + gpa, data.data(), data.size());
    } else if (InMmio(gpa, data.size())) {
      mmio.push_back({true, gpa, std::vector<uint8_t>(data.begin(), data.end())});
    }
    return Ok();
  }

  // The byte an MMIO read returns at `gpa`.
  static uint8_t MmioByte(uint64_t gpa) { return static_cast<uint8_t>(0xa0 ^ (gpa & 0xff)); }

  void Poke(uint64_t gpa, std::span<const uint8_t> bytes) {
    if (bytes.empty()) return;  // data() may be null: memcpy's arguments must not be
    std::memcpy(ram.data() + gpa, bytes.data(), bytes.size());
  }
  void Poke64(uint64_t gpa, uint64_t value) { std::memcpy(ram.data() + gpa, &value, 8); }
  uint64_t Peek(uint64_t gpa, unsigned size) const {
    uint64_t v = 0;
    std::memcpy(&v, ram.data() + gpa, size);
    return v;
  }

  std::vector<uint8_t> ram;
  std::vector<MmioAccess> mmio;
  int translations = 0;

 private:
  bool InRam(uint64_t gpa, size_t size) const {
    return gpa < ram.size() && size <= ram.size() - gpa;
  }
  static bool InMmio(uint64_t gpa, size_t size) {
    return gpa >= kMmioBase && gpa - kMmioBase < kMmioSize && size <= kMmioSize - (gpa - kMmioBase);
  }
};

}  // namespace petrel::x86emu::testing
