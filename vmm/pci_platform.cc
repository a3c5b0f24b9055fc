// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// PciPlatform (see pci_platform.h).
#include "vmm/pci_platform.h"

#include <algorithm>
#include <string>

#include "core/arch/x86_layout.h"
#include "core/base/log.h"

namespace petrel::vmm {

namespace {

uint64_t AlignUp(uint64_t v, uint64_t align) { return (v + align - 1) & ~(align - 1); }

}  // namespace

acpi::PciHostConfig PciHostWindows(uint64_t ram_end) {
  acpi::PciHostConfig w;
  w.ecam_base = x86::kPciMmconfigStart;
  w.end_bus = 0;
  w.mmio32_start = static_cast<uint32_t>(x86::kMem32BitDeviceStart);
  w.mmio32_end = static_cast<uint32_t>(x86::kMem32BitDeviceStart + x86::kMem32BitDeviceSize - 1);
  w.mmio64_start = AlignUp(std::max(ram_end, x86::kRam64BitStart), x86::kPciMmio64Align);
  w.mmio64_end = w.mmio64_start + x86::kPciMmio64Size - 1;
  return w;
}

// The bus-side view of one BAR: forwards accesses to the device.
class PciPlatform::BarWindow final : public BusDevice {
 public:
  BarWindow(std::shared_ptr<PciDevice> device, int bar, uint64_t size)
      : device_(std::move(device)), bar_(bar), size_(size) {}
  void Read(uint64_t offset, std::span<uint8_t> data) override {
    if (offset + data.size() > size_) {
      std::fill(data.begin(), data.end(), uint8_t{0xff});
      return;
    }
    device_->BarRead(bar_, offset, data);
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    if (offset + data.size() > size_) return;
    device_->BarWrite(bar_, offset, data);
  }

