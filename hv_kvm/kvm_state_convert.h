// Pure conversions between Petrel's neutral x86 state (core/hv/x86_state.h)
// and the KVM uapi structs (<linux/kvm.h>, Documentation/virt/kvm/api.rst
// sections KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_FPU, KVM_SET_CPUID2,
// KVM_GET_MSRS), plus owners for KVM's variable-length kvm_cpuid2 and
// kvm_msrs buffers. No ioctls here: everything is unit-tested on any host.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

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

}  // namespace petrel::kvm
