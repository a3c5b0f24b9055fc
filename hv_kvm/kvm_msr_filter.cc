// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KvmPmuMsrFilter (see kvm_msr_filter.h).
#include "hv_kvm/kvm_msr_filter.h"

#include <sys/ioctl.h>

#include "hv_kvm/kvm_sys.h"

namespace petrel::kvm {

PmuMsrFilter::PmuMsrFilter() {
  filter.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
  for (size_t i = 0; i < kPmuMsrRanges.size(); ++i) {
    static_assert(kPmuMsrRanges.size() <= KVM_MSR_FILTER_MAX_RANGES);
    kvm_msr_filter_range& r = filter.ranges[i];
    r.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
    r.nmsrs = kPmuMsrRanges[i].count;
    r.base = kPmuMsrRanges[i].base;
    r.bitmap = bitmaps[i].data();  // all bits 0: deny
  }
}

Result<void> DenyPmuMsrs(int vm_fd) {
  PETREL_ASSIGN_OR_RETURN(
      int have, Ioctl(vm_fd, KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION", KVM_CAP_X86_MSR_FILTER));
  if (have <= 0) return Error(ErrorCode::kUnsupported, "KVM has no KVM_CAP_X86_MSR_FILTER");
  PmuMsrFilter f;
  PETREL_TRY(IoctlPtr(vm_fd, kKvmSetMsrFilter, "KVM_X86_SET_MSR_FILTER", &f.filter));
  return Ok();
}

}  // namespace petrel::kvm
