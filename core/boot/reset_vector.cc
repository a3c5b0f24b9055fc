// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The reset vector stub (see reset_vector.h).
#include "core/boot/reset_vector.h"

namespace petrel::boot {

Result<void> WriteResetVector(GuestMemory& memory) {
  return memory.Write(kResetVectorAddress, kResetVectorStub).Wrap("writing the reset vector stub");
}

}  // namespace petrel::boot
