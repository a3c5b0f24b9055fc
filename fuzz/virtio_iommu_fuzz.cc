// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes the virtio-iommu's address spaces (IommuMappings) with what the
// guest's requests control: attach, detach, map, unmap, the config bypass
// and translations, in any order with any values (ids, addresses, flags).
// Each step: an op byte then its operands. Oracles: no crash or sanitizer
// report; the state always passes Restore's own checks (no overlap, aligned,
// every endpoint in a domain, within the limits); a mapping just made
// translates its first and last byte to its physical range; a refused MAP or
// UNMAP changes nothing; the mapping count never passes the limit.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "devices/virtio/iommu/iommu_mappings.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"

using petrel::fuzz::Check;
using namespace petrel::virtio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  petrel::fuzz::FuzzInput in(data, size);
  IommuMappings m({.max_mappings = 64}, {0x08, 0x10, 0x18});
  auto u32 = [&] { return static_cast<uint32_t>(in.U16()) | static_cast<uint32_t>(in.U16()) << 16; };
  auto u64 = [&] { return static_cast<uint64_t>(u32()) | static_cast<uint64_t>(u32()) << 32; };
  // Small values most of the time, so operations meet each other.
  auto endpoint = [&] { return static_cast<uint32_t>(in.Byte() % 4) * 8; };
  auto domain = [&] { return static_cast<uint32_t>(in.Byte() % 6); };
  auto page = [&] { return static_cast<uint64_t>(in.Byte() % 32) * 4096; };
  for (int steps = 0; !in.empty() && steps < 2000; ++steps) {
    const uint8_t op = in.Byte();
    switch (op % 8) {
      case 0: (void)m.Attach(domain(), endpoint(), in.Byte() % 3); break;
      case 1: (void)m.Detach(domain(), endpoint()); break;
      case 2: {
        const uint32_t d = domain();
        const uint64_t start = (op & 0x80) != 0 ? u64() : page();
        const uint64_t end = (op & 0x40) != 0 ? u64() : start + page() + 4095;
        const uint64_t phys = (op & 0x20) != 0 ? u64() : page() * 16;
        const uint32_t flags = in.Byte() % 9;
        const auto before = m.Save();
        const uint8_t status = m.Map(d, start, end, phys, flags);
        if (status == kIommuStatusOk) {
          bool attached = false;
          uint32_t ep = 0;
          for (const auto& [e, dom] : m.Save().endpoints) {
            if (dom == d) { attached = true; ep = e; }
          }
          Check(attached);
          if ((flags & kIommuMapRead) != 0) {
            Check(m.Translate(ep, start, 1, false) == phys);
            Check(m.Translate(ep, end, 1, false) == phys + (end - start));
          }
        } else {
          Check(m.Save() == before);
        }
        break;
      }
      case 3: {
        const uint32_t d = domain();
        const uint64_t start = (op & 0x80) != 0 ? u64() : page();
        const uint64_t end = (op & 0x40) != 0 ? u64() : start + page() + 4095;
        const auto before = m.Save();
        if (m.Unmap(d, start, end) != kIommuStatusOk) Check(m.Save() == before);
        break;
      }
      case 4: m.SetBypassUnattached((op & 0x10) != 0); break;
      case 5: {
        // A prefix translation is never longer than asked, and covers all
        // of it exactly when the whole-range one succeeds, at the same address.
        const uint32_t ep = endpoint();
        const uint64_t iova = (op & 0x80) != 0 ? u64() : page() + in.Byte();
        const uint64_t len = in.Byte() + 1;
        const bool write = (op & 0x10) != 0;
        const IommuMappings::Translation t = m.TranslatePrefix(ep, iova, len, write);
        const std::optional<uint64_t> whole = m.Translate(ep, iova, len, write);
        Check(t.len <= len);
        Check(whole.has_value() == (t.len == len));
        if (whole) Check(*whole == t.gpa);
        if (t.len == 0) Check(t.fault_reason == kIommuFaultReasonDomain ||
                              t.fault_reason == kIommuFaultReasonMapping);
        break;
      }
      case 6: if ((op & 0xf0) == 0) m.Clear(); break;
      default: {
        // The state is always one Restore accepts, and the count is within the limit.
        const IommuMappings::State s = m.Save();
        IommuMappings copy({.max_mappings = 64}, {0x08, 0x10, 0x18});
        Check(copy.Restore(s).ok());
        Check(copy.Save() == s);
        Check(m.mapping_count() <= 64);
        break;
      }
    }
  }
  IommuMappings copy({.max_mappings = 64}, {0x08, 0x10, 0x18});
  Check(copy.Restore(m.Save()).ok());
  return 0;
}
