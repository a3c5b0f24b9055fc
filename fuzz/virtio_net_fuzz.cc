// Fuzz target: virtio-net's guest-facing paths over an in-memory endpoint.
// Two modes, chosen by the input's first control byte:
//  - raw: the input becomes the ring and buffer memory of every queue
//    (descriptor tables, avail rings, data), so rings hold arbitrary
//    descriptors pointing anywhere;
//  - structured: the input describes well-formed chains (segment lengths,
//    readable/writable, contents) added through the guest-side driver, so
//    the tx, rx (MRG_RXBUF or not) and control-command parsers see
//    arbitrary but valid-looking requests.
// Then every queue is notified and host packets are offered to rx. The
// device must never crash or touch memory outside GuestMemory; it may only
// complete chains or Fail().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "devices/virtio/net/net_test_util.h"
#include "devices/virtio/net/virtio_net.h"

using namespace petrel;
using namespace petrel::virtio;

namespace {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | Byte() << 8); }
  std::vector<uint8_t> Bytes(size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::vector<uint8_t> v(data_ + at_, data_ + at_ + n);
    at_ += n;
    return v;
  }
  size_t Rest(const uint8_t** p) {
    *p = data_ + std::min(at_, size_);
    return size_ - std::min(at_, size_);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

void RawRings(testing::NetHarness& h, Input& in) {
  const uint8_t* data;
  const size_t size = in.Rest(&data);
  size_t at = 0;
  for (uint16_t q = 0; q < h.device->queue_count() && at < size; ++q) {
    const size_t ring_bytes = std::min<size_t>(size - at, 0x1000);
    (void)h.memory->Write(0x10000ull * (q + 1), {data + at, ring_bytes});
    at += ring_bytes;
    const size_t data_bytes = std::min<size_t>(size - at, 0x1000);
    (void)h.memory->Write(0x100000ull * (q + 1), {data + at, data_bytes});
    at += data_bytes;
  }
}

void Chains(testing::NetHarness& h, Input& in) {
  // At most 32 chains of at most 4 segments; lengths up to 64 KiB + a bit.
  for (int c = 0; c < 32 && !in.empty(); ++c) {
    const uint16_t q = static_cast<uint16_t>(in.Byte() % h.device->queue_count());
    const int segs = 1 + in.Byte() % 4;
    std::vector<std::vector<uint8_t>> readable;
    std::vector<uint32_t> writable;
    for (int s = 0; s < segs; ++s) {
      const uint8_t kind = in.Byte();
      uint32_t len = in.U16();
      if (kind & 0x80) len += 0x10000;
      if (kind & 1) {
        writable.push_back(len % 0x12000);
      } else if (writable.empty()) {
        std::vector<uint8_t> bytes = in.Bytes(kind & 2 ? len % 64 : len % 0x11000);
        bytes.resize(len % 0x11000);  // zero-padded past the input
        readable.push_back(std::move(bytes));
      }
    }
    if (readable.empty() && writable.empty()) continue;
    if (!h.drivers[q].AddRequest(readable, writable).ok()) continue;
    (void)h.drivers[q].Kick();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint64_t features = 0;
  for (int i = 0; i < 8; ++i) features |= uint64_t{in.Byte()} << (8 * i);
  const uint8_t control = in.Byte();

  testing::NetHarness h;
  VirtioNetOptions options;
  options.num_queues = (control & 1) ? 4 : 2;
  if (!h.Init(options, features).ok()) return 0;
  for (auto* ep : h.endpoints) {
    ep->refuse_writes = (control & 2) != 0;
    ep->Push(std::vector<uint8_t>(60 + (control >> 3 & 7) * 9000u, control));
    ep->Push(std::vector<uint8_t>(5, 0));  // runt
    ep->Push(std::vector<uint8_t>(1500, 1));
  }
  if (control & 4) {
    Chains(h, in);
  } else {
    RawRings(h, in);
  }
  for (int round = 0; round < 2; ++round) {
    for (uint16_t q = 0; q < h.device->queue_count(); ++q) h.device->QueueNotified(q);
    h.loop.RunUntilIdle();
  }
  h.device->Reset();
  return 0;
}
