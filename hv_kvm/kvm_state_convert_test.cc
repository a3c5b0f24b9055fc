// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for the neutral <-> KVM state conversions.
#include "hv_kvm/kvm_state_convert.h"

#include <gtest/gtest.h>

#include <cstring>
#include <utility>
#include <vector>

namespace petrel::kvm {
namespace {

TEST(RegsConvert, GprOrderFollowsKvmLayout) {
  hv::Regs r;
  for (int i = 0; i < 16; ++i) r.gpr[i] = 0x1000 + i;
  r.rip = 0xfff0;
  r.rflags = 0x202;
  kvm_regs k = RegsToKvm(r);
  EXPECT_EQ(k.rax, 0x1000u);
  EXPECT_EQ(k.rcx, 0x1001u);
  EXPECT_EQ(k.rdx, 0x1002u);
  EXPECT_EQ(k.rbx, 0x1003u);
  EXPECT_EQ(k.rsp, 0x1004u);
  EXPECT_EQ(k.rbp, 0x1005u);
  EXPECT_EQ(k.rsi, 0x1006u);
  EXPECT_EQ(k.rdi, 0x1007u);
  EXPECT_EQ(k.r8, 0x1008u);
  EXPECT_EQ(k.r15, 0x100fu);
  EXPECT_EQ(k.rip, 0xfff0u);
  EXPECT_EQ(k.rflags, 0x202u);
  EXPECT_EQ(RegsFromKvm(k), r);
}

hv::Segment CodeSegment() {
  hv::Segment s;
  s.base = 0x1234'5678'9abc;
  s.limit = 0xfffff;
  s.selector = 0x10;
  s.type = 0xb;
  s.present = true;
  s.dpl = 3;
  s.db = true;
  s.s = true;
  s.l = false;
  s.g = true;
  s.avl = true;
  s.unusable = false;
  return s;
}

TEST(SegmentConvert, AllFields) {
  kvm_segment k = SegmentToKvm(CodeSegment());
  EXPECT_EQ(k.base, 0x1234'5678'9abcu);
  EXPECT_EQ(k.limit, 0xfffffu);
  EXPECT_EQ(k.selector, 0x10);
  EXPECT_EQ(k.type, 0xb);
  EXPECT_EQ(k.present, 1);
  EXPECT_EQ(k.dpl, 3);
  EXPECT_EQ(k.db, 1);
  EXPECT_EQ(k.s, 1);
  EXPECT_EQ(k.l, 0);
  EXPECT_EQ(k.g, 1);
  EXPECT_EQ(k.avl, 1);
  EXPECT_EQ(k.unusable, 0);
  EXPECT_EQ(SegmentFromKvm(k), CodeSegment());
}

TEST(SegmentConvert, NonZeroBytesAreTrueAndTypeMasked) {
  kvm_segment k{};
  k.present = 5;
  k.unusable = 1;
  k.type = 0x1b;
  k.dpl = 7;
  hv::Segment s = SegmentFromKvm(k);
  EXPECT_TRUE(s.present);
  EXPECT_TRUE(s.unusable);
  EXPECT_EQ(s.type, 0xb);
  EXPECT_EQ(s.dpl, 3);
}

TEST(SregsConvert, RoundTripAndInterruptBitmapKept) {
  hv::Sregs s;
  s.cs = CodeSegment();
  s.ds = s.es = s.fs = s.gs = s.ss = CodeSegment();
  s.ds.type = 3;
  s.tr.type = 0xb;
  s.tr.present = true;
  s.ldt.unusable = true;
  s.gdt = {0x500, 0x1f};
  s.idt = {0x520, 0x7};
  s.cr0 = 0x11;
  s.cr2 = 2;
  s.cr3 = 0x9000;
  s.cr4 = 0x20;
  s.cr8 = 1;
  s.efer = 0x500;
  s.apic_base = 0xfee00900;
  kvm_sregs k{};
  k.interrupt_bitmap[1] = 0x8000;
  SregsToKvm(s, &k);
  EXPECT_EQ(k.interrupt_bitmap[1], 0x8000u);
  EXPECT_EQ(k.gdt.base, 0x500u);
  EXPECT_EQ(k.gdt.limit, 0x1f);
  EXPECT_EQ(k.idt.base, 0x520u);
  EXPECT_EQ(k.ds.type, 3);
  EXPECT_EQ(k.cr3, 0x9000u);
  EXPECT_EQ(k.efer, 0x500u);
  EXPECT_EQ(k.apic_base, 0xfee00900u);
  EXPECT_EQ(k.ldt.unusable, 1);
  EXPECT_EQ(SregsFromKvm(k), s);
}

TEST(FpuConvert, OverlayKeepsOtherState) {
  kvm_fpu k{};
  k.fsw = 0x1234;
  k.xmm[3][2] = 0x55;
  FpuToKvm(hv::Fpu{0x27f, 0x1f80}, &k);
  EXPECT_EQ(k.fcw, 0x27f);
  EXPECT_EQ(k.mxcsr, 0x1f80u);
  EXPECT_EQ(k.fsw, 0x1234);
  EXPECT_EQ(k.xmm[3][2], 0x55);
  EXPECT_EQ(FpuFromKvm(k), (hv::Fpu{0x27f, 0x1f80}));
}

TEST(CpuidConvert, SignificantIndexFlagOnly) {
  kvm_cpuid_entry2 k{};
  k.function = 7;
  k.index = 1;
  k.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX | KVM_CPUID_FLAG_STATEFUL_FUNC;
  k.eax = 1;
  k.ebx = 2;
  k.ecx = 3;
  k.edx = 4;
  hv::CpuidEntry e = CpuidFromKvm(k);
  EXPECT_EQ(e, (hv::CpuidEntry{7, 1, hv::kCpuidFlagSignificantIndex, 1, 2, 3, 4}));
  kvm_cpuid_entry2 back = CpuidToKvm(e);
  EXPECT_EQ(back.flags, static_cast<uint32_t>(KVM_CPUID_FLAG_SIGNIFCANT_INDEX));
  EXPECT_EQ(back.edx, 4u);
  k.flags = 0;
  EXPECT_EQ(CpuidFromKvm(k).flags, 0u);
}

TEST(CpuidBuffer, LayoutAndReadBack) {
  std::vector<hv::CpuidEntry> in = {{0, 0, 0, 0xd, 1, 2, 3},
                                    {0xb, 1, hv::kCpuidFlagSignificantIndex, 1, 4, 0x201, 3}};
  CpuidBuffer buf = MakeCpuidBuffer(in);
  EXPECT_EQ(buf.header()->nent, 2u);
  // Entries start right after the 8-byte header, as the kernel expects.
  EXPECT_EQ(
      reinterpret_cast<uint8_t*>(buf.entries().data()) - reinterpret_cast<uint8_t*>(buf.header()),
      8);
  EXPECT_EQ(buf.entries()[1].ecx, 0x201u);
  EXPECT_EQ(CpuidFromBuffer(buf), in);
  buf.header()->nent = 1000;  // a bogus count never reads past the buffer
  EXPECT_EQ(CpuidFromBuffer(buf).size(), 2u);
  buf.header()->nent = 1;
  EXPECT_EQ(CpuidFromBuffer(buf).size(), 1u);
}

TEST(MsrBuffer, Layout) {
  std::vector<hv::MsrEntry> in = {{0x174, 0}, {0x2ff, 0x806}};
  MsrBuffer buf = MakeMsrBuffer(in);
  EXPECT_EQ(buf.header()->nmsrs, 2u);
  // Entries start at byte 8, as in the kernel's C layout.
  const auto* raw = reinterpret_cast<const uint8_t*>(buf.header());
  uint32_t index;
  uint64_t data;
  std::memcpy(&index, raw + 8 + 16, 4);
  std::memcpy(&data, raw + 8 + 16 + 8, 8);
  EXPECT_EQ(index, 0x2ffu);
  EXPECT_EQ(data, 0x806u);
  EXPECT_EQ(buf.entries()[1].reserved, 0u);
}

TEST(ClockConvert, OnlyTheClockValueWithNoFlags) {
  kvm_clock_data from_kernel{};
  from_kernel.clock = 123'456'789;
  from_kernel.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
  from_kernel.realtime = 1'700'000'000'000'000'000;
  from_kernel.host_tsc = 42;
  const hv::VmClock clock = ClockFromKvm(from_kernel);
  EXPECT_EQ(clock.ns, 123'456'789u);
  const kvm_clock_data back = ClockToKvm(clock);
  EXPECT_EQ(back.clock, 123'456'789u);
  // KVM_CLOCK_REALTIME here would make KVM_SET_CLOCK add the elapsed time.
  EXPECT_EQ(back.flags, 0u);
  EXPECT_EQ(back.realtime, 0u);
  EXPECT_EQ(back.host_tsc, 0u);
}

TEST(ClockConvert, IoctlNumbersMatchTheKernelsC) {
  // _IOW/_IOR(KVMIO 0xAE, nr, 48-byte struct kvm_clock_data), as C computes them.
  EXPECT_EQ(static_cast<unsigned long>(KVM_SET_CLOCK), 0x4030AE7BUL);
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_CLOCK), 0x8030AE7CUL);
}

