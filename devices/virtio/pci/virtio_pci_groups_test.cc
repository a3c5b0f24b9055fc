// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice with queue groups on loops of their own (issue 8): a
// doorbell runs on its queue's group loop, activation hands each group over
// on its loop (a kick that rang before is served), a reset stops every
// group on its loop before the device resets, and all of it works when the
// groups share one loop (no loop waits for another) and on real threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/event/epoll_event_loop.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/pci/virtio_pci_test_util.h"

namespace petrel::virtio::testing {
namespace {

constexpr uint64_t kFeatures = FeatureBit(kFVersion1) | FeatureBit(0);

// The echo device with queues {0} and {1} in two groups, behind a transport
// whose group 0 runs on loop_ (the control loop) and group 1 on loop1_.
class VirtioPciGroupsTest : public ::testing::Test, protected SimVmEnv {
 protected:
  VirtioPciGroupsTest() : SimVmEnv(4 << 20) {}
  void SetUp() override { Make({&loop_, &loop1_}); }
  void TearDown() override {
    guest_.reset();
    dev_.reset();
  }
  void Make(std::vector<EventLoop*> loops) {
    echo_ = std::make_shared<EchoDevice>(2);
    echo_->groups = {{0}, {1}};
    auto dev = VirtioPciDevice::Create(echo_, memory_, std::move(loops), io_, vm_.get(),
                                       {.name = "groups"});
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    dev_ = *dev;
    guest_ = std::make_unique<PciGuest>(*dev_);
    guest_->FindCaps();
    for (uint16_t i = 0; i < 2; ++i) {
      drv_.push_back(*VirtqDriver::Create(memory_, {.size = 16,
                                                    .ring_gpa = 0x1'0000ull * (i + 1),
                                                    .data_gpa = 0x10'0000ull * (i + 1),
                                                    .data_size = 0x10'0000}));
    }
  }
  // §3.1.1 up to DRIVER_OK; runs no loop.
  void DriverOk() {
    ASSERT_TRUE(guest_->Negotiate(kFeatures));
    guest_->EnableMsix(3);
    for (uint16_t i = 0; i < 2; ++i) guest_->SetupQueue(i, drv_[i].QueueConfig(), i + 1);
    guest_->SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  }
  void RunBoth() {
    for (int i = 0; i < 4; ++i) {
      loop_.RunUntilIdle();
      loop1_.RunUntilIdle();
    }
  }
  // Adds one request to queue `q` and rings its doorbell (runs no loop).
  void Kick(uint16_t q) {
    ASSERT_TRUE(drv_[q].AddRequest({{7}}, {1}).ok());
    ASSERT_TRUE(drv_[q].Kick().ok());
    guest_->Kick(q);
  }
  bool Used(uint16_t q) {
    auto u = drv_[q].PopUsed();
    return u.ok() && u->has_value();
  }

  DeterministicEventLoop loop1_{clock_};
  std::shared_ptr<EchoDevice> echo_;
  std::shared_ptr<VirtioPciDevice> dev_;
  std::unique_ptr<PciGuest> guest_;
  std::vector<VirtqDriver> drv_;
};

TEST_F(VirtioPciGroupsTest, ADoorbellRunsOnItsGroupsLoop) {
  DriverOk();
  RunBoth();
  ASSERT_TRUE(dev_->active());
  EXPECT_EQ(dev_->group_count(), 2u);
  EXPECT_EQ(dev_->group_of(1), 1u);
  const int before = echo_->notifies[1];
  Kick(1);
  loop_.RunUntilIdle();  // the control loop does not serve queue 1
  EXPECT_EQ(echo_->notifies[1], before);
  EXPECT_FALSE(Used(1));
  loop1_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[1], before + 1);
  EXPECT_TRUE(Used(1));
  const int before0 = echo_->notifies[0];
  Kick(0);
  loop1_.RunUntilIdle();
  EXPECT_EQ(echo_->notifies[0], before0);
  loop_.RunUntilIdle();
  EXPECT_TRUE(Used(0));
}

TEST_F(VirtioPciGroupsTest, AKickBeforeItsGroupIsActiveIsServed) {
  DriverOk();
  loop_.RunUntilIdle();  // activated; group 1's loop has not taken over yet
  ASSERT_TRUE(dev_->active());
  Kick(1);
  EXPECT_FALSE(Used(1));
  loop1_.RunUntilIdle();  // the doorbell (ignored: group inactive), then the hand-over
  EXPECT_TRUE(Used(1));
}

TEST_F(VirtioPciGroupsTest, ResetStopsEveryGroupOnItsLoopBeforeTheDeviceResets) {
  DriverOk();
  RunBoth();
  echo_->events.clear();
  guest_->SetStatus(0);
  loop_.RunUntilIdle();
  EXPECT_NE(guest_->Status(), 0);  // group 1 has not stopped yet
  EXPECT_EQ(echo_->events, (std::vector<std::string>{"stop0"}));
  Kick(1);  // while stopping: ignored, not served
  loop1_.RunUntilIdle();
  EXPECT_FALSE(Used(1));
  EXPECT_NE(guest_->Status(), 0);  // the acknowledgement waits on the control loop
  loop_.RunUntilIdle();
  EXPECT_EQ(guest_->Status(), 0);
  EXPECT_EQ(echo_->events, (std::vector<std::string>{"stop0", "stop1", "reset"}));
  EXPECT_FALSE(dev_->active());
}

TEST_F(VirtioPciGroupsTest, AResetWaitsForAGroupThatIsStillDraining) {
  DriverOk();
  RunBoth();
  echo_->hold_stops = true;
  guest_->SetStatus(0);
  RunBoth();
  ASSERT_EQ(echo_->held_stops.size(), 2u);
  EXPECT_NE(guest_->Status(), 0);
  EXPECT_EQ(echo_->resets, 0);
  echo_->held_stops[1]();
  RunBoth();
  EXPECT_NE(guest_->Status(), 0);
  echo_->held_stops[0]();
  RunBoth();
  EXPECT_EQ(guest_->Status(), 0);
  EXPECT_EQ(echo_->resets, 1);
}

TEST_F(VirtioPciGroupsTest, GroupsSharingOneLoopActivateAndResetWithoutDeadlock) {
  TearDown();
  drv_.clear();
  Make({&loop_});  // one loop for both groups (SharedLoopWorkers)
  for (int round = 0; round < 3; ++round) {
    DriverOk();
    loop_.RunUntilIdle();
    ASSERT_TRUE(dev_->active());
    Kick(0);
    Kick(1);
    loop_.RunUntilIdle();
    EXPECT_TRUE(Used(0));
    EXPECT_TRUE(Used(1));
    guest_->SetStatus(0);
    loop_.RunUntilIdle();
    EXPECT_EQ(guest_->Status(), 0);
    EXPECT_FALSE(dev_->active());
    drv_.clear();
    for (uint16_t i = 0; i < 2; ++i) {
      drv_.push_back(*VirtqDriver::Create(memory_, {.size = 16,
                                                    .ring_gpa = 0x1'0000ull * (i + 1),
                                                    .data_gpa = 0x10'0000ull * (i + 1),
                                                    .data_size = 0x10'0000}));
    }
  }
  EXPECT_EQ(echo_->activations, 3);
  EXPECT_EQ(echo_->resets, 3);
}

TEST_F(VirtioPciGroupsTest, GroupsMustCoverEveryQueueOnce) {
  for (auto groups : std::vector<std::vector<std::vector<uint16_t>>>{
           {{0}}, {{0, 1}, {1}}, {{0}, {1}, {}}, {{0}, {2}}}) {
    auto echo = std::make_shared<EchoDevice>(2);
    echo->groups = groups;
    EXPECT_FALSE(VirtioPciDevice::Create(echo, memory_, loop_, io_, vm_.get()).ok());
  }
  auto echo = std::make_shared<EchoDevice>(2);
  echo->groups = {{0}, {1}};
  // One loop per group, or one loop: three loops fit neither.
  EXPECT_FALSE(
      VirtioPciDevice::Create(echo, memory_, {&loop_, &loop1_, &loop1_}, io_, vm_.get()).ok());
}

// Records the thread each queue is served on.
class ThreadRecorder final : public VirtioDevice {
 public:
  uint16_t device_type() const override { return kDeviceIdEntropy; }
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override { return 0; }
  uint16_t queue_count() const override { return 2; }
  uint16_t max_queue_size() const override { return 16; }
  void ReadConfig(uint64_t, std::span<uint8_t> data) override {
    std::fill(data.begin(), data.end(), uint8_t{0});
  }
  void WriteConfig(uint64_t, std::span<const uint8_t>) override {}
  Result<void> Activate(VirtioContext& context) override {
    ctx_ = &context;
    control_thread = std::this_thread::get_id();
    return Ok();
  }
  void QueueNotified(uint16_t index) override {
    SplitQueue& q = ctx_->queue(index);
    bool added = false;
    for (;;) {
      auto chain = q.Pop();
      if (!chain.ok() || !chain->has_value()) break;
      (void)q.AddUsed((*chain)->head, 0);
      added = true;
    }
    if (!added) return;
    threads[index] = std::this_thread::get_id();
    served[index].fetch_add(1);
    ctx_->SignalUsed(index);
  }
  void Reset() override { reset_thread = std::this_thread::get_id(); }
  std::vector<std::vector<uint16_t>> QueueGroups() const override { return {{0}, {1}}; }

  std::thread::id control_thread, reset_thread;
  std::thread::id threads[2];
  std::atomic<int> served[2] = {0, 0};

 private:
  VirtioContext* ctx_ = nullptr;
};

TEST(VirtioPciGroupsThreads, EachGroupIsServedOnItsOwnThread) {
  MonotonicClock clock;
  auto loop0 = std::move(EpollEventLoop::Create(clock).value());
  auto loop1 = std::move(EpollEventLoop::Create(clock).value());
  IoDispatcher io;
  auto hv = sim::MakeSimHypervisor();
  auto vm = *hv->CreateVm({});
  auto mem = *GuestMemory::CreateX86(4 << 20);
  auto rec = std::make_shared<ThreadRecorder>();
  auto dev = VirtioPciDevice::Create(rec, mem, {loop0.get(), loop1.get()}, io, vm.get());
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  std::thread t0([&] { (void)loop0->Run(); });
  std::thread t1([&] { (void)loop1->Run(); });
  const std::thread::id id0 = t0.get_id(), id1 = t1.get_id();

  PciGuest g(**dev);
  g.FindCaps();
  ASSERT_TRUE(g.Negotiate(FeatureBit(kFVersion1)));
  g.EnableMsix(3);
  std::vector<VirtqDriver> drv;
  for (uint16_t i = 0; i < 2; ++i) {
    drv.push_back(*VirtqDriver::Create(mem, {.size = 16,
                                             .ring_gpa = 0x1'0000ull * (i + 1),
                                             .data_gpa = 0x10'0000ull * (i + 1),
                                             .data_size = 0x10'0000}));
    g.SetupQueue(i, drv[i].QueueConfig(), i + 1);
  }
  g.SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  for (uint16_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(drv[i].AddRequest({{1}}, {}).ok());
    ASSERT_TRUE(drv[i].Kick().ok());
    g.Kick(i);
  }
  EXPECT_TRUE(WaitFor([&] { return rec->served[0] > 0 && rec->served[1] > 0; }));
  g.SetStatus(0);
  EXPECT_TRUE(WaitFor([&] { return g.Status() == 0; }));
  loop0->Stop();
  loop1->Stop();
  t0.join();
  t1.join();
  EXPECT_EQ(rec->threads[0], id0);
  EXPECT_EQ(rec->threads[1], id1);
  EXPECT_EQ(rec->control_thread, id0);
  EXPECT_EQ(rec->reset_thread, id0);
  dev->reset();
}

}  // namespace
}  // namespace petrel::virtio::testing
