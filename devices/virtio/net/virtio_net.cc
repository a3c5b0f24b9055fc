// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VirtioNet: the virtio network device (virtio 1.2 §5.1).
#include "devices/virtio/net/virtio_net.h"

#include <limits.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/base/log.h"
#include "devices/net/tap.h"

namespace petrel::virtio {
namespace {

static_assert(std::endian::native == std::endian::little);  // wire format is LE
static_assert(net::kVnetHeaderSize == sizeof(VirtioNetHdr));

// The guest offload features that CTRL_GUEST_OFFLOADS may toggle (§5.1.6.5.6).
constexpr uint64_t kGuestOffloadMask = FeatureBit(kNetFGuestCsum) | FeatureBit(kNetFGuestTso4) |
                                       FeatureBit(kNetFGuestTso6) | FeatureBit(kNetFGuestEcn) |
                                       FeatureBit(kNetFGuestUfo) | FeatureBit(kNetFGuestUso4) |
                                       FeatureBit(kNetFGuestUso6);

// What the tap may hand the guest, from the guest's offload features. The
// kernel refuses segmentation offloads without TUN_F_CSUM.
unsigned TunOffloads(uint64_t guest) {
  auto has = [guest](unsigned bit) { return (guest & FeatureBit(bit)) != 0; };
  if (!has(kNetFGuestCsum)) return 0;
  unsigned flags = net::kTunOffloadCsum;
  if (has(kNetFGuestTso4)) flags |= net::kTunOffloadTso4;
  if (has(kNetFGuestTso6)) flags |= net::kTunOffloadTso6;
  if (has(kNetFGuestEcn) && (flags & (net::kTunOffloadTso4 | net::kTunOffloadTso6))) {
    flags |= net::kTunOffloadEcn;
  }
  if (has(kNetFGuestUfo)) flags |= net::kTunOffloadUfo;
  if (has(kNetFGuestUso4)) flags |= net::kTunOffloadUso4;
  if (has(kNetFGuestUso6)) flags |= net::kTunOffloadUso6;
  return flags;
}

Result<void> CheckOptions(const VirtioNetOptions& o) {
  return Validate(o).Wrap("virtio-net");
}

// The caller's tap fds (--net fd=), or the named or a new tap.
Result<net::TapDevice> OpenHostTap(const VirtioNetOptions& o) {
  if (o.fds) {
    if (std::find(o.fds->begin(), o.fds->end(), kNetStaleFd) != o.fds->end()) {
      return Error(ErrorCode::kInvalidArgument,
                   "its tap fds are from another process (-1); give new ones at restore "
                   "(net_fds)");
    }
    return net::AdoptTapFds(*o.fds, o.mtu);
  }
  return net::OpenTap({.name = o.tap,
                       .queue_pairs = static_cast<uint16_t>(o.num_queues / 2),
                       .ip = o.ip,
                       .mask = o.mask,
                       .host_mac = o.host_mac,
                       .mtu = o.mtu});
}

template <class T>
T LoadLe(std::span<const uint8_t> data, size_t offset) {
  T v{};
  std::memcpy(&v, data.data() + offset, sizeof v);
  return v;
}

}  // namespace

Result<std::unique_ptr<VirtioNet>> VirtioNet::Create(const VirtioNetOptions& options,
                                                     RandomSource& random) {
  PETREL_TRY(CheckOptions(options));
  PETREL_ASSIGN_OR_RETURN(net::TapDevice tap, OpenHostTap(options).Wrap("virtio-net"));
  std::vector<std::unique_ptr<net::NetEndpoint>> endpoints;
  for (auto& q : tap.queues) endpoints.push_back(std::move(q));
  PETREL_ASSIGN_OR_RETURN(auto dev, Create(options, std::move(endpoints), random));
  dev->tap_name_ = tap.name;
  return dev;
}

Result<std::unique_ptr<VirtioNet>> VirtioNet::Create(
    const VirtioNetOptions& options, std::vector<std::unique_ptr<net::NetEndpoint>> endpoints,
    RandomSource& random) {
  PETREL_TRY(CheckOptions(options));
  if (endpoints.size() != options.num_queues / 2u ||
      std::any_of(endpoints.begin(), endpoints.end(), [](auto& e) { return !e; })) {
    return Error(ErrorCode::kInvalidArgument, "virtio-net: need one endpoint per queue pair");
  }
  const net::MacAddress mac = options.mac ? *options.mac : net::RandomMac(random);
  return std::unique_ptr<VirtioNet>(new VirtioNet(options, std::move(endpoints), mac));
}

VirtioNet::VirtioNet(const VirtioNetOptions& options,
                     std::vector<std::unique_ptr<net::NetEndpoint>> eps, const net::MacAddress& mac)
    : pairs_(static_cast<uint16_t>(options.num_queues / 2)),
      queue_size_(options.queue_size),
      mtu_(options.mtu.value_or(0)),
      mac_(mac) {
  for (auto& e : eps) {
    Pair p;
    p.endpoint = std::move(e);
    pair_.push_back(std::move(p));
  }
  // §5.1.3: offered features. MRG_RXBUF lets small rx buffers carry GSO
  // packets; STATUS reports LINK_UP; the control queue carries MQ and offloads.
  uint64_t f = FeatureBit(kNetFMac) | FeatureBit(kNetFStatus) | FeatureBit(kNetFMrgRxbuf) |
               FeatureBit(kNetFCtrlVq) | FeatureBit(kNetFCtrlGuestOffloads);
  if (options.mtu) f |= FeatureBit(kNetFMtu);
  if (pairs_ > 1) f |= FeatureBit(kNetFMq);
  // §5.1.3.1: TSO/UFO require the matching CSUM feature.
  if (options.offload_csum) {
    f |= FeatureBit(kNetFCsum) | FeatureBit(kNetFGuestCsum);
    if (options.offload_tso) {
      f |= FeatureBit(kNetFHostTso4) | FeatureBit(kNetFHostTso6) | FeatureBit(kNetFGuestTso4) |
           FeatureBit(kNetFGuestTso6);
    }
    if (options.offload_ufo) f |= FeatureBit(kNetFHostUfo) | FeatureBit(kNetFGuestUfo);
  }
  features_ = f;
}

VirtioNet::~VirtioNet() {
  // Only the loop is touched: a transport may destroy the context first.
  Reset();
}

void VirtioNet::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  // §5.1.4 struct virtio_net_config, up to mtu. Nothing here changes after
  // creation, so vCPU threads read it without a lock.
  uint8_t cfg[kNetCfgSize] = {};
  std::memcpy(cfg + kNetCfgMac, mac_.data(), mac_.size());
  const uint16_t status = kNetStatusLinkUp;
  std::memcpy(cfg + kNetCfgStatus, &status, 2);
  std::memcpy(cfg + kNetCfgMaxVqPairs, &pairs_, 2);
  std::memcpy(cfg + kNetCfgMtu, &mtu_, 2);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offset + i;
    data[i] = (at >= offset && at < kNetCfgSize) ? cfg[at] : 0;
  }
}

