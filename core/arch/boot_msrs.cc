// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// BootMsrs (see boot_msrs.h).
#include "core/arch/boot_msrs.h"

namespace petrel::x86 {

std::vector<hv::MsrEntry> BootMsrs() {
  return {
      {kMsrIa32SysenterCs, 0},
      {kMsrIa32SysenterEsp, 0},
      {kMsrIa32SysenterEip, 0},
      {kMsrIa32Star, 0},
      {kMsrIa32Cstar, 0},
      {kMsrIa32KernelGsBase, 0},
      {kMsrIa32Fmask, 0},
      {kMsrIa32Lstar, 0},
      {kMsrIa32Tsc, 0},
      {kMsrIa32MiscEnable, kMiscEnableFastStrings},
      {kMsrIa32MtrrDefType, kMtrrDefTypeBoot},
  };
}

}  // namespace petrel::x86
