// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KeepReadableMsrs and SavedMsrList (see kvm_msr_list.h).
#include "hv_kvm/kvm_msr_list.h"

#include <algorithm>
#include <string>

namespace petrel::kvm {

Result<std::vector<uint32_t>> KeepReadableMsrs(std::vector<uint32_t> candidates,
                                               const MsrProbe& probe) {
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<uint32_t> kept;
  kept.reserve(candidates.size());
  size_t i = 0;
  while (i < candidates.size()) {
    const size_t len = std::min(kMsrsPerIoctl, candidates.size() - i);
    std::span<const uint32_t> chunk(candidates.data() + i, len);
    PETREL_ASSIGN_OR_RETURN(size_t read, probe(chunk));
    if (read > len) {
      return Error(ErrorCode::kInternal,
                   "MSR probe read " + std::to_string(read) + " of " + std::to_string(len));
    }
    kept.insert(kept.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(read));
    i += read == len ? len : read + 1;  // skip the one it stopped at
  }
  return kept;
}

Result<std::vector<uint32_t>> SavedMsrList::Get(const MsrProbe& probe) {
  std::lock_guard lock(mu_);
  if (!kept_) {
    PETREL_ASSIGN_OR_RETURN(auto kept, KeepReadableMsrs(candidates_, probe));
    kept_ = std::move(kept);
  }
  return *kept_;
}

}  // namespace petrel::kvm
