// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// KVM GSI routing and MSI irqfds; see kvm_irq_routing.h.
#include "hv_kvm/kvm_irq_routing.h"

#include <cstring>
#include <string>

#include "core/base/log.h"
#include "core/event/notifier.h"

namespace petrel::kvm {

namespace {

constexpr uint32_t kPicPins = 16;     // two cascaded 8259As
constexpr uint32_t kIoapicPins = 24;  // KVM_IOAPIC_NUM_PINS

kvm_irq_routing_entry IrqchipEntry(uint32_t gsi, uint32_t chip, uint32_t pin) {
  kvm_irq_routing_entry e{};
  e.gsi = gsi;
  e.type = KVM_IRQ_ROUTING_IRQCHIP;
  e.u.irqchip.irqchip = chip;
  e.u.irqchip.pin = pin;
  return e;
}

}  // namespace

std::vector<kvm_irq_routing_entry> BuildGsiRoutes(const std::map<uint32_t, hv::MsiMessage>& msis,
                                                  bool kernel_irqchip) {
  std::vector<kvm_irq_routing_entry> routes;
  routes.reserve(kIoapicPins + kPicPins + msis.size());
  for (uint32_t gsi = 0; kernel_irqchip && gsi < kIoapicPins; ++gsi) {
    if (gsi < kPicPins) {
      routes.push_back(
          IrqchipEntry(gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % 8));
    }
    routes.push_back(IrqchipEntry(gsi, KVM_IRQCHIP_IOAPIC, gsi));
  }
  for (const auto& [gsi, message] : msis) {
    kvm_irq_routing_entry e{};
    e.gsi = gsi;
    e.type = KVM_IRQ_ROUTING_MSI;
    e.u.msi.address_lo = static_cast<uint32_t>(message.address);
    e.u.msi.address_hi = static_cast<uint32_t>(message.address >> 32);
    e.u.msi.data = message.data;
    routes.push_back(e);
  }
  return routes;
}

class KvmIrqRouting::Msi final : public hv::MsiInterrupt {
 public:
  Msi(std::shared_ptr<KvmIrqRouting> routing, uint32_t gsi,
      std::shared_ptr<EventFdNotifier> notifier)
      : routing_(std::move(routing)), gsi_(gsi), notifier_(std::move(notifier)) {}
  ~Msi() override {
    // api.rst KVM_IRQFD: KVM_IRQFD_FLAG_DEASSIGN with the same fd and GSI
    // unbinds it, so the GSI can be reused at once.
    kvm_irqfd irqfd{};
    irqfd.fd = static_cast<uint32_t>(notifier_->fd());
    irqfd.gsi = gsi_;
    irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
    (void)IoctlPtr(routing_->vm_fd_->get(), KVM_IRQFD, "KVM_IRQFD deassign", &irqfd);
    routing_->Release(gsi_);
  }

  Result<void> SetMessage(const hv::MsiMessage& message) override {
    return routing_->SetMessage(gsi_, message);
  }
  void Signal() override { notifier_->Signal(); }

 private:
  std::shared_ptr<KvmIrqRouting> routing_;
  uint32_t gsi_;
  std::shared_ptr<EventFdNotifier> notifier_;
};

Result<std::shared_ptr<hv::MsiInterrupt>> KvmIrqRouting::CreateMsi() {
  std::unique_lock lock(mu_);
  uint32_t gsi = kFirstMsiGsi;
  for (auto it = msis_.lower_bound(kFirstMsiGsi); it != msis_.end() && it->first == gsi; ++it) {
    ++gsi;
  }
  if (gsi >= max_routes_) {
    return Error(ErrorCode::kOutOfRange,
                 "no free GSI for an MSI vector (" + std::to_string(max_routes_) + " routes)");
  }
  return CreateMsiAt(std::move(lock), gsi);
}

Result<std::shared_ptr<hv::MsiInterrupt>> KvmIrqRouting::CreateMsiAtPin(uint32_t pin) {
  if (kernel_irqchip_) {
    return Error(ErrorCode::kFailedPrecondition,
                 "IOAPIC pin routes need the split irqchip (the in-kernel IOAPIC owns GSIs 0-23)");
  }
  if (pin >= kIoapicPins) {
    return Error(ErrorCode::kOutOfRange, "IOAPIC pin " + std::to_string(pin));
  }
  std::unique_lock lock(mu_);
  if (msis_.count(pin) != 0) {
    return Error(ErrorCode::kAlreadyExists, "IOAPIC pin " + std::to_string(pin) + " has its route");
  }
  return CreateMsiAt(std::move(lock), pin);
}

Result<std::shared_ptr<hv::MsiInterrupt>> KvmIrqRouting::CreateMsiAt(
    std::unique_lock<std::mutex> lock, uint32_t gsi) {
  PETREL_ASSIGN_OR_RETURN(auto notifier, EventFdNotifier::Create());
  msis_[gsi] = hv::MsiMessage{};
  auto installed = InstallLocked();
  if (!installed.ok()) {
    msis_.erase(gsi);
    return installed.error();
  }
  lock.unlock();
  // api.rst KVM_IRQFD: the GSI must have a route before the irqfd fires.
  kvm_irqfd irqfd{};
  irqfd.fd = static_cast<uint32_t>(notifier->fd());
  irqfd.gsi = gsi;
  auto assigned = IoctlPtr(vm_fd_->get(), KVM_IRQFD, "KVM_IRQFD", &irqfd);
  if (!assigned.ok()) {
    std::lock_guard relock(mu_);
    msis_.erase(gsi);
    (void)InstallLocked();
    return assigned.error();
  }
  return std::shared_ptr<hv::MsiInterrupt>(
      std::make_shared<Msi>(shared_from_this(), gsi, std::move(notifier)));
}

Result<void> KvmIrqRouting::SetMessage(uint32_t gsi, const hv::MsiMessage& message) {
  std::lock_guard lock(mu_);
  auto it = msis_.find(gsi);
  if (it == msis_.end()) return Error(ErrorCode::kInternal, "MSI GSI " + std::to_string(gsi));
  if (it->second == message) return Ok();
  const hv::MsiMessage old = it->second;
  it->second = message;
  auto installed = InstallLocked();
  if (!installed.ok()) it->second = old;
  return installed;
}

void KvmIrqRouting::Release(uint32_t gsi) {
  std::lock_guard lock(mu_);
  msis_.erase(gsi);
  auto installed = InstallLocked();
  if (!installed.ok()) {
    PETREL_LOG_ONCE(kWarn, "kvm gsi release") << installed.error().message();
  }
}

Result<void> KvmIrqRouting::InstallLocked() {
  const std::vector<kvm_irq_routing_entry> routes = BuildGsiRoutes(msis_, kernel_irqchip_);
  // The 8-byte header, then the entries (C's flexible array), 8-byte aligned.
  std::vector<uint64_t> buffer(
      (sizeof(KvmIrqRoutingHeader) + routes.size() * sizeof(kvm_irq_routing_entry) + 7) / 8);
  KvmIrqRoutingHeader header{static_cast<uint32_t>(routes.size()), 0};
  auto* bytes = reinterpret_cast<uint8_t*>(buffer.data());
  std::memcpy(bytes, &header, sizeof header);
  std::memcpy(bytes + sizeof header, routes.data(), routes.size() * sizeof(kvm_irq_routing_entry));
  PETREL_TRY(Ioctl(vm_fd_->get(), kKvmSetGsiRouting, "KVM_SET_GSI_ROUTING",
                   reinterpret_cast<uintptr_t>(bytes)));
  return Ok();
}

}  // namespace petrel::kvm
