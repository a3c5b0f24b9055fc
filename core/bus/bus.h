// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Bus: an address-range map from guest addresses to devices.
//
// One Bus models the PIO space (16-bit ports) and another the MMIO space.
// A device sees only offsets from the base of its range and must check
// `offset + data.size()` against its own size; it never learns its base.
// Insert() returns an RAII Registration: dropping it removes the range.
//
// Thread-safety: lookups take a shared lock, inserts and removals an exclusive
// one. Devices do their own locking (they are also reached from event-loop
// threads, e.g. the serial input).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>

#include "core/base/result.h"

namespace petrel {

class BusDevice {
 public:
  virtual ~BusDevice() = default;
  // `data.size()` is the access width (1, 2, 4 or 8 for CPU accesses).
  // Reads fill all of `data`.
  virtual void Read(uint64_t offset, std::span<uint8_t> data) = 0;
  virtual void Write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

class Bus {
 public:
  explicit Bus(std::string name) : name_(std::move(name)) {}
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& o) noexcept : bus_(o.bus_), base_(o.base_) { o.bus_ = nullptr; }
    Registration& operator=(Registration&& o) noexcept;
    ~Registration() { Reset(); }
    void Reset();
    bool active() const { return bus_ != nullptr; }

   private:
    friend class Bus;
    Registration(Bus* bus, uint64_t base) : bus_(bus), base_(base) {}
    Bus* bus_ = nullptr;
    uint64_t base_ = 0;
  };

  // Claims [base, base + size). Fails if empty, wrapping or overlapping.
  Result<Registration> Insert(uint64_t base, uint64_t size, std::shared_ptr<BusDevice> device);

  struct Target {
    std::shared_ptr<BusDevice> device;
    uint64_t offset;
  };
  // The device whose range holds every byte of [addr, addr + len), if any.
  // An access that straddles a range boundary matches nothing.
  bool Lookup(uint64_t addr, uint64_t len, Target* out) const;

  // Dispatch helpers: return false when no device claims the access.
  bool Read(uint64_t addr, std::span<uint8_t> data) const;
  bool Write(uint64_t addr, std::span<const uint8_t> data) const;

  const std::string& name() const { return name_; }

 private:
  struct Range {
    uint64_t size;
    std::shared_ptr<BusDevice> device;
  };
  void Remove(uint64_t base);

  std::string name_;
  mutable std::shared_mutex mu_;
  std::map<uint64_t, Range> ranges_;  // keyed by base
};

}  // namespace petrel
