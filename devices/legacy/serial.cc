// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Serial: the 16550A register file and interrupt logic (see serial.h).
#include "devices/legacy/serial.h"

#include <cstring>
#include <utility>

namespace petrel {
namespace {

// Register offsets: PC16550D Table 2 "Summary of Accessible Registers".
constexpr uint8_t kRegData = 0;  // RBR (read) / THR (write); DLL when DLAB=1
constexpr uint8_t kRegIer = 1;   // IER; DLM when DLAB=1
constexpr uint8_t kRegIir = 2;   // IIR (read) / FCR (write)
constexpr uint8_t kRegLcr = 3;
constexpr uint8_t kRegMcr = 4;
constexpr uint8_t kRegLsr = 5;
constexpr uint8_t kRegMsr = 6;
constexpr uint8_t kRegScr = 7;

// IER, section 8.5 "Interrupt Enable Register". Bits 4-7 are always 0.
constexpr uint8_t kIerErbfi = 0x01;  // bit 0: received data available
constexpr uint8_t kIerEtbei = 0x02;  // bit 1: THR empty
constexpr uint8_t kIerElsi = 0x04;   // bit 2: receiver line status
constexpr uint8_t kIerEdssi = 0x08;  // bit 3: modem status
constexpr uint8_t kIerMask = 0x0f;

// IIR, section 8.4 and Table 4 "Interrupt Control Functions".
constexpr uint8_t kIirNoInterrupt = 0x01;   // bit 0 = 1: nothing pending
constexpr uint8_t kIirLineStatus = 0x06;    // priority 1: OE/PE/FE/BI
constexpr uint8_t kIirRxData = 0x04;        // priority 2: received data available
constexpr uint8_t kIirThrEmpty = 0x02;      // priority 3: THR empty
constexpr uint8_t kIirModemStatus = 0x00;   // priority 4: CTS/DSR/RI/DCD change
constexpr uint8_t kIirFifosEnabled = 0xc0;  // bits 6-7: set when FCR0 = 1

// FCR, section 8.3 "FIFO Control Register".
constexpr uint8_t kFcrEnable = 0x01;       // bit 0: enable both FIFOs
constexpr uint8_t kFcrRxReset = 0x02;      // bit 1: clear RCVR FIFO (self-clearing)
constexpr uint8_t kFcrTxReset = 0x04;      // bit 2: clear XMIT FIFO (self-clearing)
constexpr uint8_t kFcrDmaMode = 0x08;      // bit 3: RXRDY/TXRDY mode 1
constexpr uint8_t kFcrTriggerMask = 0xc0;  // bits 6-7: RCVR trigger 1/4/8/14
constexpr uint8_t kFcrStoredMask = kFcrEnable | kFcrDmaMode | kFcrTriggerMask;

// LCR, section 8.6 "Line Control Register".
constexpr uint8_t kLcrDlab = 0x80;  // bit 7: divisor latch access bit

// MCR, section 8.7 "Modem Control Register". Bits 5-7 are always 0.
constexpr uint8_t kMcrDtr = 0x01;
constexpr uint8_t kMcrRts = 0x02;
constexpr uint8_t kMcrOut1 = 0x04;
constexpr uint8_t kMcrOut2 = 0x08;  // PC: gates the UART's INTR onto the ISA IRQ
constexpr uint8_t kMcrLoop = 0x10;
constexpr uint8_t kMcrMask = 0x1f;

// LSR, section 8.8 "Line Status Register".
constexpr uint8_t kLsrDr = 0x01;    // bit 0: data ready
constexpr uint8_t kLsrOe = 0x02;    // bit 1: overrun error
constexpr uint8_t kLsrPe = 0x04;    // bit 2: parity error (never generated)
constexpr uint8_t kLsrFe = 0x08;    // bit 3: framing error (never generated)
constexpr uint8_t kLsrBi = 0x10;    // bit 4: break interrupt (never generated)
constexpr uint8_t kLsrThre = 0x20;  // bit 5: THR empty
constexpr uint8_t kLsrTemt = 0x40;  // bit 6: transmitter empty
constexpr uint8_t kLsrErrors = kLsrOe | kLsrPe | kLsrFe | kLsrBi;
constexpr uint8_t kLsrReset = kLsrThre | kLsrTemt;  // Table 5 reset value 0x60

// MSR, section 8.9 "Modem Status Register".
constexpr uint8_t kMsrDcts = 0x01;  // bit 0: delta CTS
constexpr uint8_t kMsrDdsr = 0x02;  // bit 1: delta DSR
constexpr uint8_t kMsrTeri = 0x04;  // bit 2: trailing edge RI
constexpr uint8_t kMsrDdcd = 0x08;  // bit 3: delta DCD
constexpr uint8_t kMsrDeltaMask = 0x0f;
constexpr uint8_t kMsrCts = 0x10;
constexpr uint8_t kMsrDsr = 0x20;
constexpr uint8_t kMsrRi = 0x40;
constexpr uint8_t kMsrDcd = 0x80;
constexpr uint8_t kMsrInputMask = 0xf0;
// A connected null modem outside loopback (QEMU and Cloud Hypervisor alike).
constexpr uint8_t kMsrConnected = kMsrDcd | kMsrDsr | kMsrCts;

// Divisor 12 = 9600 baud from the PC's 1.8432 MHz clock (section 8.10).
constexpr uint8_t kDefaultDll = 12;

// MSR bits 4-7 for a given MCR: in loopback (section 8.7, bit 4) CTS=RTS,
// DSR=DTR, RI=OUT1, DCD=OUT2.
uint8_t ModemInputsFor(uint8_t mcr) {
  if ((mcr & kMcrLoop) == 0) return kMsrConnected;
  uint8_t in = 0;
  if (mcr & kMcrRts) in |= kMsrCts;
  if (mcr & kMcrDtr) in |= kMsrDsr;
  if (mcr & kMcrOut1) in |= kMsrRi;
  if (mcr & kMcrOut2) in |= kMsrDcd;
  return in;
}

// The byte of a possibly wide access at `offset + i`, if it is inside the
// device (guards against offset overflow).
bool InDevice(uint64_t offset, size_t i) {
  return offset < Serial::kSize && i < Serial::kSize - offset;
}

}  // namespace

Serial::Serial(std::shared_ptr<hv::InterruptLine> irq, Output output)
    : irq_(std::move(irq)), output_(std::move(output)) {
  s_.lsr = kLsrReset;
  s_.msr = kMsrConnected;
  s_.dll = kDefaultDll;
}

void Serial::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = InDevice(offset, i) ? ReadRegister(static_cast<uint8_t>(offset + i)) : 0xff;
  }
}

