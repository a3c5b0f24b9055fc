// BuildGuestCpuid: turns the CPUID a backend supports into what one vCPU sees.
//
// Backend-neutral and pure. The VMM calls it once per vCPU with the list from
// Hypervisor::SupportedCpuid(), then passes the result to Vcpu::SetCpuid().
//
// What it changes (Intel SDM Vol. 2A, CPUID instruction; AMD APM Vol. 3, E.3):
// - leaf 1: EBX[31:24] initial APIC id, EBX[23:16] logical processor count,
//   EDX[28] HTT when there is more than one vCPU, ECX[31] hypervisor present,
//   ECX[5] VMX cleared.
// - leaf 4 (every cache subleaf): EAX[31:26] cores per package - 1 and
//   EAX[25:14] logical processors sharing the cache - 1 (1 for L1/L2, all
//   vCPUs for L3 and beyond).
// - leaves 0xB and 0x1F (only if supported lists them): x2APIC topology of one
//   package with `vcpus` cores of one thread each; EDX = x2APIC id.
// - leaf 0x8000'0001 ECX[2] SVM cleared; leaf 0x8000'0008 ECX[7:0] NC and
//   ECX[15:12] ApicIdSize (AMD core count).
// - hypervisor leaves 0x4000'0000.. are kept as given (Linux needs KVM's
//   "KVMKVMKVM" signature to find kvmclock).
//
// What it removes: nested virtualization (VMX, SVM bits above). Petrel does not
// save nested state in snapshots and does not test nested guests, so it does
// not advertise it. Nothing else is removed: with the in-kernel irqchip every
// feature the backend reports is emulated by the backend.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/hv/x86_state.h"

namespace petrel::x86 {

// APIC ids are the vCPU ids; topology is 1 package, `vcpus` cores, 1 thread
// per core. `vcpu_id` < `vcpus`; `vcpus` >= 1 (clamped otherwise).
std::vector<hv::CpuidEntry> BuildGuestCpuid(std::span<const hv::CpuidEntry> supported,
                                            uint32_t vcpu_id, uint32_t vcpus);

// Bits needed to number `count` ids: ceil(log2(count)); 0 for count <= 1.
uint32_t IdBits(uint32_t count);

// Register bits (Intel SDM Vol. 2A, CPUID, Tables 3-8 and 3-10; AMD APM Vol. 3 E.3.2).
inline constexpr uint32_t kCpuid1EcxVmx = 1u << 5;  // CPUID.1:ECX[5] VMX
inline constexpr uint32_t kCpuid1EcxHypervisor =
    1u << 31;                                          // CPUID.1:ECX[31], reserved for hypervisors
inline constexpr uint32_t kCpuid1EdxHtt = 1u << 28;    // CPUID.1:EDX[28] HTT
inline constexpr uint32_t kCpuidExt1EcxSvm = 1u << 2;  // CPUID.8000_0001:ECX[2] SVM
// CPUID.0BH/1FH:ECX[15:8] level type (SDM Vol. 2A, Table 3-8, leaf 0BH).
inline constexpr uint32_t kTopologyLevelInvalid = 0;
inline constexpr uint32_t kTopologyLevelSmt = 1;
inline constexpr uint32_t kTopologyLevelCore = 2;

}  // namespace petrel::x86
