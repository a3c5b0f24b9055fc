// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// CpuTopology (see cpu_topology.h).
#include "core/arch/cpu_topology.h"

#include <algorithm>
#include <limits>

namespace petrel::x86 {
namespace {

uint32_t AtLeastOne(uint32_t v) {
  return std::max<uint32_t>(v, 1);
}

uint32_t SaturatingMul(uint32_t a, uint32_t b) {
  const uint64_t p = uint64_t{a} * b;
  return p > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                  : static_cast<uint32_t>(p);
}

// `value << shift` truncated to 32 bits; 0 when shift >= 32.
uint32_t ShiftLeft(uint32_t value, uint32_t shift) {
  return shift >= 32 ? 0 : static_cast<uint32_t>(uint64_t{value} << shift);
}

}  // namespace

uint32_t IdBits(uint32_t count) {
  uint32_t bits = 0;
  while (bits < 32 && (uint64_t{1} << bits) < count) ++bits;
  return bits;
}

CpuTopology CpuTopology::Flat(uint32_t vcpus) {
  CpuTopology t;
  t.cores_per_die = AtLeastOne(vcpus);
  return t;
}

CpuTopology CpuTopology::Normalized() const {
  CpuTopology t;
  t.threads_per_core = AtLeastOne(threads_per_core);
  t.cores_per_die = AtLeastOne(cores_per_die);
  t.dies_per_package = AtLeastOne(dies_per_package);
  t.packages = AtLeastOne(packages);
  return t;
}

uint32_t CpuTopology::ThreadsPerDie() const {
  const CpuTopology t = Normalized();
  return SaturatingMul(t.threads_per_core, t.cores_per_die);
}

uint32_t CpuTopology::ThreadsPerPackage() const {
  return SaturatingMul(ThreadsPerDie(), AtLeastOne(dies_per_package));
}

uint32_t CpuTopology::CoresPerPackage() const {
  const CpuTopology t = Normalized();
  return SaturatingMul(t.cores_per_die, t.dies_per_package);
}

uint32_t CpuTopology::MaxVcpus() const {
  return SaturatingMul(ThreadsPerPackage(), AtLeastOne(packages));
}

uint32_t CpuTopology::SmtBits() const {
  return IdBits(threads_per_core);
}
uint32_t CpuTopology::CoreBits() const {
  return IdBits(cores_per_die);
}
uint32_t CpuTopology::DieBits() const {
  return IdBits(dies_per_package);
}

uint32_t CpuTopology::ApicId(uint32_t cpu_index) const {
  const CpuTopology t = Normalized();
  const uint32_t thread = cpu_index % t.threads_per_core;
  uint32_t rest = cpu_index / t.threads_per_core;
  const uint32_t core = rest % t.cores_per_die;
  rest /= t.cores_per_die;
  const uint32_t die = rest % t.dies_per_package;
  const uint32_t package = rest / t.dies_per_package;
  return thread | ShiftLeft(core, CoreShift()) | ShiftLeft(die, DieShift()) |
         ShiftLeft(package, PackageShift());
}

}  // namespace petrel::x86
