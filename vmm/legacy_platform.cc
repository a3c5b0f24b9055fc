// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LegacyPlatform (see legacy_platform.h).
#include "vmm/legacy_platform.h"

#include <algorithm>

#include "core/arch/x86_layout.h"

namespace petrel::vmm {

Result<std::unique_ptr<LegacyPlatform>> LegacyPlatform::Create(const LegacyPlatformArgs& args) {
  std::unique_ptr<LegacyPlatform> p(new LegacyPlatform());
  Bus& pio = args.io->pio();
  auto add = [&](uint64_t port, uint64_t size, std::shared_ptr<BusDevice> dev) -> Result<void> {
    PETREL_ASSIGN_OR_RETURN(auto reg, pio.Insert(port, size, std::move(dev)));
    p->registrations_.push_back(std::move(reg));
    return Ok();
  };

  if (args.serial_output != nullptr) {
    PETREL_ASSIGN_OR_RETURN(auto irq, args.interrupts->Line(x86::kCom1Irq));
    ConsoleOutput* out = args.serial_output;
    p->serial_ = std::make_shared<Serial>(
        std::move(irq), [out](std::span<const uint8_t> bytes) { out->Write(bytes); });
    PETREL_TRY(add(x86::kCom1Port, Serial::kSize, p->serial_));
  }

  p->i8042_ = std::make_shared<I8042>(args.on_reset);
  PETREL_TRY(add(x86::kI8042Port, I8042::kSize, p->i8042_));

  uint64_t below_4g = 0, above_4g = 0;
  for (const auto& r : args.memory->regions()) {
    if (r.hotplug) continue;  // not boot RAM
    if (r.gpa < x86::kRam64BitStart) {
      below_4g += std::min(r.size, x86::kRam64BitStart - r.gpa);
    }
    if (r.end() > x86::kRam64BitStart) {
      above_4g += r.end() - std::max(r.gpa, x86::kRam64BitStart);
    }
  }
  CmosInterrupts rtc_interrupts;
  if (args.loop != nullptr) {
    PETREL_ASSIGN_OR_RETURN(rtc_interrupts.irq, args.interrupts->Line(x86::kRtcIrq));
    rtc_interrupts.loop = args.loop;
    rtc_interrupts.loop_clock = args.monotonic_clock;
  }
  p->cmos_ = std::make_shared<Cmos>(below_4g, above_4g, *args.wall_clock, rtc_interrupts);
  if (args.cmos_state != nullptr) {
    Cmos::State kept = *args.cmos_state;
    kept.index = 0;  // the index latch is not battery-backed
    PETREL_TRY(p->cmos_->Restore(kept).Wrap("CMOS contents kept across the reset"));
  }
  PETREL_TRY(add(x86::kCmosPort, Cmos::kSize, p->cmos_));

  p->debug_port_ = std::make_shared<DebugPort>(*args.monotonic_clock);
  PETREL_TRY(add(x86::kDebugPort, DebugPort::kSize, p->debug_port_));
  return p;
}

LegacyPlatform::State LegacyPlatform::Save() const {
  State s;
  if (serial_) s.serial = serial_->Save();
  s.i8042 = i8042_->Save();
  s.cmos = cmos_->Save();
  s.debug_port = debug_port_->Save();
  return s;
}

Result<void> LegacyPlatform::Restore(const State& s) {
  if (s.serial.has_value() != (serial_ != nullptr)) {
    return Error(ErrorCode::kInvalidArgument,
                 serial_ ? "the snapshot has no serial port state but this VM has a serial port"
                         : "the snapshot has serial port state but this VM has no serial port");
  }
  if (serial_) PETREL_TRY(serial_->Restore(*s.serial).Wrap("serial port"));
  PETREL_TRY(i8042_->Restore(s.i8042).Wrap("i8042"));
  PETREL_TRY(cmos_->Restore(s.cmos).Wrap("CMOS/RTC"));
  PETREL_TRY(debug_port_->Restore(s.debug_port).Wrap("debug port"));
  return Ok();
}

}  // namespace petrel::vmm
