// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Small system helpers for the KVM backend: ioctl wrappers that retry EINTR
// (for every ioctl except KVM_RUN, whose EINTR means "kicked") and turn
// failures into Error values; UniqueFd comes from core/base.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/base/result.h"
#include "core/base/unique_fd.h"

namespace petrel::kvm {

using petrel::UniqueFd;  // core/base/unique_fd.h

// ioctl(fd, request, arg), retried on EINTR. Returns the ioctl's non-negative
// result or a kSystem error "<name>: <strerror>".
Result<int> Ioctl(int fd, unsigned long request, std::string_view name, uintptr_t arg = 0);

template <class T>
Result<int> IoctlPtr(int fd, unsigned long request, std::string_view name, T* arg) {
  return Ioctl(fd, request, name, reinterpret_cast<uintptr_t>(arg));
}

}  // namespace petrel::kvm
