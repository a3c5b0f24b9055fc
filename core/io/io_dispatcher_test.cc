// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for IoDispatcher: bus dispatch, unclaimed accesses, the software
// ioevent table, and the hand-off of fd notifiers to a backend's kernel.
#include "core/io/io_dispatcher.h"

#include <vector>

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "core/base/log.h"

namespace petrel {
namespace {

using hv::IoEventAddr;
using Space = hv::IoEventAddr::Space;

class FakeDevice : public BusDevice {
 public:
  void Read(uint64_t offset, std::span<uint8_t> data) override {
    reads.push_back(offset);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0x10 + offset + i);
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    writes.push_back(offset);
    last_write.assign(data.begin(), data.end());
  }
  std::vector<uint64_t> reads;
  std::vector<uint64_t> writes;
  std::vector<uint8_t> last_write;
};

// A Vm whose RegisterIoEvent answers with `result_code` (or accepts when
// unset) and whose caps say whether it serves ioevents in its kernel.
class FakeVm : public hv::Vm {
 public:
  class Registration : public hv::IoEventRegistration {
   public:
    explicit Registration(int* live) : live_(live) { ++*live_; }
    ~Registration() override { --*live_; }

   private:
    int* live_;
  };

  explicit FakeVm(std::optional<ErrorCode> fail, bool kernel_ioevents = true) : fail_(fail) {
    caps_.kernel_ioevents = kernel_ioevents;
  }
  const hv::Caps& caps() const override { return caps_; }
  Result<void> MapMemory(std::shared_ptr<GuestMemory>) override { return Ok(); }
  Result<std::unique_ptr<hv::Vcpu>> CreateVcpu(uint32_t) override {
    return Error(ErrorCode::kUnsupported, "fake");
  }
  Result<std::shared_ptr<hv::InterruptLine>> LegacyInterrupt(uint32_t) override {
    return Error(ErrorCode::kUnsupported, "fake");
  }
  Result<std::shared_ptr<hv::MsiInterrupt>> CreateMsiInterrupt() override {
    return Error(ErrorCode::kUnsupported, "fake");
  }
  Result<hv::VmState> SaveState() override { return Error(ErrorCode::kUnsupported, "fake"); }
  Result<void> RestoreState(const hv::VmState&) override {
    return Error(ErrorCode::kUnsupported, "fake");
  }
  Result<void> StartDirtyLog() override { return Error(ErrorCode::kUnsupported, "fake"); }
  Result<void> StopDirtyLog() override { return Error(ErrorCode::kUnsupported, "fake"); }
  Result<DirtyBitmap> TakeDirtyLog() override { return Error(ErrorCode::kUnsupported, "fake"); }
  Result<std::unique_ptr<hv::IoEventRegistration>> RegisterIoEvent(
      std::shared_ptr<Notifier>, IoEventAddr addr, std::optional<uint64_t>) override {
    ++calls;
    last_addr = addr;
    if (fail_) return Error(*fail_, "fake backend says no");
    return std::unique_ptr<hv::IoEventRegistration>(new Registration(&live));
  }

  int calls = 0;
  int live = 0;
  IoEventAddr last_addr{};

