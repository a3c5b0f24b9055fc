// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuMappings: the address spaces a virtio-iommu (virtio 1.2 §5.13)
// keeps for the guest: which endpoint (a PCI requester id behind the IOMMU)
// is attached to which domain, each domain's IOVA -> guest-physical
// mappings, and the answer to "where does this endpoint's DMA go".
// The device (iommu_device.h) turns requests into these calls; devices
// behind the IOMMU will translate their DMA with Translate().
//
// Rules (§5.13.6): a MAP must not overlap a mapping of its domain
// (VIRTIO_IOMMU_S_INVAL); an UNMAP removes every mapping it covers whole
// and refuses (S_RANGE, nothing removed) one that would split a mapping;
// ATTACH of an attached endpoint moves it; DETACH from a domain it is not
// in is S_INVAL; an unknown endpoint is S_NOENT; a domain with no endpoint
// left is gone with its mappings. Ranges are inclusive ([start, end]) and
// must be aligned to the page granule; the IOVA range and domain ids are
// bounded by Limits, and so is the number of mappings (S_NOMEM past it), so
// a guest cannot make the VMM grow without bound.
//
// Thread-safety: every call takes the object's lock (translations come
// from device workers, requests from the IOMMU's); the endpoint set has a
// lock of its own.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "core/base/result.h"

namespace petrel::virtio {

// §5.13.6.1 status values.
inline constexpr uint8_t kIommuStatusOk = 0;
inline constexpr uint8_t kIommuStatusIoErr = 1;
inline constexpr uint8_t kIommuStatusUnsupp = 2;
inline constexpr uint8_t kIommuStatusDevErr = 3;
inline constexpr uint8_t kIommuStatusInval = 4;
inline constexpr uint8_t kIommuStatusRange = 5;
inline constexpr uint8_t kIommuStatusNoEnt = 6;
inline constexpr uint8_t kIommuStatusFault = 7;
inline constexpr uint8_t kIommuStatusNoMem = 8;
// §5.13.6.3 ATTACH flags and §5.13.6.6 MAP flags.
inline constexpr uint32_t kIommuAttachBypass = 1u << 0;
inline constexpr uint32_t kIommuMapRead = 1u << 0;
inline constexpr uint32_t kIommuMapWrite = 1u << 1;
inline constexpr uint32_t kIommuMapMmio = 1u << 2;
// §5.13.6.9 fault reasons.
inline constexpr uint8_t kIommuFaultReasonUnknown = 0;
inline constexpr uint8_t kIommuFaultReasonDomain = 1;   // the endpoint is in no domain
inline constexpr uint8_t kIommuFaultReasonMapping = 2;  // no mapping, or not that access

class IommuMappings {
 public:
  struct Limits {
    uint64_t page_size = 4096;                    // the granule (page_size_mask's lowest bit)
    uint64_t input_end = (uint64_t{1} << 48) - 1;  // IOVAs are [0, input_end]
    uint32_t domain_end = 0xffff;                  // domain ids are [0, domain_end]
    size_t max_mappings = size_t{1} << 20;         // over every domain
  };
  struct Mapping {
    uint64_t virt_end;    // inclusive
    uint64_t phys_start;
    uint32_t flags;       // kIommuMap*
    bool operator==(const Mapping&) const = default;
  };
  struct Domain {
    bool bypass = false;                   // attached with kIommuAttachBypass
    std::map<uint64_t, Mapping> mappings;  // by virt_start
    bool operator==(const Domain&) const = default;
  };
  struct State {
    bool bypass_unattached = false;  // config space `bypass` (F_BYPASS_CONFIG)
    std::map<uint32_t, uint32_t> endpoints;  // endpoint -> domain
    std::map<uint32_t, Domain> domains;
    bool operator==(const State&) const = default;
  };

  // `endpoints`: the requester ids of the devices behind this IOMMU.
  IommuMappings(Limits limits, std::set<uint32_t> endpoints)
      : limits_(limits), known_(std::move(endpoints)) {}

  // The request handlers: a §5.13.6.1 status.
  uint8_t Attach(uint32_t domain, uint32_t endpoint, uint32_t flags);
  uint8_t Detach(uint32_t domain, uint32_t endpoint);
  uint8_t Map(uint32_t domain, uint64_t virt_start, uint64_t virt_end, uint64_t phys_start,
              uint32_t flags);
  uint8_t Unmap(uint32_t domain, uint64_t virt_start, uint64_t virt_end);
  // A driver reset (§5.13.5): every endpoint detached, every domain gone.
  void Clear();
  void SetBypassUnattached(bool bypass);

  // Where `endpoint`'s DMA from `iova` lands: the guest-physical address
  // and how many bytes of [iova, iova + len) (len > 0) the mapping with
  // the access's permission that holds `iova` carries on (all of them for
  // an endpoint that bypasses); len 0 is a fault, for `fault_reason`.
  struct Translation {
    uint64_t gpa = 0;
    uint64_t len = 0;
    uint8_t fault_reason = kIommuFaultReasonUnknown;
  };
  Translation TranslatePrefix(uint32_t endpoint, uint64_t iova, uint64_t len, bool write) const;
  // The guest-physical address of [iova, iova + len) when one mapping
  // covers it all (TranslatePrefix gives all of it); nullopt is a fault.
  std::optional<uint64_t> Translate(uint32_t endpoint, uint64_t iova, uint64_t len,
                                    bool write) const;
  bool Knows(uint32_t endpoint) const {
    std::lock_guard lock(known_mu_);
    return known_.count(endpoint) != 0;
  }
  // Puts another device behind the IOMMU (the VMM, as it places devices,
  // before the guest runs).
  void AddEndpoint(uint32_t endpoint) {
    std::lock_guard lock(known_mu_);
    known_.insert(endpoint);
  }
  bool bypass_unattached() const;
  const Limits& limits() const { return limits_; }
  size_t mapping_count() const;

  State Save() const;
  // Refuses a state that breaks the rules above (unknown endpoints or
  // domains, overlapping or unaligned mappings, too many) and keeps the
  // old one.
  Result<void> Restore(const State& state);

 private:
  bool Aligned(uint64_t start, uint64_t end) const;
  static bool Overlaps(const Domain& d, uint64_t start, uint64_t end);
  void DropIfEmptyLocked(uint32_t domain);

  const Limits limits_;
  // Taken after mu_ where both are (Translate), never before it.
  mutable std::mutex known_mu_;
  std::set<uint32_t> known_;
  mutable std::mutex mu_;
  State s_;
  size_t mappings_ = 0;
};

}  // namespace petrel::virtio
