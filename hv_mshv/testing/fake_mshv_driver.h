// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeMshvDriver: an in-process stand-in for /dev/mshv, for the unit tests
// and the fuzzer (no test machine has an MSHV host).
//
// It records every ioctl (request, the kind of fd it was made on, the
// argument bytes, and for MSHV_ROOT_HVCALL the hypercall code and input, for
// MSHV_SET_MSI_ROUTING the table), and answers as the kernel would for what
// the backend uses:
//   - Open() gives a device fd (kNotFound when `device_missing`);
//     MSHV_CREATE_PARTITION a partition fd, MSHV_CREATE_VP a VP fd (real
//     fds on /dev/null, so UniqueFd can close them);
//   - MSHV_ROOT_HVCALL: checks the argument rules of the kernel (in_sz 8 ..
//     4096, out_sz <= 4096, status and rsvd zero) and of each hypercall
//     (sizes against reps, the VP index of the fd), keeps partition
//     properties and each VP's registers in maps; accepts
//     HVCALL_REGISTER_INTERCEPT_RESULT (60-byte input, its VP index);
//   - MSHV_GET/SET_VP_STATE keep each VP's state buffers by type (4 KiB,
//     page-aligned buffers, as the kernel wants);
//   - MSHV_RUN_VP returns the queued messages in order (or a queued errno);
//     with nothing queued it fails with ENODATA;
//   - MSHV_GET_GPAP_ACCESS_BITMAP reports the pages MarkDirty() marked and
//     clears or sets them as asked;
//   - FailNext(request, errno) makes the next such ioctl fail.
// Thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hv_mshv/mshv_driver.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

class FakeMshvDriver final : public MshvDriver {
 public:
  enum class FdKind { kUnknown, kDevice, kPartition, kVp };

  struct Call {
    unsigned long request = 0;
    FdKind kind = FdKind::kUnknown;
    int fd = -1;
    std::vector<uint8_t> arg;  // the argument struct as passed (_IOC_SIZE bytes)
    uint16_t hvcall_code = 0;  // MSHV_ROOT_HVCALL
    std::vector<uint8_t> hvcall_input;
    std::vector<MshvUserIrqEntry> routes;  // MSHV_SET_MSI_ROUTING

    template <class T>
    T As() const {
      T t{};
      std::memcpy(&t, arg.data(), std::min(sizeof t, arg.size()));
      return t;
    }
  };

  bool device_missing = false;

  Result<UniqueFd> Open(const std::string& path) override;
  IoctlResult Ioctl(int fd, unsigned long request, void* arg) override;

  // --- test controls ---
  void QueueMessage(const HvMessage& message);
  void QueueRunError(int err);
  void FailNext(unsigned long request, int err);
  // The next hypercall with `code` fails with this HV_STATUS (and EIO).
  void FailNextHvcall(uint16_t code, uint16_t status);
  void MarkDirty(uint64_t gpa);
  void SetRegister(uint32_t vp, uint32_t name, HvRegisterValue value);

  // --- inspection ---
  std::vector<Call> calls() const;
  std::vector<Call> CallsOf(unsigned long request) const;
  // Hypercalls of `code`, in order.
  std::vector<Call> Hvcalls(uint16_t code) const;
  std::optional<uint64_t> Property(uint32_t code) const;
  // Every value a property was set to, in order.
  std::vector<uint64_t> PropertyHistory(uint32_t code) const;
  HvRegisterValue Register(uint32_t vp, uint32_t name) const;
  size_t queued_messages() const;

 private:
  struct FdInfo {
    FdKind kind = FdKind::kUnknown;
    uint32_t vp_index = 0;
  };
  struct RunItem {
    HvMessage message{};
    int err = 0;
  };
  int NewFd(FdInfo info);
  IoctlResult Fail(int err) { return IoctlResult{-1, err}; }
  IoctlResult Hvcall(const FdInfo& info, MshvRootHvcall* args, Call* call);
  IoctlResult GpapBitmap(MshvGpapAccessBitmap* args);

  mutable std::mutex mu_;
  std::map<int, FdInfo> fds_;
  std::vector<Call> calls_;
  std::deque<RunItem> run_queue_;
  std::map<unsigned long, int> fail_next_;
  std::map<uint16_t, uint16_t> fail_hvcall_;
  std::map<uint32_t, std::vector<uint64_t>> properties_;
  std::map<std::pair<uint32_t, uint32_t>, HvRegisterValue> registers_;  // (vp, name)
  std::set<uint32_t> vps_;
  std::set<uint64_t> dirty_pages_;  // guest page numbers
  std::map<std::pair<uint32_t, uint8_t>, std::vector<uint8_t>> vp_state_;  // (vp, type)
};

}  // namespace petrel::mshv
