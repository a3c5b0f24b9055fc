// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ServeChains: the one loop a device uses to take the chains waiting in a
// queue: pop, hand each to the device's own handler, and after
// kMaxChainsPerTurn chains yield with NotifyAgain() so the other queues and
// devices on the loop get their turn (virtio_device.h). A handler's error
// (the guest broke the protocol) ends the loop and is returned; the device
// then fails itself (VirtioContext::Fail), having signalled what it did
// complete. ServeNotifiedQueue is that whole QueueNotified() for a device
// that finishes each chain in its handler (rng, pmem, watchdog, iommu).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/base/result.h"
#include "devices/virtio/descriptor_chain.h"
#include "devices/virtio/split_queue.h"
#include "devices/virtio/virtio_device.h"

namespace petrel::virtio {

// `serve(const DescriptorChain&) -> Result<void>` handles one chain (adds
// it to the used ring, or keeps it for later).
template <class Serve>
Result<void> ServeChains(VirtioContext& context, uint16_t index, SplitQueue& queue, Serve&& serve) {
  for (uint32_t n = 0;; ++n) {
    if (n == kMaxChainsPerTurn) {
      context.NotifyAgain(index);
      return Ok();
    }
    PETREL_ASSIGN_OR_RETURN(std::optional<DescriptorChain> chain, queue.Pop());
    if (!chain) return Ok();
    PETREL_TRY(serve(*chain));
  }
}

// A QueueNotified(index): nothing for a device not active (`context` null)
// or failed, an index past `queue_count` or a queue not ready; else
// `serve(SplitQueue&) -> Result<void>`, then a used-buffer notification if
// the used ring moved (chains completed before an error are still handed
// back), and on an error `failed` is set and the device fails with
// "<name>: <message>".
template <class Serve>
void ServeNotifiedQueue(VirtioContext* context, bool& failed, const char* name, uint16_t index,
                        uint16_t queue_count, Serve&& serve) {
  if (context == nullptr || failed || index >= queue_count) return;
  SplitQueue& queue = context->queue(index);
  if (!queue.ready()) return;
  const uint16_t used_before = queue.next_used();
  Result<void> r = serve(queue);
  if (queue.next_used() != used_before) context->SignalUsed(index);
  if (!r.ok()) {
    failed = true;
    context->Fail(std::string(name) + ": " + r.error().message());
  }
}

}  // namespace petrel::virtio
