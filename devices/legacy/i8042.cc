// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// I8042: controller command decoding and the reset line (see i8042.h).
#include "devices/legacy/i8042.h"

#include <string>
#include <utility>

#include "core/base/log.h"

namespace petrel {
namespace {

constexpr uint64_t kDataOffset = 0;    // port 0x60
constexpr uint64_t kStatusOffset = 4;  // port 0x64

// Status register (IBM PS/2 Technical Reference, "Status Register").
constexpr uint8_t kStatusObf = 0x01;     // bit 0: output buffer full
constexpr uint8_t kStatusSys = 0x04;     // bit 2: system flag (copy of command byte bit 2)
constexpr uint8_t kStatusA2 = 0x08;      // bit 3: last write was a command (0x64)
constexpr uint8_t kStatusNotInh = 0x10;  // bit 4: keyboard not inhibited (no keylock)
constexpr uint8_t kStatusAuxObf = 0x20;  // bit 5: output buffer holds aux data
// bit 1 (input buffer full), bit 6 (timeout), bit 7 (parity) stay 0.

// Command byte (controller RAM byte 0).
constexpr uint8_t kCmdByteSys = 0x04;         // bit 2: system flag
constexpr uint8_t kCmdByteKbdDisable = 0x10;  // bit 4: keyboard interface disabled
constexpr uint8_t kCmdByteAuxDisable = 0x20;  // bit 5: aux interface disabled
constexpr uint8_t kCmdByteMask = 0x7f;        // bit 7 reserved, must be 0
// POST passed, nothing attached: both interfaces disabled, IRQs off.
constexpr uint8_t kDefaultCommandByte = kCmdByteSys | kCmdByteKbdDisable | kCmdByteAuxDisable;

// Output port.
constexpr uint8_t kOutPortReset = 0x01;  // bit 0: system reset, active low
constexpr uint8_t kOutPortA20 = 0x02;    // bit 1: gate A20
constexpr uint8_t kDefaultOutputPort = kOutPortReset | kOutPortA20;

// Controller commands ("Commands (I/O Address Hex 0064)").
constexpr uint8_t kCmdReadCommandByte = 0x20;
constexpr uint8_t kCmdWriteCommandByte = 0x60;
constexpr uint8_t kCmdDisableAux = 0xa7;
constexpr uint8_t kCmdEnableAux = 0xa8;
constexpr uint8_t kCmdTestAux = 0xa9;
constexpr uint8_t kCmdSelfTest = 0xaa;
constexpr uint8_t kCmdTestKeyboard = 0xab;
constexpr uint8_t kCmdDisableKeyboard = 0xad;
constexpr uint8_t kCmdEnableKeyboard = 0xae;
constexpr uint8_t kCmdReadOutputPort = 0xd0;
constexpr uint8_t kCmdWriteOutputPort = 0xd1;
constexpr uint8_t kCmdWriteKbdOutput = 0xd2;
constexpr uint8_t kCmdWriteAuxOutput = 0xd3;
constexpr uint8_t kCmdWriteAux = 0xd4;
constexpr uint8_t kCmdPulseBase = 0xf0;   // 0xF0-0xFF: pulse output port bits 0-3
constexpr uint8_t kCmdPulseReset = 0xfe;  // the usual "pulse reset line" command

constexpr uint8_t kSelfTestPassed = 0x55;
constexpr uint8_t kInterfaceTestOk = 0x00;

bool TakesDataByte(uint8_t command) {
  return command == kCmdWriteCommandByte || command == kCmdWriteOutputPort ||
         command == kCmdWriteKbdOutput || command == kCmdWriteAuxOutput || command == kCmdWriteAux;
}

bool InDevice(uint64_t offset, size_t i) {
  return offset < I8042::kSize && i < I8042::kSize - offset;
}

}  // namespace

I8042::I8042(std::function<void()> reset_request) : reset_request_(std::move(reset_request)) {
  s_.command_byte = kDefaultCommandByte;
  s_.output_port = kDefaultOutputPort;
}

void I8042::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t v = 0xff;
    if (InDevice(offset, i)) {
      if (offset + i == kDataOffset) v = ReadData();
      if (offset + i == kStatusOffset) v = ReadStatus();
    }
    data[i] = v;
  }
}

