// Tests for the neutral <-> KVM state conversions.
#include "hv_kvm/kvm_state_convert.h"

#include <gtest/gtest.h>

#include <cstring>

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

}  // namespace
}  // namespace petrel::kvm
