// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ServeChains: the one loop a device uses to take the chains waiting in a
// queue: pop, hand each to the device's own handler, and after
// kMaxChainsPerTurn chains yield with NotifyAgain() so the other queues and
// devices on the loop get their turn (virtio_device.h). A handler's error
// (the guest broke the protocol) ends the loop and is returned; the device
// then fails itself (VirtioContext::Fail), having signalled what it did
// complete.
#pragma once

#include <cstdint>
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

}  // namespace petrel::virtio
