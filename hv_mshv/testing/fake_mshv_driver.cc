// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FakeMshvDriver (see fake_mshv_driver.h).
#include "hv_mshv/testing/fake_mshv_driver.h"

#include <fcntl.h>
#include <linux/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace petrel::mshv {

Result<UniqueFd> FakeMshvDriver::Open(const std::string& path) {
  if (device_missing) return Error(ErrorCode::kNotFound, path + " does not exist", ENOENT);
  std::lock_guard lock(mu_);
  return UniqueFd(NewFd(FdInfo{FdKind::kDevice, 0}));
}

int FakeMshvDriver::NewFd(FdInfo info) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) fds_[fd] = info;  // a reused number gets its new kind
  return fd;
}

void FakeMshvDriver::QueueMessage(const HvMessage& message) {
  std::lock_guard lock(mu_);
  run_queue_.push_back(RunItem{message, 0});
}

void FakeMshvDriver::QueueRunError(int err) {
  std::lock_guard lock(mu_);
  run_queue_.push_back(RunItem{HvMessage{}, err});
}

void FakeMshvDriver::FailNext(unsigned long request, int err) {
  std::lock_guard lock(mu_);
  fail_next_[request] = err;
}

void FakeMshvDriver::FailNextHvcall(uint16_t code, uint16_t status) {
  std::lock_guard lock(mu_);
  fail_hvcall_[code] = status;
}

void FakeMshvDriver::MarkDirty(uint64_t gpa) {
  std::lock_guard lock(mu_);
  dirty_pages_.insert(gpa / kHvPageSize);
}

void FakeMshvDriver::SetRegister(uint32_t vp, uint32_t name, HvRegisterValue value) {
  std::lock_guard lock(mu_);
  registers_[{vp, name}] = value;
}

std::vector<FakeMshvDriver::Call> FakeMshvDriver::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<FakeMshvDriver::Call> FakeMshvDriver::CallsOf(unsigned long request) const {
  std::lock_guard lock(mu_);
  std::vector<Call> out;
  for (const auto& c : calls_) {
    if (c.request == request) out.push_back(c);
  }
  return out;
}

std::vector<FakeMshvDriver::Call> FakeMshvDriver::Hvcalls(uint16_t code) const {
  std::lock_guard lock(mu_);
  std::vector<Call> out;
  for (const auto& c : calls_) {
    if (c.request == kMshvRootHvcall && c.hvcall_code == code) out.push_back(c);
  }
  return out;
}

