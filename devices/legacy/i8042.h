// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// I8042: the PS/2 keyboard controller, reduced to what a VM without keyboard
// or mouse needs: the CPU reset line, the controller command byte and the
// controller self-tests.
//
// Registered at port 0x60 with kSize 5: offset 0 is the data port (0x60),
// offset 4 the status (read) / command (write) port (0x64); offsets 1-3 read
// 0xff and ignore writes.
//
// Controller commands (written to 0x64) follow the IBM PS/2 Hardware
// Interface Technical Reference, "Keyboard/Auxiliary Device Controller",
// "Commands (I/O Address Hex 0064)":
//   0x20 read command byte      0x60 write command byte (next data byte)
//   0xA7/0xA8 disable/enable auxiliary interface    0xA9 aux interface test
//   0xAA self-test (-> 0x55)    0xAB keyboard interface test (-> 0x00)
//   0xAD/0xAE disable/enable keyboard interface
//   0xD0 read output port       0xD1 write output port (next data byte)
//   0xD2/0xD3 write keyboard/aux output buffer (next byte is echoed back)
//   0xD4 write to auxiliary device (next byte; discarded, no mouse)
//   0xF0-0xFF pulse output-port bits 0-3 low where the command bit is 0.
// Output-port bit 0 is the system reset line (active low): 0xFE (and any
// pulse command with bit 0 clear) and a 0xD1 write with bit 0 clear call
// `reset_request`. Other commands are ignored. Bytes written to the data port
// without a pending command go to the (absent) keyboard and are dropped.
//
// The controller raises no interrupts (IRQ 1/12 are not wired: no device).
// Thread-safety: safe from any thread; `reset_request` is called without the
// device lock held.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "core/base/result.h"
#include "core/bus/bus.h"

namespace petrel {

class I8042 final : public BusDevice {
 public:
  static constexpr uint64_t kSize = 5;

  struct State {
    uint8_t command_byte = 0;         // controller RAM byte 0 (bit 7 reserved, 0)
    uint8_t output_port = 0;          // bit 0 reset (1 = running), bit 1 A20 gate
    uint8_t output_buffer = 0;        // last byte placed for the CPU to read
    bool output_full = false;         // status OBF
    bool output_aux = false;          // status bit 5: the byte came from aux
    uint8_t pending_command = 0;      // a command awaiting its data byte, or 0
    bool last_write_command = false;  // status bit 3 (A2)
    bool operator==(const State&) const = default;
  };

  explicit I8042(std::function<void()> reset_request);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  State Save() const;
  Result<void> Restore(const State& state);

 private:
  uint8_t ReadStatus() const;
  uint8_t ReadData();
  // Each returns true when the CPU reset line was pulsed.
  bool WriteCommand(uint8_t command);
  bool WriteData(uint8_t value);
  void PutOutput(uint8_t value, bool aux);

  const std::function<void()> reset_request_;
  mutable std::mutex mu_;
  State s_;
};

}  // namespace petrel
