// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BuildGuestCpuid: turns the CPUID a backend supports into what one vCPU sees.
//
// Backend-neutral and pure. The VMM calls it once per vCPU with the list from
// Hypervisor::SupportedCpuid(), then passes the result to Vcpu::SetCpuid().
// The vCPU's place in the package/die/core/thread layout and its x2APIC id
// come from CpuTopology (core/arch/cpu_topology.h).
//
// Counts that describe "addressable ids" are powers of two derived from the
// APIC id field widths (not plain counts), so that software shifting APIC ids
// by ceil(log2(field + 1)) lands on the same boundaries as leaf 0BH/1FH, even
// for counts that are not powers of two (e.g. 3 threads x 5 cores).
//
// What it changes (Intel SDM Vol. 2A, CPUID instruction, Table 3-8; AMD APM
// Vol. 3, Appendix E.3/E.4):
// - leaf 1: EBX[31:24] initial APIC id (low 8 bits), EBX[23:16] addressable
//   logical processor ids per package (1 << PackageShift, max 255),
//   EDX[28] HTT iff a package holds more than one logical processor,
//   ECX[31] hypervisor present, ECX[5] VMX cleared.
// - leaf 4 (every cache subleaf): EAX[25:14] ids sharing the cache - 1
//   (L1/L2: the threads of a core, 1 << SmtBits; L3 and beyond: the threads
//   of a die, 1 << DieShift) and EAX[31:26] addressable core ids per package
//   - 1 (1 << (CoreBits + DieBits), max 64).
// - leaf 0xB (only if supported lists it): subleaf 0 SMT, 1 core (covering
//   die and core), 2 invalid. Leaf 0x1F (only if listed): 0 SMT, 1 core,
//   2 die, 3 invalid. EAX[4:0] shift to the next level's id, EBX[15:0]
//   logical processors at the level, ECX[7:0] subleaf, ECX[15:8] level type,
//   EDX x2APIC id.
// - leaf 0x8000'0001 ECX[2] SVM cleared.
// - AMD/Hygon only: leaf 0x8000'0008 ECX[7:0] NC = threads per package - 1,
//   ECX[15:12] ApicIdSize = PackageShift (APM Vol. 3 E.4.7);
//   leaf 0x8000'001D (every cache subleaf) EAX[25:14] as leaf 4;
//   leaf 0x8000'001E (if listed) EAX extended APIC id, EBX[15:8] threads per
//   compute unit - 1, EBX[7:0] compute unit (core) id = APIC id >> SmtBits,
//   ECX[10:8] nodes (dies) per processor - 1, ECX[7:0] node id = APIC id >>
//   DieShift, EDX 0 (APM Vol. 3 E.4.15).
// - hypervisor leaves 0x4000'0000.. are kept as given (Linux needs KVM's
//   "KVMKVMKVM" signature to find kvmclock).
//
// What it removes:
// - nested virtualization (VMX, SVM bits above). Petrel does not save nested
//   state in snapshots and does not test nested guests, so it does not
//   advertise it.
// - the PMU, as Cloud Hypervisor does (and QEMU with pmu=off): the VM has no
//   performance counters (KVM's vPMU depends on the host's, is absent under
//   nesting and is not saved in snapshots), so the guest must not think it
//   has. Intel: leaf 0xA (architectural perfmon) zeroed, leaf 1 ECX[15] PDCM
//   (IA32_PERF_CAPABILITIES) cleared, arch LBR (leaf 7.0 EDX[19], leaf 0x1C)
//   and leaf 0x23 zeroed. AMD: 0x8000'0001 ECX[23] PerfCtrExtCore, [24]
//   PerfCtrExtNB, [28] PerfCtrExtLLC and [10] IBS cleared, leaves
//   0x8000'001B (IBS) and 0x8000'0022 (PerfMonV2) zeroed. Zeroed leaves stay
//   in the list, so the maximum leaf numbers in leaves 0 / 0x8000'0000 still
//   hold. Linux probes AMD's legacy counters (0xC001_0000-7) whatever CPUID
//   says; hv_kvm makes those MSRs fault (hv_kvm/kvm_msr_filter.h).
// Nothing else is removed: with the in-kernel irqchip every other feature the
// backend reports is emulated by the backend.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/arch/cpu_topology.h"
#include "core/hv/x86_state.h"

namespace petrel::x86 {

// CPUID for the vCPU with index `cpu_index` (< topology.MaxVcpus()); its
// APIC id is topology.ApicId(cpu_index). Zero counts in `topology` act as 1.
std::vector<hv::CpuidEntry> BuildGuestCpuid(std::span<const hv::CpuidEntry> supported,
                                            uint32_t cpu_index, const CpuTopology& topology);

// The same with CpuTopology::Flat(vcpus): 1 package, `vcpus` cores, 1 thread
// per core; APIC ids are the vCPU ids. `vcpus` >= 1 (clamped otherwise).
std::vector<hv::CpuidEntry> BuildGuestCpuid(std::span<const hv::CpuidEntry> supported,
                                            uint32_t vcpu_id, uint32_t vcpus);

enum class CpuVendor { kIntel, kAmd, kOther };
// From leaf 0's EBX/EDX/ECX signature; "HygonGenuine" counts as AMD.
CpuVendor DetectVendor(std::span<const hv::CpuidEntry> cpuid);

// Register bits (Intel SDM Vol. 2A, CPUID, Tables 3-8 and 3-10; AMD APM Vol. 3 E.3.2).
inline constexpr uint32_t kCpuid1EcxVmx = 1u << 5;  // CPUID.1:ECX[5] VMX
inline constexpr uint32_t kCpuid1EcxHypervisor =
    1u << 31;                                          // CPUID.1:ECX[31], reserved for hypervisors
inline constexpr uint32_t kCpuid1EdxHtt = 1u << 28;    // CPUID.1:EDX[28] HTT
inline constexpr uint32_t kCpuidExt1EcxSvm = 1u << 2;  // CPUID.8000_0001:ECX[2] SVM
// PMU bits (SDM Vol. 2A Table 3-10 and leaf 07H EDX; AMD APM Vol. 3 E.3.6).
inline constexpr uint32_t kCpuid1EcxPdcm = 1u << 15;            // CPUID.1:ECX[15] PDCM
inline constexpr uint32_t kCpuid7EdxArchLbr = 1u << 19;         // CPUID.(7,0):EDX[19] arch LBR
inline constexpr uint32_t kCpuidExt1EcxIbs = 1u << 10;          // 8000_0001:ECX[10] IBS
inline constexpr uint32_t kCpuidExt1EcxPerfCtrCore = 1u << 23;  // [23] PerfCtrExtCore
inline constexpr uint32_t kCpuidExt1EcxPerfCtrNb = 1u << 24;    // [24] PerfCtrExtNB
inline constexpr uint32_t kCpuidExt1EcxPerfCtrLlc = 1u << 28;   // [28] PerfCtrExtLLC
// CPUID.0BH/1FH:ECX[15:8] level type (SDM Vol. 2A, Table 3-8, leaves 0BH and 1FH).
inline constexpr uint32_t kTopologyLevelInvalid = 0;
inline constexpr uint32_t kTopologyLevelSmt = 1;
inline constexpr uint32_t kTopologyLevelCore = 2;
inline constexpr uint32_t kTopologyLevelDie = 5;

}  // namespace petrel::x86
