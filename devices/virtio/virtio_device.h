// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioDevice: the contract between a virtio transport (virtio-pci, in
// devices/virtio/pci) and a device type (rng, blk, net, console).
//
// The transport owns everything the spec puts in the transport or the
// generic device (virtio 1.2 §2 and §4.1): device status, feature
// negotiation, the queue registers, the rings (SplitQueue), doorbells and
// interrupts (MSI-X vectors, ISR), and reset. A device owns only its
// type-specific part: its feature bits, its configuration space (§2.5) and
// what it does with the chains it pops.
//
// Life cycle:
//   1. The transport reads device_type(), device_features(), queue_count(),
//      max_queue_size() once.
//   2. When the driver sets DRIVER_OK, the transport calls Activate() with the
//      negotiated features and one SplitQueue per queue (queues the driver did
//      not enable are not ready; a device must skip them).
//   3. Each doorbell (on the event loop's thread) calls QueueNotified(q). The
//      device pops chains, completes them with AddUsed(), and calls
//      context.SignalUsed(q), which raises the queue's interrupt if the driver
//      wants one (EVENT_IDX / NO_INTERRUPT are handled there). Completions
//      that arrive later (e.g. block I/O) do the same from the loop thread.
//      A device takes at most kMaxChainsPerTurn chains from a queue per
//      call; with more waiting it calls context.NotifyAgain(q) and returns,
//      so a guest that keeps refilling a ring cannot hold the loop (the
//      transport calls QueueNotified(q) again after the loop's other work).
//   4. A malformed chain or ring: the device calls context.Fail(why); the
//      transport sets DEVICE_NEEDS_RESET, counts it, tells the driver with a
//      config interrupt, and stops calling QueueNotified until reset.
//   5. Reset() (driver wrote status 0, or the VM is torn down): drop all
//      in-flight work that refers to guest memory; the queues are gone.
//
// Queue groups (QueueGroups()): a device splits its queues into groups, and
// the transport may serve each group on a loop (a worker thread) of its
// own, as Cloud Hypervisor runs each queue pair of a multi-queue device on
// its own thread: a guest that floods one queue then delays only its group.
// Group 0 is the control group: Activate(), Reset() and every call not
// about one queue run on its loop (context.loop()); QueueNotified(q) and
// StopQueueGroup(g) run on the loop of q's / g's group
// (context.queue_loop(q)), and a device watches what completes a queue's
// work (an engine, a tap fd) there. The transport sequences them: after
// Activate() returns, each group's loop starts calling QueueNotified for its
// queues (once at first for every ready queue, so a kick that rang before
// the group started is served); a reset first calls StopQueueGroup(g) on
// every group's loop, and Reset() only once each group said done.
//
// Threads: ReadConfig/WriteConfig run on vCPU threads: lock if config state
// is shared with the loops. Everything else runs on a loop as above; state
// that two groups' loops touch (counters, a failed flag, a control queue's
// settings) must be made safe by the device (atomics, or posting to the
// owning group's loop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "core/isolation/syscall_rules.h"
#include "core/memory/guest_memory.h"
#include "devices/virtio/split_queue.h"

namespace petrel::virtio {

// virtio 1.2 §5 device ids (the PCI device id is 0x1040 + id, §4.1.2).
inline constexpr uint16_t kDeviceIdNet = 1;
inline constexpr uint16_t kDeviceIdBlock = 2;
inline constexpr uint16_t kDeviceIdConsole = 3;
inline constexpr uint16_t kDeviceIdEntropy = 4;
inline constexpr uint16_t kDeviceIdBalloon = 5;
inline constexpr uint16_t kDeviceIdVsock = 19;
// Not in virtio 1.2's list of defined devices: the id virtio reserves for a
// watchdog, as Cloud Hypervisor's virtio-watchdog uses it.
inline constexpr uint16_t kDeviceIdWatchdog = 35;

// Chains a device takes from one queue in one handler call (QueueNotified or
// any other handler that pops) before it yields with NotifyAgain().
inline constexpr uint32_t kMaxChainsPerTurn = 128;

// What an active device may use; valid from Activate() until Reset().
class VirtioContext {
 public:
  virtual ~VirtioContext() = default;
  virtual GuestMemory& memory() = 0;
  // The control group's loop (group 0): where Activate and Reset run.
  virtual EventLoop& loop() = 0;
  // The loop that serves queue `index` (its group's loop).
  virtual EventLoop& queue_loop(uint16_t index) {
    (void)index;
    return loop();
  }
  // The negotiated features (device and transport bits).
  virtual uint64_t features() const = 0;
  // The queue `index` (< queue_count()); check ready() before use.
  virtual SplitQueue& queue(uint16_t index) = 0;
  // Used buffers were added to queue `index`: interrupt the driver if it
  // wants to be told (§2.7.7 / §2.7.10).
  virtual void SignalUsed(uint16_t index) = 0;
  // The device's configuration changed (§2.5.1; e.g. a resized disk).
  virtual void SignalConfigChange() = 0;
  // The device stopped serving queue `index` after kMaxChainsPerTurn chains
  // with work left: call QueueNotified(index) again on a later turn of the
  // loop, after the work queued meanwhile (at most one such call pending per
  // queue; a spurious one finds the ring empty).
  virtual void NotifyAgain(uint16_t index) = 0;
  // The driver broke the protocol (malformed chain, bad ring): the device
  // stops until the driver resets it (§2.1.2 DEVICE_NEEDS_RESET).
  virtual void Fail(const std::string& why) = 0;
};

class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;