TEST(DebugRegsConvert, RoundTripAndFlagsZero) {
  hv::DebugRegs r;
  r.db = {0x1000, 0x2000, 0x3000, 0xffff'8000'0000'0000};
  r.dr6 = 0xffff4ff1;
  r.dr7 = 0x401;
  kvm_debugregs k = DebugRegsToKvm(r);
  EXPECT_EQ(k.db[0], 0x1000u);
  EXPECT_EQ(k.db[3], 0xffff'8000'0000'0000u);
  EXPECT_EQ(k.dr6, 0xffff4ff1u);
  EXPECT_EQ(k.dr7, 0x401u);
  EXPECT_EQ(k.flags, 0u);
  EXPECT_EQ(DebugRegsFromKvm(k), r);
}

TEST(XcrsConvert, RoundTripAndLimits) {
  std::vector<hv::XcrEntry> xcrs = {{0, 0x7}, {1, 0x1}};
  auto k = XcrsToKvm(xcrs);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->nr_xcrs, 2u);
  EXPECT_EQ(k->xcrs[0].xcr, 0u);
  EXPECT_EQ(k->xcrs[0].value, 0x7u);
  EXPECT_EQ(k->xcrs[1].xcr, 1u);
  EXPECT_EQ(k->flags, 0u);
  EXPECT_EQ(XcrsFromKvm(*k), xcrs);
  EXPECT_TRUE(XcrsFromKvm(kvm_xcrs{}).empty());  // a host without XSAVE
  std::vector<hv::XcrEntry> too_many(KVM_MAX_XCRS + 1);
  EXPECT_EQ(XcrsToKvm(too_many).error().code(), ErrorCode::kInvalidArgument);
  kvm_xcrs bogus{};
  bogus.nr_xcrs = 1000;
  EXPECT_EQ(XcrsFromKvm(bogus).size(), static_cast<size_t>(KVM_MAX_XCRS));
}

TEST(LapicConvert, ByteForByte) {
  hv::LapicState lapic{};
  lapic[0x20 + 3] = 0x01;  // ID 1 in bits 31:24 (xAPIC)
  lapic[0x80] = 0x20;      // TPR
  lapic[0x3f0] = 0xaa;
  kvm_lapic_state k = LapicToKvm(lapic);
  EXPECT_EQ(static_cast<uint8_t>(k.regs[0x23]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(k.regs[0x80]), 0x20);
  EXPECT_EQ(static_cast<uint8_t>(k.regs[0x3f0]), 0xaa);
  EXPECT_EQ(LapicFromKvm(k), lapic);
}

hv::VcpuEvents BusyEvents() {
  hv::VcpuEvents e;
  e.exception.injected = true;
  e.exception.vector = 14;
  e.exception.has_error_code = true;
  e.exception.error_code = 0x6;
  e.interrupt.injected = true;
  e.interrupt.vector = 0x30;
  e.interrupt.soft = true;
  e.interrupt.shadow = 0x2;
  e.nmi.pending = true;
  e.nmi.masked = true;
  e.sipi_vector = 0x9a;
  e.smi.smm = true;
  e.smi.pending = true;
  e.smi.inside_nmi = true;
  e.smi.latched_init = true;
  return e;
}

TEST(EventsConvert, FieldsAndSetFlags) {
  auto k = EventsToKvm(BusyEvents());
  ASSERT_TRUE(k.ok()) << k.error().message();
  EXPECT_EQ(k->flags, static_cast<uint32_t>(KVM_VCPUEVENT_VALID_NMI_PENDING |
                                            KVM_VCPUEVENT_VALID_SIPI_VECTOR |
                                            KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM));
  EXPECT_EQ(k->exception.injected, 1);
  EXPECT_EQ(k->exception.pending, 0);
  EXPECT_EQ(k->exception.nr, 14);
  EXPECT_EQ(k->exception.has_error_code, 1);
  EXPECT_EQ(k->exception.error_code, 0x6u);
  EXPECT_EQ(k->interrupt.injected, 1);
  EXPECT_EQ(k->interrupt.nr, 0x30);
  EXPECT_EQ(k->interrupt.soft, 1);
  EXPECT_EQ(k->interrupt.shadow, KVM_X86_SHADOW_INT_STI);
  EXPECT_EQ(k->nmi.injected, 0);
  EXPECT_EQ(k->nmi.pending, 1);
  EXPECT_EQ(k->nmi.masked, 1);
  EXPECT_EQ(k->sipi_vector, 0x9au);
  EXPECT_EQ(k->smi.smm, 1);
  EXPECT_EQ(k->smi.pending, 1);
  EXPECT_EQ(k->smi.smm_inside_nmi, 1);
  EXPECT_EQ(k->smi.latched_init, 1);
  EXPECT_EQ(k->exception_has_payload, 0);
  EXPECT_EQ(k->exception_payload, 0u);
  EXPECT_EQ(EventsFromKvm(*k), BusyEvents());
}

TEST(EventsConvert, PendingExceptionIsInjectedWithoutPayloadCap) {
  hv::VcpuEvents e;
  e.exception.pending = true;
  e.exception.vector = 13;
  auto k = EventsToKvm(e);
  ASSERT_TRUE(k.ok());
  // What KVM_GET_VCPU_EVENTS reports without KVM_CAP_EXCEPTION_PAYLOAD.
  EXPECT_EQ(k->exception.injected, 1);
  EXPECT_EQ(k->exception.pending, 0);
}

TEST(EventsConvert, RefusesWhatKvmCannotTakeWithoutCaps) {
  hv::VcpuEvents payload;
  payload.exception.pending = true;
  payload.exception.vector = 14;
  payload.exception.has_payload = true;
  payload.exception.payload = 0xdead000;
  EXPECT_EQ(EventsToKvm(payload).error().code(), ErrorCode::kUnsupported);
  hv::VcpuEvents triple;
  triple.triple_fault_pending = true;
  EXPECT_EQ(EventsToKvm(triple).error().code(), ErrorCode::kUnsupported);
}

TEST(EventsConvert, PayloadAndTripleFaultOnlyWithTheirFlags) {
  kvm_vcpu_events k{};
  k.exception.pending = 1;
  k.exception.nr = 14;
  k.exception_has_payload = 1;
  k.exception_payload = 0xdead000;
  k.triple_fault.pending = 1;
  k.interrupt.shadow = 0xff;
  k.sipi_vector = 0x1ff;
  hv::VcpuEvents e = EventsFromKvm(k);
  EXPECT_TRUE(e.exception.pending);
  EXPECT_FALSE(e.exception.has_payload);
  EXPECT_EQ(e.exception.payload, 0u);
  EXPECT_FALSE(e.triple_fault_pending);
  EXPECT_EQ(e.interrupt.shadow, 0x3);
  EXPECT_EQ(e.sipi_vector, 0xff);
  k.flags = KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
  e = EventsFromKvm(k);
  EXPECT_TRUE(e.exception.has_payload);
  EXPECT_EQ(e.exception.payload, 0xdead000u);
  EXPECT_TRUE(e.triple_fault_pending);
}

TEST(MpStateConvert, AllNeutralStatesRoundTrip) {
  const std::pair<hv::MpState, uint32_t> map[] = {
      {hv::MpState::kRunnable, KVM_MP_STATE_RUNNABLE},
      {hv::MpState::kUninitialized, KVM_MP_STATE_UNINITIALIZED},
      {hv::MpState::kInitReceived, KVM_MP_STATE_INIT_RECEIVED},
      {hv::MpState::kHalted, KVM_MP_STATE_HALTED},
      {hv::MpState::kSipiReceived, KVM_MP_STATE_SIPI_RECEIVED}};
  for (const auto& [neutral, kvm] : map) {
    EXPECT_EQ(MpStateToKvm(neutral).mp_state, kvm);
    auto back = MpStateFromKvm(kvm_mp_state{kvm});
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, neutral);
  }
  EXPECT_EQ(MpStateFromKvm(kvm_mp_state{KVM_MP_STATE_AP_RESET_HOLD}).error().code(),
            ErrorCode::kUnsupported);
}

TEST(PicConvert, AllFieldsAndChipId) {
  hv::PicState p;
  p.last_irr = 1;
  p.irr = 2;
  p.imr = 0xfb;
  p.isr = 4;
  p.priority_add = 5;
  p.irq_base = 0x20;
  p.read_reg_select = 1;
  p.poll = true;
  p.special_mask = true;
  p.init_state = 3;
  p.auto_eoi = true;
  p.rotate_on_auto_eoi = true;
  p.special_fully_nested_mode = true;
  p.init4 = true;
  p.elcr = 0x0c;
  p.elcr_mask = 0xf8;
  kvm_irqchip chip = PicToKvm(p, KVM_IRQCHIP_PIC_SLAVE);
  EXPECT_EQ(chip.chip_id, static_cast<uint32_t>(KVM_IRQCHIP_PIC_SLAVE));
  const kvm_pic_state& k = chip.chip.pic;
  EXPECT_EQ(k.imr, 0xfb);
  EXPECT_EQ(k.irq_base, 0x20);
  EXPECT_EQ(k.init_state, 3);
  EXPECT_EQ(k.special_fully_nested_mode, 1);
  EXPECT_EQ(k.elcr, 0x0c);
  EXPECT_EQ(k.elcr_mask, 0xf8);
  EXPECT_EQ(PicFromKvm(k), p);
}

TEST(IoapicConvert, RedirectionEntriesAreRaw64BitRegisters) {
  hv::IoapicState s;
  s.base_address = 0xfec00000;
  s.ioregsel = 0x10;
  s.id = 0x1;
  s.irr = 0x10;
  // Pin 4: vector 0x24, level, active low, masked, destination 0x3.
  s.redirection[4] = 0x0300'0000'0001'a024ull;
  s.redirection[23] = 0xffff'ffff'ffff'ffffull;
  kvm_irqchip chip = IoapicToKvm(s);
  EXPECT_EQ(chip.chip_id, static_cast<uint32_t>(KVM_IRQCHIP_IOAPIC));
  const kvm_ioapic_state& k = chip.chip.ioapic;
  EXPECT_EQ(k.base_address, 0xfec00000u);
  EXPECT_EQ(k.ioregsel, 0x10u);
  EXPECT_EQ(k.id, 1u);
  EXPECT_EQ(k.irr, 0x10u);
  EXPECT_EQ(k.redirtbl[4].bits, 0x0300'0000'0001'a024ull);
  EXPECT_EQ(k.redirtbl[4].fields.vector, 0x24);
  EXPECT_EQ(k.redirtbl[4].fields.trig_mode, 1);
  EXPECT_EQ(k.redirtbl[4].fields.polarity, 1);
  EXPECT_EQ(k.redirtbl[4].fields.mask, 1);
  EXPECT_EQ(k.redirtbl[4].fields.dest_id, 0x3);
  EXPECT_EQ(k.redirtbl[0].bits, 0u);
  EXPECT_EQ(IoapicFromKvm(k), s);
}

TEST(PitConvert, ChannelsAndFlags) {
  hv::PitState p;
  p.flags = KVM_PIT_FLAGS_HPET_LEGACY;
  for (uint32_t i = 0; i < 3; ++i) {
    hv::PitChannelState& c = p.channels[i];
    c.count = 65536 - i;
    c.latched_count = static_cast<uint16_t>(0x100 + i);
    c.count_latched = 1;
    c.status_latched = 1;
    c.status = 0x34;
    c.read_state = 3;
    c.write_state = 2;
    c.write_latch = 0x12;
    c.rw_mode = 3;
    c.mode = static_cast<uint8_t>(2 + i);
    c.bcd = 0;
    c.gate = 1;
    c.count_load_time = -5 + static_cast<int64_t>(i);
  }
  kvm_pit_state2 k = PitToKvm(p);
  EXPECT_EQ(k.flags, static_cast<uint32_t>(KVM_PIT_FLAGS_HPET_LEGACY));
  EXPECT_EQ(k.channels[0].count, 65536u);
  EXPECT_EQ(k.channels[2].mode, 4);
  EXPECT_EQ(k.channels[1].latched_count, 0x101);
  EXPECT_EQ(k.channels[0].count_load_time, -5);
  EXPECT_EQ(k.reserved[0], 0u);
  EXPECT_EQ(PitFromKvm(k), p);
}

TEST(XsaveConvert, PadsToKvmSizeAndRefusesBadSizes) {
  std::vector<uint8_t> area(hv::kXsaveMinSize, 0);
  area[hv::kXsaveFcwOffset] = 0x7f;
  area[hv::kXsaveMxcsrOffset] = 0x80;
  auto buf = XsaveToKvm(area, 4096);
  ASSERT_TRUE(buf.ok()) << buf.error().message();
  EXPECT_EQ(buf->size(), 4096u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf->data()) % 4, 0u);
  std::vector<uint8_t> bytes = buf->Bytes();
  ASSERT_EQ(bytes.size(), 4096u);
  EXPECT_EQ(bytes[0], 0x7f);
  EXPECT_EQ(bytes[24], 0x80);
  EXPECT_EQ(bytes[4095], 0);
  EXPECT_EQ(XsaveBuffer(0).size(), kKvmXsaveSize);  // never below 4096
  EXPECT_EQ(XsaveBuffer(11008).size(), 11008u);     // e.g. with AMX
  EXPECT_FALSE(XsaveToKvm(std::vector<uint8_t>(575), 4096).ok());
  EXPECT_FALSE(XsaveToKvm(std::vector<uint8_t>(4100), 4096).ok());
  EXPECT_TRUE(XsaveToKvm(std::vector<uint8_t>(8192), 8192).ok());
}

TEST(StateIoctlNumbers, MatchTheKernelsC) {
  // _IOR/_IOW(KVMIO 0xAE, nr, struct size) as a C compiler computes them.
  EXPECT_EQ(kKvmGetXsave, 0x9000AEA4UL);
  EXPECT_EQ(kKvmSetXsave, 0x5000AEA5UL);
  EXPECT_EQ(kKvmGetXsave2, 0x9000AECFUL);
  EXPECT_EQ(kKvmGetMsrIndexList, 0xC004AE02UL);
  // No flexible array in these: the header's numbers are right in C++.
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_DEBUGREGS), 0x8080AEA1UL);
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_XCRS), 0x8188AEA6UL);
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_LAPIC), 0x8400AE8EUL);
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_VCPU_EVENTS), 0x8040AE9FUL);
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_IRQCHIP), 0xC208AE62UL);
  EXPECT_EQ(static_cast<unsigned long>(KVM_GET_PIT2), 0x8070AE9FUL);
  // The kvm_msr_list header: the indices start right after nmsrs.
  MsrListBuffer list(3);
  EXPECT_EQ(
      reinterpret_cast<uint8_t*>(list.entries().data()) - reinterpret_cast<uint8_t*>(list.header()),
      4);
}

}  // namespace
}  // namespace petrel::kvm
