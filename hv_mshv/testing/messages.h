// Builders of hv_messages as MSHV_RUN_VP returns them, for tests and fuzz
// seeds: the message header with type and payload size, then the payload.
#pragma once

#include <cstdint>
#include <cstring>

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

}  // namespace petrel::mshv::testing
