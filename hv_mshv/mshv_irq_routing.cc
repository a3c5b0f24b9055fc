// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MSHV MSI routing and irqfds (see mshv_irq_routing.h).
#include "hv_mshv/mshv_irq_routing.h"

#include <cstring>
#include <string>

#include "core/base/log.h"
#include "core/event/notifier.h"

namespace petrel::mshv {

std::vector<MshvUserIrqEntry> BuildMsiRoutes(const std::map<uint32_t, hv::MsiMessage>& msis) {
  std::vector<MshvUserIrqEntry> routes;
  routes.reserve(msis.size());
  for (const auto& [gsi, message] : msis) {
    MshvUserIrqEntry e{};
    e.gsi = gsi;
    e.address_lo = static_cast<uint32_t>(message.address);
    e.address_hi = static_cast<uint32_t>(message.address >> 32);
    e.data = message.data;
    routes.push_back(e);
  }
  return routes;
}

class MshvIrqRouting::Msi final : public hv::MsiInterrupt {
 public:
  Msi(std::shared_ptr<MshvIrqRouting> routing, uint32_t gsi,
      std::shared_ptr<EventFdNotifier> notifier)
      : routing_(std::move(routing)), gsi_(gsi), notifier_(std::move(notifier)) {}
  ~Msi() override {
    // MSHV_IRQFD with DEASSIGN and the same fd and GSI unbinds it.
    MshvUserIrqfd args{};
    args.fd = notifier_->fd();
    args.resamplefd = -1;
    args.gsi = gsi_;
    args.flags = kIrqfdDeassign;
    (void)MshvIoctl(*routing_->driver_, routing_->fd_->get(), kMshvIrqfd,
                    "MSHV_IRQFD(deassign)", &args);
    routing_->Release(gsi_);
  }
  Result<void> SetMessage(const hv::MsiMessage& message) override {
    return routing_->SetMessage(gsi_, message);
  }
  void Signal() override { notifier_->Signal(); }

 private:
  std::shared_ptr<MshvIrqRouting> routing_;
  uint32_t gsi_;
  std::shared_ptr<EventFdNotifier> notifier_;
};

Result<std::shared_ptr<hv::MsiInterrupt>> MshvIrqRouting::CreateMsi() {
  std::unique_lock lock(mu_);
  uint32_t gsi = 0;
  for (auto it = msis_.begin(); it != msis_.end() && it->first == gsi; ++it) ++gsi;
  if (gsi >= max_routes_) {
    return Error(ErrorCode::kOutOfRange,
                 "no free GSI for an MSI vector (" + std::to_string(max_routes_) + " routes)");
  }
  PETREL_ASSIGN_OR_RETURN(auto notifier, EventFdNotifier::Create());
  msis_[gsi] = hv::MsiMessage{};
  auto installed = InstallLocked();
  if (!installed.ok()) {
    msis_.erase(gsi);
    return installed.error();
  }
  lock.unlock();
  MshvUserIrqfd args{};
  args.fd = notifier->fd();
  args.resamplefd = -1;
  args.gsi = gsi;
  auto assigned = MshvIoctl(*driver_, fd_->get(), kMshvIrqfd, "MSHV_IRQFD", &args);
  if (!assigned.ok()) {
    std::lock_guard relock(mu_);
    msis_.erase(gsi);
    (void)InstallLocked();
    return assigned.error();
  }
  return std::shared_ptr<hv::MsiInterrupt>(
      std::make_shared<Msi>(shared_from_this(), gsi, std::move(notifier)));
}

Result<void> MshvIrqRouting::SetMessage(uint32_t gsi, const hv::MsiMessage& message) {
  if (message.address >> 32) {
    return Error(ErrorCode::kInvalidArgument,
                 "MSHV takes no MSI address above 4 GiB (address_hi must be 0)");
  }
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

void MshvIrqRouting::Release(uint32_t gsi) {
  std::lock_guard lock(mu_);
  msis_.erase(gsi);
  auto installed = InstallLocked();
  if (!installed.ok()) {
    PETREL_LOG_ONCE(kWarn, "mshv gsi release") << installed.error().message();
  }
}

Result<void> MshvIrqRouting::InstallLocked() {
  const std::vector<MshvUserIrqEntry> routes = BuildMsiRoutes(msis_);
  // The 8-byte header, then the entries (C's flexible array), 8-byte aligned.
  std::vector<uint64_t> buffer(
      (sizeof(MshvUserIrqTable) + routes.size() * sizeof(MshvUserIrqEntry) + 7) / 8);
  const MshvUserIrqTable header{static_cast<uint32_t>(routes.size()), 0};
  auto* bytes = reinterpret_cast<uint8_t*>(buffer.data());
  std::memcpy(bytes, &header, sizeof header);
  if (!routes.empty()) {
    std::memcpy(bytes + sizeof header, routes.data(), routes.size() * sizeof(MshvUserIrqEntry));
  }
  PETREL_TRY(MshvIoctl(*driver_, fd_->get(), kMshvSetMsiRouting, "MSHV_SET_MSI_ROUTING", bytes));
  return Ok();
}

}  // namespace petrel::mshv
