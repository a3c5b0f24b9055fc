// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LandlockAccess: what a Landlock rule lets the VMM do beneath one path, in
// Cloud Hypervisor's words ("r", "w", "rw" of --landlock-rules), and the
// Landlock file system rights each means. Pure: no system call here (the
// configuration parsers use it; landlock.h applies it).
//
// The rights follow CH (vmm/src/landlock.rs, which takes the landlock
// crate's AccessFs::from_read/from_write at ABI 3):
//   r: EXECUTE | READ_FILE | READ_DIR
//   w: WRITE_FILE | TRUNCATE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR |
//      MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_BLOCK | MAKE_SYM |
//      REFER
// A rule on a regular file or device can hold only the file rights
// (EXECUTE, WRITE_FILE, READ_FILE, TRUNCATE); the others apply to what is
// beneath a directory. IOCTL_DEV (ABI 5) is not among them, as in CH: the
// VMM needs ioctls on every device it is allowed to open (KVM, tun, block
// devices, ptys), so handling it would add nothing but breakage.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace petrel {

enum class LandlockAccess : uint8_t {
  kRead,       // "r"
  kWrite,      // "w"
  kReadWrite,  // "rw"
  // Petrel's own, never parsed: a directory in which the VMM binds a UNIX
  // socket and later removes it (MAKE_SOCK | REMOVE_FILE), which "w" would
  // give with the right to write every file beneath.
  kBindSocket,
};

// "r", "w", "rw" or "wr" (CH takes the letters in any order).
std::optional<LandlockAccess> ParseLandlockAccess(std::string_view text);
// "r", "w", "rw", "bind-socket".
const char* LandlockAccessName(LandlockAccess access);

// LANDLOCK_ACCESS_FS_* bits (linux/landlock.h; TRUNCATE is newer than
// Debian 12's header, so all are spelled out here).
namespace landlock_fs {
inline constexpr uint64_t kExecute = 1ULL << 0;
inline constexpr uint64_t kWriteFile = 1ULL << 1;
inline constexpr uint64_t kReadFile = 1ULL << 2;
inline constexpr uint64_t kReadDir = 1ULL << 3;
inline constexpr uint64_t kRemoveDir = 1ULL << 4;
inline constexpr uint64_t kRemoveFile = 1ULL << 5;
inline constexpr uint64_t kMakeChar = 1ULL << 6;
inline constexpr uint64_t kMakeDir = 1ULL << 7;
inline constexpr uint64_t kMakeReg = 1ULL << 8;
inline constexpr uint64_t kMakeSock = 1ULL << 9;
inline constexpr uint64_t kMakeFifo = 1ULL << 10;
inline constexpr uint64_t kMakeBlock = 1ULL << 11;
inline constexpr uint64_t kMakeSym = 1ULL << 12;
inline constexpr uint64_t kRefer = 1ULL << 13;     // ABI 2 (Linux 5.19)
inline constexpr uint64_t kTruncate = 1ULL << 14;  // ABI 3 (Linux 6.2)
// The rights a rule on a non-directory may hold.
inline constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate;
}  // namespace landlock_fs

// The rights `access` gives beneath a directory, or on a file
// (`directory` false: only the file rights), before masking by the ABI.
uint64_t LandlockFsRights(LandlockAccess access, bool directory);

// The file system rights a ruleset handles (denies unless a rule allows)
// on a kernel of Landlock ABI `abi`: ABI 1's thirteen, REFER from ABI 2,
// TRUNCATE from ABI 3. Rights of later ABIs (IOCTL_DEV) are not handled.
uint64_t LandlockHandledFsRights(int abi);

}  // namespace petrel