void Serial::Write(uint64_t offset, std::span<const uint8_t> data) {
  std::array<uint8_t, kSize> tx{};
  size_t tx_len = 0;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < data.size(); ++i) {
      if (!InDevice(offset, i)) continue;
      uint8_t out = 0;
      if (WriteRegister(static_cast<uint8_t>(offset + i), data[i], &out)) tx[tx_len++] = out;
    }
  }
  if (tx_len > 0 && output_) output_(std::span<const uint8_t>(tx.data(), tx_len));
}

uint8_t Serial::ReadRegister(uint8_t reg) {
  const bool dlab = (s_.lcr & kLcrDlab) != 0;
  switch (reg) {
    case kRegData:
      if (dlab) return s_.dll;
      {
        uint8_t b = PopRx();
        UpdateIrq();
        return b;
      }
    case kRegIer: return dlab ? s_.dlm : s_.ier;
    case kRegIir: {
      const uint8_t id = InterruptId();
      const uint8_t fifo_bits = (s_.fcr & kFcrEnable) ? kIirFifosEnabled : 0;
      // Section 8.4: reading IIR when THRE is the source clears it.
      if (id == kIirThrEmpty) {
        s_.thre_pending = false;
        UpdateIrq();
      }
      return static_cast<uint8_t>(id | fifo_bits);
    }
    case kRegLcr: return s_.lcr;
    case kRegMcr: return s_.mcr;
    case kRegLsr: {
      const uint8_t v = s_.lsr;
      s_.lsr &= static_cast<uint8_t>(~kLsrErrors);  // errors clear on read
      UpdateIrq();
      return v;
    }
    case kRegMsr: {
      const uint8_t v = s_.msr;
      s_.msr &= kMsrInputMask;  // delta bits clear on read
      UpdateIrq();
      return v;
    }
    case kRegScr: return s_.scr;
    default: return 0xff;
  }
}

