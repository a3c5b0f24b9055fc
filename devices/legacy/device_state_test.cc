// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The shared snapshot test for every legacy device: drive it into a
// non-trivial state, Save, Restore into a fresh instance, Save again and
// compare; the restored device must also behave like the original. Restore
// must reject states the device could never reach and leave itself unchanged.
#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "core/base/clock.h"
#include "devices/legacy/cmos.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/fake_interrupt_line.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/serial.h"
#include "devices/testing/device_state_suite.h"

namespace petrel {
namespace {

void Out(BusDevice& d, uint64_t off, uint8_t v) {
  d.Write(off, std::span<const uint8_t>(&v, 1));
}
uint8_t In(BusDevice& d, uint64_t off) {
  uint8_t v = 0;
  d.Read(off, std::span<uint8_t>(&v, 1));
  return v;
}

// Each Traits type: Make() a fresh device, Drive() it into a non-trivial
// state, Observe() it through guest accesses, and list Invalid() states.
struct SerialTraits {
  using Device = Serial;
  std::unique_ptr<Serial> Make() {
    return std::make_unique<Serial>(std::make_shared<FakeInterruptLine>(), nullptr);
  }
  void Drive(Serial& s) {
    Out(s, 3, 0x80);  // DLAB
    Out(s, 0, 0x01);
    Out(s, 1, 0x02);
    Out(s, 3, 0x1b);
    Out(s, 2, 0x81);  // FIFO on, trigger 8
    Out(s, 4, 0x0b);
    Out(s, 1, 0x0f);
    Out(s, 7, 0x77);
    const std::vector<uint8_t> in(Serial::kRxFifoCapacity + 3, 'r');
    s.QueueInput(in);
    In(s, 0);
  }
  std::vector<uint8_t> Observe(Serial& s) {
    std::vector<uint8_t> v;
    for (int round = 0; round < 3; ++round) {
      for (uint64_t reg = 0; reg < Serial::kSize; ++reg) v.push_back(In(s, reg));
    }
    return v;
  }
  std::vector<Serial::State> Invalid(const Serial::State& good) {
    std::vector<Serial::State> bad(10, good);
    bad[0].ier = 0x10;
    bad[1].mcr = 0x20;
    bad[2].rx_count = Serial::kRxFifoCapacity + 1;
    bad[3].lsr &= 0xdf;   // THRE clear
    bad[4].lsr |= 0x04;   // parity error: never generated
    bad[5].rx_count = 0;  // DR set with an empty FIFO (and stale bytes)
    bad[6].msr ^= 0x10;   // CTS disagrees with MCR
    bad[7].ier = 0x00;    // THRE latched with ETBEI clear
    bad[7].thre_pending = true;
    bad[8].fcr = 0x08;  // DMA mode bit without FIFO enable
    bad[9].rx[Serial::kRxFifoCapacity - 1] = 0;
    bad[9].rx_count = Serial::kRxFifoCapacity - 2;  // bytes beyond the count
    return bad;
  }
};

struct I8042Traits {
  using Device = I8042;
  std::unique_ptr<I8042> Make() { return std::make_unique<I8042>(nullptr); }
  void Drive(I8042& d) {
    Out(d, 4, 0x60);
    Out(d, 0, 0x47);
    Out(d, 4, 0xd1);
    Out(d, 0, 0x01);  // A20 off
    Out(d, 4, 0xd3);
    Out(d, 0, 0x99);  // aux output buffer full
    Out(d, 4, 0x60);  // awaiting its data byte
  }
  std::vector<uint8_t> Observe(I8042& d) {
    std::vector<uint8_t> v{In(d, 4), In(d, 0), In(d, 4)};
    Out(d, 0, 0x05);
    Out(d, 4, 0x20);
    v.push_back(In(d, 0));
    Out(d, 4, 0xd0);
    v.push_back(In(d, 0));
    return v;
  }
  std::vector<I8042::State> Invalid(const I8042::State& good) {
    std::vector<I8042::State> bad(4, good);
    bad[0].command_byte = 0x80;
    bad[1].output_port = 0x02;
    bad[2].pending_command = 0x20;
    bad[3].output_full = false;
    bad[3].output_aux = true;
    return bad;
  }
};

struct CmosTraits {
  using Device = Cmos;
  VirtualClock clock{1'700'000'000ULL * 1'000'000'000ULL};
  std::unique_ptr<Cmos> Make() { return std::make_unique<Cmos>(1ULL << 30, 1ULL << 31, clock); }
  void Drive(Cmos& c) {
    Out(c, 0, 0x40);
    Out(c, 1, 0xee);  // RAM
    Out(c, 0, 0x02);
    Out(c, 1, 0x33);  // minutes: offset
    Out(c, 0, 0x0b);
    Out(c, 1, 0x86);  // SET, binary, 24h: frozen
    Out(c, 0, 0x09);
    Out(c, 1, 42);    // frozen year
    Out(c, 0, 0x00);  // index left on seconds
  }
  std::vector<uint8_t> Observe(Cmos& c) {
    std::vector<uint8_t> v;
    for (uint8_t reg : {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32, 0x0b, 0x40, 0x34, 0x5c}) {
      Out(c, 0, reg);
      v.push_back(In(c, 1));
    }
    Out(c, 0, 0x0b);
    Out(c, 1, 0x06);  // unfreeze: offset from the frozen time
    clock.Advance(1'000'000'000ULL);
    for (uint8_t reg : {0x00, 0x02, 0x09}) {
      Out(c, 0, reg);
      v.push_back(In(c, 1));
    }
    return v;
  }
  std::vector<Cmos::State> Invalid(const Cmos::State& good) {
    std::vector<Cmos::State> bad(8, good);
    bad[0].index = 0x80;
    bad[1].ram[0x00] = 0x12;   // a computed register
    bad[2].ram[0x0a] |= 0x80;  // UIP
    bad[3].rtc_offset_s = Cmos::kMaxRtcOffsetS + 1;
    bad[4].ram[0x0b] &= 0x7f;  // frozen without SET
    bad[5].frozen_time.month = 13;
    bad[6].flags = 0x01;  // register C bits 3-0 are always 0
    bad[7].flags = 0x80;  // IRQF without an enabled flag
    return bad;
  }
};

struct DebugPortTraits {
  using Device = DebugPort;
  VirtualClock clock{77};
  std::unique_ptr<DebugPort> Make() { return std::make_unique<DebugPort>(clock); }
  void Drive(DebugPort& d) {
    for (uint8_t code : {0x01, 0x20, 0x40, 0x41}) {
      clock.Advance(1000);
      Out(d, 0, code);
    }
  }
  std::vector<uint8_t> Observe(DebugPort& d) {
    std::vector<uint8_t> v{In(d, 0)};
    for (const auto& e : d.events()) {
      v.push_back(e.code);
      v.push_back(static_cast<uint8_t>(e.ns / 1000));
    }
    return v;
  }
  std::vector<DebugPort::State> Invalid(const DebugPort::State& good) {
    std::vector<DebugPort::State> bad(3, good);
    bad[0].events.resize(DebugPort::kMaxEvents + 1);
    std::swap(bad[1].events[0], bad[1].events[1]);  // time goes backwards
    bad[2].dropped = 1;                             // below the cap
    return bad;
  }
};

using DeviceTraits = ::testing::Types<SerialTraits, I8042Traits, CmosTraits, DebugPortTraits>;

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Legacy, DeviceStateTest, DeviceTraits);
}  // namespace testing
}  // namespace petrel