void VirtioNet::WriteConfig(uint64_t offset, std::span<const uint8_t> data) {
  // §5.1.4: with VERSION_1 the config space is read-only for the driver
  // (the MAC changes through the control queue).
  (void)offset;
  (void)data;
}

Result<void> VirtioNet::Activate(VirtioContext& context) {
  if (context_ != nullptr) Reset();
  context_ = &context;
  failed_ = false;
  const uint64_t f = context.features();
  mrg_rxbuf_ = (f & FeatureBit(kNetFMrgRxbuf)) != 0;
  // §5.1.2: without MQ only receiveq1/transmitq1 exist and controlq is 2.
  usable_pairs_ = (f & FeatureBit(kNetFMq)) ? pairs_ : 1;
  // A Restore()d state applies to this activation; it must fit what the
  // driver negotiated.
  const uint16_t pairs = restored_ ? active_pairs_.load() : uint16_t{1};
  const uint64_t offloads = restored_ ? guest_offloads_.load() : f & kGuestOffloadMask;
  restored_ = false;
  active_pairs_ = 1;
  ctrl_index_.reset();
  if (pairs > usable_pairs_ || (offloads & ~(f & kGuestOffloadMask)) != 0) {
    context_ = nullptr;
    guest_offloads_ = 0;
    return Error(ErrorCode::kInvalidArgument,
                 "virtio-net activate: restored state does not fit the negotiated features");
  }
  if (f & FeatureBit(kNetFCtrlVq)) ctrl_index_ = static_cast<uint16_t>(2 * usable_pairs_);
  guest_offloads_ = offloads;
  if (auto r = SetGuestOffloads(guest_offloads_); !r.ok()) {
    context_ = nullptr;
    return std::move(r).Wrap("virtio-net activate");
  }
  // No pair's loop serves the device yet: set the pairs up from here. Each
  // pair starts receiving on its own loop, from the transport's first
  // notification of its rx queue.
  active_pairs_ = pairs;
  for (uint16_t p = 0; p < pairs_; ++p) EnablePair(p, p < pairs);
  return Ok();
}

