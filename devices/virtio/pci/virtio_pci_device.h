// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioPciDevice: the virtio 1.2 PCI transport (§4.1, modern only) around
// one VirtioDevice (devices/virtio/virtio_device.h is the contract).
//
// Config space: vendor 0x1af4, device 0x1040 + type, revision 1, interrupt
// pin 0 (MSI-X only), one 64-bit MMIO BAR0 and the capabilities COMMON_CFG,
// NOTIFY_CFG, ISR_CFG, DEVICE_CFG, PCI_CFG (§4.1.4.9 window) and MSI-X with
// queue_count() + 1 vectors. BAR0 regions (virtio_pci_regs.h), 4 KiB aligned:
// common cfg, ISR, device cfg, notify area (queue i at +4*i), MSI-X table, PBA.
//
// Threads. Guest accesses (BarRead/BarWrite/ConfigWritten/ConfigRead/
// BarMoved) come from vCPU threads and take an internal lock. Everything that
// calls into the VirtioDevice except ReadConfig/WriteConfig is posted to / runs
// on a loop. Each queue group of the device (VirtioDevice::QueueGroups) has a
// loop (one loop may serve all groups): queue q's doorbell, NotifyAgain and
// QueueNotified run on q's group loop; Activate, Reset and the reset's
// sequencing run on group 0's loop (the control loop). Once DRIVER_OK has
// posted the activation, the loops own the device and its queues until a
// reset has run there:
//   activation: control loop: Activate(); then each group's loop marks the
//     group active and notifies each of its ready queues once (a kick that
//     rang before the group was active is served then, not lost);
//   reset (status 0): control loop: every group is marked inactive (its
//     doorbells are ignored from now on), then each group's loop runs the
//     device's StopQueueGroup, whose `done` posts an acknowledgement to the
//     control loop; the last acknowledgement runs Reset() and clears the
//     registers. No loop ever waits for another (all steps are posts), so
//     groups that share one loop cannot deadlock.
// A status write of 0 is posted behind the activation, and device_status
// keeps its old value until the reset has run, so a driver that polls for 0
// (§4.1.4.3.2) sees a finished reset (the device has dropped in-flight
// work); before DRIVER_OK the reset is immediate.
//
// Status (§2.1, §3.1.1): the driver only adds bits until it resets the
// device; a write that clears one (FEATURES_OK, DRIVER_OK, ...) is a
// protocol error that sets DEVICE_NEEDS_RESET and changes nothing else.
// Features are frozen from FEATURES_OK and the device is activated with a
// snapshot taken at DRIVER_OK, so at most one activation is ever pending. A
// driver that did not accept VIRTIO_F_VERSION_1 is served anyway (as Cloud
// Hypervisor and QEMU do), logged once.
//
// Doorbells: one Notifier per queue, watched on its group's loop. While BAR0 decodes
// (BarMoved), each is registered through IoDispatcher::RegisterIoEvent at
// BAR0 + notify offset + 4*i, 16 bits wide (Linux's iowrite16); writes that
// reach BarWrite (other widths, or no registration) signal the same notifier.
//
// Guest mistakes never abort: a bad access is ignored and counted; a queue
// that does not validate at queue_enable, DRIVER_OK without FEATURES_OK, a
// status write that clears bits, or a device's Fail() sets
// DEVICE_NEEDS_RESET (§2.1.2), counts, logs once and raises the config
// interrupt; doorbells are then ignored until reset. queue_notify_off of a
// queue_select with no queue points at a free slot past the doorbells.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "core/event/notifier.h"
#include "core/hv/hypervisor.h"
#include "core/io/io_dispatcher.h"
#include "core/memory/guest_memory.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_config_space.h"
#include "devices/pci/pci_device.h"
#include "devices/virtio/pci/virtio_pci_regs.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

struct VirtioPciOptions {
  std::string name = "virtio-pci";  // for log lines
  // Makes the per-queue doorbell notifiers. Unset: an EventFdNotifier, or an
  // InProcessNotifier when the loop refuses it (DeterministicEventLoop).
  std::function<Result<std::shared_ptr<Notifier>>()> notifier_factory;
  // Told "activated" once the device's Activate() succeeded, and "reset"
  // once a driver's reset has reached the device's Reset() (Cloud
  // Hypervisor's virtio-device events). On the device's loop; may be empty.
  std::function<void(std::string_view event)> on_lifecycle;
  // The device is behind an IOMMU: it offers VIRTIO_F_ACCESS_PLATFORM and
  // every address its driver gives (rings, buffers) goes through this
  // translator (split_queue.h). Null: addresses are guest-physical. The
  // IOMMU translates whether or not the driver accepts the feature, as a
  // platform IOMMU does: a driver that does not use the DMA API faults.
  std::shared_ptr<const DmaTranslator> dma;
};

// Where things are in BAR0 for this device.
struct VirtioPciLayout {
  uint64_t bar_size = 0;  // power of two
  uint64_t notify_size = 0;
  uint64_t msix_table_offset = 0;
  uint64_t msix_pba_offset = 0;
};

