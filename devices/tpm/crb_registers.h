// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The TPM 2.0 Command Response Buffer (CRB) interface's register page, as
// the TCG PC Client Platform TPM Profile (PTP) Specification for TPM 2.0
// (version 1.05, §6.5.3 "CRB Interface Registers", Table 19 and the tables
// after it) lays it out for locality 0. Offsets are from the page's base
// (x86::kTpmCrbStart); every register is 32 bits unless noted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/base/bytes.h"

namespace petrel::tpm {

inline constexpr uint64_t kCrbPageSize = 0x1000;

// §6.5.3.4 TPM_LOC_STATE_x (read-only).
inline constexpr uint64_t kLocState = 0x00;
inline constexpr uint32_t kLocStateEstablished = 1u << 0;   // tpmEstablished
inline constexpr uint32_t kLocStateAssigned = 1u << 1;      // locAssigned
inline constexpr uint32_t kLocStateActiveShift = 2;         // activeLocality, bits 2-4
inline constexpr uint32_t kLocStateRegValid = 1u << 7;      // tpmRegValidSts

// §6.5.3.5 TPM_LOC_CTRL_x (write-only actions).
inline constexpr uint64_t kLocCtrl = 0x08;
inline constexpr uint32_t kLocCtrlRequestAccess = 1u << 0;
inline constexpr uint32_t kLocCtrlRelinquish = 1u << 1;
inline constexpr uint32_t kLocCtrlSeize = 1u << 2;
inline constexpr uint32_t kLocCtrlResetEstablishment = 1u << 3;

// §6.5.3.6 TPM_LOC_STS_x (read-only).
inline constexpr uint64_t kLocSts = 0x0C;
inline constexpr uint32_t kLocStsGranted = 1u << 0;
inline constexpr uint32_t kLocStsBeenSeized = 1u << 1;

// §6.5.3.7 TPM_CRB_INTF_ID_x, 64 bits (read-only). Low half:
inline constexpr uint64_t kIntfId = 0x30;
inline constexpr uint32_t kIntfTypeCrbActive = 0x1;         // InterfaceType, bits 0-3
inline constexpr uint32_t kIntfVersionCrb = 0x1 << 4;       // InterfaceVersion, bits 4-7
inline constexpr uint32_t kIntfCapLocality0Only = 0 << 8;   // CapLocality
inline constexpr uint32_t kIntfCapXferSize64 = 0x3 << 11;   // CapDataXferSizeSupport
inline constexpr uint32_t kIntfCapCrb = 1u << 14;           // CapCRB
inline constexpr uint32_t kIntfSelectorCrb = 0x1 << 17;     // InterfaceSelector, bits 17-18
// High half (offset 0x34): VID bits 0-15, DID bits 16-31. The vendor is
// IBM's, as QEMU and Cloud Hypervisor give their software TPMs (swtpm is IBM's).
inline constexpr uint64_t kIntfId2 = 0x34;
inline constexpr uint32_t kIntfVidIbm = 0x1014;

// §6.5.3.9 TPM_CRB_CTRL_REQ_x: the software asks for a power state; the
// device grants it at once, so the register always reads 0.
inline constexpr uint64_t kCtrlReq = 0x40;
inline constexpr uint32_t kCtrlReqCmdReady = 1u << 0;
inline constexpr uint32_t kCtrlReqGoIdle = 1u << 1;

// §6.5.3.10 TPM_CRB_CTRL_STS_x (read-only).
inline constexpr uint64_t kCtrlSts = 0x44;
inline constexpr uint32_t kCtrlStsError = 1u << 0;  // tpmSts: a fatal error
inline constexpr uint32_t kCtrlStsIdle = 1u << 1;   // tpmIdle

// §6.5.3.11 TPM_CRB_CTRL_CANCEL_x and §6.5.3.12 TPM_CRB_CTRL_START_x.
inline constexpr uint64_t kCtrlCancel = 0x48;
inline constexpr uint32_t kCtrlCancelInvoke = 1u << 0;
inline constexpr uint64_t kCtrlStart = 0x4C;
inline constexpr uint32_t kCtrlStartInvoke = 1u << 0;  // set by software, cleared when done

// §6.5.3.13-16: where the command and response buffers are (read-only
// here: the device has one buffer, the data buffer below).
inline constexpr uint64_t kCtrlCmdSize = 0x58;
inline constexpr uint64_t kCtrlCmdLaddr = 0x5C;
inline constexpr uint64_t kCtrlCmdHaddr = 0x60;
inline constexpr uint64_t kCtrlRspSize = 0x64;
inline constexpr uint64_t kCtrlRspAddr = 0x68;  // 64 bits

// §6.5.3.17 TPM_CRB_DATA_BUFFER_x: command in, response out, to the page's end.
inline constexpr uint64_t kDataBuffer = 0x80;
inline constexpr uint64_t kDataBufferSize = kCrbPageSize - kDataBuffer;  // 3968

// TPM 2.0 Library, Part 1 §18 / Part 2 §10.6: every command and response
// starts with tag (2 bytes), size (4, big-endian, the whole message) and
// the command code or response code (4).
inline constexpr uint64_t kTpmHeaderSize = 10;
inline constexpr uint64_t kTpmHeaderSizeOffset = 2;
inline constexpr uint64_t kTpmHeaderCodeOffset = 6;
// Part 2 §6.9 TPM_ST_NO_SESSIONS: the tag of a response without sessions.
inline constexpr uint16_t kTpmStNoSessions = 0x8001;
// Part 2 §6.6: TPM_RC_COMMAND_SIZE, the answer to a command whose size
// field is wrong (or more than the TPM takes).
inline constexpr uint32_t kTpmRcCommandSize = 0x142;

// Writes into `out` (at least kTpmHeaderSize bytes) a response that is only
// the header carrying `rc` (Part 1 §18.10); returns its size.
inline size_t WriteTpmErrorResponse(std::span<uint8_t> out, uint32_t rc) {
  StoreBe<uint16_t>(out, 0, kTpmStNoSessions);
  StoreBe<uint32_t>(out, kTpmHeaderSizeOffset, static_cast<uint32_t>(kTpmHeaderSize));
  StoreBe<uint32_t>(out, kTpmHeaderCodeOffset, rc);
  return kTpmHeaderSize;
}

}  // namespace petrel::tpm
