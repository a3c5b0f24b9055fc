// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test helpers for the virtio-pci transport: EchoDevice (a fake VirtioDevice
// that copies each chain's readable bytes into its writable part), PciGuest
// (a guest-side virtio-pci driver doing what Linux's virtio_pci_modern does,
// through config space and BAR0 accesses), SimVmEnv (a VM, RAM and a loop on
// hv_sim), VirtioPciBench (any VirtioDevice behind the transport there, with
// one VirtqDriver per queue) and VirtioPciTest, the fixture around the echo
// device.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/io/io_dispatcher.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"

namespace petrel::virtio::testing {

// Polls `pred` every millisecond for up to 5 s (tests whose work runs on a
// loop thread of its own).
template <class Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

class EchoDevice final : public VirtioDevice {
 public:
  explicit EchoDevice(uint16_t queues = 2, uint16_t max_size = 64)
      : queues_(queues), max_size_(max_size) {}

  uint16_t device_type() const override { return kDeviceIdEntropy; }
  isolation::SyscallRules WorkerSyscalls() const override { return {}; }
  uint64_t device_features() const override { return FeatureBit(0); }
  uint16_t queue_count() const override { return queues_; }
  uint16_t max_queue_size() const override { return max_size_; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override {
    for (size_t i = 0; i < data.size(); ++i) data[i] = offset + i < 4 ? cfg_[offset + i] : 0;
  }
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override {
    for (size_t i = 0; i < data.size(); ++i) {
      if (offset + i < 4) cfg_[offset + i] = data[i];
    }
  }
  Result<void> Activate(VirtioContext& context) override {
    ctx_ = &context;
    ++activations;
    return Ok();
  }
  void QueueNotified(uint16_t index) override {
    ++notifies[index];
    if (fail_next) {
      fail_next = false;
      ctx_->Fail("echo: told to fail");
      return;
    }
    SplitQueue& q = ctx_->queue(index);
    if (!q.ready()) return;
    bool added = false;
    for (;;) {
      auto chain = q.Pop();
      if (!chain.ok()) return ctx_->Fail(chain.error().message());
      if (!chain->has_value()) break;
      std::vector<uint8_t> bytes((*chain)->readable_len);
      ChainReader in(ctx_->memory(), **chain);
      if (!in.Read(bytes).ok()) return ctx_->Fail("read");
      ChainWriter out(ctx_->memory(), **chain);
      if (!out.WriteSome(bytes).ok()) return ctx_->Fail("write");
      if (!q.AddUsed((*chain)->head, out.written()).ok()) return ctx_->Fail("used");
      added = true;
    }
    if (added) ctx_->SignalUsed(index);
  }
  void Reset() override {
    ctx_ = nullptr;
    ++resets;
    events.push_back("reset");
  }
  std::vector<std::vector<uint16_t>> QueueGroups() const override {
    return groups.empty() ? VirtioDevice::QueueGroups() : groups;
  }
  void StopQueueGroup(uint16_t group, std::function<void()> done) override {
    events.push_back("stop" + std::to_string(group));
    if (hold_stops) return held_stops.push_back(std::move(done));
    done();
  }

  VirtioContext* context() { return ctx_; }
  int activations = 0;
  int resets = 0;
  bool fail_next = false;
  std::map<uint16_t, int> notifies;
  // Queue groups (empty: the default, one group); StopQueueGroup and Reset
  // calls in order; with hold_stops, StopQueueGroup keeps `done` for the test.
  std::vector<std::vector<uint16_t>> groups;
  std::vector<std::string> events;
  bool hold_stops = false;
  std::vector<std::function<void()>> held_stops;

 private:
  uint16_t queues_;
  uint16_t max_size_;
  uint8_t cfg_[4] = {1, 2, 3, 4};
  VirtioContext* ctx_ = nullptr;
};

// The guest side, through config() and BarRead/BarWrite only.
class PciGuest {
 public:
  explicit PciGuest(VirtioPciDevice& dev) : dev_(dev) {}

  uint32_t CfgRead(uint16_t off, size_t size) {
    dev_.ConfigRead(off, size);
    return dev_.config().Read(off, size);
  }
  void CfgWrite(uint16_t off, size_t size, uint32_t v) {
    dev_.config().Write(off, size, v);
    dev_.ConfigWritten(off, size);
  }

