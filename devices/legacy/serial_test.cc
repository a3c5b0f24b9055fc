// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for Serial: every register, the divisor latch, FIFO fill/overflow,
// loopback, each interrupt source and its clearing, OUT2 gating.
#include "devices/legacy/serial.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "devices/legacy/fake_interrupt_line.h"

namespace petrel {
namespace {

// Register offsets and values under test, written out as the datasheet
// numbers so a wrong constant in serial.cc cannot hide here.
constexpr uint64_t kRbrThr = 0, kIer = 1, kIir = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6,
                   kScr = 7;
constexpr uint8_t kOut2 = 0x08, kLoop = 0x10;

class SerialTest : public ::testing::Test {
 protected:
  SerialTest()
      : irq_(std::make_shared<FakeInterruptLine>()),
        serial_(irq_, [this](std::span<const uint8_t> b) {
          out_.insert(out_.end(), b.begin(), b.end());
        }) {}

  uint8_t In(uint64_t reg) {
    uint8_t v = 0;
    serial_.Read(reg, std::span<uint8_t>(&v, 1));
    return v;
  }
  void Out(uint64_t reg, uint8_t v) { serial_.Write(reg, std::span<const uint8_t>(&v, 1)); }
  void Input(std::vector<uint8_t> bytes) { serial_.QueueInput(bytes); }

  std::shared_ptr<FakeInterruptLine> irq_;
  std::vector<uint8_t> out_;
  Serial serial_;
};

TEST_F(SerialTest, ResetValuesMatchDatasheet) {
  EXPECT_EQ(In(kIer), 0x00);
  EXPECT_EQ(In(kIir), 0x01);  // no interrupt pending, FIFOs off
  EXPECT_EQ(In(kLcr), 0x00);
  EXPECT_EQ(In(kMcr), 0x00);
  EXPECT_EQ(In(kLsr), 0x60);  // THRE | TEMT
  EXPECT_EQ(In(kMsr), 0xb0);  // DCD | DSR | CTS, no deltas
  EXPECT_EQ(In(kScr), 0x00);
  EXPECT_TRUE(irq_->levels().empty());
}

TEST_F(SerialTest, TransmitGoesToOutputAtOnce) {
  Out(kRbrThr, 'h');
  Out(kRbrThr, 'i');
  EXPECT_EQ(out_, (std::vector<uint8_t>{'h', 'i'}));
  EXPECT_EQ(In(kLsr), 0x60);
}

TEST_F(SerialTest, DivisorLatchSharesOffsetsZeroAndOne) {
  Out(kIer, 0x05);
  Out(kLcr, 0x83);             // DLAB | 8N1
  EXPECT_EQ(In(kRbrThr), 12);  // default divisor: 9600 baud
  Out(kRbrThr, 0x01);          // DLL, not THR
  Out(kIer, 0x02);             // DLM, not IER
  EXPECT_EQ(In(kRbrThr), 0x01);
  EXPECT_EQ(In(kIer), 0x02);
  EXPECT_TRUE(out_.empty());
  Out(kLcr, 0x03);
  EXPECT_EQ(In(kLcr), 0x03);
  EXPECT_EQ(In(kIer), 0x05);  // IER untouched by the DLM write
  Out(kLcr, 0x80);
  EXPECT_EQ(In(kRbrThr), 0x01);
  EXPECT_EQ(In(kIer), 0x02);
}

TEST_F(SerialTest, ScratchRegisterHoldsAnyByte) {
  Out(kScr, 0xa5);
  EXPECT_EQ(In(kScr), 0xa5);
}

TEST_F(SerialTest, ReservedBitsReadZero) {
  Out(kIer, 0xff);
  EXPECT_EQ(In(kIer), 0x0f);
  Out(kMcr, 0xef);  // everything but LOOP
  EXPECT_EQ(In(kMcr), 0x0f);
}

TEST_F(SerialTest, LsrAndMsrWritesAreIgnored) {
  Out(kLsr, 0x00);
  Out(kMsr, 0x00);
  EXPECT_EQ(In(kLsr), 0x60);
  EXPECT_EQ(In(kMsr), 0xb0);
}

TEST_F(SerialTest, ReceivedBytesReadInOrderAndClearDr) {
  Input({'a', 'b'});
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(kRbrThr), 'a');
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(kRbrThr), 'b');
  EXPECT_EQ(In(kLsr), 0x60);
  EXPECT_EQ(In(kRbrThr), 0);  // empty
}