VirtioNetState VirtioNet::Save() const {
  return VirtioNetState{mac_, active_pairs_, guest_offloads_};
}

Result<void> VirtioNet::Restore(const VirtioNetState& state) {
  if (context_ != nullptr) {
    return Error(ErrorCode::kBusy, "virtio-net: restore into an active device is unsupported");
  }
  if (state.mac[0] & net::kMacGroupBit) {
    return Error(ErrorCode::kInvalidArgument, "virtio-net: restored mac is not unicast");
  }
  if (state.active_pairs < kNetMinVqPairs || state.active_pairs > pairs_) {
    return Error(ErrorCode::kInvalidArgument, "virtio-net: restored active pairs out of range");
  }
  if (state.guest_offloads & ~(features_ & kGuestOffloadMask)) {
    return Error(ErrorCode::kInvalidArgument, "virtio-net: restored offloads not offered");
  }
  mac_ = state.mac;
  active_pairs_ = state.active_pairs;
  guest_offloads_ = state.guest_offloads;
  restored_ = true;
  return Ok();
}

void VirtioNet::Reset() {
  for (uint16_t p = 0; p < pairs_; ++p) {
    StopWatch(p);
    pair_[p].held.clear();
    pair_[p].pending = 0;
  }
  // Back to the creation defaults, but a Restore()d state waiting for its
  // Activate() stays.
  if (context_ != nullptr) {
    active_pairs_ = 1;
    guest_offloads_ = 0;
  }
  alive_ = std::make_shared<bool>(true);  // posts of the last activation are void
  context_ = nullptr;
  failed_ = false;
  ctrl_index_.reset();
}

void VirtioNet::Fail(const std::string& why) {
  // Any pair's loop: each pair stops its own watch (ProcessRx sees !Running()).
  if (context_ == nullptr || failed_.exchange(true)) return;
  context_->Fail("virtio-net: " + why);
}

std::vector<std::vector<uint16_t>> VirtioNet::QueueGroups() const {
  // Pair p (rx 2p, tx 2p+1) is group p; the control queue joins group 0.
  std::vector<std::vector<uint16_t>> groups;
  for (uint16_t p = 0; p < pairs_; ++p) groups.push_back({RxIndex(p), TxIndex(p)});
  groups[0].push_back(static_cast<uint16_t>(2 * pairs_));
  return groups;
}

void VirtioNet::StopQueueGroup(uint16_t group, std::function<void()> done) {
  if (group < pairs_) {
    StopWatch(group);
    pair_[group].held.clear();
    pair_[group].pending = 0;
  }
  done();
}

std::map<std::string, uint64_t> VirtioNet::Counters() const {
  uint64_t rx_bytes = 0, tx_bytes = 0;
  for (const Pair& p : pair_) {
    rx_bytes += p.stats->rx_bytes.load(std::memory_order_relaxed);
    tx_bytes += p.stats->tx_bytes.load(std::memory_order_relaxed);
  }
  const NetStats s = stats();
  return {{"rx_bytes", rx_bytes},
          {"rx_frames", s.rx_packets},
          {"tx_bytes", tx_bytes},
          {"tx_frames", s.tx_packets}};
}

