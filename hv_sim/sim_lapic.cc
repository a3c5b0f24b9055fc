// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// SimLapic (see sim_lapic.h).
#include "hv_sim/sim_lapic.h"

#include <cstring>

namespace petrel::sim {
namespace {
constexpr uint32_t kLvtMasked = 1u << 16;  // SDM 3A 11.5.1, Figure 11-8
constexpr uint32_t kIcrHigh = 0x310;
constexpr uint32_t kTimerCurrent = 0x390;
}  // namespace

void SimLapic::Reset() {
  std::lock_guard lock(mu_);
  tpr_ = ldr_ = esr_ = icr_low_ = icr_high_ = timer_initial_ = timer_divide_ = 0;
  dfr_ = 0xffff'ffff;
  svr_ = 0xff;
  lvt_.fill(kLvtMasked);
  isr_ = {};
  tmr_ = {};
  irr_ = {};
}

void SimLapic::Set(Bits& bits, uint8_t v, bool on) {
  if (on) {
    bits[v / 32] |= 1u << (v % 32);
  } else {
    bits[v / 32] &= ~(1u << (v % 32));
  }
}

std::optional<uint8_t> SimLapic::Highest(const Bits& bits) {
  for (int word = 7; word >= 0; --word) {
    if (bits[word] != 0) return static_cast<uint8_t>(word * 32 + 31 - __builtin_clz(bits[word]));
  }
  return std::nullopt;
}

void SimLapic::Accept(uint8_t vector, bool level_triggered) {
  std::lock_guard lock(mu_);
  // Vectors 0-15 are reserved: the APIC reports an illegal vector (SDM 3A
  // 11.5.3) and does not deliver it.
  if ((svr_ & kSvrEnable) == 0 || vector < 16) return;
  Set(irr_, vector, true);
  Set(tmr_, vector, level_triggered);
}

// PPR (SDM 3A 11.8.3.1): the TPR when its class is at least the highest
// in-service vector's, else that vector's class.
uint32_t SimLapic::PprLocked() const {
  const auto in_service = Highest(isr_);
  const uint32_t isr_class = in_service ? (*in_service & 0xf0u) : 0;
  return (tpr_ & 0xf0u) >= isr_class ? (tpr_ & 0xffu) : isr_class;
}

std::optional<uint8_t> SimLapic::Deliverable() const {
  std::lock_guard lock(mu_);
  const auto requested = Highest(irr_);
  if (!requested || (*requested & 0xf0u) <= (PprLocked() & 0xf0u)) return std::nullopt;
  return requested;
}

void SimLapic::Acknowledge(uint8_t vector) {
  std::lock_guard lock(mu_);
  Set(irr_, vector, false);
  Set(isr_, vector, true);
}

uint32_t SimLapic::RegisterLocked(uint32_t offset) const {
  if (offset >= kRegIsr && offset < kRegIsr + 0x80) return isr_[(offset - kRegIsr) / 0x10];
  if (offset >= kRegTmr && offset < kRegTmr + 0x80) return tmr_[(offset - kRegTmr) / 0x10];
  if (offset >= kRegIrr && offset < kRegIrr + 0x80) return irr_[(offset - kRegIrr) / 0x10];
  if (offset >= kRegLvtFirst && offset <= kRegLvtLast) return lvt_[(offset - kRegLvtFirst) / 0x10];
  switch (offset) {
    case kRegId: return apic_id_ << 24;
    case kRegVersion: return kVersion;
    case kRegTpr: return tpr_;
    case kRegPpr: return PprLocked();
    case kRegLdr: return ldr_;
    case kRegDfr: return dfr_;
    case kRegSvr: return svr_;
    case kRegEsr: return esr_;
    case kRegIcrLow: return icr_low_;
    case kIcrHigh: return icr_high_;
    case kRegTimerInitial: return timer_initial_;
    case kTimerCurrent: return 0;  // the timer never counts
    case kRegTimerDivide: return timer_divide_;
    default: return 0;
  }
}

// Registers are 32 bits wide at 16-byte-aligned offsets (SDM 3A 11.4.1);
// other accesses read 0 and write nothing.
void SimLapic::Read(uint64_t offset, std::span<uint8_t> data) const {
  std::memset(data.data(), 0, data.size());
  if (data.size() != 4 || (offset & 0xf) != 0 || offset >= kPageSize) return;
  std::lock_guard lock(mu_);
  const uint32_t value = RegisterLocked(static_cast<uint32_t>(offset));
  std::memcpy(data.data(), &value, 4);
}

std::optional<SimLapic::Eoi> SimLapic::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.size() != 4 || (offset & 0xf) != 0 || offset >= kPageSize) return std::nullopt;
  uint32_t value = 0;
  std::memcpy(&value, data.data(), 4);
  std::lock_guard lock(mu_);
  const auto reg = static_cast<uint32_t>(offset);
  if (reg >= kRegLvtFirst && reg <= kRegLvtLast) {
    // With the APIC software-disabled the mask bits stay set (SDM 3A 11.4.7.2).
    lvt_[(reg - kRegLvtFirst) / 0x10] = (svr_ & kSvrEnable) ? value : (value | kLvtMasked);
    return std::nullopt;
  }
  switch (reg) {
    case kRegTpr: tpr_ = value & 0xff; break;
    case kRegEoi: {
      const auto vector = Highest(isr_);
      if (!vector) break;
      Set(isr_, *vector, false);
      return Eoi{*vector, Test(tmr_, *vector)};
    }
    case kRegLdr: ldr_ = value & 0xff00'0000u; break;
    case kRegDfr: dfr_ = value | 0x0fff'ffffu; break;
    case kRegSvr:
      svr_ = value & 0x1fff;
      if ((svr_ & kSvrEnable) == 0) {
        for (auto& lvt : lvt_) lvt |= kLvtMasked;
      }
      break;
    case kRegEsr: esr_ = 0; break;
    case kRegIcrLow: icr_low_ = value & ~(1u << 12); break;  // IPIs are not sent
    case kIcrHigh: icr_high_ = value & 0xff00'0000u; break;
    case kRegTimerInitial: timer_initial_ = value; break;
    case kRegTimerDivide: timer_divide_ = value & 0xb; break;
    default: break;
  }
  return std::nullopt;
}

}  // namespace petrel::sim
