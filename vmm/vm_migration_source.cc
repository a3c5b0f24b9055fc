// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#include "vmm/vm_migration_source.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/log.h"
#include "vmm/config/vm_config_json.h"
#include "vmm/snapshot/snapshot_files.h"

namespace petrel::vmm {
std::vector<snapshot::MemoryRange> MemoryRangesOf(const GuestMemory& memory) {
  std::vector<snapshot::MemoryRange> ranges;
  for (const GuestRegion& r : memory.regions()) ranges.push_back({r.gpa, r.size, 0});
  return ranges;
}

Result<std::string> VmMigrationSource::ConfigPayload() {
  nlohmann::json doc = {{"petrel_migration", kMigrationConfigVersion},
                        {"vm_config", config::VmConfigToJson(config_)}};
  return doc.dump();
}

// Every 4 KiB page that is not all zero, merged into ranges.
Result<migration::MemoryRangeTable> VmMigrationSource::InitialRanges() {
  constexpr uint64_t kPage = 4096;
  migration::MemoryRangeTable table;
  for (const GuestRegion& r : vm_.memory().regions()) {
    uint64_t run_start = 0, run_len = 0;
    for (uint64_t off = 0; off < r.size; off += kPage) {
      const uint64_t len = std::min(kPage, r.size - off);
      PETREL_ASSIGN_OR_RETURN(bool zero, vm_.memory().AllZeroWhileRunning(r.gpa + off, len));
      if (zero) {
        if (run_len != 0) table.Push({r.gpa + run_start, run_len});
        run_len = 0;
        continue;
      }
      if (run_len == 0) run_start = off;
      run_len += len;
    }
    if (run_len != 0) table.Push({r.gpa + run_start, run_len});
  }
  return table;
}

Result<void> VmMigrationSource::ReadMemory(uint64_t gpa, std::span<uint8_t> out) {
  return vm_.memory().ReadWhileRunning(gpa, out);
}

Result<void> VmMigrationSource::StartDirtyLog() { return vm_.StartDirtyLog(); }

Result<migration::MemoryRangeTable> VmMigrationSource::TakeDirtyRanges() {
  PETREL_ASSIGN_OR_RETURN(auto ranges, vm_.TakeDirtyRanges());
  migration::MemoryRangeTable table;
  for (const DirtyRange& r : ranges) table.Push({r.gpa, r.len});
  return table;
}

void VmMigrationSource::StopDirtyLog() { vm_.StopDirtyLog(); }

Result<void> VmMigrationSource::Pause() { return vm_.Pause(); }

Result<void> VmMigrationSource::Resume() {
  if (disks_released_) {
    // The migration failed after the state went out: the VM runs on here.
    if (auto locked = vm_.LockDisks(); !locked.ok()) {
      PETREL_LOG(kError) << "migration failed and the VM resumes here, but its disks could not "
                         << "be locked again: " << locked.error().message();
    }
    disks_released_ = false;
  }
  return vm_.Resume();
}

Result<std::string> VmMigrationSource::StatePayload() {
  PETREL_ASSIGN_OR_RETURN(VmSnapshotState state, vm_.SaveSnapshotState());
  std::string payload = snapshot::SnapshotStateToJson(state, MemoryRangesOf(vm_.memory())).dump();
  if (release_disks_) {
    vm_.UnlockDisks();
    disks_released_ = true;
  }
  return payload;
}

Result<std::vector<std::pair<uint32_t, int>>> VmMigrationSource::MemoryFds() {
  std::vector<std::pair<uint32_t, int>> fds;
  const auto& regions = vm_.memory().regions();
  for (size_t slot = 0; slot < regions.size(); ++slot) {
    if (regions[slot].host->fd() < 0) {
      return Error(ErrorCode::kFailedPrecondition,
                   "local migration needs the guest memory in memfds (--memory shared=on)");
    }
    fds.emplace_back(static_cast<uint32_t>(slot), regions[slot].host->fd());
  }
  return fds;
}

}  // namespace petrel::vmm
