// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeDmaTranslator: a DmaTranslator for tests of code behind an IOMMU:
// a list of mappings (IOVA range -> guest-physical, read and/or write), each
// translated on its own (two mappings side by side are still two answers,
// as an IOMMU that maps page by page gives), and every fault recorded.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "devices/virtio/dma_translator.h"

namespace petrel::virtio::testing {

class FakeDmaTranslator final : public DmaTranslator {
 public:
  struct Fault {
    uint64_t iova;
    DmaAccess access;
    bool operator==(const Fault&) const = default;
  };

  void Map(uint64_t iova, uint64_t len, uint64_t gpa, bool read = true, bool write = true) {
    std::lock_guard lock(mu_);
    maps_[iova] = {len, gpa, read, write};
  }
  void Unmap(uint64_t iova) {
    std::lock_guard lock(mu_);
    maps_.erase(iova);
  }

  Result<DmaExtent> Translate(uint64_t iova, uint64_t len, DmaAccess access) const override {
    std::lock_guard lock(mu_);
    auto next = maps_.upper_bound(iova);
    if (next != maps_.begin()) {
      const auto& [start, m] = *std::prev(next);
      const bool allowed = access == DmaAccess::kRead ? m.read : m.write;
      if (iova - start < m.len && allowed) {
        const uint64_t left = m.len - (iova - start);
        return DmaExtent{.gpa = m.gpa + (iova - start), .len = len < left ? len : left};
      }
    }
    faults_.push_back({iova, access});
    return Error(ErrorCode::kOutOfRange, "fake IOMMU fault");
  }

  std::vector<Fault> faults() const {
    std::lock_guard lock(mu_);
    return faults_;
  }

 private:
  struct Mapping {
    uint64_t len;
    uint64_t gpa;
    bool read;
    bool write;
  };
  mutable std::mutex mu_;
  std::map<uint64_t, Mapping> maps_;
  mutable std::vector<Fault> faults_;
};

}  // namespace petrel::virtio::testing