std::optional<uint64_t> FakeMshvDriver::Property(uint32_t code) const {
  std::lock_guard lock(mu_);
  auto it = properties_.find(code);
  if (it == properties_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<uint64_t> FakeMshvDriver::PropertyHistory(uint32_t code) const {
  std::lock_guard lock(mu_);
  auto it = properties_.find(code);
  return it == properties_.end() ? std::vector<uint64_t>{} : it->second;
}

HvRegisterValue FakeMshvDriver::Register(uint32_t vp, uint32_t name) const {
  std::lock_guard lock(mu_);
  auto it = registers_.find({vp, name});
  return it == registers_.end() ? HvRegisterValue{} : it->second;
}

size_t FakeMshvDriver::queued_messages() const {
  std::lock_guard lock(mu_);
  return run_queue_.size();
}

MshvDriver::IoctlResult FakeMshvDriver::Ioctl(int fd, unsigned long request, void* arg) {
  std::lock_guard lock(mu_);
  Call call;
  call.request = request;
  call.fd = fd;
  auto fit = fds_.find(fd);
  const FdInfo info = fit == fds_.end() ? FdInfo{} : fit->second;
  call.kind = info.kind;
  const size_t size = _IOC_SIZE(request);
  if (size != 0 && arg != nullptr) {
    call.arg.assign(static_cast<const uint8_t*>(arg), static_cast<const uint8_t*>(arg) + size);
  }
  if (request == kMshvRootHvcall && arg != nullptr) {
    MshvRootHvcall h;
    std::memcpy(&h, arg, sizeof h);
    call.hvcall_code = h.code;
    if (h.in_ptr != 0 && h.in_sz <= kHvPageSize) {
      const auto* in = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(h.in_ptr));
      call.hvcall_input.assign(in, in + h.in_sz);
    }
  }
  if (request == kMshvSetMsiRouting && arg != nullptr) {
    MshvUserIrqTable t;
    std::memcpy(&t, arg, sizeof t);
    if (t.nr != 0 && t.nr <= kMaxGuestIrqs) {  // no memcpy into an empty vector's null data()
      call.routes.resize(t.nr);
      std::memcpy(call.routes.data(), static_cast<const uint8_t*>(arg) + sizeof t,
                  t.nr * sizeof(MshvUserIrqEntry));
    }
  }
  calls_.push_back(call);

  if (auto f = fail_next_.find(request); f != fail_next_.end()) {
    const int err = f->second;
    fail_next_.erase(f);
    return Fail(err);
  }
  if (info.kind == FdKind::kUnknown) return Fail(EBADF);

  switch (request) {
    case kMshvCreatePartition: {
      if (info.kind != FdKind::kDevice) return Fail(ENOTTY);
      const auto a = call.As<MshvCreatePartition>();
      if (a.pt_flags & ~(kPtFlagLapic | kPtFlagX2apic | kPtFlagGpaSuperPages)) return Fail(EINVAL);
      return IoctlResult{NewFd(FdInfo{FdKind::kPartition, 0}), 0};
    }
    case kMshvInitializePartition:
    case kMshvSetGuestMemory:
    case kMshvIrqfd:
    case kMshvIoeventfd:
    case kMshvSetMsiRouting:
      return info.kind == FdKind::kPartition ? IoctlResult{0, 0} : Fail(ENOTTY);
    case kMshvCreateVp: {
      if (info.kind != FdKind::kPartition) return Fail(ENOTTY);
      const auto a = call.As<MshvCreateVp>();
      if (!vps_.insert(a.vp_index).second) return Fail(EEXIST);
      return IoctlResult{NewFd(FdInfo{FdKind::kVp, a.vp_index}), 0};
    }
    case kMshvGetGpapAccessBitmap:
      if (info.kind != FdKind::kPartition) return Fail(ENOTTY);
      return GpapBitmap(static_cast<MshvGpapAccessBitmap*>(arg));
    case kMshvRootHvcall:
      if (info.kind != FdKind::kPartition && info.kind != FdKind::kVp) return Fail(ENOTTY);
      return Hvcall(info, static_cast<MshvRootHvcall*>(arg), &call);
    case kMshvGetVpState:
    case kMshvSetVpState: {
      if (info.kind != FdKind::kVp) return Fail(ENOTTY);
      auto* st = static_cast<MshvGetSetVpState*>(arg);
      if (st->type > kVpStateXsave || st->buf_ptr == 0 || st->buf_sz == 0 ||
          st->buf_sz % kHvPageSize || st->buf_ptr % kHvPageSize) {
        return Fail(EINVAL);
      }
      auto* buf = reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(st->buf_ptr));
      auto& stored = vp_state_[{info.vp_index, st->type}];
      if (request == kMshvSetVpState) {
        stored.assign(buf, buf + st->buf_sz);
      } else {
        std::memset(buf, 0, st->buf_sz);
        if (!stored.empty()) std::memcpy(buf, stored.data(), std::min<size_t>(stored.size(), st->buf_sz));
      }
      return IoctlResult{0, 0};
    }
    case kMshvRunVp: {
      if (info.kind != FdKind::kVp) return Fail(ENOTTY);
      if (run_queue_.empty()) return Fail(ENODATA);
      const RunItem item = run_queue_.front();
      run_queue_.pop_front();
      if (item.err != 0) return Fail(item.err);
      std::memcpy(arg, &item.message, sizeof item.message);
      return IoctlResult{0, 0};
    }
    default:
      return Fail(ENOTTY);
  }
}

