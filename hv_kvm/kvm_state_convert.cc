// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Neutral <-> KVM state conversions (see kvm_state_convert.h).
#include "hv_kvm/kvm_state_convert.h"

#include <algorithm>
#include <cstring>
#include <string>

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

kvm_debugregs DebugRegsToKvm(const hv::DebugRegs& r) {
  kvm_debugregs k{};
  for (size_t i = 0; i < r.db.size(); ++i) k.db[i] = r.db[i];
  k.dr6 = r.dr6;
  k.dr7 = r.dr7;
  k.flags = 0;
  return k;
}

hv::DebugRegs DebugRegsFromKvm(const kvm_debugregs& k) {
  hv::DebugRegs r;
  for (size_t i = 0; i < r.db.size(); ++i) r.db[i] = k.db[i];
  r.dr6 = k.dr6;
  r.dr7 = k.dr7;
  return r;
}

Result<kvm_xcrs> XcrsToKvm(std::span<const hv::XcrEntry> xcrs) {
  if (xcrs.size() > KVM_MAX_XCRS) {
    return Error(ErrorCode::kInvalidArgument,
                 std::to_string(xcrs.size()) + " XCRs, KVM takes " + std::to_string(KVM_MAX_XCRS));
  }
  kvm_xcrs k{};
  k.nr_xcrs = static_cast<uint32_t>(xcrs.size());
  for (size_t i = 0; i < xcrs.size(); ++i) {
    k.xcrs[i].xcr = xcrs[i].index;
    k.xcrs[i].value = xcrs[i].value;
  }
  return k;
}

std::vector<hv::XcrEntry> XcrsFromKvm(const kvm_xcrs& k) {
  const size_t n = std::min<size_t>(k.nr_xcrs, KVM_MAX_XCRS);
  std::vector<hv::XcrEntry> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back({k.xcrs[i].xcr, k.xcrs[i].value});
  return out;
}

kvm_lapic_state LapicToKvm(const hv::LapicState& lapic) {
  kvm_lapic_state k{};
  std::memcpy(k.regs, lapic.data(), lapic.size());
  return k;
}

hv::LapicState LapicFromKvm(const kvm_lapic_state& k) {
  hv::LapicState lapic{};
  std::memcpy(lapic.data(), k.regs, lapic.size());
  return lapic;
}

Result<kvm_vcpu_events> EventsToKvm(const hv::VcpuEvents& e) {
  if (e.exception.has_payload) {
    return Error(ErrorCode::kUnsupported,
                 "exception " + std::to_string(e.exception.vector) +
                     " has a payload; KVM takes one only with KVM_CAP_EXCEPTION_PAYLOAD");
  }
  if (e.triple_fault_pending) {
    return Error(ErrorCode::kUnsupported,
                 "a pending triple fault needs KVM_CAP_X86_TRIPLE_FAULT_EVENT");
  }
  kvm_vcpu_events k{};
  k.exception.injected = (e.exception.injected || e.exception.pending) ? 1 : 0;
  k.exception.pending = 0;
  k.exception.nr = e.exception.vector;
  k.exception.has_error_code = e.exception.has_error_code ? 1 : 0;
  k.exception.error_code = e.exception.error_code;
  k.interrupt.injected = e.interrupt.injected ? 1 : 0;
  k.interrupt.nr = e.interrupt.vector;
  k.interrupt.soft = e.interrupt.soft ? 1 : 0;
  k.interrupt.shadow = e.interrupt.shadow & 0x3;  // KVM_X86_SHADOW_INT_MOV_SS | _STI
  k.nmi.injected = e.nmi.injected ? 1 : 0;
  k.nmi.pending = e.nmi.pending ? 1 : 0;
  k.nmi.masked = e.nmi.masked ? 1 : 0;
  k.sipi_vector = e.sipi_vector;
  k.flags = kKvmVcpuEventsSetFlags;
  k.smi.smm = e.smi.smm ? 1 : 0;
  k.smi.pending = e.smi.pending ? 1 : 0;
  k.smi.smm_inside_nmi = e.smi.inside_nmi ? 1 : 0;
  k.smi.latched_init = e.smi.latched_init ? 1 : 0;
  k.exception_has_payload = 0;
  k.exception_payload = 0;
  return k;
}

