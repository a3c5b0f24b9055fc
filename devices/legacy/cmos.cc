// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Cmos: RTC register encoding, the guest time offset and CMOS RAM (see cmos.h).
#include "devices/legacy/cmos.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/base/log.h"

namespace petrel {
namespace {

constexpr uint64_t kIndexOffset = 0;  // port 0x70
constexpr uint64_t kDataOffset = 1;   // port 0x71
constexpr uint8_t kIndexMask = 0x7f;  // bit 7: NMI disable (chipset), ignored

// MC146818A Table 2 "Address Map".
constexpr uint8_t kRegSeconds = 0x00;
constexpr uint8_t kRegSecondsAlarm = 0x01;
constexpr uint8_t kRegMinutes = 0x02;
constexpr uint8_t kRegMinutesAlarm = 0x03;
constexpr uint8_t kRegHours = 0x04;
constexpr uint8_t kRegHoursAlarm = 0x05;
constexpr uint8_t kRegDayOfWeek = 0x06;
constexpr uint8_t kRegDayOfMonth = 0x07;
constexpr uint8_t kRegMonth = 0x08;
constexpr uint8_t kRegYear = 0x09;
constexpr uint8_t kRegA = 0x0a;
constexpr uint8_t kRegB = 0x0b;
constexpr uint8_t kRegC = 0x0c;
constexpr uint8_t kRegD = 0x0d;
constexpr uint8_t kRegCentury = 0x32;  // IBM PC / ACPI FADT CENTURY

// Register A: bit 7 UIP (read-only), bits 4-6 DV2-0, bits 0-3 RS3-0.
constexpr uint8_t kRegAUip = 0x80;
constexpr uint8_t kRegADefault = 0x26;  // 32.768 kHz time base, 1024 Hz rate
constexpr uint8_t kRegADvMask = 0x70;   // bits 6-4: DV2-0 divider
constexpr uint8_t kRegADv32k = 0x20;    // DV2-0 = 010: 32.768 kHz time base, running
constexpr uint8_t kRegARsMask = 0x0f;   // bits 3-0: RS3-0 rate select (Table 5)
// Register B.
constexpr uint8_t kRegBSet = 0x80;  // bit 7: SET, updates inhibited
constexpr uint8_t kRegBPie = 0x40;  // bit 6: periodic interrupt enable
constexpr uint8_t kRegBAie = 0x20;  // bit 5: alarm interrupt enable
constexpr uint8_t kRegBUie = 0x10;  // bit 4: update-ended IE, cleared by SET
// Register C: IRQF (bit 7) and the PF/AF/UF flags, which line up with
// PIE/AIE/UIE in register B (bits 6-4); bits 3-0 read 0.
constexpr uint8_t kRegCSources = 0x70;
// Alarm registers: bits 7-6 = 11 is "don't care" (datasheet "Alarm").
constexpr uint8_t kAlarmDontCare = 0xc0;
// Time base of the periodic rate (Table 5): 32.768 kHz.
constexpr uint64_t kTimeBaseHz = 32768;
constexpr uint64_t kNsPerSecond = 1'000'000'000ULL;
constexpr uint8_t kRegBDm = 0x04;           // bit 2: data mode, 1 = binary
constexpr uint8_t kRegB24h = 0x02;          // bit 1: 24/12, 1 = 24-hour
constexpr uint8_t kRegBDefault = kRegB24h;  // BCD, 24-hour (as QEMU)
// Register D.
constexpr uint8_t kRegDVrt = 0x80;  // bit 7: valid RAM and time
// Hours register in 12-hour mode: bit 7 = PM.
constexpr uint8_t kHoursPm = 0x80;

// Memory-size bytes (QEMU hw/i386/pc.c pc_cmos_init; SeaBIOS src/fw/paravirt.c).
constexpr uint8_t kRegBaseMemLo = 0x15;
constexpr uint8_t kRegBaseMemHi = 0x16;
constexpr uint8_t kRegExtMemLo = 0x17;
constexpr uint8_t kRegExtMemHi = 0x18;
// IBM PC/AT BIOS convention (QEMU's pc_cmos_init, Linux's
// drivers/char/nvram.c pc_nvram_check_checksum): a 16-bit sum of bytes
// 0x10-0x2D, stored big-endian at 0x2E/0x2F. /dev/nvram refuses to work
// without it.
constexpr uint8_t kChecksumFirst = 0x10;
constexpr uint8_t kChecksumLast = 0x2d;
constexpr uint8_t kRegChecksumHi = 0x2e;
constexpr uint8_t kRegChecksumLo = 0x2f;
constexpr uint8_t kRegExtMem2Lo = 0x30;
constexpr uint8_t kRegExtMem2Hi = 0x31;
constexpr uint8_t kRegMem16mLo = 0x34;
constexpr uint8_t kRegMem16mHi = 0x35;
constexpr uint8_t kRegMem4gLo = 0x5b;
constexpr uint8_t kRegMem4gMid = 0x5c;
constexpr uint8_t kRegMem4gHi = 0x5d;
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kBaseMemKiB = 640;
constexpr uint64_t k16BitCap = 0xffff;
constexpr uint64_t k24BitCap = 0xffffff;

bool IsComputed(uint8_t reg) {
  return reg == kRegSeconds || reg == kRegMinutes || reg == kRegHours || reg == kRegDayOfWeek ||
         reg == kRegDayOfMonth || reg == kRegMonth || reg == kRegYear || reg == kRegC ||
         reg == kRegD || reg == kRegCentury;
}

bool InDevice(uint64_t offset, size_t i) {
  return offset < Cmos::kSize && i < Cmos::kSize - offset;
}

// Frozen times come from register writes (years 0-9999) or from the running
// clock (wall clock +- kMaxRtcOffsetS); this bound covers both.
constexpr int64_t kMaxAbsYear = 20000;

bool ValidTime(const CivilTime& t) {
  return t.year >= -kMaxAbsYear && t.year <= kMaxAbsYear && t.month >= 1 && t.month <= 12 &&
         t.day >= 1 && t.day <= 31 && t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

}  // namespace

Cmos::Cmos(uint64_t mem_below_4g, uint64_t mem_above_4g, const Clock& wall_clock,
           Interrupts interrupts)
    : wall_clock_(wall_clock),
      irq_(std::move(interrupts.irq)),
      loop_(interrupts.loop),
      loop_clock_(interrupts.loop_clock) {
  auto& r = s_.ram;
  r[kRegA] = kRegADefault;
  r[kRegB] = kRegBDefault;
  r[kRegBaseMemLo] = kBaseMemKiB & 0xff;
  r[kRegBaseMemHi] = kBaseMemKiB >> 8;
  const uint64_t ext_kib =
      std::min(mem_below_4g > kMiB ? (mem_below_4g - kMiB) / kKiB : 0, k16BitCap);
  r[kRegExtMemLo] = r[kRegExtMem2Lo] = static_cast<uint8_t>(ext_kib);
  r[kRegExtMemHi] = r[kRegExtMem2Hi] = static_cast<uint8_t>(ext_kib >> 8);
  const uint64_t mem_16m =
      std::min(mem_below_4g > 16 * kMiB ? (mem_below_4g - 16 * kMiB) / (64 * kKiB) : 0, k16BitCap);
  r[kRegMem16mLo] = static_cast<uint8_t>(mem_16m);
  r[kRegMem16mHi] = static_cast<uint8_t>(mem_16m >> 8);
  const uint64_t mem_4g = std::min(mem_above_4g / (64 * kKiB), k24BitCap);
  r[kRegMem4gLo] = static_cast<uint8_t>(mem_4g);
  r[kRegMem4gMid] = static_cast<uint8_t>(mem_4g >> 8);
  r[kRegMem4gHi] = static_cast<uint8_t>(mem_4g >> 16);
  uint16_t sum = 0;
  for (int reg = kChecksumFirst; reg <= kChecksumLast; ++reg)
    sum = static_cast<uint16_t>(sum + r[reg]);
  r[kRegChecksumHi] = static_cast<uint8_t>(sum >> 8);
  r[kRegChecksumLo] = static_cast<uint8_t>(sum);
}

Cmos::~Cmos() {
  std::lock_guard lock(mu_);
  StopUpdateTimer();
  StopPeriodicTimer();
}

void Cmos::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    // The index port is write-only: it reads as an undriven bus.
    data[i] = InDevice(offset, i) && offset + i == kDataOffset ? ReadRegister(s_.index) : 0xff;
  }
}

