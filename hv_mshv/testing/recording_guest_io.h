// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RecordingGuestIo: a GuestIo for backend tests and fuzzers. It records
// every access (kind, vCPU, address, bytes) and answers reads with a fixed
// byte pattern (`read_fill`, one byte repeated).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/hv/hypervisor.h"

namespace petrel::mshv {

class RecordingGuestIo final : public hv::GuestIo {
 public:
  enum class Kind { kMmioRead, kMmioWrite, kPioRead, kPioWrite, kEoi };
  struct Access {
    Kind kind;
    uint32_t vcpu;
    uint64_t addr;  // port, GPA or EOI vector
    std::vector<uint8_t> data;  // written bytes, or the bytes a read returned
  };

  std::vector<uint8_t> read_bytes = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22};
  std::vector<Access> accesses;

  void MmioRead(uint32_t vcpu, uint64_t gpa, std::span<uint8_t> data) override {
    Fill(data);
    accesses.push_back({Kind::kMmioRead, vcpu, gpa, {data.begin(), data.end()}});
  }
  void MmioWrite(uint32_t vcpu, uint64_t gpa, std::span<const uint8_t> data) override {
    accesses.push_back({Kind::kMmioWrite, vcpu, gpa, {data.begin(), data.end()}});
  }
  void PioRead(uint32_t vcpu, uint16_t port, std::span<uint8_t> data) override {
    Fill(data);
    accesses.push_back({Kind::kPioRead, vcpu, port, {data.begin(), data.end()}});
  }
  void PioWrite(uint32_t vcpu, uint16_t port, std::span<const uint8_t> data) override {
    accesses.push_back({Kind::kPioWrite, vcpu, port, {data.begin(), data.end()}});
  }
  void EndOfInterrupt(uint32_t vcpu, uint8_t vector) override {
    accesses.push_back({Kind::kEoi, vcpu, vector, {}});
  }

 private:
  void Fill(std::span<uint8_t> data) {
    for (size_t i = 0; i < data.size(); ++i) data[i] = read_bytes[i % read_bytes.size()];
  }
};

}  // namespace petrel::mshv
