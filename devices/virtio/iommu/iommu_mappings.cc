// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IommuMappings: domains, endpoints and mappings (see iommu_mappings.h).
#include "devices/virtio/iommu/iommu_mappings.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace petrel::virtio {

bool IommuMappings::Aligned(uint64_t start, uint64_t end) const {
  const uint64_t mask = limits_.page_size - 1;
  return start <= end && (start & mask) == 0 && (end & mask) == mask;
}

bool IommuMappings::Overlaps(const Domain& d, uint64_t start, uint64_t end) {
  // The mapping that starts at or after `start`, and the one before it.
  auto next = d.mappings.lower_bound(start);
  if (next != d.mappings.end() && next->first <= end) return true;
  if (next != d.mappings.begin()) {
    auto prev = std::prev(next);
    if (prev->second.virt_end >= start) return true;
  }
  return false;
}

void IommuMappings::DropIfEmptyLocked(uint32_t domain) {
  for (const auto& [ep, dom] : s_.endpoints) {
    if (dom == domain) return;
  }
  auto it = s_.domains.find(domain);
  if (it == s_.domains.end()) return;
  mappings_ -= it->second.mappings.size();
  s_.domains.erase(it);
}

uint8_t IommuMappings::Attach(uint32_t domain, uint32_t endpoint, uint32_t flags) {
  if (!Knows(endpoint)) return kIommuStatusNoEnt;
  if (domain > limits_.domain_end) return kIommuStatusRange;
  if ((flags & ~kIommuAttachBypass) != 0) return kIommuStatusInval;
  std::lock_guard lock(mu_);
  auto existing = s_.domains.find(domain);
  const bool bypass = (flags & kIommuAttachBypass) != 0;
  // §5.13.6.3: a domain is either bypass or translated, for all its endpoints.
  if (existing != s_.domains.end() && existing->second.bypass != bypass) return kIommuStatusInval;
  if (auto ep = s_.endpoints.find(endpoint); ep != s_.endpoints.end()) {
    const uint32_t old = ep->second;
    s_.endpoints.erase(ep);
    if (old != domain) DropIfEmptyLocked(old);
  }
  s_.domains[domain].bypass = bypass;
  s_.endpoints[endpoint] = domain;
  return kIommuStatusOk;
}

uint8_t IommuMappings::Detach(uint32_t domain, uint32_t endpoint) {
  if (!Knows(endpoint)) return kIommuStatusNoEnt;
  std::lock_guard lock(mu_);
  auto ep = s_.endpoints.find(endpoint);
  if (ep == s_.endpoints.end() || ep->second != domain) return kIommuStatusInval;
  s_.endpoints.erase(ep);
  DropIfEmptyLocked(domain);
  return kIommuStatusOk;
}

uint8_t IommuMappings::Map(uint32_t domain, uint64_t virt_start, uint64_t virt_end,
                           uint64_t phys_start, uint32_t flags) {
  if ((flags & ~(kIommuMapRead | kIommuMapWrite | kIommuMapMmio)) != 0) return kIommuStatusInval;
  if (!Aligned(virt_start, virt_end) || (phys_start & (limits_.page_size - 1)) != 0) {
    return kIommuStatusInval;
  }
  if (virt_end > limits_.input_end) return kIommuStatusRange;
  // The physical range must not wrap.
  if (phys_start > ~uint64_t{0} - (virt_end - virt_start)) return kIommuStatusRange;
  std::lock_guard lock(mu_);
  auto d = s_.domains.find(domain);
  if (d == s_.domains.end()) return kIommuStatusNoEnt;
  if (d->second.bypass) return kIommuStatusInval;
  if (Overlaps(d->second, virt_start, virt_end)) return kIommuStatusInval;
  if (mappings_ >= limits_.max_mappings) return kIommuStatusNoMem;
  d->second.mappings[virt_start] = Mapping{virt_end, phys_start, flags};
  ++mappings_;
  return kIommuStatusOk;
}

uint8_t IommuMappings::Unmap(uint32_t domain, uint64_t virt_start, uint64_t virt_end) {
  if (virt_start > virt_end) return kIommuStatusInval;
  std::lock_guard lock(mu_);
  auto d = s_.domains.find(domain);
  if (d == s_.domains.end()) return kIommuStatusNoEnt;
  auto& mappings = d->second.mappings;
  // Every mapping that intersects the range must lie inside it.
  auto first = mappings.lower_bound(virt_start);
  if (first != mappings.begin() && std::prev(first)->second.virt_end >= virt_start) {
    return kIommuStatusRange;  // one starts before the range and reaches into it
  }
  auto last = first;
  while (last != mappings.end() && last->first <= virt_end) {
    if (last->second.virt_end > virt_end) return kIommuStatusRange;
    ++last;
  }
  mappings_ -= static_cast<size_t>(std::distance(first, last));
  mappings.erase(first, last);
  return kIommuStatusOk;
}

