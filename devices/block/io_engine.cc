// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Engine selection: ParseIoEngineKind and MakeIoEngine (see io_engine.h).
#include "devices/block/io_engine.h"

#include <sys/syscall.h>

#include <string>

#include "core/base/log.h"
#include "devices/block/disk_file.h"
#include "devices/block/sync_engine.h"
#include "devices/block/uring_engine.h"

namespace petrel {

const isolation::SyscallRules& BlockIoSyscalls() {
  static const isolation::SyscallRules rules = {
      SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2, SYS_pread64, SYS_pwrite64,  // data
      SYS_fdatasync, SYS_fsync,                                                      // flush
      SYS_fallocate,       // discard (punch hole), write zeroes
      SYS_io_uring_enter,  // submit and wait on the ring
  };
  return rules;
}

Result<IoEngineKind> ParseIoEngineKind(std::string_view text) {
  if (text == "auto") return IoEngineKind::kAuto;
  if (text == "sync") return IoEngineKind::kSync;
  if (text == "io_uring" || text == "uring") return IoEngineKind::kUring;
  return Error(ErrorCode::kInvalidArgument,
               "unknown I/O engine '" + std::string(text) + "' (auto, sync, io_uring)");
}

const char* IoEngineKindName(IoEngineKind kind) {
  switch (kind) {
    case IoEngineKind::kAuto: return "auto";
    case IoEngineKind::kSync: return "sync";
    case IoEngineKind::kUring: return "io_uring";
  }
  return "?";
}

Result<std::unique_ptr<IoEngine>> MakeIoEngine(IoEngineKind kind, DiskFile& disk,
                                               uint32_t queue_depth) {
  if (kind != IoEngineKind::kSync) {
    UringEngineOptions options;
    options.queue_depth = queue_depth;
    auto uring = UringEngine::Create(disk, options);
    if (uring.ok()) return std::unique_ptr<IoEngine>(std::move(uring).value());
    if (kind == IoEngineKind::kUring || uring.error().code() == ErrorCode::kInvalidArgument)
      return std::move(uring).error().Wrap("disk " + disk.path());
    PETREL_LOG(kWarn) << "disk " << disk.path() << ": io_uring unavailable ("
                      << uring.error().message() << "), using the sync engine";
  }
  PETREL_ASSIGN_OR_RETURN(auto sync, SyncEngine::Create(disk, queue_depth));
  return std::unique_ptr<IoEngine>(std::move(sync));
}

}  // namespace petrel
