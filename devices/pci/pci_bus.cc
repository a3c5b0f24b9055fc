// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciBus, PciConfigIo and PciConfigMmio (see pci_bus.h).
#include "devices/pci/pci_bus.h"

#include <string>
#include <utility>

#include "core/base/log.h"

namespace petrel {
namespace {

bool ValidWidth(size_t size) {
  return size == 1 || size == 2 || size == 4;
}

uint32_t LoadLe(std::span<const uint8_t> data) {
  uint32_t v = 0;
  for (size_t i = 0; i < data.size() && i < 4; ++i) v |= uint32_t{data[i]} << (8 * i);
  return v;
}

void StoreLe(uint32_t v, std::span<uint8_t> data) {
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = i < 4 ? static_cast<uint8_t>(v >> (8 * i)) : 0xff;
}

void FillOnes(std::span<uint8_t> data) {
  for (auto& b : data) b = 0xff;
}

}  // namespace

Result<uint8_t> PciBus::AddDevice(std::shared_ptr<PciDevice> device, std::optional<uint8_t> slot) {
  if (!device) return Error(ErrorCode::kInvalidArgument, "PCI: null device");
  std::unique_lock lock(mu_);
  if (slot) {
    if (*slot >= kMaxDevices) return Error(ErrorCode::kOutOfRange, "PCI slot out of range");
    if (devices_[*slot]) return Error(ErrorCode::kBusy, "PCI slot already in use");
    devices_[*slot] = std::move(device);
    return *slot;
  }
  for (uint8_t i = 0; i < kMaxDevices; ++i) {
    if (!devices_[i]) {
      devices_[i] = std::move(device);
      return i;
    }
  }
  return Error(ErrorCode::kOutOfRange, "PCI bus full (32 devices)");
}

Result<std::shared_ptr<PciDevice>> PciBus::RemoveDevice(uint8_t slot) {
  if (slot == 0) return Error(ErrorCode::kInvalidArgument, "PCI: slot 0 is the host bridge");
  std::unique_lock lock(mu_);
  if (slot >= kMaxDevices || !devices_[slot]) {
    return Error(ErrorCode::kNotFound, "PCI: no device in slot " + std::to_string(slot));
  }
  return std::exchange(devices_[slot], nullptr);
}

std::shared_ptr<PciDevice> PciBus::GetDevice(uint8_t slot) const {
  if (slot >= kMaxDevices) return nullptr;
  std::shared_lock lock(mu_);
  return devices_[slot];
}

std::shared_ptr<PciDevice> PciBus::Find(uint8_t dev, uint8_t fn) const {
  if (dev >= kMaxDevices || fn != 0) return nullptr;  // function 0 only
  std::shared_lock lock(mu_);
  return devices_[dev];
}

uint32_t PciBus::ReadConfig(uint8_t dev, uint8_t fn, uint16_t reg, size_t size) const {
  const uint32_t ones = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
  if (!ValidWidth(size) || size_t{reg} + size > kConfigSize) return ones;
  auto d = Find(dev, fn);
  if (!d) return ones;
  d->ConfigRead(reg, size);
  return d->config().Read(reg, size);
}

void PciBus::WriteConfig(uint8_t dev, uint8_t fn, uint16_t reg, size_t size, uint32_t value) {
  if (!ValidWidth(size) || size_t{reg} + size > kConfigSize) return;
  auto d = Find(dev, fn);
  if (!d) return;
  d->config().Write(reg, size, value);
  d->ConfigWritten(reg, size);
}

// --- PciConfigIo ---

void PciConfigIo::Read(uint64_t offset, std::span<uint8_t> data) {
  if (offset == 0 && data.size() == 4) {
    std::lock_guard lock(mu_);
    StoreLe(config_address_, data);
    return;
  }
  if (offset < 4 || offset >= kSize || offset - 4 + data.size() > 4 || !ValidWidth(data.size())) {
    PETREL_LOG_ONCE(kDebug, "pci-cf8-bad-read") << "PCI 0xcf8: unclaimed read";
    FillOnes(data);
    return;
  }
  uint32_t addr;
  {
    std::lock_guard lock(mu_);
    addr = config_address_;
  }
  const uint8_t bus = (addr >> 16) & 0xff;
  if ((addr & kEnable) == 0 || bus != 0) {
    FillOnes(data);
    return;
  }
  const uint16_t reg = static_cast<uint16_t>((addr & 0xfc) + (offset - 4));
  StoreLe(bus_->ReadConfig((addr >> 11) & 0x1f, (addr >> 8) & 0x7, reg, data.size()), data);
}

void PciConfigIo::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (offset == 0 && data.size() == 4) {
    std::lock_guard lock(mu_);
    config_address_ = LoadLe(data) & kWritableMask;
    return;
  }
  if (offset < 4 || offset >= kSize || offset - 4 + data.size() > 4 || !ValidWidth(data.size())) {
    PETREL_LOG_ONCE(kDebug, "pci-cf8-bad-write") << "PCI 0xcf8: unclaimed write";
    return;
  }
  uint32_t addr;
  {
    std::lock_guard lock(mu_);
    addr = config_address_;
  }
  const uint8_t bus = (addr >> 16) & 0xff;
  if ((addr & kEnable) == 0 || bus != 0) return;
  const uint16_t reg = static_cast<uint16_t>((addr & 0xfc) + (offset - 4));
  bus_->WriteConfig((addr >> 11) & 0x1f, (addr >> 8) & 0x7, reg, data.size(), LoadLe(data));
}

PciConfigIo::State PciConfigIo::Save() const {
  std::lock_guard lock(mu_);
  return State{config_address_};
}

Result<void> PciConfigIo::Restore(const State& state) {
  if ((state.config_address & ~kWritableMask) != 0) {
    return Error(ErrorCode::kInvalidArgument, "PCI CONFIG_ADDRESS state: reserved bits set");
  }
  std::lock_guard lock(mu_);
  config_address_ = state.config_address;
  return Ok();
}

// --- PciConfigMmio ---

namespace {

struct EcamTarget {
  bool ok;
  uint8_t dev, fn;
  uint16_t reg;
};

EcamTarget DecodeEcam(uint64_t offset, size_t size, uint64_t window) {
  // PCIe §7.2.2: address bits 27:20 bus, 19:15 device, 14:12 function, 11:0 register.
  if (!ValidWidth(size) || offset >= window || size > window - offset ||
      (offset & (size - 1)) != 0 || (offset >> 20) != 0) {
    return {false, 0, 0, 0};
  }
  return {true, static_cast<uint8_t>((offset >> 15) & 0x1f),
          static_cast<uint8_t>((offset >> 12) & 7), static_cast<uint16_t>(offset & 0xfff)};
}

}  // namespace

void PciConfigMmio::Read(uint64_t offset, std::span<uint8_t> data) {
  const EcamTarget t = DecodeEcam(offset, data.size(), size_);
  if (!t.ok) {
    FillOnes(data);
    return;
  }
  StoreLe(bus_->ReadConfig(t.dev, t.fn, t.reg, data.size()), data);
}

void PciConfigMmio::Write(uint64_t offset, std::span<const uint8_t> data) {
  const EcamTarget t = DecodeEcam(offset, data.size(), size_);
  if (!t.ok) return;
  bus_->WriteConfig(t.dev, t.fn, t.reg, data.size(), LoadLe(data));
}

}  // namespace petrel