MshvDriver::IoctlResult FakeMshvDriver::Hvcall(const FdInfo& info, MshvRootHvcall* args,
                                               Call* call) {
  // drivers/hv/mshv_root_main.c mshv_ioctl_passthru_hvcall's checks.
  bool rsvd_zero = true;
  for (uint8_t b : args->rsvd) rsvd_zero = rsvd_zero && b == 0;
  if (args->status != 0 || args->in_ptr == 0 || args->in_sz < sizeof(uint64_t) ||
      args->in_sz > kHvPageSize || !rsvd_zero) {
    return Fail(EINVAL);
  }
  if (args->out_ptr != 0 && (args->out_sz == 0 || args->out_sz > kHvPageSize)) return Fail(EINVAL);
  if (auto f = fail_hvcall_.find(args->code); f != fail_hvcall_.end()) {
    args->status = f->second;
    fail_hvcall_.erase(f);
    return Fail(EIO);
  }
  const std::vector<uint8_t>& in = call->hvcall_input;
  switch (args->code) {
    case kHvcallSetPartitionProperty: {
      if (info.kind != FdKind::kPartition || in.size() != sizeof(HvInputSetPartitionProperty)) {
        return Fail(EINVAL);
      }
      HvInputSetPartitionProperty p;
      std::memcpy(&p, in.data(), sizeof p);
      properties_[p.property_code].push_back(p.property_value);
      return IoctlResult{0, 0};
    }
    case kHvcallGetVpRegisters:
    case kHvcallSetVpRegisters: {
      const bool get = args->code == kHvcallGetVpRegisters;
      const size_t each = get ? sizeof(uint32_t) : sizeof(HvRegisterAssoc);
      if (info.kind != FdKind::kVp || args->reps == 0 ||
          in.size() != sizeof(HvInputVpRegistersHeader) + args->reps * each) {
        return Fail(EINVAL);
      }
      HvInputVpRegistersHeader h;
      std::memcpy(&h, in.data(), sizeof h);
      if (h.vp_index != info.vp_index) return Fail(EINVAL);
      const uint8_t* body = in.data() + sizeof h;
      if (get) {
        if (args->out_ptr == 0 || args->out_sz < args->reps * sizeof(HvRegisterValue)) {
          return Fail(EINVAL);
        }
        auto* out = reinterpret_cast<HvRegisterValue*>(static_cast<uintptr_t>(args->out_ptr));
        for (size_t i = 0; i < args->reps; ++i) {
          uint32_t name;
          std::memcpy(&name, body + i * each, sizeof name);
          auto it = registers_.find({h.vp_index, name});
          out[i] = it == registers_.end() ? HvRegisterValue{} : it->second;
        }
      } else {
        for (size_t i = 0; i < args->reps; ++i) {
          HvRegisterAssoc a;
          std::memcpy(&a, body + i * each, sizeof a);
          registers_[{h.vp_index, a.name}] = a.value;
        }
      }
      return IoctlResult{0, 0};  // reps completed = reps (left as passed)
    }
    case kHvcallRegisterInterceptResult: {
      if (info.kind != FdKind::kVp || args->reps != 0 ||
          in.size() != sizeof(HvInputRegisterInterceptResult)) {
        return Fail(EINVAL);
      }
      HvInputRegisterInterceptResult r;
      std::memcpy(&r, in.data(), sizeof r);
      if (r.vp_index != info.vp_index || r.intercept_type > kHvInterceptTypeX64Cpuid) {
        args->status = 0x5;  // HV_STATUS_INVALID_PARAMETER
        return Fail(EIO);
      }
      return IoctlResult{0, 0};
    }
    default:
      args->status = 0x2;  // HV_STATUS_INVALID_HYPERCALL_CODE
      return Fail(EINVAL);
  }
}

MshvDriver::IoctlResult FakeMshvDriver::GpapBitmap(MshvGpapAccessBitmap* args) {
  if (args->access_type != kGpapAccessTypeDirty || args->access_op > kGpapAccessOpSet ||
      args->bitmap_ptr == 0) {
    return Fail(EINVAL);
  }
  auto* bitmap = reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(args->bitmap_ptr));
  std::memset(bitmap, 0, (args->page_count + 7) / 8);
  for (uint64_t i = 0; i < args->page_count; ++i) {
    const uint64_t page = args->gpap_base + i;
    if (dirty_pages_.count(page)) bitmap[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
    if (args->access_op == kGpapAccessOpClear) dirty_pages_.erase(page);
    if (args->access_op == kGpapAccessOpSet) dirty_pages_.insert(page);
  }
  return IoctlResult{0, 0};
}

}  // namespace petrel::mshv