class VirtioPciDevice final : public PciDevice,
                              public std::enable_shared_from_this<VirtioPciDevice> {
 public:
  // Guest-caused events, counted.
  struct Counters {
    uint64_t bad_accesses = 0;      // wrong width/offset, writes to RO fields
    uint64_t failures = 0;          // DEVICE_NEEDS_RESET transitions
    uint64_t ignored_notifies = 0;  // doorbell while inactive, failed, or queue not ready
    uint64_t doorbell_register_failures = 0;
  };

  // One queue's transport registers (§4.1.4.3) and ring state.
  struct QueueState {
    uint16_t size = 0;
    uint16_t msix_vector = kMsixNoVector;
    bool enabled = false;
    uint64_t desc = 0;
    uint64_t driver = 0;
    uint64_t device = 0;
    SplitQueue::State ring;  // valid when the device is active
    bool operator==(const QueueState&) const = default;
  };

  // Plain snapshot state (no pointers). The device type's own state is not
  // included.
  struct State {
    PciConfigSpace::State config;
    MsixTable::State msix;
    uint32_t device_feature_select = 0;
    uint32_t driver_feature_select = 0;
    uint64_t driver_features = 0;
    uint16_t config_msix_vector = kMsixNoVector;
    uint8_t status = 0;
    uint8_t config_generation = 0;
    uint16_t queue_select = 0;
    uint8_t isr = 0;
    bool failed = false;
    std::vector<QueueState> queues;
    bool operator==(const State&) const = default;
  };

  // `vm` creates the MSI interrupts and takes kernel ioevents; it, the loops
  // and `io` must outlive the returned device. `loops`: one per queue group
  // of the device (VirtioDevice::QueueGroups), or one for all of them.
  // Watches each doorbell on its group's loop at once. Fails if the device's
  // queue count or size is out of range, its groups do not cover each queue
  // exactly once, or the loop count fits neither.
  static Result<std::shared_ptr<VirtioPciDevice>> Create(std::shared_ptr<VirtioDevice> device,
                                                         std::shared_ptr<GuestMemory> memory,
                                                         std::vector<EventLoop*> loops,
                                                         IoDispatcher& io, hv::Vm* vm,
                                                         VirtioPciOptions options = {});
  // Every group on `loop`.
  static Result<std::shared_ptr<VirtioPciDevice>> Create(std::shared_ptr<VirtioDevice> device,
                                                         std::shared_ptr<GuestMemory> memory,
                                                         EventLoop& loop, IoDispatcher& io,
                                                         hv::Vm* vm, VirtioPciOptions options = {}) {
    return Create(std::move(device), std::move(memory), std::vector<EventLoop*>{&loop}, io, vm,
                  std::move(options));
  }
  // Resets the device if it is active (VM teardown), then removes the loop
  // watches and doorbell registrations. Destroy on the control loop's thread
  // or while no loop runs.
  ~VirtioPciDevice() override;
  VirtioPciDevice(const VirtioPciDevice&) = delete;
  VirtioPciDevice& operator=(const VirtioPciDevice&) = delete;

  // PciDevice.
  PciConfigSpace& config() override { return config_; }
  void ConfigWritten(uint16_t offset, size_t size) override;
  void ConfigRead(uint16_t offset, size_t size) override;
  void BarRead(int bar, uint64_t offset, std::span<uint8_t> data) override;
  void BarWrite(int bar, uint64_t offset, std::span<const uint8_t> data) override;
  void BarMoved(int bar, uint64_t old_addr, uint64_t new_addr) override;

  const VirtioPciLayout& layout() const { return layout_; }
  MsixTable& msix() { return *msix_; }
  VirtioDevice& device() { return *device_; }
  uint8_t status() const;
  bool active() const;  // the device was activated and not reset since
  uint64_t offered_features() const { return offered_features_; }
  uint64_t driver_features() const;
  // The features the device was activated with (snapshot at DRIVER_OK).
  uint64_t active_features() const;
  Counters counters() const;
  // A host-side fault while serving the device (its worker's handler
  // threw): DEVICE_NEEDS_RESET, as for a guest fault. Thread-safe.
  void FailFromHost(const std::string& why) { Fail(why); }
  // The host changed the device's configuration (a resized disk): the
  // driver is told as the device itself would (§4.1.4.3: config_generation,
  // ISR bit 1, the config vector). Thread-safe.
  void NotifyConfigChanged() { SignalConfigChange(); }
  // The doorbell notifier of queue `index` (tests; signals like a kick).
  std::shared_ptr<Notifier> doorbell(uint16_t index) const { return doorbells_.at(index); }
  // The queue groups and which group serves queue `index`.
  size_t group_count() const { return groups_.size(); }
  size_t group_of(uint16_t index) const { return group_of_.at(index); }

  // VM pause: asks every active queue group, on its loop, to finish what it
  // has in flight and take nothing new (VirtioDevice::QuiesceQueueGroup);
  // `done` runs once all have (on a group's loop, or here if none is
  // active). Call with the vCPUs parked and the loops running. Unquiesce()
  // (loops running) lets every group serve its queues again.
  void Quiesce(std::function<void()> done);
  void Unquiesce();

  // Call with the vCPUs paused and the loop idle (or on the loop thread),
  // not between a status write of 0 and the loop running the reset.
  State Save() const;
  // Only into a device that is not active and has no reset pending (i.e.
  // freshly created); restoring over an active device is unsupported
  // (kBusy). A state with DRIVER_OK restores the rings and posts the
  // device's Activate() to the loop; doorbells follow BAR0's decoded address.
  Result<void> Restore(const State& state);

 private:
  class Context;

  VirtioPciDevice(std::shared_ptr<VirtioDevice> device, std::shared_ptr<GuestMemory> memory,
                  std::vector<std::vector<uint16_t>> groups, std::vector<EventLoop*> loops,
                  IoDispatcher& io, hv::Vm* vm, VirtioPciOptions options,
                  const PciIds& ids, const VirtioPciLayout& layout);
  Result<void> Init();

  // BAR0 regions.
  void CommonRead(uint64_t offset, std::span<uint8_t> data);
  void CommonWrite(uint64_t offset, std::span<const uint8_t> data);
  // These two return the MSI-X vector to notify once mu_ is released
  // (kMsixNoVector: none).
  uint16_t CommonWriteLocked(uint64_t offset, std::span<const uint8_t> data);
  uint16_t WriteStatusLocked(uint8_t value);
  void EnableQueueLocked(uint16_t index);
  void NotifyWrite(uint64_t offset, std::span<const uint8_t> data);

  // Loop side.
  EventLoop& control_loop() const { return *loops_[0]; }
  EventLoop& queue_loop(uint16_t index) const {
    return *loops_[index < group_of_.size() ? group_of_[index] : 0];
  }
  void ActivateOnLoop(uint64_t epoch);
  void ActivateGroupOnLoop(size_t group, uint64_t epoch);
  void BeginResetOnLoop();
  void StopGroupOnLoop(size_t group);
  void GroupStoppedOnLoop();
  void ResetOnLoop();
  void ResetRegistersLocked();
  void OnDoorbell(uint16_t index);
  void NotifyAgain(uint16_t index);
  void SignalUsed(uint16_t index);
  void SignalConfigChange();
  void Fail(const std::string& why);
  // Sets NEEDS_RESET; returns the config vector to notify (or kMsixNoVector).
  uint16_t FailLocked(const std::string& why);

  void RegisterDoorbells(uint64_t bar_addr);
  void CountBadAccessLocked(const char* what, uint64_t offset);
  uint16_t CheckedVector(uint32_t value) const;

  const std::shared_ptr<VirtioDevice> device_;
  const std::shared_ptr<GuestMemory> memory_;
  const std::vector<std::vector<uint16_t>> groups_;
  std::vector<size_t> group_of_;      // queue -> group
  const std::vector<EventLoop*> loops_;  // one per group
  IoDispatcher& io_;
  hv::Vm* const vm_;
  const VirtioPciOptions options_;
  const VirtioPciLayout layout_;
  const uint16_t num_queues_;
  const uint16_t max_queue_size_;
  const uint64_t offered_features_;

  PciConfigSpace config_;
  std::unique_ptr<MsixTable> msix_;
  uint8_t pci_cfg_cap_ = 0;  // offset of the PCI_CFG capability
  std::unique_ptr<Context> context_;
  std::vector<std::unique_ptr<SplitQueue>> queues_;  // touched on the loop only
  std::vector<std::shared_ptr<Notifier>> doorbells_;
  std::vector<WatchId> watches_;
  // Per queue, on its group's loop only: a NotifyAgain() is posted (bytes,
  // not vector<bool>: queues of different groups are written concurrently).
  std::vector<uint8_t> again_pending_;
  size_t stops_left_ = 0;  // control loop only: groups still stopping for a reset

  mutable std::mutex mu_;  // the registers below
  uint32_t device_feature_select_ = 0;
  uint32_t driver_feature_select_ = 0;
  uint64_t driver_features_ = 0;
  uint16_t config_msix_vector_ = kMsixNoVector;
  uint8_t status_ = 0;
  uint8_t config_generation_ = 0;
  uint16_t queue_select_ = 0;
  uint8_t isr_ = 0;
  bool failed_ = false;
  bool active_ = false;         // device_->Activate() succeeded
  // An activation was posted: until a reset has run on the loop, only the
  // loop touches the device and its queues (a reset is posted, never done
  // on the vCPU thread).
  bool loop_owns_device_ = false;
  bool reset_pending_ = false;  // status 0 written, ResetOnLoop not run yet
  uint64_t active_features_ = 0;  // driver_features_ at DRIVER_OK
  uint64_t epoch_ = 0;          // bumped by each reset; stale activations skip
  std::vector<uint8_t> group_active_;  // the group's loop serves its doorbells
  std::vector<QueueState> qregs_;
  Counters counters_;

  std::mutex doorbell_mu_;  // registrations_
  std::vector<std::unique_ptr<hv::IoEventRegistration>> registrations_;
};

}  // namespace petrel::virtio
