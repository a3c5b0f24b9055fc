// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// IoDispatcher (see io_dispatcher.h).
#include "core/io/io_dispatcher.h"

#include <cstring>
#include <sstream>

#include "core/base/log.h"

namespace petrel {

class IoDispatcher::SoftRegistration final : public hv::IoEventRegistration {
 public:
  SoftRegistration(IoDispatcher* d, uint64_t id) : d_(d), id_(id) {}
  ~SoftRegistration() override { d_->RemoveSoftIoEvent(id_); }

 private:
  IoDispatcher* d_;
  uint64_t id_;
};

Result<std::unique_ptr<hv::IoEventRegistration>> IoDispatcher::RegisterIoEvent(
    hv::Vm* vm, std::shared_ptr<Notifier> notifier, hv::IoEventAddr addr,
    std::optional<uint64_t> datamatch) {
  if (!notifier) return Error(ErrorCode::kInvalidArgument, "ioevent without a notifier");
  if (addr.len != 0 && addr.len != 1 && addr.len != 2 && addr.len != 4 && addr.len != 8)
    return Error(ErrorCode::kInvalidArgument, "ioevent length must be 0, 1, 2, 4 or 8");
  // The backend's caps decide, not a probe for kUnsupported.
  if (vm != nullptr && vm->caps().kernel_ioevents && notifier->fd() >= 0) {
    return vm->RegisterIoEvent(notifier, addr, datamatch);
  }
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  soft_ioevents_.push_back({id, addr, datamatch, std::move(notifier)});
  return std::unique_ptr<hv::IoEventRegistration>(new SoftRegistration(this, id));
}

void IoDispatcher::RemoveSoftIoEvent(uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(soft_ioevents_, [id](const SoftIoEvent& e) { return e.id == id; });
}

bool IoDispatcher::TrySoftIoEvent(hv::IoEventAddr::Space space, uint64_t addr,
                                  std::span<const uint8_t> data) {
  std::shared_ptr<Notifier> hit;
  {
    std::lock_guard lock(mu_);
    if (soft_ioevents_.empty()) return false;
    uint64_t value = 0;
    std::memcpy(&value, data.data(), std::min(data.size(), sizeof value));
    for (const auto& e : soft_ioevents_) {
      if (e.addr.space != space || e.addr.addr != addr) continue;
      if (e.addr.len != 0 && e.addr.len != data.size()) continue;
      if (e.datamatch && *e.datamatch != value) continue;
      hit = e.notifier;
      ++soft_signalled_;
      break;
    }
  }
  if (!hit) return false;
  hit->Signal();  // outside the lock: a hook may run device code
  return true;
}

void IoDispatcher::Unclaimed(const char* what, uint64_t addr, size_t len) {
  {
    std::lock_guard lock(mu_);
    ++unclaimed_;
  }
  std::ostringstream key;
  key << "unclaimed " << what << " 0x" << std::hex << addr;
  PETREL_LOG_ONCE(kDebug, key.str()) << key.str() << " (" << std::dec << len << " bytes)";
}

uint64_t IoDispatcher::unclaimed_accesses() const {
  std::lock_guard lock(mu_);
  return unclaimed_;
}

uint64_t IoDispatcher::software_ioevents_signalled() const {
  std::lock_guard lock(mu_);
  return soft_signalled_;
}

// A device that throws while serving an access (a bug, or a host allocation
// failure) must not end the vCPU thread, and with it the process: the access
// completes as unclaimed (reads all-ones), and the fault is counted and
// logged once per address. This is the vCPU threads' exception boundary.
template <class Access>
bool IoDispatcher::Guarded(const char* what, uint64_t addr, Access&& access) {
  const char* why = "a non-standard exception";
  std::string message;
  try {
    return access();
  } catch (const std::exception& e) {
    message = e.what();
    why = message.c_str();
  } catch (...) {
  }
  {
    std::lock_guard lock(mu_);
    ++device_faults_;
  }
  std::ostringstream key;
  key << "device fault " << what << " 0x" << std::hex << addr;
  PETREL_LOG_ONCE(kError, key.str()) << key.str() << ": the device threw " << why;
  return false;
}

void IoDispatcher::MmioRead(uint32_t, uint64_t gpa, std::span<uint8_t> data) {
  if (Guarded("mmio read", gpa, [&] { return mmio_.Read(gpa, data); })) return;
  std::memset(data.data(), 0xff, data.size());
  Unclaimed("mmio read", gpa, data.size());
}

void IoDispatcher::MmioWrite(uint32_t, uint64_t gpa, std::span<const uint8_t> data) {
  if (TrySoftIoEvent(hv::IoEventAddr::Space::kMmio, gpa, data)) return;
  if (Guarded("mmio write", gpa, [&] { return mmio_.Write(gpa, data); })) return;
  Unclaimed("mmio write", gpa, data.size());
}

void IoDispatcher::PioRead(uint32_t, uint16_t port, std::span<uint8_t> data) {
  if (Guarded("pio read", port, [&] { return pio_.Read(port, data); })) return;
  std::memset(data.data(), 0xff, data.size());
  Unclaimed("pio read", port, data.size());
}

void IoDispatcher::PioWrite(uint32_t, uint16_t port, std::span<const uint8_t> data) {
  if (TrySoftIoEvent(hv::IoEventAddr::Space::kPio, port, data)) return;
  if (Guarded("pio write", port, [&] { return pio_.Write(port, data); })) return;
  Unclaimed("pio write", port, data.size());
}

uint64_t IoDispatcher::device_faults() const {
  std::lock_guard lock(mu_);
  return device_faults_;
}

void IoDispatcher::EndOfInterrupt(uint32_t /*vcpu*/, uint8_t vector) {
  if (eoi_listener_) eoi_listener_(vector);
}

void IoDispatcher::SetEoiListener(std::function<void(uint8_t)> listener) {
  eoi_listener_ = std::move(listener);
}

}  // namespace petrel