 private:
  std::shared_ptr<PciDevice> device_;
  int bar_;
  uint64_t size_;
};

struct PciPlatform::MappedDevice {
  std::shared_ptr<PciDevice> device;
  uint8_t slot = 0;
  std::array<Bus::Registration, kPciBarCount> mappings;
};

PciPlatform::PciPlatform(IoDispatcher& io, const acpi::PciHostConfig& windows)
    : io_(io),
      windows_(windows),
      bus_(std::make_shared<PciBus>()) {}

PciPlatform::~PciPlatform() {
  std::lock_guard lock(mu_);
  for (auto& d : devices_) d->device->config().SetBarMovedCallback(nullptr);
}

Result<std::unique_ptr<PciPlatform>> PciPlatform::Create(IoDispatcher& io,
                                                         const acpi::PciHostConfig& windows) {
  std::unique_ptr<PciPlatform> p(new PciPlatform(io, windows));
  p->host_bridge_ = std::make_shared<PciHostBridge>();
  PETREL_TRY(p->bus_->AddDevice(p->host_bridge_, 0).Wrap("PCI host bridge"));
  p->config_io_ = std::make_shared<PciConfigIo>(p->bus_);
  PETREL_ASSIGN_OR_RETURN(auto cf8,
                          io.pio().Insert(PciConfigIo::kBase, PciConfigIo::kSize, p->config_io_));
  p->registrations_.push_back(std::move(cf8));
  const uint64_t ecam_size = (uint64_t{windows.end_bus} + 1) * PciConfigMmio::kBusSize;
  PETREL_ASSIGN_OR_RETURN(
      auto ecam, io.mmio().Insert(windows.ecam_base, ecam_size,
                                  std::make_shared<PciConfigMmio>(p->bus_, ecam_size)));
  p->registrations_.push_back(std::move(ecam));
  return p;
}

Result<uint8_t> PciPlatform::AddDevice(std::shared_ptr<PciDevice> device,
                                       std::optional<uint8_t> slot) {
  PciConfigSpace& config = device->config();
  // Allocate every BAR first, so a device that does not fit is not added.
  std::array<uint64_t, kPciBarCount> addrs{};
  RangeAllocator mmio32(windows_.mmio32_start, windows_.mmio32_end);
  RangeAllocator mmio64(windows_.mmio64_start, windows_.mmio64_end);
  {
    std::lock_guard lock(mu_);
    ReserveProgrammedBarsLocked(mmio32, mmio64);
  }
  for (int i = 0; i < kPciBarCount; ++i) {
    const auto size = config.BarSize(i);
    const auto kind = config.BarKindAt(i);
    if (!size || !kind || *size == 0) continue;
    if (*kind == PciBarKind::kIo) {
      return Error(ErrorCode::kUnsupported, "PCI I/O BARs are not supported");
    }
    RangeAllocator& window =
        *kind == PciBarKind::kMmio64 && windows_.mmio64_start != 0 ? mmio64 : mmio32;
    auto addr = window.Allocate(*size, *size);
    if (!addr.ok()) {
      return Error(ErrorCode::kOutOfRange, "PCI BAR " + std::to_string(i) + " of " +
                                               std::to_string(*size) + " bytes does not fit");
    }
    addrs[i] = *addr;
  }
  PETREL_ASSIGN_OR_RETURN(uint8_t placed, bus_->AddDevice(device, slot));

  auto mapped = std::make_unique<MappedDevice>();
  mapped->device = device;
  mapped->slot = placed;
  MappedDevice* raw = mapped.get();
  {
    std::lock_guard lock(mu_);
    devices_.push_back(std::move(mapped));
  }
  // Program the addresses as firmware would (decoding stays off until the
  // guest enables it, so no callback maps anything yet).
  for (int i = 0; i < kPciBarCount; ++i) {
    if (addrs[i] == 0) continue;
    const uint16_t reg = static_cast<uint16_t>(kPciBar0 + 4 * i);
    config.Write(reg, 4, static_cast<uint32_t>(addrs[i]));
    if (config.BarKindAt(i) == PciBarKind::kMmio64) {
      config.Write(reg + 4, 4, static_cast<uint32_t>(addrs[i] >> 32));
    }
  }
  config.SetBarMovedCallback([this, raw](int bar, uint64_t old_addr, uint64_t new_addr) {
    MoveBar(*raw, bar, new_addr);
    raw->device->BarMoved(bar, old_addr, new_addr);
  });
  return placed;
}

Result<std::shared_ptr<PciDevice>> PciPlatform::RemoveDevice(uint8_t slot) {
  std::unique_ptr<MappedDevice> gone;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(devices_.begin(), devices_.end(),
                           [slot](const auto& d) { return d->slot == slot; });
    if (it == devices_.end()) {
      return Error(ErrorCode::kNotFound, "no device in PCI slot " + std::to_string(slot));
    }
    gone = std::move(*it);
    devices_.erase(it);
  }
  // No BAR move of this device runs after this returns (the config space's
  // write lock), so none maps anything again once the mappings go.
  gone->device->config().SetBarMovedCallback(nullptr);
  {
    std::lock_guard lock(mu_);
    for (auto& mapping : gone->mappings) mapping.Reset();
  }
  PETREL_ASSIGN_OR_RETURN(auto device, bus_->RemoveDevice(slot));
  return device;
}

Result<uint64_t> PciPlatform::AllocateMemory(uint64_t size, uint64_t align,
                                             std::optional<uint64_t> at) {
  std::lock_guard lock(mu_);
  RangeAllocator mmio32(windows_.mmio32_start, windows_.mmio32_end);
  RangeAllocator mmio64(windows_.mmio64_start, windows_.mmio64_end);
  ReserveProgrammedBarsLocked(mmio32, mmio64);
  if (at) {
    if (*at % align != 0) {
      return Error(ErrorCode::kInvalidArgument, "device memory at " + std::to_string(*at) +
                                                    " is not aligned to " + std::to_string(align));
    }
    PETREL_TRY(mmio64.Reserve(*at, size).Wrap("device memory at " + std::to_string(*at)));
    memory_.push_back({*at, size});
    return *at;
  }
  auto addr = mmio64.Allocate(size, align);
  if (!addr.ok()) {
    return Error(ErrorCode::kOutOfRange,
                 std::to_string(size) + " bytes of device memory do not fit in the 64-bit PCI window");
  }
  memory_.push_back({*addr, size});
  return *addr;
}

