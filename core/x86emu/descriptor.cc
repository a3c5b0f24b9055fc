// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Segment descriptors from the GDT (SDM 3A 3.4.5 "Segment Descriptors",
// Figure 3-8; 3.5.1 "Segment Descriptor Tables"): reading the 8 bytes a
// selector names, through segmentation-free linear addressing and paging
// like any other access, and unpacking them into an hv::Segment.
#include "core/x86emu/execution.h"

namespace petrel::x86emu::internal {

Result<bool> ReadDescriptor(GuestAccess& access, CpuState& cpu, uint16_t selector, uint32_t ext,
                            uint64_t* raw, std::string* unsupported) {
  if (selector & 0x4) {  // TI: the LDT
    *unsupported = "a selector into the LDT";
    return false;
  }
  PETREL_ASSIGN_OR_RETURN(const hv::DescriptorTable gdt, cpu.GetTable(TableReg::kGdtr));
  const uint32_t offset = selector & ~7u;
  if (offset + 7u > gdt.limit) {
    access.RaiseFault(Fault{kVectorGp, (selector & kSelectorErrorMask) | ext, 0});
    return false;
  }
  uint64_t linear = gdt.base + offset;
  if (access.mode() != CpuMode::kLong64) linear &= 0xffffffffull;
  uint8_t buf[8] = {};
  X86EMU_STEP(access.Read(linear, std::span<uint8_t>(buf, 8)));
  *raw = LoadLe(buf, 8);
  return true;
}

hv::Segment SegmentFromDescriptor(uint64_t raw, uint16_t selector) {
  hv::Segment s;
  s.selector = selector;
  s.base = ((raw >> 16) & 0xffffff) | (((raw >> 56) & 0xff) << 24);
  uint32_t limit = static_cast<uint32_t>((raw & 0xffff) | (((raw >> 48) & 0xf) << 16));
  s.type = static_cast<uint8_t>((raw >> 40) & 0xf);
  s.s = (raw >> 44) & 1;
  s.dpl = static_cast<uint8_t>((raw >> 45) & 3);
  s.present = (raw >> 47) & 1;
  s.avl = (raw >> 52) & 1;
  s.l = (raw >> 53) & 1;
  s.db = (raw >> 54) & 1;
  s.g = (raw >> 55) & 1;
  if (s.g) limit = (limit << 12) | 0xfff;  // 4 KiB granularity (SDM 3A 3.4.5)
  s.limit = limit;
  s.unusable = false;
  return s;
}

}  // namespace petrel::x86emu::internal
