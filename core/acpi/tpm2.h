// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The TPM2 table (TCG ACPI Specification for TPM 1.2 and 2.0, v1.3, §8 "TPM2
// table"): tells the guest that a TPM 2.0 with the Command Response Buffer
// interface is present and where its CRB control area is. The DSDT's
// \_SB_.TPM2 device (MSFT0101, dsdt.cc) claims the register page; Linux's
// tpm_crb binds to that device and reads the start method and control area
// address from this table. As Cloud Hypervisor's create_tpm2_table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace petrel::acpi {

// Table revision 3, as Cloud Hypervisor's. Revision 4 (the current one) has
// the same first 52 bytes but iasl (acpica-tools 20200925, the one CI
// installs) then expects the start-method parameters and the log area
// fields after them and reports a 52-byte revision 4 table as ending "in the
// middle of a data structure" (Petrel has no event log to describe). In
// revision 3 bytes 36-39 are one u32 (flags, reserved) that revision 4 split
// into Platform Class and Reserved; with platform class 0 (client) the bytes
// are the same. Linux's tpm_crb does not look at the revision.
inline constexpr uint8_t kTpm2Revision = 3;

// §8 TPM2 table field offsets (from the start of the table).
inline constexpr size_t kTpm2PlatformClass = 36;       // u16: 0 client, 1 server
inline constexpr size_t kTpm2Reserved = 38;            // u16
inline constexpr size_t kTpm2ControlAreaAddress = 40;  // u64: the CRB control area
inline constexpr size_t kTpm2StartMethod = 48;         // u32
// The table's length without the start-method parameters and log area
// fields, and the minimum Linux's tpm_crb accepts (sizeof(struct
// acpi_table_tpm2)).
inline constexpr size_t kTpm2Size = 52;

// §8 Platform Class: a client platform (PC Client PTP).
inline constexpr uint16_t kTpm2PlatformClassClient = 0;
// §8 Start Method: 7 = Command Response Buffer (no ACPI start method).
inline constexpr uint32_t kTpm2StartMethodCrb = 7;
// PC Client PTP, CRB register map: a locality's control area
// (TPM_CRB_CTRL_REQ_x onwards) starts 0x40 bytes into its register page; the
// TPM2 table's Control Area Address points there.
inline constexpr uint64_t kTpmCrbControlAreaOffset = 0x40;

// The TPM2 table for a CRB register page at `crb_base` (kTpm2Size bytes,
// checksum set).
std::vector<uint8_t> BuildTpm2(uint64_t crb_base);

}  // namespace petrel::acpi
