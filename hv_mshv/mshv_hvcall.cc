// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// MSHV_ROOT_HVCALL encodings (see mshv_hvcall.h).
#include "hv_mshv/mshv_hvcall.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace petrel::mshv {
namespace {

const char* HvcallName(uint16_t code) {
  switch (code) {
    case kHvcallSetPartitionProperty: return "HVCALL_SET_PARTITION_PROPERTY";
    case kHvcallGetVpRegisters: return "HVCALL_GET_VP_REGISTERS";
    case kHvcallSetVpRegisters: return "HVCALL_SET_VP_REGISTERS";
    case kHvcallRegisterInterceptResult: return "HVCALL_REGISTER_INTERCEPT_RESULT";
    default: return "hypercall";
  }
}

// Issues one MSHV_ROOT_HVCALL; checks the status and, for rep calls, that
// every rep completed.
Result<void> RootHvcall(MshvDriver& driver, int fd, uint16_t code, uint16_t reps,
                        std::span<const uint8_t> in, std::span<uint8_t> out) {
  MshvRootHvcall args{};
  args.code = code;
  args.reps = reps;
  args.in_sz = static_cast<uint16_t>(in.size());
  args.out_sz = static_cast<uint16_t>(out.size());
  args.in_ptr = reinterpret_cast<uintptr_t>(in.data());
  args.out_ptr = out.empty() ? 0 : reinterpret_cast<uintptr_t>(out.data());
  auto r = MshvIoctl(driver, fd, kMshvRootHvcall, "MSHV_ROOT_HVCALL", &args);
  if (!r.ok() || args.status != kHvStatusSuccess) {
    std::ostringstream s;
    s << HvcallName(code) << " (0x" << std::hex << code << "): HV_STATUS 0x" << args.status;
    if (!r.ok()) return Error(r.error().code(), r.error().message() + ": " + s.str(),
                              r.error().errnum());
    return Error(ErrorCode::kSystem, s.str());
  }
  if (reps != 0 && args.reps != reps) {
    std::ostringstream s;
    s << HvcallName(code) << ": " << args.reps << " of " << reps << " reps completed";
    return Error(ErrorCode::kSystem, s.str());
  }
  return Ok();
}

HvInputVpRegistersHeader VpHeader(uint32_t vp_index) {
  HvInputVpRegistersHeader h{};
  h.vp_index = vp_index;
  return h;
}

}  // namespace

Result<void> SetPartitionProperty(MshvDriver& driver, int partition_fd, uint32_t code,
                                  uint64_t value) {
  HvInputSetPartitionProperty in{};
  in.property_code = code;
  in.property_value = value;
  std::ostringstream what;
  what << "setting partition property 0x" << std::hex << code << " to 0x" << value;
  return RootHvcall(driver, partition_fd, kHvcallSetPartitionProperty, 0,
                    std::span(reinterpret_cast<const uint8_t*>(&in), sizeof in), {})
      .Wrap(what.str());
}

Result<std::vector<HvRegisterValue>> GetVpRegisters(MshvDriver& driver, int fd, uint32_t vp_index,
                                                    std::span<const uint32_t> names) {
  std::vector<HvRegisterValue> values(names.size());
  const HvInputVpRegistersHeader header = VpHeader(vp_index);
  std::vector<uint8_t> in;
  for (size_t done = 0; done < names.size();) {
    const size_t n = std::min(kGetRegistersPerCall, names.size() - done);
    in.assign(sizeof header + n * sizeof(uint32_t), 0);
    std::memcpy(in.data(), &header, sizeof header);
    std::memcpy(in.data() + sizeof header, names.data() + done, n * sizeof(uint32_t));
    auto* out = reinterpret_cast<uint8_t*>(values.data() + done);
    PETREL_TRY(RootHvcall(driver, fd, kHvcallGetVpRegisters, static_cast<uint16_t>(n), in,
                          std::span(out, n * sizeof(HvRegisterValue))));
    done += n;
  }
  return values;
}

Result<void> SetVpRegisters(MshvDriver& driver, int fd, uint32_t vp_index,
                            std::span<const HvRegisterAssoc> regs) {
  const HvInputVpRegistersHeader header = VpHeader(vp_index);
  std::vector<uint8_t> in;
  for (size_t done = 0; done < regs.size();) {
    const size_t n = std::min(kSetRegistersPerCall, regs.size() - done);
    in.assign(sizeof header + n * sizeof(HvRegisterAssoc), 0);
    std::memcpy(in.data(), &header, sizeof header);
    std::memcpy(in.data() + sizeof header, regs.data() + done, n * sizeof(HvRegisterAssoc));
    PETREL_TRY(RootHvcall(driver, fd, kHvcallSetVpRegisters, static_cast<uint16_t>(n), in, {}));
    done += n;
  }
  return Ok();
}

Result<void> RegisterCpuidResult(MshvDriver& driver, int fd, uint32_t vp_index,
                                 const HvCpuidResultParameters& params) {
  HvInputRegisterInterceptResult in{};
  in.vp_index = vp_index;
  in.intercept_type = kHvInterceptTypeX64Cpuid;
  in.cpuid = params;
  return RootHvcall(driver, fd, kHvcallRegisterInterceptResult, 0,
                    std::span(reinterpret_cast<const uint8_t*>(&in), sizeof in), {});
}

}  // namespace petrel::mshv
