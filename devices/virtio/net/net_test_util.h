// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test doubles for VirtioNet: an in-memory NetEndpoint whose eventfd is
// readable while packets wait, and a harness on a DeterministicEventLoop that wires a
// device to guest-side queue drivers through the shared FakeVirtioContext
// (devices/virtio/testing/fake_virtio_context.h). Used by the
// virtio-net tests and the virtio_net fuzz target.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/event/deterministic_event_loop.h"
#include "core/memory/guest_memory.h"
#include "devices/net/net_endpoint.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/testing/fake_virtio_context.h"
#include "devices/virtio/testing/virtq_driver.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio::testing {

// Packets in and out as byte vectors (each: 12-byte header + frame). Its fd
// is an eventfd that is readable exactly while Push()ed packets wait, so a
// DeterministicEventLoop runs the device's rx handler as it would for a tap.
class FakeEndpoint final : public net::NetEndpoint {
 public:
  FakeEndpoint() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~FakeEndpoint() override {
    if (fd_ >= 0) close(fd_);
  }
  FakeEndpoint(const FakeEndpoint&) = delete;
  FakeEndpoint& operator=(const FakeEndpoint&) = delete;

  // A packet from the host for the guest.
  void Push(std::vector<uint8_t> packet) {
    inbound_.push_back(std::move(packet));
    const uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one);
  }
  // Packets pushed and not read yet.
  size_t queued() const { return inbound_.size(); }
  // Runs inside ReadV before the packet's bytes are copied: what another
  // thread could do between the device preparing the buffers and the read.
  std::function<void()> before_read;

  int fd() const override { return fd_; }
  Result<std::optional<size_t>> ReadV(std::span<const iovec> iov) override {
    if (inbound_.empty()) return std::optional<size_t>();
    std::vector<uint8_t> pkt = std::move(inbound_.front());
    inbound_.pop_front();
    if (inbound_.empty()) {
      uint64_t count = 0;
      (void)!read(fd_, &count, sizeof count);  // not readable any more
    }
    ++reads;
    if (before_read) before_read();
    size_t n = 0;
    for (const iovec& v : iov) {
      const size_t take = std::min(pkt.size() - n, v.iov_len);
      std::copy(pkt.begin() + static_cast<ptrdiff_t>(n),
                pkt.begin() + static_cast<ptrdiff_t>(n + take), static_cast<uint8_t*>(v.iov_base));
      n += take;
    }
    return std::optional<size_t>(n);
  }
  Result<void> Write(std::span<const iovec> iov) override {
    std::vector<uint8_t> pkt;
    for (const iovec& v : iov) {
      auto* b = static_cast<const uint8_t*>(v.iov_base);
      pkt.insert(pkt.end(), b, b + v.iov_len);
    }
    if (refuse_writes) return Error(ErrorCode::kBusy, "fake endpoint full");
    outbound.push_back(std::move(pkt));
    return Ok();
  }
  Result<void> SetOffload(unsigned flags) override {
    offload = flags;
    ++offload_calls;
    return Ok();
  }
  Result<void> SetEnabled(bool on) override {
    enabled = on;
    return Ok();
  }

  std::vector<std::vector<uint8_t>> outbound;  // guest -> host
  unsigned offload = ~0u;
  int offload_calls = 0;
  int reads = 0;  // packets taken by ReadV
  bool enabled = true;
  bool refuse_writes = false;

 private:
  int fd_;
  std::deque<std::vector<uint8_t>> inbound_;  // host -> guest
};

// Little-endian bytes of control-command payloads (§5.1.6.5).
inline std::vector<uint8_t> Le16(uint16_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
}
inline std::vector<uint8_t> Le64(uint64_t v) {
  std::vector<uint8_t> b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

// A device over fake endpoints on a DeterministicEventLoop, with a driver per queue;
// every queue enabled; `features` are the driver's wishes (masked by the
// device's offer, VERSION_1 added).
struct NetHarness {
  static constexpr uint64_t kMemSize = 32ull << 20;
  static constexpr uint16_t kQueueSize = 16;

  VirtualClock clock;
  DeterministicEventLoop loop{clock};
  std::shared_ptr<GuestMemory> memory;
  std::vector<FakeEndpoint*> endpoints;
  std::unique_ptr<FakeVirtioContext> context;  // outlives the device (its Reset uses it)
  std::unique_ptr<VirtioNet> device;
  std::vector<VirtqDriver> drivers;
  // Set before Init: queue i served on queue_loops[i] (default: all on `loop`).
  std::vector<EventLoop*> queue_loops;

  Result<void> Init(VirtioNetOptions options, uint64_t wanted_features,
                    std::vector<std::unique_ptr<net::NetEndpoint>> eps = {}) {
    PETREL_ASSIGN_OR_RETURN(auto region, HostRegion::Anonymous(kMemSize));
    PETREL_ASSIGN_OR_RETURN(memory, GuestMemory::Create({{0, kMemSize, region}}));
    if (eps.empty()) {
      for (int i = 0; i < options.num_queues / 2; ++i) {
        auto ep = std::make_unique<FakeEndpoint>();
        endpoints.push_back(ep.get());
        eps.push_back(std::move(ep));
      }
    }
    SplitMix64 random(1);
    PETREL_ASSIGN_OR_RETURN(device, VirtioNet::Create(options, std::move(eps), random));
    const uint16_t queues = device->queue_count();
    const uint64_t features =
        (device->device_features() & wanted_features) | FeatureBit(kFVersion1);
    context = std::make_unique<FakeVirtioContext>(memory, loop, queues, features);
    for (size_t i = 0; i < queue_loops.size(); ++i) {
      context->set_queue_loop(static_cast<uint16_t>(i), *queue_loops[i]);
    }
    for (uint16_t i = 0; i < queues; ++i) {
      PETREL_ASSIGN_OR_RETURN(auto drv,
                              VirtqDriver::Create(memory, {.size = kQueueSize,
                                                           .ring_gpa = 0x10000ull * (i + 1),
                                                           .data_gpa = 0x100000ull * (i + 1),
                                                           .data_size = 0x100000}));
      PETREL_TRY(context->queue(i).Activate(drv.QueueConfig()));
      drivers.push_back(std::move(drv));
    }
    return device->Activate(*context);
  }
};

}  // namespace petrel::virtio::testing
