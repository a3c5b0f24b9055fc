// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VsockDevice: the virtio socket device (virtio 1.2 §5.10) with Cloud
// Hypervisor's hybrid vsock host side (`--vsock cid=<n>,socket=<path>`).
//
// Device side (this file): device id 19, three queues of 256 (rx, tx,
// event), no device feature bits (stream sockets only, as CH), the config
// space le64 guest_cid (read-only). The device owns the queues' traffic:
//   - tx: each chain is one packet: the 44-byte header then len payload
//     bytes, split across descriptors any way. A chain shorter than the
//     header, or whose src_cid is not the guest's or dst_cid not the host
//     (2), is dropped; a type other than STREAM, or a len beyond the chain
//     or beyond kVsockMaxPayload, is refused with an RST (which also resets
//     the connection it names). Every chain goes back used (len 0). A
//     malformed ring or chain (SplitQueue::Pop's errors) fails the device.
//   - rx: packets the muxer has for the guest go into the guest's rx
//     chains (header and payload; a chain without room for a header, or
//     with readable buffers, is handed back empty, and so is one with room
//     for a header only when only data is due). Host data is read only
//     once a chain is at hand, at most what the chain, the guest's credit
//     and kVsockMaxPayload allow. The device holds at most one popped chain
//     between calls; QuiesceQueueGroup hands it back empty.
//   - event: SendTransportReset() puts VIRTIO_VSOCK_EVENT_TRANSPORT_RESET
//     into the next event buffer (§5.10.6.7).
// At most kMaxChainsPerTurn chains per queue per call, then NotifyAgain.
// Host side: VsockMuxer (vsock_muxer.h) on the device's loop, bound at
// Create() and served between Activate() and Reset().
//
// Snapshot: the guest cid and the connections then open; host sockets do
// not survive, so the restored device sends the guest an RST for each of
// those (Cloud Hypervisor's VsockState.connections). A VMM may also send a
// transport reset (Firecracker's way) with SendTransportReset().
//
// Needs from the VMM: the config, and a loop that can wait for writable
// fds (EpollEventLoop; on others a full host socket is retried every 1 ms).
// Everything runs on the control loop (one queue group); ReadConfig reads a
// constant.
//
//   PETREL_ASSIGN_OR_RETURN(auto vsock, VsockDevice::Create({.cid = 3, .socket = "/tmp/ch.vsock"}));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/base/result.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/virtio_device.h"
#include "devices/virtio/vsock/vsock_config.h"
#include "devices/virtio/vsock/vsock_muxer.h"
#include "devices/virtio/vsock/vsock_spec.h"

namespace petrel::virtio {

struct VsockDeviceState {
  uint64_t guest_cid = 0;
  // (host port, guest port) of each connection open at the snapshot,
  // ascending, at most kVsockMaxConnections.
  std::vector<std::pair<uint32_t, uint32_t>> connections;
  bool operator==(const VsockDeviceState&) const = default;
};

class VsockDevice final : public VirtioDevice {
 public:
  // Validates `config`, binds and listens on config.socket (kAlreadyExists
  // if the path exists).
  static Result<std::unique_ptr<VsockDevice>> Create(const VsockConfig& config);
  // Closes every connection and unlinks config.socket.
  ~VsockDevice() override;

  uint16_t device_type() const override { return kDeviceIdVsock; }
  // §5.10.3: none; without VIRTIO_VSOCK_F_SEQPACKET only streams.
  uint64_t device_features() const override { return 0; }
  uint16_t queue_count() const override { return kVsockQueueCount; }
  uint16_t max_queue_size() const override { return kVsockMaxQueueSize; }
  // §5.10.4: le64 guest_cid; writes are ignored.
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t offset, std::span<const uint8_t> data) override;
  Result<void> Activate(VirtioContext& context) override;
  void QueueNotified(uint16_t index) override;
  void Reset() override;
  // Pause: the held rx chain goes back empty; no queue is served until resume.
  void QuiesceQueueGroup(uint16_t group, std::function<void()> done) override;
  void ResumeQueueGroup(uint16_t group) override;
  // The host sockets: accept, connect, send, shut down, poll for hang-up,
  // dup for the writable watch.
  isolation::SyscallRules WorkerSyscalls() const override;
  // rx_bytes (host -> guest) and tx_bytes (guest -> host) of payload.
  std::map<std::string, uint64_t> Counters() const override;

  // Every connection is closed and the guest told so by
  // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET in its next event buffer; before
  // activation, the event waits for it. Control loop.
  void SendTransportReset();

  const VsockConfig& config() const { return config_; }
  // Control loop (tests, fuzzing).
  size_t connection_count() const { return muxer_->connection_count(); }
  const VsockMuxer& muxer() const { return *muxer_; }
  bool transport_reset_pending() const { return transport_reset_pending_; }

  // Control loop, VM paused.
  VsockDeviceState Save() const;
  // Into a device that is not active (kBusy otherwise); kInvalidArgument
  // (device unchanged) if the cid is not this device's or the connection
  // list is not ascending, unique and at most kVsockMaxConnections long.
  Result<void> Restore(const VsockDeviceState& state);

 private:
  VsockDevice(VsockConfig config, std::unique_ptr<VsockMuxer> muxer)
      : config_(std::move(config)), muxer_(std::move(muxer)) {}

  bool Running() const { return context_ != nullptr && !failed_ && !paused_; }
  void ProcessTx();
  void ProcessRx();
  void ProcessEvents();
  // One tx chain; an Error means guest memory could not be read.
  Result<void> HandleTxChain(const DescriptorChain& chain);
  // Writes one packet into held_rx_; false if the muxer had none.
  Result<bool> FillRxChain();
  void Fail(const std::string& why);

  const VsockConfig config_;
  std::unique_ptr<VsockMuxer> muxer_;
  VirtioContext* context_ = nullptr;  // between Activate and Reset
  bool failed_ = false;
  bool paused_ = false;
  bool tx_stalled_ = false;  // stopped taking tx chains: refusals queue full
  bool transport_reset_pending_ = false;
  std::optional<DescriptorChain> held_rx_;
  std::vector<VsockMuxer::Key> restored_;  // RSTs owed, until Activate
  std::vector<uint8_t> payload_;           // one packet's payload, either way
};

}  // namespace petrel::virtio
