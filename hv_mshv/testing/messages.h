// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Builders of hv_messages as MSHV_RUN_VP returns them, for tests and fuzz
// seeds: the message header with type and payload size, then the payload.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv::testing {

template <class T>
HvMessage MakeMessage(uint32_t type, const T& payload, uint8_t payload_size = sizeof(T)) {
  static_assert(sizeof(T) <= kHvMessagePayloadBytes);
  HvMessage m{};
  m.header.message_type = type;
  m.header.payload_size = payload_size;
  std::memcpy(m.payload, &payload, sizeof payload);
  return m;
}

inline HvX64IoPortInterceptMessage IoPort(uint32_t vp, uint16_t port, uint8_t size, bool out,
                                          uint64_t rax, uint64_t rip, uint8_t insn_len) {
  HvX64IoPortInterceptMessage m{};
  m.header.vp_index = vp;
  m.header.instruction_length_cr8 = insn_len;
  m.header.intercept_access_type = out ? kHvInterceptAccessWrite : kHvInterceptAccessRead;
  m.header.rip = rip;
  m.port_number = port;
  m.access_info = size;
  m.instruction_byte_count = 0;
  m.rax = rax;
  return m;
}

inline HvX64MemoryInterceptMessage Memory(uint32_t vp, uint64_t gpa, bool write, uint64_t rip) {
  HvX64MemoryInterceptMessage m{};
  m.header.vp_index = vp;
  m.header.instruction_length_cr8 = 3;
  m.header.intercept_access_type = write ? kHvInterceptAccessWrite : kHvInterceptAccessRead;
  m.header.rip = rip;
  m.guest_physical_address = gpa;
  m.guest_virtual_address = gpa;
  m.memory_access_info = kMemAccessGvaValid | kMemAccessGvaGpaValid;
  m.instruction_byte_count = 3;
  m.instruction_bytes[0] = 0x89;  // mov %eax,(%rbx)
  m.instruction_bytes[1] = 0x03;
  m.instruction_bytes[2] = 0x90;
  return m;
}

// A string port access (INS/OUTS): `bytes` the instruction's, RCX/RSI/RDI
// and segments to be filled in by the caller.
inline HvX64IoPortInterceptMessage StringIo(uint32_t vp, uint16_t port, uint8_t size, bool out,
                                            bool rep, uint64_t rip,
                                            std::initializer_list<uint8_t> bytes) {
  HvX64IoPortInterceptMessage m = IoPort(vp, port, size, out, 0, rip,
                                         static_cast<uint8_t>(bytes.size()));
  m.access_info = static_cast<uint8_t>(size | kIoAccessStringOp | (rep ? kIoAccessRepPrefix : 0));
  m.instruction_byte_count = static_cast<uint8_t>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), m.instruction_bytes);
  return m;
}

inline HvX64CpuidInterceptMessage Cpuid(uint32_t vp, uint32_t leaf, uint32_t subleaf,
                                        uint64_t rip) {
  HvX64CpuidInterceptMessage m{};
  m.header.vp_index = vp;
  m.header.instruction_length_cr8 = 2;
  m.header.intercept_access_type = kHvInterceptAccessExecute;
  m.header.rip = rip;
  m.rax = leaf;
  m.rcx = subleaf;
  return m;
}

inline HvX64MsrInterceptMessage Msr(uint32_t vp, uint32_t msr, bool write, uint64_t rip) {
  HvX64MsrInterceptMessage m{};
  m.header.vp_index = vp;
  m.header.instruction_length_cr8 = 2;
  m.header.intercept_access_type = write ? kHvInterceptAccessWrite : kHvInterceptAccessRead;
  m.header.rip = rip;
  m.msr_number = msr;
  return m;
}

}  // namespace petrel::mshv::testing
