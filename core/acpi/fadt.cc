// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// FADT builder (see fadt.h).
#include "core/acpi/fadt.h"

#include "core/acpi/pm_registers.h"
#include "core/acpi/sdt.h"

namespace petrel::acpi {

std::vector<uint8_t> BuildFadt(const AcpiConfig& config, uint64_t dsdt_addr) {
  Sdt t("FACP", kFadtRevision, "PTFACP", kFadtSize - kSdtHeaderSize);
  uint32_t flags = kFadtFlagHwReducedAcpi | kFadtFlagResetRegSup;
  // SCI_INT stays 0: a hardware-reduced platform has no SCI (5.2.9).
  t.Put16(kFadtIapcBootArch,
          static_cast<uint16_t>(kIapcVgaNotPresent | (config.rtc ? 0 : kIapcCmosRtcNotPresent)));
  // CENTURY: Linux's mc146818 code reads and writes the century there.
  if (config.rtc) t.Put8(kFadtCentury, config.rtc_century);

  // 4.8.3.6 Reset Register: one byte in system I/O space.
  t.PutBytes(kFadtResetReg,
             Gas(AddressSpace::kSystemIo, 8, AccessSize::kByte, config.pm_port + kResetRegOffset));
  t.Put8(kFadtResetValue, config.reset_value);
  t.Put8(kFadtMinorVersion, kFadtMinorRevision);
  // X_DSDT only; the 32-bit DSDT field stays 0 (OSPM uses X_DSDT when set).
  t.Put64(kFadtXDsdt, dsdt_addr);

  if (config.pm_timer_port != 0) {
    // 4.8.3.3 PM timer, 32 bits (TMR_VAL_EXT). Both the legacy PM_TMR_BLK and
    // X_PM_TMR_BLK, consistent, as ACPICA compares them.
    flags |= kFadtFlagTmrValExt;
    t.Put32(kFadtPmTmrBlk, config.pm_timer_port);
    t.Put8(kFadtPmTmrLen, kPmTimerPortCount);
    t.PutBytes(kFadtXPmTmrBlk,
               Gas(AddressSpace::kSystemIo, 32, AccessSize::kDWord, config.pm_timer_port));
  }
  // 4.8.3.7 Sleep control and status registers, one byte each.
  t.PutBytes(kFadtSleepControlReg, Gas(AddressSpace::kSystemIo, 8, AccessSize::kByte,
                                       config.pm_port + kSleepControlOffset));
  t.PutBytes(kFadtSleepStatusReg, Gas(AddressSpace::kSystemIo, 8, AccessSize::kByte,
                                      config.pm_port + kSleepStatusOffset));
  t.PutBytes(kFadtHypervisorVendor,
             std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kHypervisorVendor), 8));
  t.Put32(kFadtFlags, flags);
  return std::move(t).Finish();
}

}  // namespace petrel::acpi