NetStats VirtioNet::stats() const {
  NetStats s;
  for (const Pair& p : pair_) {
    s.tx_packets += p.stats->tx_packets.load(std::memory_order_relaxed);
    s.tx_dropped += p.stats->tx_dropped.load(std::memory_order_relaxed);
    s.rx_packets += p.stats->rx_packets.load(std::memory_order_relaxed);
    s.rx_dropped += p.stats->rx_dropped.load(std::memory_order_relaxed);
    s.rx_direct += p.stats->rx_direct.load(std::memory_order_relaxed);
  }
  s.ctrl_errors = ctrl_errors_.load(std::memory_order_relaxed);
  return s;
}

void VirtioNet::EnablePair(uint16_t pair, bool enabled) {
  if (auto r = pair_[pair].endpoint->SetEnabled(enabled); !r.ok()) {
    PETREL_LOG_ONCE(kWarn, enabled ? "virtio-net-attach" : "virtio-net-detach")
        << "virtio-net: " << r.error().message();
  }
}

void VirtioNet::QueueNotified(uint16_t index) {
  if (!Running()) return;
  if (ctrl_index_ && index == *ctrl_index_) return ProcessCtrl(*ctrl_index_, true);
  // Without CTRL_VQ there is no control queue (§5.1.2); a driver that uses
  // the queue where it would be gets every command refused, not silence.
  const auto ctrl_slot = static_cast<uint16_t>(2 * usable_pairs_);
  if (!ctrl_index_ && index == ctrl_slot) return ProcessCtrl(ctrl_slot, false);
  const uint16_t pair = index / 2;
  if (pair >= usable_pairs_) return;  // not a queue of this configuration
  if (index % 2 == 0) {
    if (pair < active_pairs_) ProcessRx(pair);  // new rx buffers: resume
  } else {
    ProcessTx(pair);
  }
}

// ---------------------------------------------------------------------------
// RX

void VirtioNet::StartWatch(uint16_t pair) {
  Pair& p = pair_[pair];
  if (p.watch || !Running()) return;
  // On the pair's own loop (ProcessRx runs there).
  p.loop = &context_->queue_loop(RxIndex(pair));
  auto id = p.loop->WatchFd(p.endpoint->fd(), [this, pair] { ProcessRx(pair); });
  if (!id.ok()) {
    PETREL_LOG_ONCE(kError, "virtio-net-watch")
        << "virtio-net: cannot watch the endpoint: " << id.error().message();
    return;
  }
  p.watch = *id;
}

void VirtioNet::StopWatch(uint16_t pair) {
  Pair& p = pair_[pair];
  if (!p.watch) return;
  if (p.loop != nullptr) p.loop->Remove(*p.watch);
  p.watch.reset();
}

bool VirtioNet::PopRxChain(uint16_t pair) {
  auto popped = context_->queue(RxIndex(pair)).Pop();
  if (!popped.ok()) {
    Fail("rx queue " + std::to_string(pair) + ": " + popped.error().message());
    return false;
  }
  if (!popped->has_value()) return false;
  DescriptorChain& chain = **popped;
  // §5.1.6.3.1: rx buffers are device-writable and hold at least the header.
  if (chain.readable_len != 0 || chain.writable_len < net::kVnetHeaderSize) {
    Fail("rx chain with readable buffers or shorter than the header");
    return false;
  }
  pair_[pair].held.push_back(std::move(chain));
  return true;
}

