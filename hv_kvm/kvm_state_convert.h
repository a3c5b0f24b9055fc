// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Pure conversions between Petrel's neutral x86 state (core/hv/x86_state.h)
// and the KVM uapi structs (<linux/kvm.h>, Documentation/virt/kvm/api.rst
// sections KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_FPU, KVM_SET_CPUID2,
// KVM_GET_MSRS, KVM_GET_DEBUGREGS, KVM_GET_XSAVE, KVM_GET_XCRS, KVM_GET_LAPIC,
// KVM_GET_VCPU_EVENTS, KVM_GET_MP_STATE, KVM_GET_IRQCHIP, KVM_GET_PIT2,
// KVM_GET_CLOCK), plus owners for KVM's variable-length kvm_cpuid2, kvm_msrs
// and kvm_xsave buffers. No ioctls here: everything is unit-tested on any host.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/hv/hypervisor.h"
#include "core/hv/x86_state.h"

namespace petrel::kvm {

kvm_regs RegsToKvm(const hv::Regs& regs);
hv::Regs RegsFromKvm(const kvm_regs& regs);

kvm_segment SegmentToKvm(const hv::Segment& seg);
hv::Segment SegmentFromKvm(const kvm_segment& seg);

// Overlays the neutral fields on `inout` (normally what KVM_GET_SREGS just
// returned), keeping interrupt_bitmap: KVM_SET_SREGS re-queues any interrupt
// set there, so a read-modify-write keeps a pending injection intact.
void SregsToKvm(const hv::Sregs& sregs, kvm_sregs* inout);
hv::Sregs SregsFromKvm(const kvm_sregs& sregs);

// Overlays fcw and mxcsr on `inout` (normally from KVM_GET_FPU).
void FpuToKvm(const hv::Fpu& fpu, kvm_fpu* inout);
hv::Fpu FpuFromKvm(const kvm_fpu& fpu);

// Only KVM_CPUID_FLAG_SIGNIFCANT_INDEX is carried over (api.rst,
// KVM_GET_SUPPORTED_CPUID); the stateful flags are for leaf 2 on old CPUs
// and are not part of the neutral state.
kvm_cpuid_entry2 CpuidToKvm(const hv::CpuidEntry& e);
hv::CpuidEntry CpuidFromKvm(const kvm_cpuid_entry2& e);

// KVM's variable-length structs, with the kernel's C layout.
//
// <linux/kvm.h> declares kvm_cpuid2::entries and kvm_msrs::entries with
// __DECLARE_FLEX_ARRAY, which in C++ wraps an empty struct (size 1, not 0):
// with the Debian 6.1 uapi headers, offsetof(kvm_cpuid2, entries) is 12 and
// sizeof(kvm_msrs) is 16 in C++, against 8 and 8 in C. The ioctl numbers
// encode sizeof(struct), so KVM_SET_CPUID2, KVM_GET_SUPPORTED_CPUID,
// KVM_GET_MSRS and KVM_SET_MSRS from the header are wrong in C++ too. Petrel
// therefore uses its own 8-byte headers and ioctl numbers, checked below
// against the values a C compiler computes (_IOW/_IOWR(KVMIO, nr, 8 bytes)).
struct KvmCpuid2Header {
  uint32_t nent;
  uint32_t padding;
};
struct KvmMsrsHeader {
  uint32_t nmsrs;
  uint32_t pad;
};
static_assert(sizeof(KvmCpuid2Header) == 8 && sizeof(KvmMsrsHeader) == 8);
inline constexpr unsigned long kKvmGetSupportedCpuid = _IOWR(KVMIO, 0x05, KvmCpuid2Header);
inline constexpr unsigned long kKvmSetCpuid2 = _IOW(KVMIO, 0x90, KvmCpuid2Header);
inline constexpr unsigned long kKvmGetMsrs = _IOWR(KVMIO, 0x88, KvmMsrsHeader);
inline constexpr unsigned long kKvmSetMsrs = _IOW(KVMIO, 0x89, KvmMsrsHeader);
static_assert(kKvmGetSupportedCpuid == 0xc008ae05 && kKvmSetCpuid2 == 0x4008ae90 &&
              kKvmGetMsrs == 0xc008ae88 && kKvmSetMsrs == 0x4008ae89);
static_assert(sizeof(kvm_cpuid_entry2) == 40 && sizeof(kvm_msr_entry) == 16);

// Owns a `Header` followed directly by `n` `Entry`s (the C flexible array),
// 8-byte aligned, zero-initialised.
template <class Header, class Entry>
class FlexBuffer {
 public:
  static_assert(sizeof(Header) % alignof(Entry) == 0);
  explicit FlexBuffer(size_t n)
      : n_(n), storage_((sizeof(Header) + n * sizeof(Entry) + 7) / 8, 0) {}
  Header* header() { return reinterpret_cast<Header*>(storage_.data()); }
  const Header* header() const { return reinterpret_cast<const Header*>(storage_.data()); }
  std::span<Entry> entries() {
    return {reinterpret_cast<Entry*>(reinterpret_cast<uint8_t*>(storage_.data()) + sizeof(Header)),
            n_};
  }
  std::span<const Entry> entries() const {
    return {reinterpret_cast<const Entry*>(reinterpret_cast<const uint8_t*>(storage_.data()) +
                                           sizeof(Header)),
            n_};
  }
  size_t capacity() const { return n_; }

