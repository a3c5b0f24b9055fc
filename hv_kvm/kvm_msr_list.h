// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The MSRs a KVM vCPU state carries: KVM_GET_MSR_INDEX_LIST (api.rst, a
// system ioctl on /dev/kvm: the MSRs KVM says need saving) less the ones
// KVM_GET_MSRS refuses on this VM's vCPUs, sorted by index.
//
// KVM_GET_MSRS reads the entries in order and returns how many it read,
// stopping at the first it cannot (api.rst KVM_GET_MSRS); KeepReadableMsrs
// drops that one and goes on after it. SavedMsrList probes once per VM, on
// the first vCPU state save (after the VMM set CPUID, which some MSRs
// depend on), and hands every later save the same list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/base/result.h"

namespace petrel::kvm {

// api.rst KVM_GET_MSRS/KVM_SET_MSRS: KVM refuses nmsrs >= MAX_IO_MSRS (256)
// with E2BIG, so the state code moves MSRs in chunks of this many.
inline constexpr size_t kMsrsPerIoctl = 255;

// Reads `indices` in order (one KVM_GET_MSRS, at most kMsrsPerIoctl) and
// returns how many it read before the first it could not.
using MsrProbe = std::function<Result<size_t>(std::span<const uint32_t> indices)>;

// `candidates` sorted and without duplicates, less the indices `probe`
// stops at. kInternal if `probe` claims more than it was given.
Result<std::vector<uint32_t>> KeepReadableMsrs(std::vector<uint32_t> candidates,
                                               const MsrProbe& probe);

// The per-VM list (see the file comment). Thread-safe.
class SavedMsrList {
 public:
  explicit SavedMsrList(std::vector<uint32_t> candidates) : candidates_(std::move(candidates)) {}
  // The kept list, probing with `probe` on the first call (a failed probe
  // is not remembered).
  Result<std::vector<uint32_t>> Get(const MsrProbe& probe);

 private:
  std::mutex mu_;
  std::vector<uint32_t> candidates_;
  std::optional<std::vector<uint32_t>> kept_;
};

}  // namespace petrel::kvm