 private:
  std::optional<ErrorCode> fail_;
  hv::Caps caps_;
};

class IoDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = io_.pio().Insert(0x3f8, 8, pio_dev_);
    auto m = io_.mmio().Insert(0xd000'0000, 0x1000, mmio_dev_);
    ASSERT_TRUE(p.ok() && m.ok());
    pio_reg_ = std::move(p).value();
    mmio_reg_ = std::move(m).value();
  }
  std::unique_ptr<hv::IoEventRegistration> Soft(std::shared_ptr<Notifier> n, IoEventAddr addr,
                                                std::optional<uint64_t> datamatch) {
    auto r = io_.RegisterIoEvent(nullptr, std::move(n), addr, datamatch);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  IoDispatcher io_;
  std::shared_ptr<FakeDevice> pio_dev_ = std::make_shared<FakeDevice>();
  std::shared_ptr<FakeDevice> mmio_dev_ = std::make_shared<FakeDevice>();
  Bus::Registration pio_reg_;
  Bus::Registration mmio_reg_;
};

TEST_F(IoDispatcherTest, PioGoesToThePioBus) {
  uint8_t data[1] = {};
  io_.PioRead(0, 0x3fd, data);
  EXPECT_EQ(pio_dev_->reads, std::vector<uint64_t>{5});
  EXPECT_EQ(data[0], 0x15);
  const uint8_t w[1] = {'A'};
  io_.PioWrite(0, 0x3f8, w);
  EXPECT_EQ(pio_dev_->writes, std::vector<uint64_t>{0});
  EXPECT_EQ(pio_dev_->last_write, std::vector<uint8_t>{'A'});
  EXPECT_TRUE(mmio_dev_->reads.empty() && mmio_dev_->writes.empty());
  EXPECT_EQ(io_.unclaimed_accesses(), 0u);
}

TEST_F(IoDispatcherTest, MmioGoesToTheMmioBus) {
  uint8_t data[4] = {};
  io_.MmioRead(1, 0xd000'0010, data);
  EXPECT_EQ(mmio_dev_->reads, std::vector<uint64_t>{0x10});
  EXPECT_EQ(data[3], 0x23);
  const uint8_t w[4] = {1, 2, 3, 4};
  io_.MmioWrite(1, 0xd000'0ffc, w);
  EXPECT_EQ(mmio_dev_->writes, std::vector<uint64_t>{0xffc});
  EXPECT_TRUE(pio_dev_->reads.empty() && pio_dev_->writes.empty());
  // Port 0x3f8 on the MMIO bus is nothing.
  io_.MmioRead(0, 0x3f8, data);
  EXPECT_TRUE(pio_dev_->reads.empty());
  EXPECT_EQ(io_.unclaimed_accesses(), 1u);
}

TEST_F(IoDispatcherTest, UnclaimedReadsReturnAllOnesAndAreCounted) {
  uint8_t pio[2] = {0, 0};
  io_.PioRead(0, 0x80, pio);
  EXPECT_EQ(pio[0], 0xff);
  EXPECT_EQ(pio[1], 0xff);
  uint8_t mmio[8] = {};
  io_.MmioRead(0, 0xfeb0'0000, mmio);
  for (uint8_t b : mmio) EXPECT_EQ(b, 0xff);
  uint8_t straddle[4] = {};
  io_.MmioRead(0, 0xd000'0ffe, straddle);  // runs off the device's end
  EXPECT_EQ(straddle[0], 0xff);
  EXPECT_TRUE(mmio_dev_->reads.empty());
  const uint8_t w[1] = {0};
  io_.PioWrite(0, 0x81, w);
  io_.MmioWrite(0, 0x1000, w);
  EXPECT_EQ(io_.unclaimed_accesses(), 5u);
}

// A device that throws (a bug, std::bad_alloc) on a vCPU thread must not end
// the thread or the process: the access completes as unclaimed.
class ThrowingDevice final : public BusDevice {
 public:
  void Read(uint64_t, std::span<uint8_t> data) override {
    data[0] = 0x12;  // partly written before the throw
    throw std::out_of_range("device bug");
  }
  void Write(uint64_t, std::span<const uint8_t>) override { throw std::bad_alloc(); }
};

TEST_F(IoDispatcherTest, ADeviceThatThrowsIsCaughtAndTheAccessEndsUnclaimed) {
  auto reg = io_.pio().Insert(0x500, 4, std::make_shared<ThrowingDevice>());
  ASSERT_TRUE(reg.ok());
  uint8_t data[2] = {};
  io_.PioRead(0, 0x500, data);
  EXPECT_EQ(data[0], 0xff);
  EXPECT_EQ(data[1], 0xff);
  const uint8_t w[1] = {1};
  io_.PioWrite(0, 0x501, w);
  EXPECT_EQ(io_.device_faults(), 2u);
  EXPECT_EQ(io_.unclaimed_accesses(), 2u);
  // Other devices are unaffected.
  io_.PioRead(0, 0x3fd, data);
  EXPECT_EQ(data[0], 0x15);
}

TEST_F(IoDispatcherTest, UnclaimedAccessIsLoggedOncePerAddress) {
  log::SetVerbosity(2);
  log::CaptureForTest(true);
  uint8_t data[1];
  io_.PioRead(0, 0x80, data);
  io_.PioRead(0, 0x80, data);
  io_.PioRead(0, 0x84, data);
  std::string out = log::TakeCaptured();
  log::CaptureForTest(false);
  log::SetVerbosity(0);
  EXPECT_NE(out.find("unclaimed pio read 0x80"), std::string::npos) << out;
  EXPECT_EQ(out.find("0x80", out.find("0x80") + 10), std::string::npos) << out;
  EXPECT_NE(out.find("unclaimed pio read 0x84"), std::string::npos) << out;
  EXPECT_EQ(io_.unclaimed_accesses(), 3u);
}

TEST_F(IoDispatcherTest, SoftIoEventConsumesMatchingWrite) {
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = Soft(n, {Space::kMmio, 0xd000'0050, 4}, std::nullopt);
  ASSERT_NE(reg, nullptr);
  const uint8_t w[4] = {9, 9, 9, 9};
  io_.MmioWrite(0, 0xd000'0050, w);
  EXPECT_EQ(n->count(), 1u);
  EXPECT_TRUE(mmio_dev_->writes.empty());  // consumed by the doorbell
  EXPECT_EQ(io_.software_ioevents_signalled(), 1u);
  // Reads never ring doorbells.
  uint8_t r[4];
  io_.MmioRead(0, 0xd000'0050, r);
  EXPECT_EQ(n->count(), 1u);
  EXPECT_EQ(mmio_dev_->reads.size(), 1u);
}

TEST_F(IoDispatcherTest, ExactLengthMustMatchWidth) {
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = Soft(n, {Space::kMmio, 0xd000'0050, 4}, std::nullopt);
  const uint8_t w2[2] = {1, 2};
  io_.MmioWrite(0, 0xd000'0050, w2);
  EXPECT_EQ(n->count(), 0u);
  EXPECT_EQ(mmio_dev_->writes, std::vector<uint64_t>{0x50});  // fell through to the bus
  const uint8_t w4[4] = {1, 2, 3, 4};
  io_.MmioWrite(0, 0xd000'0054, w4);  // right width, wrong address
  EXPECT_EQ(n->count(), 0u);
}

TEST_F(IoDispatcherTest, LengthZeroMatchesAnyWidth) {
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = Soft(n, {Space::kMmio, 0xd000'0050, 0}, std::nullopt);
  const uint8_t w1[1] = {1};
  const uint8_t w2[2] = {1, 2};
  const uint8_t w8[8] = {};
  io_.MmioWrite(0, 0xd000'0050, w1);
  io_.MmioWrite(0, 0xd000'0050, w2);
  io_.MmioWrite(0, 0xd000'0050, w8);
  EXPECT_EQ(n->count(), 3u);
  EXPECT_TRUE(mmio_dev_->writes.empty());
}

TEST_F(IoDispatcherTest, DatamatchComparesLittleEndianValue) {
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = Soft(n, {Space::kPio, 0x3f8, 2}, 0x1234);
  const uint8_t match[2] = {0x34, 0x12};
  const uint8_t other[2] = {0x12, 0x34};
  io_.PioWrite(0, 0x3f8, other);
  EXPECT_EQ(n->count(), 0u);
  EXPECT_EQ(pio_dev_->writes.size(), 1u);  // the device got the non-matching write
  io_.PioWrite(0, 0x3f8, match);
  EXPECT_EQ(n->count(), 1u);
  EXPECT_EQ(pio_dev_->writes.size(), 1u);
}

TEST_F(IoDispatcherTest, DatamatchPicksTheRightDoorbell) {
  auto q0 = std::make_shared<InProcessNotifier>();
  auto q1 = std::make_shared<InProcessNotifier>();
  auto r0 = Soft(q0, {Space::kMmio, 0xd000'0100, 2}, 0);
  auto r1 = Soft(q1, {Space::kMmio, 0xd000'0100, 2}, 1);
  const uint8_t one[2] = {1, 0};
  io_.MmioWrite(0, 0xd000'0100, one);
  EXPECT_EQ(q0->count(), 0u);
  EXPECT_EQ(q1->count(), 1u);
}

TEST_F(IoDispatcherTest, SpacesAreSeparate) {
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = Soft(n, {Space::kPio, 0x3f8, 1}, std::nullopt);
  const uint8_t w[1] = {0};
  io_.MmioWrite(0, 0x3f8, w);
  EXPECT_EQ(n->count(), 0u);
  io_.PioWrite(0, 0x3f8, w);
  EXPECT_EQ(n->count(), 1u);
}

TEST_F(IoDispatcherTest, DroppingRegistrationRemovesDoorbell) {
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = Soft(n, {Space::kMmio, 0xd000'0050, 4}, std::nullopt);
  const uint8_t w[4] = {};
  io_.MmioWrite(0, 0xd000'0050, w);
  EXPECT_EQ(n->count(), 1u);
  reg.reset();
  io_.MmioWrite(0, 0xd000'0050, w);
  EXPECT_EQ(n->count(), 1u);
  EXPECT_EQ(mmio_dev_->writes, std::vector<uint64_t>{0x50});
  EXPECT_EQ(n.use_count(), 1);  // the table let go of the notifier
}

TEST_F(IoDispatcherTest, RejectsBadRegistrations) {
  auto n = std::make_shared<InProcessNotifier>();
  auto bad_len = io_.RegisterIoEvent(nullptr, n, {Space::kMmio, 0x0, 3}, std::nullopt);
  ASSERT_FALSE(bad_len.ok());
  EXPECT_EQ(bad_len.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(io_.RegisterIoEvent(nullptr, n, {Space::kMmio, 0x0, 16}, std::nullopt).ok());
  auto no_notifier = io_.RegisterIoEvent(nullptr, nullptr, {Space::kMmio, 0x0, 4}, std::nullopt);
  ASSERT_FALSE(no_notifier.ok());
  EXPECT_EQ(no_notifier.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(IoDispatcherTest, BackendWithoutKernelIoeventsIsNeverAskedAndUsesTheSoftwareTable) {
  // The decision reads hv::Caps: a backend without kernel_ioevents is not
  // asked (even one that would accept), the software table serves it.
  FakeVm vm(std::nullopt, /*kernel_ioevents=*/false);
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  auto reg = io_.RegisterIoEvent(&vm, *n, {Space::kMmio, 0xd000'0050, 4}, std::nullopt);
  ASSERT_TRUE(reg.ok()) << reg.error().message();
  EXPECT_EQ(vm.calls, 0);
  const uint8_t w[4] = {};
  io_.MmioWrite(0, 0xd000'0050, w);
  EXPECT_EQ((*n)->Consume(), 1u);
  EXPECT_EQ(io_.software_ioevents_signalled(), 1u);
}

TEST_F(IoDispatcherTest, KernelIoeventBackendThatSaysUnsupportedIsAnError) {
  // No probing: a backend whose caps promise kernel ioevents and then
  // refuses one is a failure, not a silent fall-back.
  FakeVm vm(ErrorCode::kUnsupported);
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  auto reg = io_.RegisterIoEvent(&vm, *n, {Space::kMmio, 0xd000'0050, 4}, std::nullopt);
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(vm.calls, 1);
}

TEST_F(IoDispatcherTest, AcceptingBackendTakesFdNotifiers) {
  FakeVm vm(std::nullopt);
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  auto reg = io_.RegisterIoEvent(&vm, *n, {Space::kPio, 0x3f8, 1}, 7);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(vm.calls, 1);
  EXPECT_EQ(vm.live, 1);
  EXPECT_EQ(vm.last_addr.addr, 0x3f8u);
  // The kernel owns it now: a write reaching userspace is not a doorbell.
  const uint8_t w[1] = {7};
  io_.PioWrite(0, 0x3f8, w);
  EXPECT_EQ((*n)->Consume(), 0u);
  EXPECT_EQ(pio_dev_->writes.size(), 1u);
  EXPECT_EQ(io_.software_ioevents_signalled(), 0u);
  reg->reset();
  EXPECT_EQ(vm.live, 0);  // dropping it unregisters from the backend
}

TEST_F(IoDispatcherTest, NotifierWithoutFdNeverGoesToTheBackend) {
  FakeVm vm(std::nullopt);
  auto n = std::make_shared<InProcessNotifier>();
  auto reg = io_.RegisterIoEvent(&vm, n, {Space::kPio, 0x3f8, 1}, std::nullopt);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(vm.calls, 0);
  const uint8_t w[1] = {0};
  io_.PioWrite(0, 0x3f8, w);
  EXPECT_EQ(n->count(), 1u);
}

TEST_F(IoDispatcherTest, BackendFailureOtherThanUnsupportedIsReturned) {
  FakeVm vm(ErrorCode::kSystem);
  auto n = EventFdNotifier::Create();
  ASSERT_TRUE(n.ok());
  auto reg = io_.RegisterIoEvent(&vm, *n, {Space::kPio, 0x3f8, 1}, std::nullopt);
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.error().code(), ErrorCode::kSystem);
  const uint8_t w[1] = {0};
  io_.PioWrite(0, 0x3f8, w);  // nothing was put in the software table either
  EXPECT_EQ((*n)->Consume(), 0u);
}

}  // namespace
}  // namespace petrel
