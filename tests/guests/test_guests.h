// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The in-tree test guests, embedded in the test binaries.
//
// null_guest (tests/guests/null_guest.S): 32-bit flat protected-mode code, no
// stack, no memory operands, so NullGuestBin() runs at any load address. It
// writes kNullGuestSerialText to COM1 (0x3f8), kNullGuestDebugCodes to port
// 0x80, 0xFE to the i8042 command port 0x64 (reset), then cli; hlt forever.
// The ELF (PETREL_NULL_GUEST_ELF, a build path) carries a PVH note whose entry
// is kNullGuestLoadAddress.
#pragma once

#include <cstdint>
#include <span>

namespace petrel::testing {

inline constexpr uint64_t kNullGuestLoadAddress = 0x100000;
inline constexpr char kNullGuestSerialText[] = "PETREL-NULL-OK\n";
inline constexpr uint8_t kNullGuestDebugCodes[] = {0x41, 0x42};
inline constexpr uint16_t kNullGuestResetPort = 0x64;  // i8042 command port
inline constexpr uint8_t kNullGuestResetCommand = 0xfe;

// null_guest.bin (the ELF's .text).
std::span<const uint8_t> NullGuestBin();

}  // namespace petrel::testing