bool VirtioNet::DeliverPacket(uint16_t pair, bool& used) {
  Pair& p = pair_[pair];
  SplitQueue& queue = context_->queue(RxIndex(pair));
  size_t chains = 0;
  if (p.held.empty() && !PopRxChain(pair)) return false;
  if (!mrg_rxbuf_) {
    // §5.1.6.3.1: without MRG_RXBUF a packet must fit one chain.
    if (p.held.front().writable_len < p.pending) {
      p.stats->rx_dropped.fetch_add(1, std::memory_order_relaxed);
      PETREL_LOG_ONCE(kWarn, "virtio-net-rx-small")
          << "virtio-net: rx packet of " << p.pending << " bytes does not fit a buffer";
      p.pending = 0;
      return true;
    }
    chains = 1;
  } else {
    // §5.1.6.4: spread over as many chains as needed; num_buffers says how many.
    uint64_t room = 0;
    for (;;) {
      while (chains < p.held.size() && room < p.pending) room += p.held[chains++].writable_len;
      if (room >= p.pending) break;
      if (!PopRxChain(pair)) return false;
    }
  }
  const uint16_t num_buffers = static_cast<uint16_t>(chains);  // chains <= queue size
  std::memcpy(p.packet.data() + kNetHdrNumBuffersOffset, &num_buffers, 2);
  size_t done = 0;
  for (size_t i = 0; i < chains; ++i) {
    ChainWriter out(context_->memory(), p.held[i]);
    auto n = out.WriteSome(std::span<const uint8_t>(p.packet.data() + done, p.pending - done));
    if (!n.ok()) {
      Fail("rx: " + n.error().message());
      return false;
    }
    done += *n;
    if (auto r = queue.AddUsed(p.held[i].head, out.written()); !r.ok()) {
      Fail("rx: " + r.error().message());
      return false;
    }
  }
  p.held.erase(p.held.begin(), p.held.begin() + static_cast<ptrdiff_t>(chains));
  p.stats->rx_bytes.fetch_add(p.pending - net::kVnetHeaderSize, std::memory_order_relaxed);
  p.pending = 0;
  p.stats->rx_packets.fetch_add(1, std::memory_order_relaxed);
  used = true;
  return true;
}

namespace {

// Stores `value` little-endian at byte `offset` of the data `iov` covers
// (the bytes may straddle iovecs); the caller made sure they exist.
void StoreLe16(std::span<const iovec> iov, size_t offset, uint16_t value) {
  const uint8_t bytes[2] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8)};
  size_t i = 0;
  for (const iovec& v : iov) {
    while (i < 2 && offset < v.iov_len) static_cast<uint8_t*>(v.iov_base)[offset++] = bytes[i++];
    if (i == 2) return;
    offset -= v.iov_len;
  }
}

// Marks the buffers of the first `count` held chains dirty again once a
// packet was read into them (see GuestMemory::HostPointerForWrite).
void MarkRxDirty(const GuestMemory& memory, std::span<const DescriptorChain> held, size_t count) {
  for (size_t i = 0; i < count && i < held.size(); ++i) {
    for (const ChainBuffer& b : held[i].buffers) memory.MarkDirty(b.gpa, b.len);
  }
}

}  // namespace