hv::VcpuEvents EventsFromKvm(const kvm_vcpu_events& k) {
  hv::VcpuEvents e;
  e.exception.injected = k.exception.injected != 0;
  e.exception.pending = k.exception.pending != 0;
  e.exception.vector = k.exception.nr;
  e.exception.has_error_code = k.exception.has_error_code != 0;
  e.exception.error_code = k.exception.error_code;
  if (k.flags & KVM_VCPUEVENT_VALID_PAYLOAD) {
    e.exception.has_payload = k.exception_has_payload != 0;
    e.exception.payload = k.exception_payload;
  }
  e.interrupt.injected = k.interrupt.injected != 0;
  e.interrupt.vector = k.interrupt.nr;
  e.interrupt.soft = k.interrupt.soft != 0;
  e.interrupt.shadow = k.interrupt.shadow & 0x3;
  e.nmi.injected = k.nmi.injected != 0;
  e.nmi.pending = k.nmi.pending != 0;
  e.nmi.masked = k.nmi.masked != 0;
  e.sipi_vector = static_cast<uint8_t>(k.sipi_vector);
  e.smi.smm = k.smi.smm != 0;
  e.smi.pending = k.smi.pending != 0;
  e.smi.inside_nmi = k.smi.smm_inside_nmi != 0;
  e.smi.latched_init = k.smi.latched_init != 0;
  if (k.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT)
    e.triple_fault_pending = k.triple_fault.pending != 0;
  return e;
}

kvm_mp_state MpStateToKvm(hv::MpState state) {
  kvm_mp_state k{};
  switch (state) {
    case hv::MpState::kRunnable: k.mp_state = KVM_MP_STATE_RUNNABLE; break;
    case hv::MpState::kUninitialized: k.mp_state = KVM_MP_STATE_UNINITIALIZED; break;
    case hv::MpState::kInitReceived: k.mp_state = KVM_MP_STATE_INIT_RECEIVED; break;
    case hv::MpState::kHalted: k.mp_state = KVM_MP_STATE_HALTED; break;
    case hv::MpState::kSipiReceived: k.mp_state = KVM_MP_STATE_SIPI_RECEIVED; break;
  }
  return k;
}

Result<hv::MpState> MpStateFromKvm(const kvm_mp_state& k) {
  switch (k.mp_state) {
    case KVM_MP_STATE_RUNNABLE: return hv::MpState::kRunnable;
    case KVM_MP_STATE_UNINITIALIZED: return hv::MpState::kUninitialized;
    case KVM_MP_STATE_INIT_RECEIVED: return hv::MpState::kInitReceived;
    case KVM_MP_STATE_HALTED: return hv::MpState::kHalted;
    case KVM_MP_STATE_SIPI_RECEIVED: return hv::MpState::kSipiReceived;
    default:
      return Error(ErrorCode::kUnsupported,
                   "KVM MP state " + std::to_string(k.mp_state) + " has no neutral equivalent");
  }
}

kvm_irqchip PicToKvm(const hv::PicState& p, uint32_t chip_id) {
  kvm_irqchip chip{};
  chip.chip_id = chip_id;
  kvm_pic_state& k = chip.chip.pic;
  k.last_irr = p.last_irr;
  k.irr = p.irr;
  k.imr = p.imr;
  k.isr = p.isr;
  k.priority_add = p.priority_add;
  k.irq_base = p.irq_base;
  k.read_reg_select = p.read_reg_select;
  k.poll = p.poll ? 1 : 0;
  k.special_mask = p.special_mask ? 1 : 0;
  k.init_state = p.init_state;
  k.auto_eoi = p.auto_eoi ? 1 : 0;
  k.rotate_on_auto_eoi = p.rotate_on_auto_eoi ? 1 : 0;
  k.special_fully_nested_mode = p.special_fully_nested_mode ? 1 : 0;
  k.init4 = p.init4 ? 1 : 0;
  k.elcr = p.elcr;
  k.elcr_mask = p.elcr_mask;
  return chip;
}

