// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SystemMshvDriver and MshvIoctl (see mshv_driver.h).
#include "hv_mshv/mshv_driver.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace petrel::mshv {

Result<UniqueFd> SystemMshvDriver::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Error(ErrorCode::kNotFound, path + " does not exist", err);
    return Error::FromErrno("open " + path, err);
  }
  return UniqueFd(fd);
}

MshvDriver::IoctlResult SystemMshvDriver::Ioctl(int fd, unsigned long request, void* arg) {
  IoctlResult r;
  r.ret = ::ioctl(fd, request, arg);
  if (r.ret < 0) r.err = errno;
  return r;
}

std::shared_ptr<MshvDriver> SystemDriver() {
  static const std::shared_ptr<MshvDriver> driver = std::make_shared<SystemMshvDriver>();
  return driver;
}

Result<int> MshvIoctl(MshvDriver& driver, int fd, unsigned long request, std::string_view name,
                      void* arg, bool retry_eintr) {
  for (;;) {
    const MshvDriver::IoctlResult r = driver.Ioctl(fd, request, arg);
    if (r.ret >= 0) return r.ret;
    if (r.err == EINTR && retry_eintr) continue;
    return Error::FromErrno(name, r.err);
  }
}

}  // namespace petrel::mshv