bool Serial::WriteRegister(uint8_t reg, uint8_t value, uint8_t* out) {
  const bool dlab = (s_.lcr & kLcrDlab) != 0;
  switch (reg) {
    case kRegData:
      if (dlab) {
        s_.dll = value;
        return false;
      }
      // Writing THR clears a THRE interrupt; the byte leaves at once, so THR
      // is empty again and THRE is raised anew if enabled (section 8.4).
      s_.thre_pending = (s_.ier & kIerEtbei) != 0;
      if (s_.mcr & kMcrLoop) {
        PushRx(value);
        UpdateIrq();
        return false;
      }
      UpdateIrq();
      *out = value;
      return true;
    case kRegIer:
      if (dlab) {
        s_.dlm = value;
      } else {
        WriteIer(value);
      }
      return false;
    case kRegIir: WriteFcr(value); return false;
    case kRegLcr: s_.lcr = value; return false;
    case kRegMcr: WriteMcr(value); return false;
    case kRegScr: s_.scr = value; return false;
    default:  // LSR, MSR: read-only for software
      return false;
  }
}

void Serial::WriteIer(uint8_t value) {
  const uint8_t old = s_.ier;
  s_.ier = value & kIerMask;
  // Enabling ETBEI while THR is empty raises THRE (Linux's UART_BUG_THRE
  // probe and Windows rely on this rising-edge behaviour; QEMU and Bochs do
  // the same); disabling it drops the latch.
  if ((old ^ s_.ier) & kIerEtbei) {
    s_.thre_pending = (s_.ier & kIerEtbei) && (s_.lsr & kLsrThre);
  }
  UpdateIrq();
}

void Serial::WriteFcr(uint8_t value) {
  // Section 8.3: FCR0 must be 1 for the other bits to be programmed;
  // changing FCR0 clears both FIFOs.
  if ((value ^ s_.fcr) & kFcrEnable) ClearRx();
  if (value & kFcrEnable) {
    if (value & kFcrRxReset) ClearRx();
    if (value & kFcrTxReset) {
      // Nothing to clear: the transmit FIFO is always empty (instant transmit).
    }
    s_.fcr = value & kFcrStoredMask;
  } else {
    s_.fcr = 0;
  }
  UpdateIrq();
}

void Serial::WriteMcr(uint8_t value) {
  s_.mcr = value & kMcrMask;
  SetModemInputs(ModemInputs());
  UpdateIrq();
}

void Serial::PushRx(uint8_t byte) {
  if (s_.rx_count >= kRxFifoCapacity) {
    s_.lsr |= kLsrOe;  // the new character is lost, the FIFO is kept
    return;
  }
  s_.rx[s_.rx_count++] = byte;
  s_.lsr |= kLsrDr;
}

uint8_t Serial::PopRx() {
  if (s_.rx_count == 0) return 0;
  const uint8_t b = s_.rx[0];
  std::memmove(s_.rx.data(), s_.rx.data() + 1, s_.rx_count - 1);
  s_.rx[--s_.rx_count] = 0;
  if (s_.rx_count == 0) s_.lsr &= static_cast<uint8_t>(~kLsrDr);
  return b;
}