  // §4.1.4: walks the capability list like vp_modern_probe.
  void FindCaps() {
    for (uint8_t p = CfgRead(kPciCapabilityPointer, 1); p != 0; p = CfgRead(p + 1, 1)) {
      const uint8_t id = CfgRead(p, 1);
      if (id == kPciCapIdMsix) msix_cap = p;
      if (id != kPciCapIdVendor) continue;
      const uint8_t type = CfgRead(p + kVirtioCapCfgType, 1);
      caps[type] = {p, static_cast<uint8_t>(CfgRead(p + kVirtioCapBar, 1)),
                    CfgRead(p + kVirtioCapOffset, 4), CfgRead(p + kVirtioCapLength, 4)};
      if (type == kVirtioPciCapNotifyCfg) multiplier = CfgRead(p + kVirtioNotifyCapMultiplier, 4);
    }
  }

  uint64_t Read(uint64_t off, size_t size) {
    std::vector<uint8_t> b(size);
    dev_.BarRead(0, off, b);
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) v |= uint64_t{b[i]} << (8 * i);
    return v;
  }
  void Write(uint64_t off, size_t size, uint64_t v) {
    std::vector<uint8_t> b(size);
    for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    dev_.BarWrite(0, off, b);
  }
  uint64_t Common(uint64_t field, size_t size) { return Read(caps[1].offset + field, size); }
  void SetCommon(uint64_t field, size_t size, uint64_t v) {
    Write(caps[1].offset + field, size, v);
  }
  uint8_t Status() { return static_cast<uint8_t>(Common(kCommonDeviceStatus, 1)); }
  void SetStatus(uint8_t s) { SetCommon(kCommonDeviceStatus, 1, s); }

  uint64_t DeviceFeatures() {
    SetCommon(kCommonDeviceFeatureSelect, 4, 0);
    uint64_t f = Common(kCommonDeviceFeature, 4);
    SetCommon(kCommonDeviceFeatureSelect, 4, 1);
    return f | Common(kCommonDeviceFeature, 4) << 32;
  }
  void SetDriverFeatures(uint64_t f) {
    SetCommon(kCommonDriverFeatureSelect, 4, 0);
    SetCommon(kCommonDriverFeature, 4, f & 0xffffffff);
    SetCommon(kCommonDriverFeatureSelect, 4, 1);
    SetCommon(kCommonDriverFeature, 4, f >> 32);
  }

  // §6.8.2: enable with the function masked, program entries, unmask.
  void EnableMsix(uint16_t vectors) {
    const uint16_t ctl = msix_cap + kMsixCapControl;
    CfgWrite(ctl, 2, kMsixControlEnable | kMsixControlFunctionMask);
    const uint32_t table = CfgRead(msix_cap + kMsixCapTable, 4) & ~kMsixBirMask;
    for (uint16_t v = 0; v < vectors; ++v) {
      const uint64_t e = table + uint64_t{v} * kMsixEntrySize;
      Write(e + kMsixEntryAddressLo, 4, 0xfee00000);
      Write(e + kMsixEntryAddressHi, 4, 0);
      Write(e + kMsixEntryData, 4, 0x40 + v);
      Write(e + kMsixEntryControl, 4, 0);
    }
    CfgWrite(ctl, 2, kMsixControlEnable);
  }

  // §3.1.1 steps 1-6 (reset must be finished by the caller's loop run).
  // Returns whether FEATURES_OK stuck.
  bool Negotiate(uint64_t accept) {
    SetStatus(kStatusAcknowledge);
    SetStatus(kStatusAcknowledge | kStatusDriver);
    SetDriverFeatures(DeviceFeatures() & accept);
    SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    return (Status() & kStatusFeaturesOk) != 0;
  }

