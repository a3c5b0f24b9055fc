// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// TPM2 table builder (see tpm2.h).
#include "core/acpi/tpm2.h"

#include "core/acpi/sdt.h"

namespace petrel::acpi {

std::vector<uint8_t> BuildTpm2(uint64_t crb_base) {
  Sdt t("TPM2", kTpm2Revision, "PTTPM2", kTpm2Size - kSdtHeaderSize);
  t.Put16(kTpm2PlatformClass, kTpm2PlatformClassClient);
  t.Put16(kTpm2Reserved, 0);
  t.Put64(kTpm2ControlAreaAddress, crb_base + kTpmCrbControlAreaOffset);
  t.Put32(kTpm2StartMethod, kTpm2StartMethodCrb);
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