hv::PicState PicFromKvm(const kvm_pic_state& k) {
  hv::PicState p;
  p.last_irr = k.last_irr;
  p.irr = k.irr;
  p.imr = k.imr;
  p.isr = k.isr;
  p.priority_add = k.priority_add;
  p.irq_base = k.irq_base;
  p.read_reg_select = k.read_reg_select;
  p.poll = k.poll != 0;
  p.special_mask = k.special_mask != 0;
  p.init_state = k.init_state;
  p.auto_eoi = k.auto_eoi != 0;
  p.rotate_on_auto_eoi = k.rotate_on_auto_eoi != 0;
  p.special_fully_nested_mode = k.special_fully_nested_mode != 0;
  p.init4 = k.init4 != 0;
  p.elcr = k.elcr;
  p.elcr_mask = k.elcr_mask;
  return p;
}

kvm_irqchip IoapicToKvm(const hv::IoapicState& s) {
  kvm_irqchip chip{};
  chip.chip_id = KVM_IRQCHIP_IOAPIC;
  kvm_ioapic_state& k = chip.chip.ioapic;
  k.base_address = s.base_address;
  k.ioregsel = s.ioregsel;
  k.id = s.id;
  k.irr = s.irr;
  for (size_t i = 0; i < hv::kIoapicPins; ++i) k.redirtbl[i].bits = s.redirection[i];
  return chip;
}

hv::IoapicState IoapicFromKvm(const kvm_ioapic_state& k) {
  hv::IoapicState s;
  s.base_address = k.base_address;
  s.ioregsel = k.ioregsel;
  s.id = k.id;
  s.irr = k.irr;
  for (size_t i = 0; i < hv::kIoapicPins; ++i) s.redirection[i] = k.redirtbl[i].bits;
  return s;
}

namespace {
kvm_pit_channel_state PitChannelToKvm(const hv::PitChannelState& c) {
  kvm_pit_channel_state k{};
  k.count = c.count;
  k.latched_count = c.latched_count;
  k.count_latched = c.count_latched;
  k.status_latched = c.status_latched;
  k.status = c.status;
  k.read_state = c.read_state;
  k.write_state = c.write_state;
  k.write_latch = c.write_latch;
  k.rw_mode = c.rw_mode;
  k.mode = c.mode;
  k.bcd = c.bcd;
  k.gate = c.gate;
  k.count_load_time = c.count_load_time;
  return k;
}
hv::PitChannelState PitChannelFromKvm(const kvm_pit_channel_state& k) {
  hv::PitChannelState c;
  c.count = k.count;
  c.latched_count = k.latched_count;
  c.count_latched = k.count_latched;
  c.status_latched = k.status_latched;
  c.status = k.status;
  c.read_state = k.read_state;
  c.write_state = k.write_state;
  c.write_latch = k.write_latch;
  c.rw_mode = k.rw_mode;
  c.mode = k.mode;
  c.bcd = k.bcd;
  c.gate = k.gate;
  c.count_load_time = k.count_load_time;
  return c;
}
}  // namespace

kvm_pit_state2 PitToKvm(const hv::PitState& p) {
  kvm_pit_state2 k{};
  for (size_t i = 0; i < p.channels.size(); ++i) k.channels[i] = PitChannelToKvm(p.channels[i]);
  k.flags = p.flags;
  return k;
}

hv::PitState PitFromKvm(const kvm_pit_state2& k) {
  hv::PitState p;
  for (size_t i = 0; i < p.channels.size(); ++i) p.channels[i] = PitChannelFromKvm(k.channels[i]);
  p.flags = k.flags;
  return p;
}

std::vector<uint8_t> XsaveBuffer::Bytes() const {
  const auto* b = reinterpret_cast<const uint8_t*>(words_.data());
  return std::vector<uint8_t>(b, b + size());
}

Result<XsaveBuffer> XsaveToKvm(std::span<const uint8_t> area, size_t size) {
  XsaveBuffer buf(size);
  if (area.size() < hv::kXsaveMinSize || area.size() > buf.size()) {
    return Error(ErrorCode::kInvalidArgument,
                 "XSAVE area of " + std::to_string(area.size()) + " bytes; this VM takes " +
                     std::to_string(hv::kXsaveMinSize) + ".." + std::to_string(buf.size()));
  }
  std::memcpy(buf.data(), area.data(), area.size());
  return buf;
}

}  // namespace petrel::kvm