  // §4.1.5.1.3 virtqueue configuration, as vp_modern's setup_vq does.
  void SetupQueue(uint16_t index, const SplitQueue::Config& c, uint16_t vector) {
    SetCommon(kCommonQueueSelect, 2, index);
    SetCommon(kCommonQueueSize, 2, c.size);
    SetCommon(kCommonQueueMsixVector, 2, vector);
    SetCommon(kCommonQueueDesc, 4, c.desc_gpa & 0xffffffff);
    SetCommon(kCommonQueueDesc + 4, 4, c.desc_gpa >> 32);
    SetCommon(kCommonQueueDriver, 4, c.avail_gpa & 0xffffffff);
    SetCommon(kCommonQueueDriver + 4, 4, c.avail_gpa >> 32);
    SetCommon(kCommonQueueDevice, 4, c.used_gpa & 0xffffffff);
    SetCommon(kCommonQueueDevice + 4, 4, c.used_gpa >> 32);
    SetCommon(kCommonQueueEnable, 2, 1);
  }

  // Through BarWrite (the software path), 16 bits like iowrite16.
  void Kick(uint16_t index) {
    SetCommon(kCommonQueueSelect, 2, index);
    const uint64_t off = Common(kCommonQueueNotifyOff, 2);
    Write(caps[2].offset + off * multiplier, 2, index);
  }

  struct Cap {
    uint8_t at = 0;
    uint8_t bar = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  std::map<uint8_t, Cap> caps;  // by cfg_type
  uint8_t msix_cap = 0;
  uint32_t multiplier = 0;

 private:
  VirtioPciDevice& dev_;
};

// A VM on hv_sim with RAM, a DeterministicEventLoop and an IoDispatcher:
// what a VirtioPciDevice needs besides its device type. Derived classes
// declare their transports after it, so those go first.
class SimVmEnv {
 public:
  explicit SimVmEnv(uint64_t memory_size)
      : hv_(sim::MakeSimHypervisor()),
        vm_(*hv_->CreateVm({})),
        memory_(*GuestMemory::CreateX86(memory_size)) {}

  // Every MSI the VM delivered so far, in order.
  std::vector<hv::MsiMessage> Msis() const { return sim::AsSim(vm_.get())->DeliveredMsis(); }
  VirtualClock& clock() { return clock_; }
  DeterministicEventLoop& loop() { return loop_; }
  GuestMemory& memory() { return *memory_; }

 protected:
  VirtualClock clock_;
  DeterministicEventLoop loop_{clock_};
  IoDispatcher io_;
  std::unique_ptr<sim::SimHypervisor> hv_;
  std::shared_ptr<hv::Vm> vm_;
  std::shared_ptr<GuestMemory> memory_;
};

// A VirtioDevice of any type behind VirtioPciDevice on hv_sim, driven by a
// PciGuest, on a DeterministicEventLoop. Owns the device through the
// transport; TearDown() destroys the transport (which resets an active device).
class VirtioPciBench : public SimVmEnv {
 public:
  static constexpr uint64_t kMemSize = 16 << 20;
  // Transport feature bits the transport offers on top of the device's own.
  static constexpr uint64_t kTransportFeatures =
      FeatureBit(kFVersion1) | FeatureBit(kFEventIdx) | FeatureBit(kFIndirectDesc);

  explicit VirtioPciBench(uint64_t memory_size = kMemSize) : SimVmEnv(memory_size) {}
  ~VirtioPciBench() { TearDown(); }
  VirtioPciBench(const VirtioPciBench&) = delete;
  VirtioPciBench& operator=(const VirtioPciBench&) = delete;

  // Wraps `device` (check with ASSERT_NO_FATAL_FAILURE).
  void Init(std::shared_ptr<VirtioDevice> device, const std::string& name,
            VirtioPciOptions options = {}) {
    options.name = name;
    auto dev = VirtioPciDevice::Create(std::move(device), memory_, loop_, io_, vm_.get(),
                                       std::move(options));
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    dev_ = *dev;
    guest_ = std::make_unique<PciGuest>(*dev_);
    guest_->FindCaps();
  }
  // Destroys the transport, which resets an active device first.
  void TearDown() {
    guest_.reset();
    dev_.reset();
  }

