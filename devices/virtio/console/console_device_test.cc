// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for ConsoleDevice (virtio 1.2 §5.3) through a fake transport context
// and guest-side drivers for receiveq0 and transmitq0.
#include "devices/virtio/console/console_device.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"

namespace petrel::virtio {
namespace {

using testing::FakeVirtioContext;
using testing::VirtqDriver;

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

class ConsoleDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = *GuestMemory::CreateX86(8 << 20);
    dev_ = std::make_unique<ConsoleDevice>(
        [this](std::span<const uint8_t> b) { output_.insert(output_.end(), b.begin(), b.end()); },
        ConsoleSize{80, 25});
    NewTransport(FeatureBit(kConsoleFSize));
  }

  // Fresh rings and a fresh context, as after a driver (re)probe.
  void NewTransport(uint64_t features) {
    rx_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem_, {.size = 16, .ring_gpa = 0x1'0000, .data_gpa = 0x10'0000, .data_size = 0x10'0000}));
    tx_ = std::make_unique<VirtqDriver>(*VirtqDriver::Create(
        mem_, {.size = 16, .ring_gpa = 0x2'0000, .data_gpa = 0x20'0000, .data_size = 0x10'0000}));
    ctx_ = std::make_unique<FakeVirtioContext>(mem_, loop_, kConsoleQueueCount, features);
    ASSERT_TRUE(ctx_->ActivateQueue(kConsoleReceiveQueue, rx_->QueueConfig()).ok());
    ASSERT_TRUE(ctx_->ActivateQueue(kConsoleTransmitQueue, tx_->QueueConfig()).ok());
  }

  void Activate() { ASSERT_TRUE(dev_->Activate(*ctx_).ok()); }

  // Makes `n` receive chains of `len` writable bytes each available.
  std::vector<VirtqDriver::Request> AddRxBuffers(int n, uint32_t len) {
    std::vector<VirtqDriver::Request> reqs;
    for (int i = 0; i < n; ++i) reqs.push_back(*rx_->AddRequest({}, {len}));
    EXPECT_TRUE(rx_->Kick().ok());
    return reqs;
  }

  void Input(const std::string& s) {
    const auto b = Bytes(s);
    dev_->QueueInput(b);
  }

  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<VirtqDriver> rx_;
  std::unique_ptr<VirtqDriver> tx_;
  std::unique_ptr<FakeVirtioContext> ctx_;
  std::vector<uint8_t> output_;
  std::unique_ptr<ConsoleDevice> dev_;
};

TEST_F(ConsoleDeviceTest, IdentityAndConfig) {
  EXPECT_EQ(dev_->device_type(), 3);
  EXPECT_EQ(dev_->device_features(), uint64_t{1});  // §5.3.3 bit 0: F_SIZE
  EXPECT_EQ(dev_->queue_count(), 2);
  EXPECT_EQ(dev_->max_queue_size(), 256);
  std::vector<uint8_t> cfg(16, 0xaa);
  dev_->ReadConfig(0, cfg);
  EXPECT_EQ(cfg, (std::vector<uint8_t>{80, 0, 25, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  std::vector<uint8_t> rows(2);
  dev_->ReadConfig(2, rows);
  EXPECT_EQ(rows, (std::vector<uint8_t>{25, 0}));
  std::vector<uint8_t> far(4, 0xaa);
  dev_->ReadConfig(~uint64_t{0} - 1, far);  // offset + i wraps: still zeros
  EXPECT_EQ(far, std::vector<uint8_t>(4, 0));
  const std::vector<uint8_t> junk{1, 2, 3, 4};
  dev_->WriteConfig(0, junk);
  EXPECT_EQ(dev_->size(), (ConsoleSize{80, 25}));
}

TEST_F(ConsoleDeviceTest, OutputReachesSink) {
  Activate();
  auto a = *tx_->AddRequest({Bytes("hello "), Bytes("world")}, {});
  auto b = *tx_->AddRequest({Bytes("!\n")}, {}, /*indirect=*/false);
  ASSERT_TRUE(tx_->Kick().ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  EXPECT_EQ(std::string(output_.begin(), output_.end()), "hello world!\n");
  auto ua = *tx_->PopUsed();
  auto ub = *tx_->PopUsed();
  ASSERT_TRUE(ua && ub);
  EXPECT_EQ(ua->id, a.head);
  EXPECT_EQ(ua->len, 0u);
  EXPECT_EQ(ub->id, b.head);
  EXPECT_EQ(ctx_->signals(kConsoleTransmitQueue), 1u);
  EXPECT_EQ(dev_->stats().output_bytes, 13u);
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(ConsoleDeviceTest, OutputChainCappedPerChain) {
  Activate();
  std::vector<uint8_t> big(kConsoleMaxTxBytesPerChain + 100, 'x');
  ASSERT_TRUE(tx_->AddRequest({big}, {}).ok());
  ASSERT_TRUE(tx_->Kick().ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  EXPECT_EQ(output_.size(), kConsoleMaxTxBytesPerChain);
  EXPECT_EQ(dev_->stats().output_bytes_dropped, 100u);
  EXPECT_TRUE((*tx_->PopUsed()).has_value());
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(ConsoleDeviceTest, InputAcrossSeveralSmallBuffers) {
  Activate();
  auto reqs = AddRxBuffers(3, 4);
  Input("0123456789");
  EXPECT_EQ(dev_->pending_input(), 10u);  // delivery is posted to the loop
  loop_.RunUntilIdle();
  EXPECT_EQ(dev_->pending_input(), 0u);
  std::string got;
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto used = *rx_->PopUsed();
    ASSERT_TRUE(used.has_value());
    EXPECT_EQ(used->id, reqs[i].head);
    EXPECT_EQ(used->len, i < 2 ? 4u : 2u);
    auto bytes = *rx_->ReadBytes(reqs[i].segments[0].gpa, used->len);
    got.append(bytes.begin(), bytes.end());
  }
  EXPECT_EQ(got, "0123456789");
  EXPECT_GE(ctx_->signals(kConsoleReceiveQueue), 1u);
  EXPECT_EQ(dev_->stats().input_bytes, 10u);

  // No buffers left: input waits until the driver adds one and kicks.
  Input("ab");
  loop_.RunUntilIdle();
  EXPECT_EQ(dev_->pending_input(), 2u);
  auto more = AddRxBuffers(1, 8);
  dev_->QueueNotified(kConsoleReceiveQueue);
  auto used = *rx_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, 2u);
  EXPECT_EQ(*rx_->ReadBytes(more[0].segments[0].gpa, 2), Bytes("ab"));
  EXPECT_TRUE(ctx_->failures().empty());
}

TEST_F(ConsoleDeviceTest, InputBeforeActivationIsBuffered) {
  Input("early");
  loop_.RunUntilIdle();
  EXPECT_EQ(dev_->pending_input(), 5u);
  auto reqs = AddRxBuffers(1, 16);
  Activate();  // delivers at once
  auto used = *rx_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->len, 5u);
  EXPECT_EQ(*rx_->ReadBytes(reqs[0].segments[0].gpa, 5), Bytes("early"));
  EXPECT_EQ(dev_->pending_input(), 0u);
}

TEST_F(ConsoleDeviceTest, InputCapDropsAndCounts) {
  std::vector<uint8_t> lots(kConsoleMaxPendingInput + 10, 'k');
  dev_->QueueInput(lots);
  EXPECT_EQ(dev_->pending_input(), kConsoleMaxPendingInput);
  EXPECT_EQ(dev_->stats().input_bytes_dropped, 10u);
  Input("more");
  EXPECT_EQ(dev_->pending_input(), kConsoleMaxPendingInput);
  EXPECT_EQ(dev_->stats().input_bytes_dropped, 14u);
}

TEST_F(ConsoleDeviceTest, WritableBufferInTransmitqFails) {
  Activate();
  ASSERT_TRUE(tx_->AddRequest({Bytes("a")}, {4}).ok());
  ASSERT_TRUE(tx_->Kick().ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  ASSERT_EQ(ctx_->failures().size(), 1u);
  EXPECT_NE(ctx_->failures()[0].find("transmitq"), std::string::npos);
  EXPECT_TRUE(output_.empty());
  // Failed: further doorbells are ignored until reset.
  ASSERT_TRUE(tx_->AddRequest({Bytes("b")}, {}).ok());
  ASSERT_TRUE(tx_->Kick().ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  EXPECT_TRUE(output_.empty());
  EXPECT_EQ(ctx_->failures().size(), 1u);
}

TEST_F(ConsoleDeviceTest, ReadableBufferInReceiveqFails) {
  Activate();
  ASSERT_TRUE(rx_->AddRequest({Bytes("x")}, {4}).ok());
  ASSERT_TRUE(rx_->Kick().ok());
  Input("hi");
  loop_.RunUntilIdle();
  ASSERT_EQ(ctx_->failures().size(), 1u);
  EXPECT_NE(ctx_->failures()[0].find("receiveq"), std::string::npos);
}

TEST_F(ConsoleDeviceTest, BrokenRingFails) {
  Activate();
  // avail.idx says 1 chain, its head points past the queue.
  ASSERT_TRUE(tx_->SetAvailRing(0, 99).ok());
  ASSERT_TRUE(tx_->SetAvailIdx(1).ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  EXPECT_EQ(ctx_->failures().size(), 1u);
}

TEST_F(ConsoleDeviceTest, ResetKeepsInputThenReactivates) {
  Activate();
  ASSERT_TRUE(tx_->AddRequest({Bytes("a")}, {1}).ok());  // malformed: device fails
  ASSERT_TRUE(tx_->Kick().ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  ASSERT_EQ(ctx_->failures().size(), 1u);

  Input("kept");
  dev_->Reset();
  ctx_->ResetQueues();
  loop_.RunUntilIdle();  // the posted delivery finds no activation
  EXPECT_EQ(dev_->pending_input(), 4u);
  dev_->QueueNotified(kConsoleTransmitQueue);  // ignored while reset

  NewTransport(FeatureBit(kConsoleFSize));
  auto reqs = AddRxBuffers(1, 8);
  Activate();
  auto used = *rx_->PopUsed();
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(*rx_->ReadBytes(reqs[0].segments[0].gpa, used->len), Bytes("kept"));
  ASSERT_TRUE(tx_->AddRequest({Bytes("ok")}, {}).ok());
  ASSERT_TRUE(tx_->Kick().ok());
  dev_->QueueNotified(kConsoleTransmitQueue);
  EXPECT_EQ(output_, Bytes("ok"));
  EXPECT_TRUE(ctx_->failures().empty());  // the new context saw no failure
}

TEST_F(ConsoleDeviceTest, ResizeSignalsConfigChangeWhenNegotiated) {
  dev_->SetSize({100, 40});  // not active: nothing to signal
  loop_.RunUntilIdle();
  Activate();
  dev_->SetSize({100, 40});  // unchanged
  loop_.RunUntilIdle();
  EXPECT_EQ(ctx_->config_changes(), 0u);
  dev_->SetSize({120, 50});
  loop_.RunUntilIdle();
  EXPECT_EQ(ctx_->config_changes(), 1u);
  std::vector<uint8_t> cfg(4);
  dev_->ReadConfig(0, cfg);
  EXPECT_EQ(cfg, (std::vector<uint8_t>{120, 0, 50, 0}));

  dev_->Reset();
  NewTransport(/*features=*/0);  // F_SIZE not negotiated
  Activate();
  dev_->SetSize({1, 2});
  loop_.RunUntilIdle();
  EXPECT_EQ(ctx_->config_changes(), 0u);
}

TEST_F(ConsoleDeviceTest, SaveRestore) {
  Input("abc");
  dev_->SetSize({7, 9});
  const ConsoleDeviceState state = dev_->Save();
  EXPECT_EQ(state.size, (ConsoleSize{7, 9}));
  EXPECT_EQ(state.pending_input, Bytes("abc"));

  ConsoleDevice other(nullptr);
  ASSERT_TRUE(other.Restore(state).ok());
  EXPECT_EQ(other.Save(), state);

  ConsoleDeviceState bad = state;
  bad.pending_input.resize(kConsoleMaxPendingInput + 1);
  EXPECT_FALSE(other.Restore(bad).ok());
  EXPECT_EQ(other.Save(), state);
}

TEST_F(ConsoleDeviceTest, InputFromAnotherThreadArrivesInOrder) {
  Activate();
  auto reqs = AddRxBuffers(16, 256);
  constexpr int kBytes = 2000;
  std::thread typist([this] {
    for (int i = 0; i < kBytes; ++i) {
      const uint8_t b = static_cast<uint8_t>(i % 251);
      dev_->QueueInput(std::span<const uint8_t>(&b, 1));
    }
  });
  std::vector<uint8_t> got;
  // As a driver does: read what came back, then give more buffers. How many
  // bytes each delivery carries depends on the threads' timing (a slow loop
  // batches more), so the buffers are refilled until every byte arrived.
  auto drain = [&] {
    while (auto used = *rx_->PopUsed()) {
      for (const auto& r : reqs) {
        if (r.head != used->id) continue;
        auto bytes = *rx_->ReadBytes(r.segments[0].gpa, used->len);
        got.insert(got.end(), bytes.begin(), bytes.end());
      }
    }
  };
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(loop_.RunOnce(0).ok());
    drain();
  }
  typist.join();
  loop_.RunUntilIdle();
  drain();
  for (int round = 0; round < 200 && got.size() < static_cast<size_t>(kBytes); ++round) {
    reqs = AddRxBuffers(16, 256);
    dev_->QueueNotified(kConsoleReceiveQueue);
    loop_.RunUntilIdle();
    drain();
  }
  ASSERT_EQ(got.size(), static_cast<size_t>(kBytes));
  for (int i = 0; i < kBytes; ++i) ASSERT_EQ(got[i], i % 251) << i;
  EXPECT_EQ(dev_->pending_input(), 0u);
}

TEST_F(ConsoleDeviceTest, PostedWorkAfterDestructionIsHarmless) {
  Activate();
  Input("bye");
  dev_->SetSize({1, 1});
  EXPECT_GT(loop_.pending(), 0u);
  dev_.reset();
  loop_.RunUntilIdle();
  EXPECT_EQ(ctx_->config_changes(), 0u);
  EXPECT_EQ(ctx_->signals(kConsoleReceiveQueue), 0u);
}

}  // namespace
}  // namespace petrel::virtio