VirtioNet::RxStep VirtioNet::ReceiveDirect(uint16_t pair, bool& used) {
  Pair& p = pair_[pair];
  // Enough chains for the largest packet: without MRG_RXBUF the first must
  // hold it alone (§5.1.6.3.1), with it any number may (§5.1.6.4).
  size_t chains = 0;
  if (!mrg_rxbuf_) {
    if (p.held.empty() || p.held.front().writable_len < net::kMaxPacketBytes) return RxStep::kNoRoom;
    chains = 1;
  } else {
    uint64_t room = 0;
    for (;;) {
      while (chains < p.held.size() && room < net::kMaxPacketBytes) {
        room += p.held[chains++].writable_len;
      }
      if (room >= net::kMaxPacketBytes) break;
      if (!PopRxChain(pair)) return RxStep::kNoRoom;
    }
  }
  // Rx chains are all device-writable (PopRxChain checked). A buffer that
  // straddles two RAM regions, or too many buffers: use the bounce path.
  // (Guest RAM written here bypasses GuestMemory::Write, as the kernel's
  // writes would; HostPointerForWrite marks the dirty log, and MarkRxDirty
  // marks again once the bytes are in.)
  GuestMemory& memory = context_->memory();
  p.rx_iov.clear();
  for (size_t i = 0; i < chains; ++i) {
    for (const ChainBuffer& b : p.held[i].buffers) {
      if (b.len == 0) continue;
      uint8_t* host = memory.HostPointerForWrite(b.gpa, b.len);
      if (host == nullptr || p.rx_iov.size() >= IOV_MAX) return RxStep::kNoRoom;
      p.rx_iov.push_back({host, b.len});
    }
  }
  auto r = p.endpoint->ReadV(p.rx_iov);
  if (!r.ok()) {
    PETREL_LOG_ONCE(kError, "virtio-net-read") << "virtio-net: " << r.error().message();
    return RxStep::kReadError;  // a broken endpoint must not spin the loop
  }
  if (!r->has_value()) return RxStep::kEmpty;
  const size_t n = **r;
  if (n < net::kVnetHeaderSize) {
    MarkRxDirty(memory, p.held, chains);
    p.stats->rx_dropped.fetch_add(1, std::memory_order_relaxed);  // the chains stay held for the next packet
    return RxStep::kDone;
  }
  size_t filled = 0;
  for (uint64_t covered = 0; covered < n && filled < chains; ++filled) {
    covered += p.held[filled].writable_len;
  }
  // §5.1.6.4: num_buffers; the tap leaves those two header bytes untouched.
  StoreLe16(p.rx_iov, kNetHdrNumBuffersOffset, static_cast<uint16_t>(filled));
  MarkRxDirty(memory, p.held, chains);
  SplitQueue& queue = context_->queue(RxIndex(pair));
  size_t done = 0;
  for (size_t i = 0; i < filled; ++i) {
    const auto len = static_cast<uint32_t>(std::min<uint64_t>(p.held[i].writable_len, n - done));
    if (auto a = queue.AddUsed(p.held[i].head, len); !a.ok()) {
      Fail("rx: " + a.error().message());
      return RxStep::kDone;
    }
    done += len;
  }
  p.held.erase(p.held.begin(), p.held.begin() + static_cast<ptrdiff_t>(filled));
  p.stats->rx_bytes.fetch_add(n - net::kVnetHeaderSize, std::memory_order_relaxed);
  p.stats->rx_packets.fetch_add(1, std::memory_order_relaxed);
  p.stats->rx_direct.fetch_add(1, std::memory_order_relaxed);
  used = true;
  return RxStep::kDone;
}