  // One VirtqDriver per queue, rings and data areas apart.
  std::vector<VirtqDriver> MakeDrivers(uint16_t queues, uint16_t size = 16) {
    std::vector<VirtqDriver> drivers;
    for (uint16_t i = 0; i < queues; ++i) {
      auto drv = VirtqDriver::Create(memory_, {.size = size,
                                               .ring_gpa = 0x1'0000ull * (i + 1),
                                               .data_gpa = 0x10'0000ull * (i + 1),
                                               .data_size = 0x10'0000});
      EXPECT_TRUE(drv.ok());
      if (drv.ok()) drivers.push_back(std::move(*drv));
    }
    return drivers;
  }

  // Reset (write 0, wait for 0), then §3.1.1 steps 1-6 with `accept`.
  bool ResetAndNegotiate(uint64_t accept) {
    guest_->SetStatus(0);
    loop_.RunUntilIdle();
    EXPECT_EQ(guest_->Status(), 0);
    return guest_->Negotiate(accept);
  }
  // The whole §3.1.1 sequence: config on vector 0, queue i on vector i + 1,
  // one driver per queue (in order, from queue 0), then DRIVER_OK.
  void BringUp(std::vector<VirtqDriver>& drivers, uint64_t accept) {
    ASSERT_TRUE(ResetAndNegotiate(accept));
    guest_->EnableMsix(static_cast<uint16_t>(drivers.size() + 1));
    guest_->SetCommon(kCommonConfigMsixVector, 2, 0);
    for (uint16_t i = 0; i < drivers.size(); ++i) {
      guest_->SetupQueue(i, drivers[i].QueueConfig(), static_cast<uint16_t>(i + 1));
      ASSERT_EQ(guest_->Common(kCommonQueueMsixVector, 2), i + 1u);
    }
    guest_->SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    loop_.RunUntilIdle();
    ASSERT_TRUE(dev_->active());
  }
  // Publishes the added chains of queue `index`, rings its doorbell and runs
  // the loop until idle.
  void KickAndRun(std::vector<VirtqDriver>& drivers, uint16_t index) {
    ASSERT_TRUE(drivers.at(index).Kick().ok());
    guest_->Kick(index);
    loop_.RunUntilIdle();
  }

  // The MSI data EnableMsix() programs for `vector`.
  static uint32_t MsiData(uint16_t vector) { return 0x40u + vector; }

  VirtioPciDevice& dev() { return *dev_; }
  PciGuest& guest() { return *guest_; }

 protected:
  std::shared_ptr<VirtioPciDevice> dev_;
  std::unique_ptr<PciGuest> guest_;
};

// The transport tests' fixture: the echo device in a VirtioPciBench with 4 MiB
// of RAM.
class VirtioPciTest : public ::testing::Test, protected VirtioPciBench {
 protected:
  static constexpr uint64_t kFeatures =
      FeatureBit(kFVersion1) | FeatureBit(kFEventIdx) | FeatureBit(kFIndirectDesc) | FeatureBit(0);

  VirtioPciTest() : VirtioPciBench(4 << 20) {}
  void SetUp() override {
    echo_ = std::make_shared<EchoDevice>();
    ASSERT_NO_FATAL_FAILURE(Init(echo_, "echo"));
  }
  void TearDown() override { VirtioPciBench::TearDown(); }

  // Reset as Linux does (write 0, wait for 0), then negotiate `accept`.
  bool ResetAndNegotiate(uint64_t accept = kFeatures) {
    return VirtioPciBench::ResetAndNegotiate(accept);
  }

  // The whole §3.1.1 sequence with queue 0 on vector 1, config on vector 0.
  void BringUp(VirtqDriver& drv, uint64_t accept = kFeatures) {
    ASSERT_TRUE(ResetAndNegotiate(accept));
    guest_->EnableMsix(3);
    guest_->SetCommon(kCommonConfigMsixVector, 2, 0);
    ASSERT_EQ(guest_->Common(kCommonConfigMsixVector, 2), 0u);
    guest_->SetupQueue(0, drv.QueueConfig(), 1);
    ASSERT_EQ(guest_->Common(kCommonQueueMsixVector, 2), 1u);
    guest_->SetStatus(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    loop_.RunUntilIdle();
    ASSERT_TRUE(dev_->active());
  }

  std::shared_ptr<EchoDevice> echo_;
};

}  // namespace petrel::virtio::testing
