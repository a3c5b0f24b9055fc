// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// RSDP and XSDT builders (see rsdp.h).
#include "core/acpi/rsdp.h"

#include "core/acpi/sdt.h"

namespace petrel::acpi {

std::vector<uint8_t> BuildRsdp(uint64_t xsdt_addr) {
  std::vector<uint8_t> r(kRsdpSize, 0);
  const char sig[] = "RSD PTR ";
  for (size_t i = 0; i < 8; ++i) r[i] = static_cast<uint8_t>(sig[i]);
  for (size_t i = 0; i < 6; ++i) r[kRsdpOemId + i] = static_cast<uint8_t>(kOemId[i]);
  r[kRsdpRevisionOffset] = kRsdpRevision;
  PutLe(r, kRsdpRsdtAddress, 0, 4);  // no RSDT: the XSDT is required from ACPI 2.0 on
  PutLe(r, kRsdpLength, kRsdpSize, 4);
  PutLe(r, kRsdpXsdtAddress, xsdt_addr, 8);
  r[kRsdpChecksum] = Checksum(std::span<const uint8_t>(r).first(kRsdpV1Size));
  r[kRsdpExtendedChecksum] = Checksum(r);
  return r;
}

std::vector<uint8_t> BuildXsdt(std::span<const uint64_t> table_addrs) {
  Sdt t("XSDT", kXsdtRevision, "PTXSDT", 8 * table_addrs.size());
  for (size_t i = 0; i < table_addrs.size(); ++i) t.Put64(kSdtHeaderSize + 8 * i, table_addrs[i]);
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
