// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MshvDriver: the seam between the MSHV backend and the kernel. Everything
// the backend asks of /dev/mshv goes through it: opening the device and
// ioctl(2) on the device, partition and VP fds with a pointer argument.
// SystemMshvDriver is the real one (plain open(2)/ioctl(2));
// hv_mshv/testing/fake_mshv_driver.h is the in-process fake the unit tests
// and the fuzzer use, since no test machine has /dev/mshv.
//
// MshvIoctl() adds what every caller wants: EINTR retried (except where the
// caller asks not to: MSHV_RUN_VP's EINTR means "kicked") and failures as
// Error values naming the ioctl.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/base/unique_fd.h"

namespace petrel::mshv {

class MshvDriver {
 public:
  virtual ~MshvDriver() = default;
  // Opens the MSHV device. kNotFound if it does not exist.
  virtual Result<UniqueFd> Open(const std::string& path) = 0;
  // ioctl(fd, request, arg). Returns the ioctl's non-negative result, or
  // the errno it failed with.
  struct IoctlResult {
    int ret = 0;
    int err = 0;  // errno when ret < 0
  };
  virtual IoctlResult Ioctl(int fd, unsigned long request, void* arg) = 0;
};

class SystemMshvDriver final : public MshvDriver {
 public:
  Result<UniqueFd> Open(const std::string& path) override;
  IoctlResult Ioctl(int fd, unsigned long request, void* arg) override;
};

// One shared instance of the real driver.
std::shared_ptr<MshvDriver> SystemDriver();

// driver.Ioctl(), retried on EINTR when `retry_eintr`. A failure is a kSystem
// error "<name>: <strerror>" carrying the errno.
Result<int> MshvIoctl(MshvDriver& driver, int fd, unsigned long request, std::string_view name,
                      void* arg, bool retry_eintr = true);

}  // namespace petrel::mshv
