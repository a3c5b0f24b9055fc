// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// LandlockAccess (see landlock_access.h).
#include "core/isolation/landlock_access.h"

namespace petrel {

using namespace landlock_fs;

namespace {

constexpr uint64_t kReadRights = kExecute | kReadFile | kReadDir;
constexpr uint64_t kWriteRights = kWriteFile | kTruncate | kRemoveDir | kRemoveFile | kMakeChar |
                                  kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock |
                                  kMakeSym | kRefer;

}  // namespace

std::optional<LandlockAccess> ParseLandlockAccess(std::string_view text) {
  if (text == "r") return LandlockAccess::kRead;
  if (text == "w") return LandlockAccess::kWrite;
  if (text == "rw" || text == "wr") return LandlockAccess::kReadWrite;
  return std::nullopt;
}

const char* LandlockAccessName(LandlockAccess access) {
  switch (access) {
    case LandlockAccess::kRead: return "r";
    case LandlockAccess::kWrite: return "w";
    case LandlockAccess::kReadWrite: return "rw";
    case LandlockAccess::kBindSocket: return "bind-socket";
  }
  return "?";
}

uint64_t LandlockFsRights(LandlockAccess access, bool directory) {
  uint64_t rights = 0;
  switch (access) {
    case LandlockAccess::kRead: rights = kReadRights; break;
    case LandlockAccess::kWrite: rights = kWriteRights; break;
    case LandlockAccess::kReadWrite: rights = kReadRights | kWriteRights; break;
    case LandlockAccess::kBindSocket: rights = kMakeSock | kRemoveFile; break;
  }
  return directory ? rights : rights & kFileRights;
}

uint64_t LandlockHandledFsRights(int abi) {
  if (abi < 1) return 0;
  uint64_t rights = (kMakeSym << 1) - 1;  // EXECUTE .. MAKE_SYM
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  return rights;
}

}  // namespace petrel
