// Neutral <-> KVM state conversions (see kvm_state_convert.h).
#include "hv_kvm/kvm_state_convert.h"

#include <algorithm>

namespace petrel::kvm {

kvm_regs RegsToKvm(const hv::Regs& r) {
  kvm_regs k{};
  k.rax = r.gpr[hv::kRax];
  k.rbx = r.gpr[hv::kRbx];
  k.rcx = r.gpr[hv::kRcx];
  k.rdx = r.gpr[hv::kRdx];
  k.rsi = r.gpr[hv::kRsi];
  k.rdi = r.gpr[hv::kRdi];
  k.rsp = r.gpr[hv::kRsp];
  k.rbp = r.gpr[hv::kRbp];
  k.r8 = r.gpr[hv::kR8];
  k.r9 = r.gpr[hv::kR9];
  k.r10 = r.gpr[hv::kR10];
  k.r11 = r.gpr[hv::kR11];
  k.r12 = r.gpr[hv::kR12];
  k.r13 = r.gpr[hv::kR13];
  k.r14 = r.gpr[hv::kR14];
  k.r15 = r.gpr[hv::kR15];
  k.rip = r.rip;
  k.rflags = r.rflags;
  return k;
}

hv::Regs RegsFromKvm(const kvm_regs& k) {
  hv::Regs r;
  r.gpr[hv::kRax] = k.rax;
  r.gpr[hv::kRbx] = k.rbx;
  r.gpr[hv::kRcx] = k.rcx;
  r.gpr[hv::kRdx] = k.rdx;
  r.gpr[hv::kRsi] = k.rsi;
  r.gpr[hv::kRdi] = k.rdi;
  r.gpr[hv::kRsp] = k.rsp;
  r.gpr[hv::kRbp] = k.rbp;
  r.gpr[hv::kR8] = k.r8;
  r.gpr[hv::kR9] = k.r9;
  r.gpr[hv::kR10] = k.r10;
  r.gpr[hv::kR11] = k.r11;
  r.gpr[hv::kR12] = k.r12;
  r.gpr[hv::kR13] = k.r13;
  r.gpr[hv::kR14] = k.r14;
  r.gpr[hv::kR15] = k.r15;
  r.rip = k.rip;
  r.rflags = k.rflags;
  return r;
}

kvm_segment SegmentToKvm(const hv::Segment& s) {
  kvm_segment k{};
  k.base = s.base;
  k.limit = s.limit;
  k.selector = s.selector;
  k.type = s.type & 0xf;  // SDM 3A 3.4.5: 4-bit type field
  k.present = s.present;
  k.dpl = s.dpl & 0x3;
  k.db = s.db;
  k.s = s.s;
  k.l = s.l;
  k.g = s.g;
  k.avl = s.avl;
  k.unusable = s.unusable;
  return k;
}

hv::Segment SegmentFromKvm(const kvm_segment& k) {
  hv::Segment s;
  s.base = k.base;
  s.limit = k.limit;
  s.selector = k.selector;
  s.type = k.type & 0xf;
  s.present = k.present != 0;
  s.dpl = k.dpl & 0x3;
  s.db = k.db != 0;
  s.s = k.s != 0;
  s.l = k.l != 0;
  s.g = k.g != 0;
  s.avl = k.avl != 0;
  s.unusable = k.unusable != 0;
  return s;
}

namespace {
kvm_dtable TableToKvm(const hv::DescriptorTable& t) {
  kvm_dtable k{};
  k.base = t.base;
  k.limit = t.limit;
  return k;
}
hv::DescriptorTable TableFromKvm(const kvm_dtable& k) {
  return {k.base, k.limit};
}
}  // namespace

void SregsToKvm(const hv::Sregs& s, kvm_sregs* k) {
  k->cs = SegmentToKvm(s.cs);
  k->ds = SegmentToKvm(s.ds);
  k->es = SegmentToKvm(s.es);
  k->fs = SegmentToKvm(s.fs);
  k->gs = SegmentToKvm(s.gs);
  k->ss = SegmentToKvm(s.ss);
  k->tr = SegmentToKvm(s.tr);
  k->ldt = SegmentToKvm(s.ldt);
  k->gdt = TableToKvm(s.gdt);
  k->idt = TableToKvm(s.idt);
  k->cr0 = s.cr0;
  k->cr2 = s.cr2;
  k->cr3 = s.cr3;
  k->cr4 = s.cr4;
  k->cr8 = s.cr8;
  k->efer = s.efer;
  k->apic_base = s.apic_base;
}

hv::Sregs SregsFromKvm(const kvm_sregs& k) {
  hv::Sregs s;
  s.cs = SegmentFromKvm(k.cs);
  s.ds = SegmentFromKvm(k.ds);
  s.es = SegmentFromKvm(k.es);
  s.fs = SegmentFromKvm(k.fs);
  s.gs = SegmentFromKvm(k.gs);
  s.ss = SegmentFromKvm(k.ss);
  s.tr = SegmentFromKvm(k.tr);
  s.ldt = SegmentFromKvm(k.ldt);
  s.gdt = TableFromKvm(k.gdt);
  s.idt = TableFromKvm(k.idt);
  s.cr0 = k.cr0;
  s.cr2 = k.cr2;
  s.cr3 = k.cr3;
  s.cr4 = k.cr4;
  s.cr8 = k.cr8;
  s.efer = k.efer;
  s.apic_base = k.apic_base;
  return s;
}

void FpuToKvm(const hv::Fpu& f, kvm_fpu* k) {
  k->fcw = f.fcw;
  k->mxcsr = f.mxcsr;
}

hv::Fpu FpuFromKvm(const kvm_fpu& k) {
  hv::Fpu f;
  f.fcw = k.fcw;
  f.mxcsr = k.mxcsr;
  return f;
}

kvm_cpuid_entry2 CpuidToKvm(const hv::CpuidEntry& e) {
  kvm_cpuid_entry2 k{};
  k.function = e.function;
  k.index = e.index;
  k.flags = (e.flags & hv::kCpuidFlagSignificantIndex) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
  k.eax = e.eax;
  k.ebx = e.ebx;
  k.ecx = e.ecx;
  k.edx = e.edx;
  return k;
}

hv::CpuidEntry CpuidFromKvm(const kvm_cpuid_entry2& k) {
  hv::CpuidEntry e;
  e.function = k.function;
  e.index = k.index;
  e.flags = (k.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ? hv::kCpuidFlagSignificantIndex : 0;
  e.eax = k.eax;
  e.ebx = k.ebx;
  e.ecx = k.ecx;
  e.edx = k.edx;
  return e;
}

CpuidBuffer MakeCpuidBuffer(std::span<const hv::CpuidEntry> entries) {
  CpuidBuffer buf(entries.size());
  buf.header()->nent = static_cast<uint32_t>(entries.size());
  auto out = buf.entries();
  for (size_t i = 0; i < entries.size(); ++i) out[i] = CpuidToKvm(entries[i]);
  return buf;
}

std::vector<hv::CpuidEntry> CpuidFromBuffer(const CpuidBuffer& buf) {
  const size_t n = std::min<size_t>(buf.header()->nent, buf.capacity());
  std::vector<hv::CpuidEntry> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(CpuidFromKvm(buf.entries()[i]));
  return out;
}

MsrBuffer MakeMsrBuffer(std::span<const hv::MsrEntry> msrs) {
  MsrBuffer buf(msrs.size());
  buf.header()->nmsrs = static_cast<uint32_t>(msrs.size());
  auto out = buf.entries();
  for (size_t i = 0; i < msrs.size(); ++i) {
    out[i].index = msrs[i].index;
    out[i].data = msrs[i].value;
  }
  return buf;
}

kvm_clock_data ClockToKvm(const hv::VmClock& clock) {
  kvm_clock_data data{};
  data.clock = clock.ns;
  data.flags = 0;
  return data;
}

hv::VmClock ClockFromKvm(const kvm_clock_data& data) {
  return hv::VmClock{data.clock};
}

}  // namespace petrel::kvm
