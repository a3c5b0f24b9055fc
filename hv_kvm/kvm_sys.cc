// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Ioctl (see kvm_sys.h).
#include "hv_kvm/kvm_sys.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace petrel::kvm {

Result<int> Ioctl(int fd, unsigned long request, std::string_view name, uintptr_t arg) {
  for (;;) {
    int r = ::ioctl(fd, request, arg);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    return Error::FromErrno(name, errno);
  }
}

}  // namespace petrel::kvm
