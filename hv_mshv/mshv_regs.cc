// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Register list conversions (see mshv_regs.h).
#include "hv_mshv/mshv_regs.h"

#include <cstring>

#include "hv_mshv/mshv_hvcall.h"

namespace petrel::mshv {

std::array<uint32_t, kRegsCount> RegsNames() {
  std::array<uint32_t, kRegsCount> names{};
  for (uint32_t i = 0; i < 16; ++i) names[i] = kHvX64RegRax + i;  // RAX..R15, SDM order
  names[16] = kHvX64RegRip;
  names[17] = kHvX64RegRflags;
  return names;
}
static_assert(uint32_t{kHvX64RegR8} == uint32_t{kHvX64RegRax} + uint32_t{hv::kR8} &&
              uint32_t{kHvX64RegR15} == uint32_t{kHvX64RegRax} + uint32_t{hv::kR15});

std::vector<HvRegisterAssoc> RegsToAssocs(const hv::Regs& regs) {
  const auto names = RegsNames();
  std::vector<HvRegisterAssoc> out;
  out.reserve(kRegsCount);
  for (size_t i = 0; i < 16; ++i) out.push_back(Reg64(names[i], regs.gpr[i]));
  out.push_back(Reg64(kHvX64RegRip, regs.rip));
  out.push_back(Reg64(kHvX64RegRflags, regs.rflags));
  return out;
}

hv::Regs RegsFromValues(std::span<const HvRegisterValue, kRegsCount> values) {
  hv::Regs r;
  for (size_t i = 0; i < 16; ++i) r.gpr[i] = values[i].low;
  r.rip = values[16].low;
  r.rflags = values[17].low;
  return r;
}

std::array<uint32_t, kSregsCount> SregsNames() {
  return {kHvX64RegCs,  kHvX64RegDs,   kHvX64RegEs,   kHvX64RegFs,   kHvX64RegGs,  kHvX64RegSs,
          kHvX64RegTr,  kHvX64RegLdtr, kHvX64RegGdtr, kHvX64RegIdtr, kHvX64RegCr0, kHvX64RegCr2,
          kHvX64RegCr3, kHvX64RegCr4,  kHvX64RegCr8,  kHvX64RegEfer, kHvX64RegApicBase};
}

HvRegisterValue SegmentToHv(const hv::Segment& s) {
  HvX64SegmentRegister h{};
  h.base = s.base;
  h.limit = s.limit;
  h.selector = s.selector;
  uint16_t a = s.type & 0xf;
  if (s.s) a |= kSegAttrS;
  a |= static_cast<uint16_t>((s.dpl & 3u) << kSegAttrDplShift);
  if (s.present && !s.unusable) a |= kSegAttrP;
  if (s.avl) a |= kSegAttrAvl;
  if (s.l) a |= kSegAttrL;
  if (s.db) a |= kSegAttrDb;
  if (s.g) a |= kSegAttrG;
  h.attributes = a;
  HvRegisterValue v;
  std::memcpy(&v, &h, sizeof h);
  return v;
}

hv::Segment SegmentFromHv(const HvRegisterValue& v) {
  HvX64SegmentRegister h;
  std::memcpy(&h, &v, sizeof h);
  hv::Segment s;
  s.base = h.base;
  s.limit = h.limit;
  s.selector = h.selector;
  const uint16_t a = h.attributes;
  s.type = a & 0xf;
  s.s = (a & kSegAttrS) != 0;
  s.dpl = (a >> kSegAttrDplShift) & 3;
  s.present = (a & kSegAttrP) != 0;
  s.avl = (a & kSegAttrAvl) != 0;
  s.l = (a & kSegAttrL) != 0;
  s.db = (a & kSegAttrDb) != 0;
  s.g = (a & kSegAttrG) != 0;
  s.unusable = !s.present;
  return s;
}

HvRegisterValue TableToHv(const hv::DescriptorTable& t) {
  HvX64TableRegister h{};
  h.limit = t.limit;
  h.base = t.base;
  HvRegisterValue v;
  std::memcpy(&v, &h, sizeof h);
  return v;
}

hv::DescriptorTable TableFromHv(const HvRegisterValue& v) {
  HvX64TableRegister h;
  std::memcpy(&h, &v, sizeof h);
  return hv::DescriptorTable{h.base, h.limit};
}

std::vector<HvRegisterAssoc> SregsToAssocs(const hv::Sregs& s) {
  const auto names = SregsNames();
  const HvRegisterValue values[kSregsCount] = {
      SegmentToHv(s.cs),  SegmentToHv(s.ds),   SegmentToHv(s.es), SegmentToHv(s.fs),
      SegmentToHv(s.gs),  SegmentToHv(s.ss),   SegmentToHv(s.tr), SegmentToHv(s.ldt),
      TableToHv(s.gdt),   TableToHv(s.idt),    {s.cr0, 0},        {s.cr2, 0},
      {s.cr3, 0},         {s.cr4, 0},          {s.cr8, 0},        {s.efer, 0},
      {s.apic_base, 0}};
  std::vector<HvRegisterAssoc> out(kSregsCount);
  for (size_t i = 0; i < kSregsCount; ++i) {
    out[i].name = names[i];
    out[i].value = values[i];
  }
  return out;
}

hv::Sregs SregsFromValues(std::span<const HvRegisterValue, kSregsCount> v) {
  hv::Sregs s;
  s.cs = SegmentFromHv(v[0]);
  s.ds = SegmentFromHv(v[1]);
  s.es = SegmentFromHv(v[2]);
  s.fs = SegmentFromHv(v[3]);
  s.gs = SegmentFromHv(v[4]);
  s.ss = SegmentFromHv(v[5]);
  s.tr = SegmentFromHv(v[6]);
  s.ldt = SegmentFromHv(v[7]);
  s.gdt = TableFromHv(v[8]);
  s.idt = TableFromHv(v[9]);
  s.cr0 = v[10].low;
  s.cr2 = v[11].low;
  s.cr3 = v[12].low;
  s.cr4 = v[13].low;
  s.cr8 = v[14].low;
  s.efer = v[15].low;
  s.apic_base = v[16].low;
  return s;
}

std::optional<uint32_t> MsrRegisterName(uint32_t index) {
  // MSR numbers: SDM 4 (model-specific registers), as boot_msrs.h.
  switch (index) {
    case 0x10: return kHvX64RegTsc;
    case 0x1b: return kHvX64RegApicBase;
    case 0x174: return kHvX64RegSysenterCs;
    case 0x175: return kHvX64RegSysenterEsp;
    case 0x176: return kHvX64RegSysenterEip;
    case 0x1a0: return kHvX64RegMiscEnable;
    case 0x277: return kHvX64RegPat;
    case 0x2ff: return kHvX64RegMtrrDefType;
    case 0xc0000080: return kHvX64RegEfer;
    case 0xc0000081: return kHvX64RegStar;
    case 0xc0000082: return kHvX64RegLstar;
    case 0xc0000083: return kHvX64RegCstar;
    case 0xc0000084: return kHvX64RegSfmask;
    case 0xc0000102: return kHvX64RegKernelGsBase;
    case 0xc0000103: return kHvX64RegTscAux;
    default: return std::nullopt;
  }
}

}  // namespace petrel::mshv
