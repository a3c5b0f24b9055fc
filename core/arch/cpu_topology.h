// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuTopology: the guest's package/die/core/thread layout and the x2APIC ids
// it implies. Backend-neutral and pure; shared by CPUID (core/arch/cpuid.h)
// and the ACPI MADT / MP table writers.
//
// APIC id layout (Intel SDM Vol. 3A 10.12.8.1 "Hierarchical Mapping of
// Processor Topology"; SDM Vol. 2A CPUID leaf 0BH/1FH): the id is split into
// bit fields, from low to high
//   SMT   : IdBits(threads_per_core) bits, the thread within its core
//   core  : IdBits(cores_per_die)    bits, the core within its die
//   die   : IdBits(dies_per_package) bits, the die within its package
//   package: the remaining bits.
// Each width is ceil(log2(count)), so ids have holes when a count is not a
// power of two (3 cores use ids 0,1,2 and skip 3). This is what Linux derives
// from CPUID (it shifts the APIC id right by the EAX[4:0] shifts of leaf
// 0BH/1FH) and what Cloud Hypervisor produces.
//
// vCPU index -> position: index i counts threads first, then cores, dies and
// packages: thread = i % T, core = (i / T) % C, die = (i / (T*C)) % D,
// package = i / (T*C*D).
#pragma once

#include <cstdint>

namespace petrel::x86 {

// Bits needed to number `count` ids: ceil(log2(count)); 0 for count <= 1.
uint32_t IdBits(uint32_t count);

struct CpuTopology {
  uint32_t threads_per_core = 1;
  uint32_t cores_per_die = 1;
  uint32_t dies_per_package = 1;
  uint32_t packages = 1;

  // The foundation's layout: one package of `vcpus` single-threaded cores
  // (APIC id == vCPU index).
  static CpuTopology Flat(uint32_t vcpus);

  // Every count raised to at least 1 (the accessors below use this).
  CpuTopology Normalized() const;

  // Product of the four counts (saturates at UINT32_MAX).
  uint32_t MaxVcpus() const;
  uint32_t ThreadsPerDie() const;      // threads_per_core * cores_per_die
  uint32_t ThreadsPerPackage() const;  // ThreadsPerDie() * dies_per_package
  uint32_t CoresPerPackage() const;    // cores_per_die * dies_per_package

  // Field widths of the APIC id (see the file comment).
  uint32_t SmtBits() const;
  uint32_t CoreBits() const;
  uint32_t DieBits() const;
  // Right shifts that turn an APIC id into the core, die and package id.
  uint32_t CoreShift() const { return SmtBits(); }
  uint32_t DieShift() const { return SmtBits() + CoreBits(); }
  uint32_t PackageShift() const { return SmtBits() + CoreBits() + DieBits(); }

  // x2APIC id of the vCPU with index `cpu_index` (0-based). A field that
  // would start at bit 32 or beyond contributes nothing; with Petrel's limits
  // (counts <= 255, at most 254 vCPUs) every id fits in 32 bits.
  uint32_t ApicId(uint32_t cpu_index) const;
};

}  // namespace petrel::x86