 private:
  size_t n_;
  std::vector<uint64_t> storage_;
};

using CpuidBuffer = FlexBuffer<KvmCpuid2Header, kvm_cpuid_entry2>;
using MsrBuffer = FlexBuffer<KvmMsrsHeader, kvm_msr_entry>;

// A kvm_cpuid2 holding `entries`, nent set.
CpuidBuffer MakeCpuidBuffer(std::span<const hv::CpuidEntry> entries);
// The first `nent` entries of `buf` (nent clamped to the capacity).
std::vector<hv::CpuidEntry> CpuidFromBuffer(const CpuidBuffer& buf);

// A kvm_msrs holding `msrs`, nmsrs set.
MsrBuffer MakeMsrBuffer(std::span<const hv::MsrEntry> msrs);

// api.rst KVM_GET_CLOCK / KVM_SET_CLOCK (struct kvm_clock_data). Only
// `clock` is carried: KVM_SET_CLOCK with KVM_CLOCK_REALTIME (which
// KVM_GET_CLOCK may report) would make KVM add the real time elapsed since
// the KVM_GET_CLOCK, i.e. show the guest the paused time; flags stay 0.
kvm_clock_data ClockToKvm(const hv::VmClock& clock);
hv::VmClock ClockFromKvm(const kvm_clock_data& data);
// No flexible array in kvm_clock_data, so the C++ view of the ioctl numbers
// is right (unlike kvm_cpuid2's): checked here and in the tests.
static_assert(sizeof(kvm_clock_data) == 48);

// api.rst KVM_GET_DEBUGREGS / KVM_SET_DEBUGREGS. flags stay 0 (KVM refuses
// anything else).
kvm_debugregs DebugRegsToKvm(const hv::DebugRegs& regs);
hv::DebugRegs DebugRegsFromKvm(const kvm_debugregs& regs);

// api.rst KVM_GET_XCRS / KVM_SET_XCRS. kInvalidArgument for more than
// KVM_MAX_XCRS entries; FromKvm clamps nr_xcrs to KVM_MAX_XCRS.
Result<kvm_xcrs> XcrsToKvm(std::span<const hv::XcrEntry> xcrs);
std::vector<hv::XcrEntry> XcrsFromKvm(const kvm_xcrs& xcrs);

// api.rst KVM_GET_LAPIC / KVM_SET_LAPIC: struct kvm_lapic_state is the
// LAPIC register page, byte for byte.
static_assert(sizeof(kvm_lapic_state) == hv::kLapicStateSize);
kvm_lapic_state LapicToKvm(const hv::LapicState& lapic);
hv::LapicState LapicFromKvm(const kvm_lapic_state& lapic);

// api.rst KVM_GET_VCPU_EVENTS / KVM_SET_VCPU_EVENTS, without
// KVM_CAP_EXCEPTION_PAYLOAD (Petrel does not enable it). KVM then reports a
// pending exception as injected (it delivers the payload first), so:
// - ToKvm sets flags NMI_PENDING | SIPI_VECTOR | SHADOW | SMM, folds
//   exception.pending into injected as KVM's own KVM_GET_VCPU_EVENTS does,
//   and leaves the payload fields 0;
// - kUnsupported for a state KVM cannot take this way: an exception payload
//   (needs KVM_CAP_EXCEPTION_PAYLOAD) or a pending triple fault (needs
//   KVM_CAP_X86_TRIPLE_FAULT_EVENT);
// - FromKvm takes the payload only when flags has KVM_VCPUEVENT_VALID_PAYLOAD
//   and the triple fault only with KVM_VCPUEVENT_VALID_TRIPLE_FAULT.
// KVM_GET_VCPU_EVENTS always reports sipi_vector 0 ("never valid when
// reporting to user space", arch/x86/kvm/x86.c); KVM_SET_VCPU_EVENTS takes it.
inline constexpr uint32_t kKvmVcpuEventsSetFlags =
    KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW |
    KVM_VCPUEVENT_VALID_SMM;
Result<kvm_vcpu_events> EventsToKvm(const hv::VcpuEvents& events);
hv::VcpuEvents EventsFromKvm(const kvm_vcpu_events& events);

// api.rst KVM_GET_MP_STATE / KVM_SET_MP_STATE. FromKvm: kUnsupported for
// states an x86 vCPU here never has (the s390 ones, AP_RESET_HOLD of SEV-ES,
// SUSPENDED of Xen's SCHEDOP_shutdown).
kvm_mp_state MpStateToKvm(hv::MpState state);
Result<hv::MpState> MpStateFromKvm(const kvm_mp_state& state);

// api.rst KVM_GET_IRQCHIP / KVM_SET_IRQCHIP: a kvm_irqchip with `chip_id`
// KVM_IRQCHIP_PIC_MASTER or KVM_IRQCHIP_PIC_SLAVE, or KVM_IRQCHIP_IOAPIC.
// The IOAPIC redirection entries are carried as the raw 64-bit registers.
kvm_irqchip PicToKvm(const hv::PicState& pic, uint32_t chip_id);
hv::PicState PicFromKvm(const kvm_pic_state& pic);
kvm_irqchip IoapicToKvm(const hv::IoapicState& ioapic);
hv::IoapicState IoapicFromKvm(const kvm_ioapic_state& ioapic);
static_assert(KVM_IOAPIC_NUM_PINS == hv::kIoapicPins);

// api.rst KVM_GET_PIT2 / KVM_SET_PIT2. flags (KVM_PIT_FLAGS_HPET_LEGACY,
// KVM_PIT_FLAGS_SPEAKER_DATA_ON) are carried; KVM_SET_PIT2 reloads each
// channel's count, so count_load_time becomes the time of the set.
kvm_pit_state2 PitToKvm(const hv::PitState& pit);
hv::PitState PitFromKvm(const kvm_pit_state2& pit);

// api.rst KVM_GET_XSAVE / KVM_GET_XSAVE2 / KVM_SET_XSAVE. struct kvm_xsave
// ends in a __DECLARE_FLEX_ARRAY too (sizeof 4100 in C++, 4096 in C), so the
// header's ioctl numbers are wrong in C++ like kvm_cpuid2's: Petrel's own
// use the 4096 bytes of the C struct. KVM_GET_XSAVE2 and KVM_SET_XSAVE move
// as many bytes as KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on the VM fd says
// (at least 4096).
inline constexpr size_t kKvmXsaveSize = 4096;
struct KvmXsaveC {
  uint32_t region[kKvmXsaveSize / 4];
};
inline constexpr unsigned long kKvmGetXsave = _IOR(KVMIO, 0xa4, KvmXsaveC);
inline constexpr unsigned long kKvmSetXsave = _IOW(KVMIO, 0xa5, KvmXsaveC);
inline constexpr unsigned long kKvmGetXsave2 = _IOR(KVMIO, 0xcf, KvmXsaveC);
static_assert(kKvmGetXsave == 0x9000aea4 && kKvmSetXsave == 0x5000aea5 &&
              kKvmGetXsave2 == 0x9000aecf);

// A 4-byte aligned, zeroed XSAVE buffer of KVM's size (>= kKvmXsaveSize).
class XsaveBuffer {
 public:
  explicit XsaveBuffer(size_t size) : words_((std::max(size, kKvmXsaveSize) + 3) / 4, 0) {}
  void* data() { return words_.data(); }
  size_t size() const { return words_.size() * 4; }
  std::vector<uint8_t> Bytes() const;

 private:
  std::vector<uint32_t> words_;
};
// `area` (the neutral standard-format XSAVE area) in a buffer of KVM's
// `size`, zero-padded. kInvalidArgument if it is smaller than
// hv::kXsaveMinSize or larger than `size` (a component this VM cannot hold).
Result<XsaveBuffer> XsaveToKvm(std::span<const uint8_t> area, size_t size);

// api.rst KVM_GET_MSR_INDEX_LIST: struct kvm_msr_list has a flexible array
// as well; own 4-byte header and ioctl number.
struct KvmMsrListHeader {
  uint32_t nmsrs;
};
inline constexpr unsigned long kKvmGetMsrIndexList = _IOWR(KVMIO, 0x02, KvmMsrListHeader);
static_assert(kKvmGetMsrIndexList == 0xc004ae02);
using MsrListBuffer = FlexBuffer<KvmMsrListHeader, uint32_t>;

}  // namespace petrel::kvm
