// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TestDevice: the registers (see test_device.h).
#include "devices/testdev/test_device.h"

#include <cstring>
#include <string>

#include "core/base/log.h"

namespace petrel {

class TestDevice::Mmio final : public BusDevice {
 public:
  explicit Mmio(std::shared_ptr<TestDevice> device) : device_(std::move(device)) {}
  void Read(uint64_t offset, std::span<uint8_t> data) override { device_->MmioRead(offset, data); }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    device_->MmioWrite(offset, data);
  }

 private:
  std::shared_ptr<TestDevice> device_;
};

class TestDevice::Ports final : public BusDevice {
 public:
  explicit Ports(std::shared_ptr<TestDevice> device) : device_(std::move(device)) {}
  void Read(uint64_t offset, std::span<uint8_t> data) override { device_->PortRead(offset, data); }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    device_->PortWrite(offset, data);
  }

 private:
  std::shared_ptr<TestDevice> device_;
};

namespace {

uint32_t Le32(std::span<const uint8_t> data) {
  uint32_t v = 0;
  std::memcpy(&v, data.data(), data.size() < 4 ? data.size() : 4);
  return v;
}

}  // namespace

TestDevice::TestDevice(std::shared_ptr<hv::InterruptLine> irq,
                       std::shared_ptr<hv::MsiInterrupt> msi)
    : irq_(std::move(irq)), msi_(std::move(msi)) {}

std::shared_ptr<BusDevice> TestDevice::mmio() { return std::make_shared<Mmio>(shared_from_this()); }
std::shared_ptr<BusDevice> TestDevice::ports() { return std::make_shared<Ports>(shared_from_this()); }

uint8_t TestDevice::MmioByte(uint64_t offset) {
  if (offset >= kScratchStart) return scratch_[offset - kScratchStart];
  uint32_t reg = 0;
  switch (offset & ~3ull) {
    case kRegId: reg = kId; break;
    case kRegIrq: reg = level_ ? 1 : 0; break;
    case kRegCounter: reg = counter_; break;
    default: break;
  }
  return static_cast<uint8_t>(reg >> (8 * (offset & 3)));
}

void TestDevice::MmioRead(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  bool counted = false;
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    if (at >= kMmioSize) {
      data[i] = 0xff;
      continue;
    }
    data[i] = MmioByte(at);
    counted |= (at & ~3ull) == kRegCounter;
  }
  if (counted) ++counter_;
}

void TestDevice::MmioWrite(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    if (at >= kScratchStart && at < kMmioSize) scratch_[at - kScratchStart] = data[i];
  }
  const uint32_t value = Le32(data);
  switch (offset) {
    case kRegIrq:
      if (value & 1) irq_->Pulse();
      if (value & 2) {
        level_ = true;
        irq_->SetLevel(true);
      }
      if (value & 4) {
        level_ = false;
        irq_->SetLevel(false);
      }
      break;
    case kRegMsi: {
      const auto set = msi_->SetMessage({kMsiAddress, value & 0xff});
      if (!set.ok()) {
        // Guest-driven: once per vector (at most 256 lines), not once per write.
        PETREL_LOG_ONCE(kWarn, "test-device-msi:" + std::to_string(value & 0xff))
            << "test device: MSI vector " << (value & 0xff) << " dropped: "
            << set.error().message();
        break;
      }
      msi_->Signal();
      break;
    }
    case kRegCounter: counter_ = value; break;
    default: break;
  }
}

void TestDevice::PortRead(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  if (offset == kPortData) {
    for (auto& b : data) b = DataByte(seq_++);
    return;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    data[i] = (at >= kPortSeq && at < kPortSeq + 4) ? static_cast<uint8_t>(seq_ >> (8 * (at - kPortSeq)))
                                                   : 0xff;
  }
}

void TestDevice::PortWrite(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return;
  std::lock_guard lock(mu_);
  if (offset == kPortSeq) seq_ = Le32(data);
}

}  // namespace petrel
