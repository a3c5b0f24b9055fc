// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioNet: the virtio network device (virtio 1.2 §5.1) over one
// NetEndpoint (a tap queue) per queue pair.
//
// Queues: rx0, tx0, rx1, tx1, ..., then the control queue (§5.1.2; without
// VIRTIO_NET_F_MQ only rx0/tx0 are used and the control queue is index 2).
// TX gathers each chain's readable part (virtio_net_hdr_v1 + frame) and
// writes it to the endpoint as one packet: the tap has IFF_VNET_HDR with the
// same 12-byte header, so the header passes through. RX reads a packet from
// the endpoint's fd (watched on the context's loop) into the guest's rx
// buffers, several chains per packet with MRG_RXBUF (num_buffers set). When
// the guest has no rx buffers the fd watch stops until the next rx-queue
// notify. Each pair is a queue group of its own (QueueGroups): with the
// VMM's workers a pair's rings, tap fd watch and scratch buffers live on its
// own thread; the control queue (group 0) changes shared settings (active
// pairs, offloads: atomics) and hands a pair's watch changes to that pair's
// loop. The control queue handles MQ pair changes, guest offloads
// (-> TUNSETOFFLOAD), rx mode and MAC table commands (§5.1.6.5).
//
//   SystemRandom random;
//   PETREL_ASSIGN_OR_RETURN(auto net, VirtioNet::Create({.tap = "tap0"}, random));
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "core/base/result.h"
#include "core/event/event_loop.h"
#include "devices/net/ipv4_address.h"
#include "devices/net/mac_address.h"
#include "devices/net/net_endpoint.h"
#include "devices/net/tap.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/net/net_config.h"
#include "devices/virtio/net/net_spec.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// A control command's data beyond class and command (a MAC table of ~1300
// addresses fits); longer commands are answered VIRTIO_NET_ERR.
inline constexpr uint32_t kNetMaxCtrlDataBytes = 8192;
// Packets moved per fd wake-up before yielding to other handlers (the watch
// is level-triggered, so the rest follow).
inline constexpr int kNetRxPacketsPerWake = 256;

// The device's options are the user's NetConfig (net_config.h).
using VirtioNetOptions = NetConfig;

struct NetStats {
  uint64_t tx_packets = 0;
  uint64_t tx_dropped = 0;  // oversize or refused by the host
  uint64_t rx_packets = 0;
  uint64_t rx_dropped = 0;   // did not fit the guest's buffer, or runt
  uint64_t rx_direct = 0;    // of rx_packets: read straight into guest buffers
  uint64_t ctrl_errors = 0;  // commands answered VIRTIO_NET_ERR
};

// Plain snapshot state (no guest memory, no queue state: the transport saves
// those). Held rx chains and a partly delivered packet are not state: Save()
// is for a paused VM (the transport's rings restart from the saved indices).
// The rx mode and MAC filter tables are not kept (every mode is accepted) and
// stats are not state.
struct VirtioNetState {
  net::MacAddress mac{};        // a random MAC must survive a restore
  uint16_t active_pairs = 1;    // §5.1.6.5.5 MQ_VQ_PAIRS_SET
  uint64_t guest_offloads = 0;  // §5.1.6.5.6 GUEST_OFFLOADS_SET (0 while not active)
  bool operator==(const VirtioNetState&) const = default;
};

class VirtioNet final : public VirtioDevice {
 public:
  // Opens (or creates and configures) the tap options.tap, one queue per
  // pair, or takes over the caller's tap fds options.fds (net::AdoptTapFds).
  static Result<std::unique_ptr<VirtioNet>> Create(const VirtioNetOptions& options,
                                                   RandomSource& random);
  // Over given endpoints, one per queue pair (num_queues / 2); the tap
  // fields of `options` (tap, ip, mask, host_mac, fds) are not used.
  static Result<std::unique_ptr<VirtioNet>> Create(
      const VirtioNetOptions& options, std::vector<std::unique_ptr<net::NetEndpoint>> endpoints,
      RandomSource& random);
  // Removes its fd watches from the loop of the last Activate(), which must
  // still exist; the context need not.
  ~VirtioNet() override;

