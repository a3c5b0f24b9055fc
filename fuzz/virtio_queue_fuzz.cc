// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Fuzzes SplitQueue against a hostile driver: the first bytes choose the
// queue config (size, ring placement, EVENT_IDX, INDIRECT), the rest become
// guest RAM (descriptor table, rings, indirect tables, buffers). The target
// pops and returns chains until the ring is empty or an error, reading and
// writing every chain through ChainReader/ChainWriter. Oracles: no crash or
// sanitizer report; every popped buffer lies in guest RAM; readable buffers
// precede writable ones and the lengths add up; the used index advances by
// one per AddUsed; a failed Pop leaves the state unchanged; Save/Restore
// round-trips. Bit 6 of the flags byte puts the queue behind an IOMMU: the
// ring and buffer addresses are then IOVAs whose 4 KiB pages map to RAM
// pages in an order (and with write permission) the input picks, so rings,
// tables and buffers are translated and split page by page.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_dma_translator.h"
#include "fuzz/fuzz_check.h"

using petrel::fuzz::Check;

namespace {

constexpr uint64_t kMemSize = 64 << 10;  // guest RAM at GPA 0, rewritten per input
constexpr int kMaxPops = 64;             // bounds the work per input

std::shared_ptr<petrel::GuestMemory> Memory() {
  auto m = petrel::GuestMemory::CreateX86(kMemSize);
  Check(m.ok());
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<petrel::GuestMemory> mem = Memory();
  if (size < 8) return 0;
  // Config: sizes up to 256 keep the rings small (caps are tested in units).
  // Bit 7 of data[0] picks an arbitrary (mostly invalid) size instead.
  petrel::virtio::SplitQueue::Config c;
  c.size = static_cast<uint16_t>(data[0] & 0x80 ? data[0] & 0x7f : 1u << (data[0] % 9));
  c.event_idx = data[1] & 1;
  c.indirect = data[1] & 2;
  // Ring addresses in 128-byte steps over the first 32 KiB, sometimes odd.
  c.desc_gpa = uint64_t{data[2]} << 7 | ((data[1] & 4) ? data[5] & 0xf : 0);
  c.avail_gpa = uint64_t{data[3]} << 7 | ((data[1] & 8) ? data[5] >> 4 : 0);
  c.used_gpa = uint64_t{data[4]} << 7 | ((data[1] & 16) ? data[6] & 3 : 0);
  const uint8_t pattern = data[7];
  const uint8_t data_flags = data[1];
  data += 8;
  size -= 8;

  // Guest RAM: the input, then copies of it XORed with `pattern` (so ring
  // fields past the input's end are not just repeats), up to kMemSize.
  uint8_t* ram = mem->HostPointer(0, kMemSize);
  Check(ram != nullptr);
  if (size == 0) {
    std::memset(ram, pattern, kMemSize);
  } else {
    for (uint64_t off = 0; off < kMemSize; off += size) {
      const size_t n = std::min<uint64_t>(size, kMemSize - off);
      std::memcpy(ram + off, data, n);
      if (off > 0)
        for (size_t i = 0; i < n; i += 7) ram[off + i] ^= pattern;
    }
  }

  // Bit 5 of data[1]: make every 16-byte-aligned slot look like a descriptor
  // pointing into RAM (addr < 64 KiB, len < 64 KiB), so that long direct
  // and indirect chains are reachable, not just rejected addresses.
  // The two rings are left alone (masking would zero avail.idx).
  if (data_flags & 32) {
    auto overlaps = [](uint64_t off, uint64_t start, uint64_t len) {
      return off + 16 > start && off < start + len;
    };
    for (uint64_t off = 0; off < kMemSize; off += 16) {
      if (overlaps(off, c.avail_gpa, petrel::virtio::AvailRingBytes(c.size)) ||
          overlaps(off, c.used_gpa, petrel::virtio::UsedRingBytes(c.size)))
        continue;
      std::memset(ram + off + 2, 0, 6);
      std::memset(ram + off + 10, 0, 2);
    }
  }

  // Behind an IOMMU: IOVA page i is RAM page i ^ (pattern & 15); pages
  // whose bit is set in the pattern's high nibble are read-only.
  std::shared_ptr<petrel::virtio::testing::FakeDmaTranslator> dma;
  if (data_flags & 64) {
    dma = std::make_shared<petrel::virtio::testing::FakeDmaTranslator>();
    constexpr uint64_t kPage = 4096;
    for (uint64_t i = 0; i < kMemSize / kPage; ++i) {
      const bool writable = ((pattern >> 4) & (1u << (i % 4))) == 0;
      dma->Map(i * kPage, kPage, (i ^ (pattern & 15)) * kPage, true, writable);
    }
  }
  petrel::virtio::SplitQueue q(mem, dma);
  if (!q.Activate(c).ok()) return 0;
  uint8_t scratch[4096];
  for (int n = 0; n < kMaxPops; ++n) {
    const auto before = q.Save();
    auto r = q.Pop();
    if (!r.ok()) {
      Check(q.Save() == before);
      break;
    }
    if (!r->has_value()) break;
    const petrel::virtio::DescriptorChain& chain = **r;
    Check(chain.head < c.size);
    uint64_t readable = 0, writable = 0;
    bool seen_writable = false;
    for (const auto& b : chain.buffers) {
      Check(b.len > 0 && mem->Contains(b.gpa, b.len));
      Check(!(seen_writable && !b.writable));
      seen_writable |= b.writable;
      (b.writable ? writable : readable) += b.len;
    }
    Check(readable == chain.readable_len && writable == chain.writable_len);
    Check(chain.buffers.size() <= petrel::virtio::kMaxChainBuffers);

    petrel::virtio::ChainReader reader(*mem, chain);
    while (reader.remaining() > 0) {
      auto got = reader.ReadSome(scratch);
      Check(got.ok() && *got > 0);
    }
    petrel::virtio::ChainWriter writer(*mem, chain);
    std::memset(scratch, 0x5a, sizeof scratch);
    const size_t want = std::min<size_t>(writer.remaining(), sizeof scratch);
    Check(writer.Write(std::span<const uint8_t>(scratch, want)).ok());
    Check(writer.written() == want);

    const uint16_t used_before = q.next_used();
    Check(q.AddUsed(chain.head, writer.written()).ok());
    Check(q.next_used() == static_cast<uint16_t>(used_before + 1));
    (void)q.NeedsNotification();
  }
  const auto state = q.Save();
  petrel::virtio::SplitQueue copy(mem, dma);
  Check(copy.Restore(state).ok());
  Check(copy.Save() == state);
  return 0;
}