void PciPlatform::ReleaseMemory(uint64_t addr) {
  std::lock_guard lock(mu_);
  std::erase_if(memory_, [addr](const auto& m) { return m.first == addr; });
}

void PciPlatform::ReserveProgrammedBarsLocked(RangeAllocator& mmio32,
                                              RangeAllocator& mmio64) const {
  for (const auto& [addr, size] : memory_) (void)mmio64.Reserve(addr, size);
  for (const auto& d : devices_) {
    const PciConfigSpace& config = d->device->config();
    for (int i = 0; i < kPciBarCount; ++i) {
      const auto size = config.BarSize(i);
      const auto kind = config.BarKindAt(i);
      const uint64_t addr = config.BarAddress(i).value_or(0);
      if (!size || !kind || *size == 0 || addr == 0 || *kind == PciBarKind::kIo) continue;
      // A BAR the guest put outside both windows (or on top of another)
      // takes nothing from them.
      if (!mmio32.Reserve(addr, *size).ok()) (void)mmio64.Reserve(addr, *size);
    }
  }
}

void PciPlatform::MoveBar(MappedDevice& d, int bar, uint64_t new_addr) {
  if (bar < 0 || bar >= kPciBarCount) return;
  std::lock_guard lock(mu_);
  const bool freed = d.mappings[bar].active();
  d.mappings[bar].Reset();
  if (new_addr != 0 && !MapBarLocked(d, bar, new_addr)) {
    PETREL_LOG_ONCE(kWarn, "pci bar overlap " + std::to_string(d.slot))
        << "PCI 00:" << std::to_string(d.slot) << ".0 BAR " << bar << " at 0x" << std::hex
        << new_addr << " not mapped: it overlaps another mapping";
  }
  // The range just freed may be what kept a decoding BAR off the bus: map
  // every such BAR again, as hardware decodes it once the overlap is gone.
  if (!freed) return;
  for (auto& other : devices_) {
    for (int i = 0; i < kPciBarCount; ++i) {
      if (other->mappings[i].active()) continue;
      const uint64_t addr = other->device->config().DecodedBarAddress(i).value_or(0);
      if (addr != 0) (void)MapBarLocked(*other, i, addr);
    }
  }
}

bool PciPlatform::MapBarLocked(MappedDevice& d, int bar, uint64_t addr) {
  const auto size = d.device->config().BarSize(bar);
  const auto kind = d.device->config().BarKindAt(bar);
  if (!size || !kind) return false;
  Bus& bus = *kind == PciBarKind::kIo ? io_.pio() : io_.mmio();
  auto reg = bus.Insert(addr, *size, std::make_shared<BarWindow>(d.device, bar, *size));
  if (!reg.ok()) return false;
  d.mappings[bar] = std::move(reg).value();
  return true;
}

PciPlatform::State PciPlatform::Save() const {
  return {config_io_->Save(), host_bridge_->config().Save()};
}

Result<void> PciPlatform::Restore(const State& s) {
  PETREL_TRY(config_io_->Restore(s.config_io).Wrap("PCI config address"));
  PETREL_TRY(host_bridge_->config().Restore(s.host_bridge).Wrap("PCI host bridge"));
  return Ok();
}

void PciPlatform::MapDecodedBars() {
  std::lock_guard lock(mu_);
  for (auto& d : devices_) {
    for (int i = 0; i < kPciBarCount; ++i) d->mappings[i].Reset();
  }
  for (auto& d : devices_) {
    for (int i = 0; i < kPciBarCount; ++i) {
      const uint64_t addr = d->device->config().DecodedBarAddress(i).value_or(0);
      if (addr != 0 && !MapBarLocked(*d, i, addr)) {
        PETREL_LOG(kWarn) << "PCI 00:" << std::to_string(d->slot) << ".0 BAR " << i << " at 0x"
                          << std::hex << addr << " not mapped: it overlaps another mapping";
      }
    }
  }
}

}  // namespace petrel::vmm