  uint16_t device_type() const override { return kDeviceIdNet; }
  // Its taps' frames, offloads and queues (net::TapWorkerSyscalls).
  isolation::SyscallRules WorkerSyscalls() const override { return net::TapWorkerSyscalls(); }
  uint64_t device_features() const override { return features_; }
  uint16_t queue_count() const override { return static_cast<uint16_t>(2 * pairs_ + 1); }
  uint16_t max_queue_size() const override { return queue_size_; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;
  // Pair p (its rx and tx queues) is group p; the control queue is in group 0.
  std::vector<std::vector<uint16_t>> QueueGroups() const override;
  void StopQueueGroup(uint16_t group, std::function<void()> done) override;
  // Cloud Hypervisor's vm.counters names: rx_bytes, rx_frames, tx_bytes,
  // tx_frames; frames delivered to the guest / written to the tap, bytes of
  // those frames without the virtio-net header.
  std::map<std::string, uint64_t> Counters() const override;

  const net::MacAddress& mac() const { return mac_; }
  const std::string& tap_name() const { return tap_name_; }
  uint16_t active_pairs() const { return active_pairs_; }
  uint64_t guest_offloads() const { return guest_offloads_; }
  bool rx_watching(uint16_t pair) const { return pair_.at(pair).watch.has_value(); }
  // Summed over the pairs (each counts on its own loop; relaxed atomics).
  NetStats stats() const;

  // Loop thread, VM paused.
  VirtioNetState Save() const;
  // Into a device that is not active (freshly created), before the
  // transport's Restore posts Activate: kBusy otherwise. kInvalidArgument
  // (device unchanged) unless mac is unicast, active_pairs is in
  // 1..num_queues/2 and guest_offloads is a subset of the offered guest
  // offloads. The next Activate() applies active_pairs and guest_offloads
  // (failing if they exceed what the driver negotiated). Run while vCPUs are
  // paused: ReadConfig reads the MAC without a lock.
  Result<void> Restore(const VirtioNetState& state);

 private:
  // Counted on the pair's loop, read anywhere.
  struct PairStats {
    std::atomic<uint64_t> tx_packets{0}, tx_dropped{0}, rx_packets{0}, rx_dropped{0},
        rx_direct{0}, rx_bytes{0}, tx_bytes{0};
  };
  // One queue pair: touched only on its group's loop (and by Activate/Reset
  // on the control loop while that loop does not serve the pair).
  struct Pair {
    std::unique_ptr<net::NetEndpoint> endpoint;
    EventLoop* loop = nullptr;  // where `watch` is (kept for the destructor)
    std::optional<WatchId> watch;
    std::vector<DescriptorChain> held;  // popped rx chains not yet used
    std::vector<uint8_t> packet;        // rx bounce buffer (kMaxPacketBytes once used)
    size_t pending = 0;                 // bytes of a packet read but not delivered
    std::vector<uint8_t> tx_bounce;
    std::vector<iovec> iov;     // tx gather list
    std::vector<iovec> rx_iov;  // ReceiveDirect's scatter list
    std::shared_ptr<PairStats> stats = std::make_shared<PairStats>();
  };

  VirtioNet(const VirtioNetOptions& options, std::vector<std::unique_ptr<net::NetEndpoint>> eps,
            const net::MacAddress& mac);
  bool Running() const { return context_ != nullptr && !failed_; }
  void Fail(const std::string& why);
  uint16_t RxIndex(uint16_t pair) const { return static_cast<uint16_t>(2 * pair); }
  uint16_t TxIndex(uint16_t pair) const { return static_cast<uint16_t>(2 * pair + 1); }

  void StartWatch(uint16_t pair);
  void StopWatch(uint16_t pair);
  void ProcessRx(uint16_t pair);
  // Pops one rx chain into pair.held; false if the ring is empty or broken.
  bool PopRxChain(uint16_t pair);
  // Delivers pair.packet[0, pending) into held chains; false if it needs
  // more chains than the guest has made available.
  bool DeliverPacket(uint16_t pair, bool& used);
  // One packet read straight into held chains, when they can take the
  // largest packet (no bounce copy); kNoRoom: use the bounce buffer.
  enum class RxStep { kDone, kEmpty, kNoRoom, kReadError };
  RxStep ReceiveDirect(uint16_t pair, bool& used);
  void ProcessTx(uint16_t pair);
  // The control queue at `index`; `negotiated` false: a queue the driver
  // uses as one without VIRTIO_NET_F_CTRL_VQ (every command answered ERR).
  void ProcessCtrl(uint16_t index, bool negotiated);
  uint8_t HandleCtrl(uint8_t cls, uint8_t cmd, std::span<const uint8_t> data);
  Result<void> SetGuestOffloads(uint64_t offloads);
  void SetActivePairs(uint16_t pairs);
  // On pair `pair`'s loop: start or stop receiving as active_pairs_ says.
  void ApplyActivePair(uint16_t pair);
  void EnablePair(uint16_t pair, bool enabled);

  // Fixed at creation.
  uint64_t features_ = 0;
  uint16_t pairs_ = 1;
  uint16_t queue_size_ = kNetDefaultQueueSize;
  uint16_t mtu_ = 0;
  net::MacAddress mac_{};
  std::string tap_name_;
  std::vector<Pair> pair_;

  // Valid from Activate() until Reset(); set before any pair's loop serves
  // the device, so those loops read it without a lock.
  VirtioContext* context_ = nullptr;
  std::atomic<bool> failed_{false};  // any pair's loop may fail the device
  bool mrg_rxbuf_ = false;
  uint16_t usable_pairs_ = 1;  // max_virtqueue_pairs if MQ was negotiated, else 1
  // Set by the control queue's loop, read by the pairs' loops.
  std::atomic<uint16_t> active_pairs_{1};
  std::optional<uint16_t> ctrl_index_;
  std::atomic<uint64_t> guest_offloads_{0};  // negotiated GUEST_* offload features
  bool restored_ = false;  // Restore() set the two above for the next Activate()
  std::atomic<uint64_t> ctrl_errors_{0};
  // Posts to a pair's loop hold a weak copy: Reset() and the destructor
  // replace or drop it, so a post left from an earlier activation does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace petrel::virtio