void VirtioNet::ProcessRx(uint16_t pair) {
  if (!Running() || pair >= active_pairs_) return StopWatch(pair);
  Pair& p = pair_[pair];
  if (!context_->queue(RxIndex(pair)).ready()) return StopWatch(pair);
  if (p.packet.empty()) p.packet.resize(net::kMaxPacketBytes);
  bool used = false;
  bool watch = true;
  for (int n = 0; n < kNetRxPacketsPerWake && Running(); ++n) {
    if (p.pending == 0) {
      // Only take a packet off the host when there is a buffer for it.
      if (p.held.empty() && !PopRxChain(pair)) {
        watch = false;
        break;
      }
      const RxStep step = ReceiveDirect(pair, used);
      if (step == RxStep::kDone) continue;
      if (step == RxStep::kEmpty) break;  // drained: keep watching
      if (step == RxStep::kReadError || !Running()) {
        watch = false;
        break;
      }
      // kNoRoom: through the bounce buffer, which waits for more chains.
      auto r = p.endpoint->Read(p.packet);
      if (!r.ok()) {
        PETREL_LOG_ONCE(kError, "virtio-net-read") << "virtio-net: " << r.error().message();
        watch = false;  // a broken endpoint must not spin the loop
        break;
      }
      if (!r->has_value()) break;  // drained: keep watching
      if (**r < net::kVnetHeaderSize) {
        p.stats->rx_dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      p.pending = **r;
    }
    if (!DeliverPacket(pair, used)) {
      watch = false;  // out of buffers (or failed): wait for a notify
      break;
    }
  }
  if (used && Running()) context_->SignalUsed(RxIndex(pair));
  if (watch && Running()) {
    StartWatch(pair);
  } else {
    StopWatch(pair);
  }
}

// ---------------------------------------------------------------------------
// TX

void VirtioNet::ProcessTx(uint16_t pair) {
  Pair& p = pair_[pair];
  SplitQueue& queue = context_->queue(TxIndex(pair));
  if (!queue.ready()) return;
  GuestMemory& memory = context_->memory();
  bool used = false;
  for (uint32_t n = 0; Running(); ++n) {
    if (n == kMaxChainsPerTurn) {
      context_->NotifyAgain(TxIndex(pair));
      break;
    }
    auto popped = queue.Pop();
    if (!popped.ok())
      return Fail("tx queue " + std::to_string(pair) + ": " + popped.error().message());
    if (!popped->has_value()) break;
    const DescriptorChain& chain = **popped;
    // §5.1.6.2: every packet starts with the header.
    if (chain.readable_len < net::kVnetHeaderSize) {
      return Fail("tx chain shorter than the virtio-net header");
    }
    if (chain.readable_len > net::kMaxPacketBytes) {
      p.stats->tx_dropped.fetch_add(1, std::memory_order_relaxed);
      PETREL_LOG_ONCE(kWarn, "virtio-net-tx-big")
          << "virtio-net: tx packet of " << chain.readable_len << " bytes dropped";
    } else {
      p.iov.clear();
      bool direct = true;
      for (const ChainBuffer& b : chain.buffers) {
        if (b.writable || b.len == 0) continue;
        uint8_t* host = memory.HostPointer(b.gpa, b.len);
        if (host == nullptr || p.iov.size() >= IOV_MAX) {
          direct = false;
          break;
        }
        p.iov.push_back({host, b.len});
      }
      if (!direct) {
        // A buffer straddles two RAM regions, or too many buffers: copy.
        p.tx_bounce.resize(chain.readable_len);
        ChainReader in(memory, chain);
        if (auto r = in.Read(p.tx_bounce); !r.ok()) return Fail("tx: " + r.error().message());
        p.iov.assign(1, {p.tx_bounce.data(), p.tx_bounce.size()});
      }
      if (auto r = p.endpoint->Write(p.iov); r.ok()) {
        p.stats->tx_packets.fetch_add(1, std::memory_order_relaxed);
        p.stats->tx_bytes.fetch_add(chain.readable_len - net::kVnetHeaderSize,
                                    std::memory_order_relaxed);
      } else {
        p.stats->tx_dropped.fetch_add(1, std::memory_order_relaxed);
        PETREL_LOG_ONCE(kWarn, "virtio-net-tx-write")
            << "virtio-net: dropping tx packets: " << r.error().message();
      }
    }
    if (auto r = queue.AddUsed(chain.head, 0); !r.ok()) return Fail("tx: " + r.error().message());
    used = true;
  }
  if (used && Running()) context_->SignalUsed(TxIndex(pair));
}

// ---------------------------------------------------------------------------
// Control queue (§5.1.6.5)

void VirtioNet::ProcessCtrl(uint16_t index, bool negotiated) {
  SplitQueue& queue = context_->queue(index);
  if (!queue.ready()) return;
  GuestMemory& memory = context_->memory();
  bool used = false;
  std::vector<uint8_t> data;
  for (uint32_t n = 0; Running(); ++n) {
    if (n == kMaxChainsPerTurn) {
      context_->NotifyAgain(index);
      break;
    }
    auto popped = queue.Pop();
    if (!popped.ok()) return Fail("ctrl queue: " + popped.error().message());
    if (!popped->has_value()) break;
    const DescriptorChain& chain = **popped;
    // class + command readable, then at least the ack byte writable.
    if (chain.readable_len < 2 || chain.writable_len < 1) {
      return Fail("ctrl chain without class/command or ack");
    }
    ChainReader in(memory, chain);
    uint8_t head[2];
    if (auto r = in.Read(head); !r.ok()) return Fail("ctrl: " + r.error().message());
    uint8_t ack = kNetErr;
    if (negotiated && in.remaining() <= kNetMaxCtrlDataBytes) {
      data.resize(in.remaining());
      if (auto r = in.Read(data); !r.ok()) return Fail("ctrl: " + r.error().message());
      ack = HandleCtrl(head[0], head[1], data);
    }
    if (ack != kNetOk) ctrl_errors_.fetch_add(1, std::memory_order_relaxed);
    if (!Running()) return;
    ChainWriter out(memory, chain);
    if (auto r = out.WriteObj(ack); !r.ok()) return Fail("ctrl: " + r.error().message());
    if (auto r = queue.AddUsed(chain.head, out.written()); !r.ok()) {
      return Fail("ctrl: " + r.error().message());
    }
    used = true;
  }
  if (used && Running()) context_->SignalUsed(index);
}

uint8_t VirtioNet::HandleCtrl(uint8_t cls, uint8_t cmd, std::span<const uint8_t> data) {
  const uint64_t f = context_->features();
  switch (cls) {
    case kNetCtrlRx:
      // §5.1.6.5.1: one on/off byte. Every mode is accepted: the tap already
      // delivers everything the host bridge sends it.
      return (cmd <= kNetCtrlRxNobcast && data.size() == 1) ? kNetOk : kNetErr;
    case kNetCtrlMac:
      if (cmd == kNetCtrlMacTableSet) {
        // §5.1.6.5.2: two tables (unicast, multicast) of { le32 entries; u8 macs[entries][6]; }.
        size_t at = 0;
        for (int table = 0; table < 2; ++table) {
          if (data.size() - at < 4) return kNetErr;
          const uint64_t entries = LoadLe<uint32_t>(data, at);
          at += 4;
          if (entries > (data.size() - at) / 6) return kNetErr;
          at += static_cast<size_t>(entries) * 6;
        }
        return at == data.size() ? kNetOk : kNetErr;
      }
      return kNetErr;  // MAC_ADDR_SET needs CTRL_MAC_ADDR, not offered
    case kNetCtrlMq:
      // §5.1.6.5.5: le16 virtqueue_pairs in 1..max_virtqueue_pairs.
      if (cmd == kNetCtrlMqVqPairsSet && (f & FeatureBit(kNetFMq)) && data.size() == 2) {
        const uint16_t n = LoadLe<uint16_t>(data, 0);
        if (n < kNetMinVqPairs || n > usable_pairs_) return kNetErr;
        SetActivePairs(n);
        return kNetOk;
      }
      return kNetErr;
    case kNetCtrlGuestOffloads:
      // §5.1.6.5.6: le64 offloads, a subset of the negotiated ones.
      if (cmd == kNetCtrlGuestOffloadsSet && (f & FeatureBit(kNetFCtrlGuestOffloads)) &&
          data.size() == 8) {
        const uint64_t offloads = LoadLe<uint64_t>(data, 0);
        if (offloads & ~(f & kGuestOffloadMask)) return kNetErr;
        if (auto r = SetGuestOffloads(offloads); !r.ok()) {
          PETREL_LOG_ONCE(kWarn, "virtio-net-offload") << "virtio-net: " << r.error().message();
          return kNetErr;
        }
        return kNetOk;
      }
      return kNetErr;
    default: return kNetErr;
  }
}

Result<void> VirtioNet::SetGuestOffloads(uint64_t offloads) {
  const unsigned flags = TunOffloads(offloads);
  for (auto& p : pair_) PETREL_TRY(p.endpoint->SetOffload(flags));
  guest_offloads_ = offloads;
  return Ok();
}

void VirtioNet::SetActivePairs(uint16_t pairs) {
  // The control queue's loop. The tap queues are (de)attached from here (an
  // ioctl); a pair's watch and rx ring belong to its own loop, so the rest is
  // done there: inline when that is this loop, else posted (the post runs
  // before any reset's StopQueueGroup of that pair, which is posted later).
  const uint16_t old = active_pairs_;
  active_pairs_ = pairs;
  EventLoop& here = context_->queue_loop(ctrl_index_.value_or(0));
  for (uint16_t p = std::min(old, pairs); p < std::max(old, pairs); ++p) {
    const bool enable = p < pairs;
    EnablePair(p, enable);
    EventLoop& there = context_->queue_loop(RxIndex(p));
    if (&there == &here) {
      ApplyActivePair(p);
      continue;
    }
    std::weak_ptr<bool> alive = alive_;
    auto posted = there.Post([this, alive, p] {
      if (alive.lock()) ApplyActivePair(p);
    });
    if (!posted.ok()) Fail("cannot post a pair change");
  }
}

void VirtioNet::ApplyActivePair(uint16_t pair) {
  if (pair >= active_pairs_) return StopWatch(pair);
  ProcessRx(pair);
}

}  // namespace petrel::virtio