TEST_F(SerialTest, FifoOverflowSetsOverrunAndDropsNewBytes) {
  std::vector<uint8_t> burst(Serial::kRxFifoCapacity + 6);
  for (size_t i = 0; i < burst.size(); ++i) burst[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(serial_.InputSpace(), Serial::kRxFifoCapacity);
  serial_.QueueInput(burst);
  EXPECT_EQ(serial_.InputSpace(), 0u);
  EXPECT_EQ(In(kLsr), 0x63);  // DR | OE | THRE | TEMT
  EXPECT_EQ(In(kLsr), 0x61);  // OE clears on read
  for (size_t i = 0; i < Serial::kRxFifoCapacity; ++i) ASSERT_EQ(In(kRbrThr), i);
  EXPECT_EQ(In(kLsr), 0x60);
}

TEST_F(SerialTest, FcrEnableShowsInIirAndChangingItClearsFifo) {
  Input({'x'});
  Out(kIir, 0xc1);  // FIFO enable, trigger 14
  EXPECT_EQ(In(kIir), 0xc1);
  EXPECT_EQ(In(kLsr) & 0x01, 0);  // enabling cleared the FIFO
  Input({'y'});
  Out(kIir, 0x00);
  EXPECT_EQ(In(kIir), 0x01);
  EXPECT_EQ(In(kLsr) & 0x01, 0);  // disabling cleared it too
}

TEST_F(SerialTest, FcrReceiverResetClearsOnlyWithFifoEnabled) {
  Out(kIir, 0x01);
  Input({'x', 'y'});
  Out(kIir, 0x05);  // enable + XMIT reset: receive FIFO kept
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  Out(kIir, 0x03);  // enable + RCVR reset
  EXPECT_EQ(In(kLsr) & 0x01, 0);
  Out(kIir, 0x00);
  Input({'z'});
  Out(kIir, 0x02);  // RCVR reset without FCR0: not programmed
  EXPECT_EQ(In(kRbrThr), 'z');
}

TEST_F(SerialTest, ReceivedDataInterruptRaisedAndClearedByReading) {
  Out(kMcr, kOut2);
  Out(kIer, 0x01);  // ERBFI
  EXPECT_FALSE(irq_->level());
  Input({'q'});
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_TRUE(irq_->level());  // reading IIR does not clear RDA
  EXPECT_EQ(In(kRbrThr), 'q');
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(kIir), 0x01);
}

TEST_F(SerialTest, ThreInterruptRaisedOnEnableAndClearedByIirRead) {
  Out(kMcr, kOut2);
  Out(kIer, 0x02);  // ETBEI with THR empty
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(kIir), 0x02);
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(kIir), 0x01);
  // Rewriting the same IER value is not a rising edge.
  Out(kIer, 0x02);
  EXPECT_FALSE(irq_->level());
  // Linux's UART_BUG_THRE probe: IER 0 then THRI must raise it again.
  Out(kIer, 0x00);
  Out(kIer, 0x02);
  EXPECT_EQ(In(kIir), 0x02);
}

TEST_F(SerialTest, ThrWriteClearsThenReraisesThreAfterInstantTransmit) {
  Out(kMcr, kOut2);
  Out(kIer, 0x02);
  EXPECT_EQ(In(kIir), 0x02);
  EXPECT_FALSE(irq_->level());
  Out(kRbrThr, 'z');  // THR empties at once: THRE again
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(kIir), 0x02);
  Out(kIer, 0x00);  // disabling ETBEI drops the latch
  Out(kRbrThr, 'z');
  EXPECT_EQ(In(kIir), 0x01);
  EXPECT_FALSE(irq_->level());
}

TEST_F(SerialTest, LineStatusInterruptOnOverrunOutranksReceivedData) {
  Out(kMcr, kOut2);
  Out(kIer, 0x05);  // ELSI | ERBFI
  serial_.QueueInput(std::vector<uint8_t>(Serial::kRxFifoCapacity + 1, 'o'));
  EXPECT_EQ(In(kIir), 0x06);
  EXPECT_EQ(In(kLsr) & 0x02, 0x02);  // reading LSR clears OE
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_TRUE(irq_->level());
}

TEST_F(SerialTest, ModemStatusInterruptFromLoopbackAndClearedByMsrRead) {
  Out(kMcr, kOut2 | kLoop);
  In(kMsr);         // entering loopback changed the inputs: discard those deltas
  Out(kIer, 0x08);  // EDSSI
  EXPECT_EQ(In(kIir), 0x01);
  Out(kMcr, kOut2 | kLoop | 0x02);  // RTS -> CTS
  EXPECT_EQ(In(kIir), 0x00);        // bit 0 clear: modem status pending
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(kMsr), 0x90 | 0x01);  // DCD (OUT2) | CTS, DCTS
  EXPECT_EQ(In(kIir), 0x01);
  EXPECT_FALSE(irq_->level());
}

TEST_F(SerialTest, InterruptPriorityOrder) {
  Out(kMcr, kOut2 | kLoop);
  Out(kIer, 0x0f);
  // Modem status (loopback entry deltas) and THRE are pending now.
  for (size_t i = 0; i < Serial::kRxFifoCapacity + 1; ++i) Out(kRbrThr, 'l');  // fill + overrun
  EXPECT_EQ(In(kIir), 0x06);                                                   // 1: line status
  In(kLsr);
  EXPECT_EQ(In(kIir), 0x04);  // 2: received data
  for (size_t i = 0; i < Serial::kRxFifoCapacity; ++i) In(kRbrThr);
  EXPECT_EQ(In(kIir), 0x02);  // 3: THR empty (cleared by this read)
  EXPECT_EQ(In(kIir), 0x00);  // 4: modem status
  In(kMsr);
  EXPECT_EQ(In(kIir), 0x01);
  EXPECT_FALSE(irq_->level());
}

