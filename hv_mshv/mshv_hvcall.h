// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The hypercalls Petrel makes through MSHV_ROOT_HVCALL, encoded as the
// hypervisor expects them (include/uapi/linux/mshv.h struct mshv_root_hvcall;
// the input/output layouts of include/hyperv/hvgdk_mini.h):
//
//   HVCALL_SET_PARTITION_PROPERTY (0x45, partition fd): input
//     hv_input_set_partition_property {partition_id, code, pad, value}.
//   HVCALL_GET_VP_REGISTERS (0x50, rep): input the 16-byte header
//     {partition_id, vp_index, input_vtl, 0, 0} then one u32 name per rep;
//     output one 16-byte hv_register_value per rep.
//   HVCALL_SET_VP_REGISTERS (0x51, rep): input the same header then one
//     32-byte hv_register_assoc {name, 0, 0, value} per rep; no output.
//   HVCALL_REGISTER_INTERCEPT_RESULT (0x91, VP fd): input
//     hv_input_register_intercept_result {partition_id, vp_index, type,
//     parameters} (60 bytes, packed); no output.
//
// Each call fits one hypervisor page (the kernel refuses in_sz/out_sz above
// 4096), so register lists are cut into batches of at most
// kGetRegistersPerCall / kSetRegistersPerCall (the kernel's own
// HV_GET/SET_REGISTER_BATCH_SIZE, drivers/hv/mshv_common.c). A call that
// completes fewer reps than asked, or fails, is an error naming the
// hypercall and its HV_STATUS.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/base/result.h"
#include "hv_mshv/mshv_driver.h"
#include "hv_mshv/mshv_uapi.h"

namespace petrel::mshv {

inline constexpr size_t kGetRegistersPerCall = kHvPageSize / sizeof(HvRegisterValue);  // 256
inline constexpr size_t kSetRegistersPerCall =
    (kHvPageSize - sizeof(HvInputVpRegistersHeader)) / sizeof(HvRegisterAssoc);  // 127
static_assert(kGetRegistersPerCall == 256 && kSetRegistersPerCall == 127);

Result<void> SetPartitionProperty(MshvDriver& driver, int partition_fd, uint32_t code,
                                  uint64_t value);

// The values of `names`, in order, from VP `vp_index` (fd: the VP's fd).
Result<std::vector<HvRegisterValue>> GetVpRegisters(MshvDriver& driver, int fd, uint32_t vp_index,
                                                    std::span<const uint32_t> names);
Result<void> SetVpRegisters(MshvDriver& driver, int fd, uint32_t vp_index,
                            std::span<const HvRegisterAssoc> regs);

// One HVCALL_REGISTER_INTERCEPT_RESULT for CPUID on VP `vp_index`.
Result<void> RegisterCpuidResult(MshvDriver& driver, int fd, uint32_t vp_index,
                                 const HvCpuidResultParameters& params);

// A 64-bit register's assoc (reg64: the low 8 bytes of the value).
inline HvRegisterAssoc Reg64(uint32_t name, uint64_t value) {
  HvRegisterAssoc a{};
  a.name = name;
  a.value.low = value;
  return a;
}

}  // namespace petrel::mshv