  virtual uint16_t device_type() const = 0;  // kDeviceId*
  // Device-specific feature bits (0-23 and any above 41); the transport adds
  // VERSION_1, INDIRECT_DESC and EVENT_IDX itself.
  virtual uint64_t device_features() const = 0;
  virtual uint16_t queue_count() const = 0;
  virtual uint16_t max_queue_size() const = 0;

  // The device configuration space (§2.5), `offset` from its start. Reads
  // past its end return 0; writes there are ignored.
  virtual void ReadConfig(uint64_t offset, std::span<uint8_t> data) = 0;
  virtual void WriteConfig(uint64_t offset, std::span<const uint8_t> data) = 0;

  // The driver set DRIVER_OK. `context` outlives the activation (until Reset()).
  virtual Result<void> Activate(VirtioContext& context) = 0;
  // Queue `index`'s doorbell rang (only after Activate()).
  virtual void QueueNotified(uint16_t index) = 0;
  // Back to the state before Activate(). Runs on the control loop after
  // StopQueueGroup() of every group, or (VM teardown, tests) with no loop
  // running and some groups not stopped: then it stops them itself, without
  // waiting.
  virtual void Reset() = 0;

  // The device's I/O counters by Cloud Hypervisor's vm.counters names (blk:
  // read_bytes, write_bytes, read_ops, write_ops; net: rx_bytes, tx_bytes,
  // rx_frames, tx_frames). Any thread; counting takes no lock on the I/O
  // path.
  virtual std::map<std::string, uint64_t> Counters() const { return {}; }

  // What this device's handlers ask of the kernel on its workers' threads,
  // beyond every thread's needs and the event loop's (core/isolation): the
  // workers' seccomp filters allow this and nothing else, so a system call
  // added to a device is added here in the same change.
  virtual isolation::SyscallRules WorkerSyscalls() const = 0;

  // The queue groups (see the top of this file): each queue index in exactly
  // one group, group 0 first. Default: all queues in one group.
  virtual std::vector<std::vector<uint16_t>> QueueGroups() const {
    std::vector<uint16_t> all(queue_count());
    for (uint16_t i = 0; i < all.size(); ++i) all[i] = i;
    return {all};
  }
  // A reset began: on group `group`'s loop, stop serving its queues and call
  // `done` (on that loop, now or later, exactly once) when nothing of the
  // group can write guest memory any more (in-flight work finished or given
  // up). Must not block the loop. Called only while the device is active.
  virtual void StopQueueGroup(uint16_t group, std::function<void()> done) {
    (void)group;
    done();
  }
  // The VM is pausing (for a snapshot or a migration): on group `group`'s
  // loop, take no new chains from its queues and call `done` (on that loop,
  // now or later, exactly once) when no chain taken is in flight any more:
  // each completed into the used ring, so none is lost across a snapshot.
  // ResumeQueueGroup (on the same loop) serves the queues again, including
  // what the driver queued meanwhile. Called only while the group is active.
  // Default: a device that finishes every chain in the handler that took it
  // is quiet at once.
  virtual void QuiesceQueueGroup(uint16_t group, std::function<void()> done) {
    (void)group;
    done();
  }
  virtual void ResumeQueueGroup(uint16_t group) { (void)group; }
};

}  // namespace petrel::virtio