void I8042::Write(uint64_t offset, std::span<const uint8_t> data) {
  bool reset = false;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < data.size(); ++i) {
      if (!InDevice(offset, i)) continue;
      if (offset + i == kDataOffset) reset |= WriteData(data[i]);
      if (offset + i == kStatusOffset) reset |= WriteCommand(data[i]);
    }
  }
  if (reset && reset_request_) reset_request_();
}

uint8_t I8042::ReadStatus() const {
  uint8_t v = kStatusNotInh;
  if (s_.output_full) v |= kStatusObf;
  if (s_.output_full && s_.output_aux) v |= kStatusAuxObf;
  if (s_.command_byte & kCmdByteSys) v |= kStatusSys;
  if (s_.last_write_command) v |= kStatusA2;
  return v;
}

uint8_t I8042::ReadData() {
  // Reading empties the buffer; an empty buffer still returns its last byte.
  s_.output_full = false;
  s_.output_aux = false;
  return s_.output_buffer;
}

void I8042::PutOutput(uint8_t value, bool aux) {
  s_.output_buffer = value;
  s_.output_full = true;
  s_.output_aux = aux;
}

bool I8042::WriteCommand(uint8_t command) {
  s_.last_write_command = true;
  s_.pending_command = 0;  // a new command aborts one awaiting data
  if (TakesDataByte(command)) {
    s_.pending_command = command;
    return false;
  }
  if (command >= kCmdPulseBase) {
    // Bits 0-3 select output-port lines to pulse (0 = pulse); bit 0 is reset.
    // kCmdPulseReset (0xFE) is the one guests use.
    static_assert((kCmdPulseReset & kOutPortReset) == 0);
    return (command & kOutPortReset) == 0;
  }
  switch (command) {
    case kCmdReadCommandByte: PutOutput(s_.command_byte, false); break;
    case kCmdDisableAux: s_.command_byte |= kCmdByteAuxDisable; break;
    case kCmdEnableAux: s_.command_byte &= static_cast<uint8_t>(~kCmdByteAuxDisable); break;
    case kCmdDisableKeyboard: s_.command_byte |= kCmdByteKbdDisable; break;
    case kCmdEnableKeyboard: s_.command_byte &= static_cast<uint8_t>(~kCmdByteKbdDisable); break;
    case kCmdSelfTest: PutOutput(kSelfTestPassed, false); break;
    case kCmdTestAux:
    case kCmdTestKeyboard: PutOutput(kInterfaceTestOk, false); break;
    case kCmdReadOutputPort: PutOutput(s_.output_port, false); break;
    default:
      PETREL_LOG_ONCE(kDebug, "i8042-cmd-" + std::to_string(command))
          << "i8042: ignoring controller command 0x" << std::hex << int{command};
      break;
  }
  return false;
}

bool I8042::WriteData(uint8_t value) {
  s_.last_write_command = false;
  const uint8_t command = s_.pending_command;
  s_.pending_command = 0;
  switch (command) {
    case kCmdWriteCommandByte: s_.command_byte = value & kCmdByteMask; return false;
    case kCmdWriteOutputPort:
      // The reset line is momentary: the VMM resets the machine, the stored
      // port keeps bit 0 high.
      s_.output_port = value | kOutPortReset;
      return (value & kOutPortReset) == 0;
    case kCmdWriteKbdOutput: PutOutput(value, false); return false;
    case kCmdWriteAuxOutput: PutOutput(value, true); return false;
    default:  // kCmdWriteAux or no command: to an absent device
      return false;
  }
}

I8042::State I8042::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> I8042::Restore(const State& state) {
  auto bad = [](const char* what) {
    return Error(ErrorCode::kInvalidArgument, std::string("i8042 state: ") + what);
  };
  if (state.command_byte & ~kCmdByteMask) return bad("command byte reserved bit 7 set");
  if (!(state.output_port & kOutPortReset)) return bad("output port holds reset asserted");
  if (state.pending_command != 0 && !TakesDataByte(state.pending_command)) {
    return bad("pending command takes no data byte");
  }
  if (state.output_aux && !state.output_full) return bad("aux flag with empty output buffer");
  std::lock_guard lock(mu_);
  s_ = state;
  return Ok();
}

}  // namespace petrel
