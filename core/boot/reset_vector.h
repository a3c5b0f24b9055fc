// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The reset vector stub: what a guest finds at F000:FFF0 (linear 0xFFFF0).
//
// Petrel boots Linux directly and has no BIOS, but Linux may still jump to
// the BIOS reset vector to reboot: on hardware-reduced ACPI platforms without
// EFI runtime services, x86 Linux picks reboot=efi, which falls back to
// BOOT_BIOS (machine_real_restart: real mode, far jump to F000:FFF0;
// arch/x86/kernel/reboot.c). Zeroed RAM there would run forever. The stub
// asks for a reset through the i8042 (command 0xFE to port 0x64), which the
// VMM treats as a reboot, and halts if that does not happen.
#pragma once

#include <array>
#include <cstdint>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"

namespace petrel::boot {

inline constexpr uint64_t kResetVectorAddress = 0xffff0;

// 16-bit real-mode code: mov al, 0xfe; out 0x64, al; 1: hlt; jmp 1b
inline constexpr std::array<uint8_t, 7> kResetVectorStub = {0xb0, 0xfe, 0xe6, 0x64,
                                                            0xf4, 0xeb, 0xfd};

// Writes the stub at kResetVectorAddress.
Result<void> WriteResetVector(GuestMemory& memory);

}  // namespace petrel::boot