void IommuMappings::Clear() {
  std::lock_guard lock(mu_);
  const bool bypass = s_.bypass_unattached;
  s_ = State{};
  s_.bypass_unattached = bypass;
  mappings_ = 0;
}

void IommuMappings::SetBypassUnattached(bool bypass) {
  std::lock_guard lock(mu_);
  s_.bypass_unattached = bypass;
}

IommuMappings::Translation IommuMappings::TranslatePrefix(uint32_t endpoint, uint64_t iova,
                                                         uint64_t len, bool write) const {
  Translation fault{.gpa = 0, .len = 0, .fault_reason = kIommuFaultReasonMapping};
  if (len == 0 || iova > ~uint64_t{0} - (len - 1)) return fault;
  const Translation whole{.gpa = iova, .len = len};  // a bypass: the IOVA is the address
  std::lock_guard lock(mu_);
  auto ep = s_.endpoints.find(endpoint);
  if (ep == s_.endpoints.end()) {
    if (s_.bypass_unattached && Knows(endpoint)) return whole;
    fault.fault_reason = kIommuFaultReasonDomain;
    return fault;
  }
  auto dom = s_.domains.find(ep->second);
  if (dom == s_.domains.end()) return fault;  // cannot happen: kept in step
  const Domain& d = dom->second;
  if (d.bypass) return whole;
  auto next = d.mappings.upper_bound(iova);
  if (next == d.mappings.begin()) return fault;
  const auto& [start, m] = *std::prev(next);
  if (iova > m.virt_end) return fault;
  if ((m.flags & (write ? kIommuMapWrite : kIommuMapRead)) == 0) return fault;
  // m.virt_end - iova + 1 cannot overflow past len's range: min() first.
  const uint64_t in_mapping = m.virt_end - iova;  // bytes after iova's
  return {.gpa = m.phys_start + (iova - start), .len = std::min(len - 1, in_mapping) + 1};
}

std::optional<uint64_t> IommuMappings::Translate(uint32_t endpoint, uint64_t iova, uint64_t len,
                                                 bool write) const {
  const Translation t = TranslatePrefix(endpoint, iova, len, write);
  if (t.len == 0 || t.len != len) return std::nullopt;
  return t.gpa;
}

bool IommuMappings::bypass_unattached() const {
  std::lock_guard lock(mu_);
  return s_.bypass_unattached;
}

size_t IommuMappings::mapping_count() const {
  std::lock_guard lock(mu_);
  return mappings_;
}

IommuMappings::State IommuMappings::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> IommuMappings::Restore(const State& state) {
  auto bad = [](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "virtio-iommu state: " + why);
  };
  size_t count = 0;
  for (const auto& [ep, dom] : state.endpoints) {
    if (!Knows(ep)) return bad("endpoint " + std::to_string(ep) + " is not behind this IOMMU");
    if (state.domains.count(dom) == 0) return bad("domain " + std::to_string(dom) + " is missing");
  }
  for (const auto& [id, d] : state.domains) {
    if (id > limits_.domain_end) return bad("domain " + std::to_string(id) + " out of range");
    bool used = false;
    for (const auto& [ep, dom] : state.endpoints) used = used || dom == id;
    if (!used) return bad("domain " + std::to_string(id) + " has no endpoint");
    if (d.bypass && !d.mappings.empty()) return bad("a bypass domain with mappings");
    uint64_t floor = 0;
    bool first = true;
    for (const auto& [start, m] : d.mappings) {
      if (!Aligned(start, m.virt_end) || m.virt_end > limits_.input_end ||
          (m.phys_start & (limits_.page_size - 1)) != 0 ||
          (m.flags & ~(kIommuMapRead | kIommuMapWrite | kIommuMapMmio)) != 0 ||
          m.phys_start > ~uint64_t{0} - (m.virt_end - start)) {
        return bad("a bad mapping at " + std::to_string(start));
      }
      if (!first && start <= floor) return bad("overlapping mappings");
      floor = m.virt_end;
      first = false;
    }
    count += d.mappings.size();
  }
  if (count > limits_.max_mappings) return bad("too many mappings");
  std::lock_guard lock(mu_);
  s_ = state;
  mappings_ = count;
  return Ok();
}

}  // namespace petrel::virtio