TEST_F(SerialTest, Out2GatesTheIrqLine) {
  Out(kIer, 0x01);
  Input({'g'});
  EXPECT_EQ(In(kIir), 0x04);    // pending ...
  EXPECT_FALSE(irq_->level());  // ... but OUT2 is low
  Out(kMcr, kOut2);
  EXPECT_TRUE(irq_->level());
  Out(kMcr, 0x00);
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(irq_->levels(), (std::vector<bool>{true, false}));  // driven on changes only
}

TEST_F(SerialTest, LoopbackRoutesThrToRbrAndMirrorsMcrInMsr) {
  Out(kMcr, kLoop | 0x0a);  // LOOP | OUT2 | RTS: Linux's autoconfig check
  EXPECT_EQ(In(kMsr) & 0xf0, 0x90);
  Out(kRbrThr, 'L');
  EXPECT_TRUE(out_.empty());
  Input({'h'});  // SIN is disconnected in loopback
  EXPECT_EQ(serial_.InputSpace(), 0u);
  EXPECT_EQ(In(kRbrThr), 'L');
  EXPECT_EQ(In(kLsr) & 0x01, 0);
  Out(kMcr, kLoop | 0x05);           // DTR -> DSR, OUT1 -> RI
  EXPECT_EQ(In(kMsr), 0x60 | 0x0b);  // DSR|RI; DCTS, DDSR, DDCD
  Out(kMcr, kLoop);                  // RI falls: trailing edge
  EXPECT_EQ(In(kMsr), 0x00 | 0x06);  // DDSR, TERI
  Out(kMcr, 0x00);
  EXPECT_EQ(In(kMsr) & 0xf0, 0xb0);
  Out(kRbrThr, 'o');
  EXPECT_EQ(out_, (std::vector<uint8_t>{'o'}));
}

TEST_F(SerialTest, WideAndOutOfRangeAccessesAreBytewise) {
  Out(kScr, 0x5a);
  std::array<uint8_t, 4> buf{};
  serial_.Read(kMsr, buf);
  EXPECT_EQ(buf, (std::array<uint8_t, 4>{0xb0, 0x5a, 0xff, 0xff}));
  serial_.Read(~0ULL, buf);
  EXPECT_EQ(buf, (std::array<uint8_t, 4>{0xff, 0xff, 0xff, 0xff}));
  const std::array<uint8_t, 2> w{0x11, 0x22};
  serial_.Write(kScr, w);  // 0x22 falls off the end
  EXPECT_EQ(In(kScr), 0x11);
  serial_.Write(Serial::kSize, w);
  EXPECT_EQ(In(kScr), 0x11);
}

TEST_F(SerialTest, NoIrqLineAndNoOutputAreAllowed) {
  Serial bare(nullptr, nullptr);
  uint8_t v = 'x';
  bare.Write(kMcr, std::span<const uint8_t>(&kOut2, 1));
  bare.Write(kIer, std::span<const uint8_t>(&v, 1));
  bare.Write(kRbrThr, std::span<const uint8_t>(&v, 1));
  bare.QueueInput(std::span<const uint8_t>(&v, 1));
  bare.Read(kRbrThr, std::span<uint8_t>(&v, 1));
  EXPECT_EQ(v, 'x');
}

TEST_F(SerialTest, RestoreDrivesTheNewIrqLine) {
  Out(kMcr, kOut2);
  Out(kIer, 0x01);
  Input({'s'});
  auto line = std::make_shared<FakeInterruptLine>();
  Serial copy(line, nullptr);
  ASSERT_TRUE(copy.Restore(serial_.Save()).ok());
  EXPECT_EQ(line->levels(), (std::vector<bool>{true}));
  uint8_t v = 0;
  copy.Read(kRbrThr, std::span<uint8_t>(&v, 1));
  EXPECT_EQ(v, 's');
  EXPECT_FALSE(line->level());
}

TEST_F(SerialTest, ConcurrentInputAndGuestReadsLoseNothing) {
  constexpr int kBytes = 5000;
  std::thread producer([this] {
    for (int sent = 0; sent < kBytes;) {
      if (serial_.InputSpace() == 0) {
        std::this_thread::yield();
        continue;
      }
      const uint8_t b = static_cast<uint8_t>(sent);
      serial_.QueueInput(std::span<const uint8_t>(&b, 1));
      ++sent;
    }
  });
  int got = 0;
  while (got < kBytes) {
    if (In(kLsr) & 0x01) {
      ASSERT_EQ(In(kRbrThr), static_cast<uint8_t>(got));
      ++got;
    }
  }
  producer.join();
  EXPECT_EQ(In(kLsr), 0x60);  // never overran
}

}  // namespace
}  // namespace petrel
