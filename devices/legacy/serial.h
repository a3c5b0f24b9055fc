// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Serial: a 16550A UART (the PC's COM1 at 0x3f8, IRQ 4).
//
// Register file per the TI PC16550D datasheet (SLLS057), Table 2 "Summary of
// Accessible Registers" and section 8 "Register Descriptions":
//
//   offset  DLAB=0 read / write     DLAB=1
//   0       RBR    / THR            DLL
//   1       IER                     DLM
//   2       IIR    / FCR
//   3       LCR
//   4       MCR
//   5       LSR    (writes ignored: factory test only)
//   6       MSR    (writes ignored)
//   7       SCR
//
// Model choices (all guest-visible deviations are listed here):
// - Transmit is instantaneous: a THR write goes straight to `Output`, so LSR
//   THRE and TEMT always read 1 and the transmit FIFO is never observable.
// - Receive: one FIFO of kRxFifoCapacity (64) bytes is used in both 16450 and
//   FIFO mode. The real part holds 16 bytes in FIFO mode and 1 in 16450 mode;
//   the larger buffer absorbs pasted host input. A byte arriving when it is
//   full is DROPPED and sets LSR OE (overrun), as the datasheet describes for
//   a full FIFO (the new character is lost, the FIFO is kept).
// - The receiver trigger level (FCR bits 6-7) is stored but the "received
//   data available" interrupt is raised as soon as one byte is present: with
//   no notion of character time, the character timeout (IIR 0xC) would expire
//   at once anyway.
// - Parity, framing and break are never generated (no physical line).
// - Loopback (MCR LOOP): THR loops back into the receive FIFO, host input is
//   dropped (SIN is disconnected), MSR bits 4-7 reflect MCR (CTS=RTS,
//   DSR=DTR, RI=OUT1, DCD=OUT2) with delta bits. Outside loopback the modem
//   inputs read as a connected modem: DCD, DSR, CTS set (as QEMU and Cloud
//   Hypervisor do).
// - The IRQ line level is (an interrupt is pending) && MCR OUT2, following the
//   register bit also in loopback (on a PC, OUT2 gates the ISA IRQ driver).
//   The line is only driven on changes.
//
// Thread-safety: all methods are safe from any thread. `output` is called
// without the device lock held, once per transmitted byte, before Write()
// returns; the irq line is driven with the lock held and must not call back.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "core/base/result.h"
#include "core/bus/bus.h"
#include "core/hv/hypervisor.h"

namespace petrel {

class Serial final : public BusDevice {
 public:
  using Output = std::function<void(std::span<const uint8_t>)>;

  static constexpr uint64_t kSize = 8;
  // Host-side cap on received-but-unread bytes (see the header comment).
  static constexpr size_t kRxFifoCapacity = 64;

  // Plain snapshot of every register and the receive FIFO. `rx` holds the
  // FIFO oldest first; entries at and beyond `rx_count` are zero.
  struct State {
    uint8_t ier = 0;
    uint8_t lcr = 0;
    uint8_t mcr = 0;
    uint8_t lsr = 0;
    uint8_t msr = 0;
    uint8_t scr = 0;
    uint8_t dll = 0;
    uint8_t dlm = 0;
    uint8_t fcr = 0;            // FIFO enable, DMA mode, trigger level bits
    bool thre_pending = false;  // THR-empty interrupt latched (see THRE rules)
    uint8_t rx_count = 0;
    std::array<uint8_t, kRxFifoCapacity> rx{};
    bool operator==(const State&) const = default;
  };

  // `irq` may be null (no interrupt wired); `output` may be empty (discard).
  Serial(std::shared_ptr<hv::InterruptLine> irq, Output output);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Host input (console, socket). Thread-safe. Bytes that do not fit in the
  // receive FIFO are dropped and set LSR OE; in loopback all are dropped.
  void QueueInput(std::span<const uint8_t> bytes);
  // How many more bytes QueueInput() would accept now (0 in loopback), so a
  // console reader can apply back-pressure instead of losing input.
  size_t InputSpace() const;

  State Save() const;
  // Rejects states the device could never reach (reserved bits, inconsistent
  // LSR/MSR, FIFO overflow); on success re-drives the irq line.
  Result<void> Restore(const State& state);

 private:
  uint8_t ReadRegister(uint8_t reg);
  // Returns true and sets *out when the write transmits a byte.
  bool WriteRegister(uint8_t reg, uint8_t value, uint8_t* out);
  void WriteIer(uint8_t value);
  void WriteFcr(uint8_t value);
  void WriteMcr(uint8_t value);
  void PushRx(uint8_t byte);
  uint8_t PopRx();
  void ClearRx();
  // Sets MSR bits 4-7 to `inputs` and the matching delta bits (MSR bits 0-3).
  void SetModemInputs(uint8_t inputs);
  uint8_t ModemInputs() const;
  // Highest-priority pending source as the IIR bits 0-3 value.
  uint8_t InterruptId() const;
  void UpdateIrq();
  static Result<void> Validate(const State& s);

  const std::shared_ptr<hv::InterruptLine> irq_;
  const Output output_;

  mutable std::mutex mu_;
  State s_;
  bool irq_level_ = false;
};

}  // namespace petrel