void Serial::ClearRx() {
  s_.rx.fill(0);
  s_.rx_count = 0;
  s_.lsr &= static_cast<uint8_t>(~kLsrDr);
}

uint8_t Serial::ModemInputs() const {
  return ModemInputsFor(s_.mcr);
}

void Serial::SetModemInputs(uint8_t inputs) {
  const uint8_t old = s_.msr & kMsrInputMask;
  const uint8_t changed = old ^ inputs;
  uint8_t delta = s_.msr & kMsrDeltaMask;
  if (changed & kMsrCts) delta |= kMsrDcts;
  if (changed & kMsrDsr) delta |= kMsrDdsr;
  if (changed & kMsrDcd) delta |= kMsrDdcd;
  if ((old & kMsrRi) && !(inputs & kMsrRi)) delta |= kMsrTeri;  // RI 1 -> 0 only
  s_.msr = static_cast<uint8_t>(inputs | delta);
}

uint8_t Serial::InterruptId() const {
  if ((s_.ier & kIerElsi) && (s_.lsr & kLsrErrors)) return kIirLineStatus;
  if ((s_.ier & kIerErbfi) && (s_.lsr & kLsrDr)) return kIirRxData;
  if ((s_.ier & kIerEtbei) && s_.thre_pending) return kIirThrEmpty;
  if ((s_.ier & kIerEdssi) && (s_.msr & kMsrDeltaMask)) return kIirModemStatus;
  return kIirNoInterrupt;
}

void Serial::UpdateIrq() {
  const bool level = InterruptId() != kIirNoInterrupt && (s_.mcr & kMcrOut2);
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_->SetLevel(level);
}

void Serial::QueueInput(std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  if (s_.mcr & kMcrLoop) return;  // SIN is disconnected in loopback
  for (uint8_t b : bytes) PushRx(b);
  UpdateIrq();
}

size_t Serial::InputSpace() const {
  std::lock_guard lock(mu_);
  if (s_.mcr & kMcrLoop) return 0;
  return kRxFifoCapacity - s_.rx_count;
}

Serial::State Serial::Save() const {
  std::lock_guard lock(mu_);
  return s_;
}

Result<void> Serial::Validate(const State& s) {
  auto bad = [](const char* what) {
    return Error(ErrorCode::kInvalidArgument, std::string("serial state: ") + what);
  };
  if (s.ier & ~kIerMask) return bad("IER reserved bits set");
  if (s.mcr & ~kMcrMask) return bad("MCR reserved bits set");
  if (s.fcr & ~kFcrStoredMask) return bad("FCR bits that are not stored");
  if (s.fcr != 0 && !(s.fcr & kFcrEnable)) return bad("FCR bits without FIFO enable");
  if (s.rx_count > kRxFifoCapacity) return bad("receive FIFO count above capacity");
  for (size_t i = s.rx_count; i < kRxFifoCapacity; ++i) {
    if (s.rx[i] != 0) return bad("receive FIFO bytes beyond count");
  }
  if (s.lsr & ~(kLsrDr | kLsrOe | kLsrThre | kLsrTemt)) return bad("LSR bits never generated");
  if ((s.lsr & kLsrReset) != kLsrReset) return bad("LSR THRE/TEMT clear (transmit is instant)");
  if (((s.lsr & kLsrDr) != 0) != (s.rx_count > 0)) return bad("LSR DR disagrees with FIFO");
  if ((s.msr & kMsrInputMask) != ModemInputsFor(s.mcr)) return bad("MSR inputs disagree with MCR");
  if (s.thre_pending && !(s.ier & kIerEtbei)) return bad("THRE latched with ETBEI clear");
  return Ok();
}

Result<void> Serial::Restore(const State& state) {
  PETREL_TRY(Validate(state));
  std::lock_guard lock(mu_);
  s_ = state;
  irq_level_ = InterruptId() != kIirNoInterrupt && (s_.mcr & kMcrOut2);
  if (irq_) irq_->SetLevel(irq_level_);
  return Ok();
}

}  // namespace petrel