void Cmos::Write(uint64_t offset, std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    if (!InDevice(offset, i)) continue;
    if (offset + i == kIndexOffset) s_.index = data[i] & kIndexMask;
    if (offset + i == kDataOffset) WriteRegister(s_.index, data[i]);
  }
}

int64_t Cmos::WallSeconds() const {
  return static_cast<int64_t>(wall_clock_.NowNs() / 1'000'000'000ULL);
}

CivilTime Cmos::CurrentTime() const {
  if (s_.frozen) return s_.frozen_time;
  return CivilFromSeconds(WallSeconds() + s_.rtc_offset_s);
}

uint8_t Cmos::Encode(uint8_t binary) const {
  if (s_.ram[kRegB] & kRegBDm) return binary;
  return static_cast<uint8_t>(((binary / 10) << 4) | (binary % 10));
}

bool Cmos::Decode(uint8_t value, uint8_t lo, uint8_t hi, uint8_t* out) const {
  uint8_t v = value;
  if (!(s_.ram[kRegB] & kRegBDm)) {
    if ((value >> 4) > 9 || (value & 0xf) > 9) return false;
    v = static_cast<uint8_t>((value >> 4) * 10 + (value & 0xf));
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

uint8_t Cmos::EncodeHours(uint8_t h) const {
  if (s_.ram[kRegB] & kRegB24h) return Encode(h);
  const uint8_t h12 = h % 12 == 0 ? 12 : h % 12;
  return static_cast<uint8_t>(Encode(h12) | (h >= 12 ? kHoursPm : 0));
}

uint8_t Cmos::ReadRegister(uint8_t reg) {
  switch (reg) {
    case kRegSeconds: return Encode(CurrentTime().second);
    case kRegMinutes: return Encode(CurrentTime().minute);
    case kRegHours: return EncodeHours(CurrentTime().hour);
    case kRegDayOfWeek: return Encode(DayOfWeek(CurrentTime()));
    case kRegDayOfMonth: return Encode(CurrentTime().day);
    case kRegMonth: return Encode(CurrentTime().month);
    case kRegYear: return Encode(static_cast<uint8_t>(FloorMod(CurrentTime().year, 100)));
    case kRegCentury:
      return Encode(static_cast<uint8_t>(FloorMod(FloorDiv(CurrentTime().year, 100), 100)));
    case kRegA: return s_.ram[kRegA] & static_cast<uint8_t>(~kRegAUip);
    case kRegC: {
      // Reading C clears every flag and so lowers the line.
      const uint8_t flags = s_.flags;
      s_.flags = 0;
      UpdateIrq();
      return flags;
    }
    case kRegD: return kRegDVrt;
    default: return s_.ram[reg & kIndexMask];
  }
}

void Cmos::WriteRegister(uint8_t reg, uint8_t value) {
  switch (reg) {
    case kRegSeconds:
    case kRegMinutes:
    case kRegHours:
    case kRegDayOfWeek:
    case kRegDayOfMonth:
    case kRegMonth:
    case kRegYear:
    case kRegCentury: WriteTimeRegister(reg, value); return;
    case kRegA:
      s_.ram[kRegA] = value & static_cast<uint8_t>(~kRegAUip);
      Rearm();
      return;
    case kRegB: WriteRegisterB(value); return;
    case kRegC:
    case kRegD: return;  // read-only
    default: s_.ram[reg & kIndexMask] = value; return;
  }
}

void Cmos::WriteRegisterB(uint8_t value) {
  const bool was_set = s_.frozen;
  const bool set = (value & kRegBSet) != 0;
  if (set && !was_set) {
    s_.frozen_time = CurrentTime();
    s_.frozen = true;
  }
  if (set) value &= static_cast<uint8_t>(~kRegBUie);  // "UIE is cleared by SET = 1"
  if (!set && was_set) {
    const int64_t offset = SecondsFromCivil(s_.frozen_time) - WallSeconds();
    if (offset >= -kMaxRtcOffsetS && offset <= kMaxRtcOffsetS) s_.rtc_offset_s = offset;
    s_.frozen = false;
    s_.frozen_time = CivilTime{};
  }
  s_.ram[kRegB] = value;
  UpdateIrq();  // IRQF follows the enables at once (flags already set count)
  Rearm();
}

bool Cmos::AlarmMatches(const CivilTime& t) const {
  auto match = [](uint8_t alarm, uint8_t now) {
    return (alarm & kAlarmDontCare) == kAlarmDontCare || alarm == now;
  };
  return match(s_.ram[kRegSecondsAlarm], Encode(t.second)) &&
         match(s_.ram[kRegMinutesAlarm], Encode(t.minute)) &&
         match(s_.ram[kRegHoursAlarm], EncodeHours(t.hour));
}

void Cmos::RaiseFlags(uint8_t flags) {
  s_.flags |= flags & kRegCSources;
  UpdateIrq();
}

void Cmos::UpdateIrq() {
  const bool irqf = (s_.flags & s_.ram[kRegB] & kRegCSources) != 0;
  s_.flags = irqf ? (s_.flags | kRegCIrqf) : (s_.flags & static_cast<uint8_t>(~kRegCIrqf));
  if (irq_ != nullptr && irqf != irq_level_) {
    irq_level_ = irqf;
    irq_->SetLevel(irqf);
  }
}

uint32_t Cmos::PeriodicTicks() const {
  // MC146818A Table 5: RS 0 = none; 1, 2 = 256, 128 Hz (as 8, 9); 3-15 =
  // 32768 >> (RS - 1) Hz. With DV2-0 other than 010 the divider does not run.
  if ((s_.ram[kRegA] & kRegADvMask) != kRegADv32k) return 0;
  uint32_t rs = s_.ram[kRegA] & kRegARsMask;
  if (rs == 0) return 0;
  if (rs <= 2) rs += 7;
  return 1u << (rs - 1);
}

void Cmos::Rearm() {
  if (!wired()) return;
  const bool want_update = (s_.ram[kRegB] & (kRegBUie | kRegBAie)) != 0;
  if (want_update && !update_armed_) {
    update_armed_ = true;
    last_update_s_ = WallSeconds() + s_.rtc_offset_s;
    ScheduleUpdate();
  } else if (!want_update && update_armed_) {
    StopUpdateTimer();
  }
  const uint32_t ticks = (s_.ram[kRegB] & kRegBPie) ? PeriodicTicks() : 0;
  if (ticks != periodic_ticks_ || (ticks != 0) != periodic_armed_) {
    StopPeriodicTimer();
    if (ticks != 0) {
      periodic_armed_ = true;
      periodic_ticks_ = ticks;
      periodic_base_ns_ = loop_clock_->NowNs();
      periodic_count_ = 0;
      SchedulePeriodic();
    }
  }
}

void Cmos::StopUpdateTimer() {
  if (!update_armed_) return;
  update_armed_ = false;
  ++update_generation_;
  if (update_timer_ != 0) loop_->Remove(update_timer_);
  update_timer_ = 0;
}

void Cmos::StopPeriodicTimer() {
  periodic_ticks_ = 0;
  if (!periodic_armed_) return;
  periodic_armed_ = false;
  ++periodic_generation_;
  if (periodic_timer_ != 0) loop_->Remove(periodic_timer_);
  periodic_timer_ = 0;
}

void Cmos::ScheduleUpdate() {
  // The next wall-clock second boundary, as a deadline on the loop's clock.
  const uint64_t delay = kNsPerSecond - wall_clock_.NowNs() % kNsPerSecond;
  const uint64_t generation = update_generation_;
  auto id = loop_->AddTimer(loop_clock_->NowNs() + delay,
                            [this, generation] { OnUpdateTimer(generation); });
  if (!id.ok()) {
    PETREL_LOG_ONCE(kWarn, "cmos-update-timer")
        << "cmos: cannot arm the RTC update timer: " << id.error().message();
    update_armed_ = false;
    return;
  }
  update_timer_ = *id;
}

void Cmos::OnUpdateTimer(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation != update_generation_ || !update_armed_) return;
  update_timer_ = 0;
  // A timer that fires a little early (the loop's clock and the wall clock
  // drift apart) finds the same second and just waits for the boundary.
  const int64_t now_s = WallSeconds() + s_.rtc_offset_s;
  if (!s_.frozen && now_s != last_update_s_) {
    last_update_s_ = now_s;
    uint8_t flags = kRegCUf;
    if (AlarmMatches(CivilFromSeconds(now_s))) flags |= kRegCAf;
    RaiseFlags(flags);
  }
  ScheduleUpdate();
}

void Cmos::SchedulePeriodic() {
  const uint64_t now = loop_clock_->NowNs();
  const uint64_t period_ns_num = uint64_t{periodic_ticks_} * kNsPerSecond;  // / kTimeBaseHz
  auto deadline = [&](uint64_t n) { return periodic_base_ns_ + n * period_ns_num / kTimeBaseHz; };
  ++periodic_count_;
  if (deadline(periodic_count_) <= now) {
    // Late: skip the periods that passed (each flag is set once anyway).
    periodic_count_ = (now - periodic_base_ns_) * kTimeBaseHz / period_ns_num + 1;
  }
  const uint64_t generation = periodic_generation_;
  auto id = loop_->AddTimer(deadline(periodic_count_),
                            [this, generation] { OnPeriodicTimer(generation); });
  if (!id.ok()) {
    PETREL_LOG_ONCE(kWarn, "cmos-periodic-timer")
        << "cmos: cannot arm the RTC periodic timer: " << id.error().message();
    periodic_armed_ = false;
    periodic_ticks_ = 0;
    return;
  }
  periodic_timer_ = *id;
}

void Cmos::OnPeriodicTimer(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation != periodic_generation_ || !periodic_armed_) return;
  periodic_timer_ = 0;
  RaiseFlags(kRegCPf);
  SchedulePeriodic();
}

void Cmos::WriteTimeRegister(uint8_t reg, uint8_t value) {
  CivilTime t = CurrentTime();
  uint8_t v = 0;
  bool ok = true;
  switch (reg) {
    case kRegSeconds: ok = Decode(value, 0, 59, &t.second); break;
    case kRegMinutes: ok = Decode(value, 0, 59, &t.minute); break;
    case kRegHours:
      if (s_.ram[kRegB] & kRegB24h) {
        ok = Decode(value, 0, 23, &t.hour);
      } else if ((ok = Decode(value & static_cast<uint8_t>(~kHoursPm), 1, 12, &v))) {
        t.hour = static_cast<uint8_t>(v % 12 + ((value & kHoursPm) ? 12 : 0));
      }
      break;
    case kRegDayOfWeek: return;  // derived from the date
    case kRegDayOfMonth: ok = Decode(value, 1, 31, &t.day); break;
    case kRegMonth: ok = Decode(value, 1, 12, &t.month); break;
    case kRegYear:
      if ((ok = Decode(value, 0, 99, &v))) t.year = FloorDiv(t.year, 100) * 100 + v;
      break;
    case kRegCentury:
      if ((ok = Decode(value, 0, 99, &v))) t.year = int64_t{v} * 100 + FloorMod(t.year, 100);
      break;
    default: return;
  }
  if (!ok) {
    PETREL_LOG_ONCE(kDebug, "cmos-bad-time-" + std::to_string(reg))
        << "cmos: ignoring invalid value 0x" << std::hex << int{value} << " for RTC register 0x"
        << int{reg};
    return;
  }
  if (s_.frozen) {
    s_.frozen_time = t;
    return;
  }
  // Normalizes (Feb 30 -> Mar 1/2) through the seconds count.
  const int64_t offset = SecondsFromCivil(t) - WallSeconds();
  if (offset < -kMaxRtcOffsetS || offset > kMaxRtcOffsetS) return;
  s_.rtc_offset_s = offset;
}

Cmos::State Cmos::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> Cmos::Restore(const State& state) {
  auto bad = [](const char* what) {
    return Error(ErrorCode::kInvalidArgument, std::string("cmos state: ") + what);
  };
  if (state.index & ~kIndexMask) return bad("index above 127");
  for (size_t reg = 0; reg < kRamSize; ++reg) {
    if (IsComputed(static_cast<uint8_t>(reg)) && state.ram[reg] != 0) {
      return bad("computed register holds a stored value");
    }
  }
  if (state.ram[kRegA] & kRegAUip) return bad("register A UIP set");
  if (state.rtc_offset_s < -kMaxRtcOffsetS || state.rtc_offset_s > kMaxRtcOffsetS) {
    return bad("RTC offset beyond cap");
  }
  if (state.frozen != ((state.ram[kRegB] & kRegBSet) != 0)) return bad("frozen disagrees with SET");
  if (state.frozen ? !ValidTime(state.frozen_time) : !(state.frozen_time == CivilTime{})) {
    return bad("frozen time out of range");
  }
  if (state.flags & ~(kRegCIrqf | kRegCSources)) return bad("register C low bits set");
  if (((state.flags & kRegCIrqf) != 0) != ((state.flags & state.ram[kRegB] & kRegCSources) != 0)) {
    return bad("IRQF disagrees with the flags and enables");
  }
  std::lock_guard lock(mu_);
  s_ = state;
  UpdateIrq();
  StopUpdateTimer();
  StopPeriodicTimer();
  Rearm();
  return Ok();
}

}  // namespace petrel
