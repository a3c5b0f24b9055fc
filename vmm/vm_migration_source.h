// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// VmMigrationSource: a VmInstance as the sending side of a live migration
// sees it (migration::MigrationSource), and the payloads both sides agree on:
//   Config  {"petrel_migration": 1, "vm_config": <the vm.create JSON>}
//   State   state.json's document (vmm/snapshot/snapshot_files.h), whose
//           memory ranges (MemoryRangesOf) must match the destination's
//   Memory  first every 4 KiB page that is not all zero (new memory is
//           zero), then the pages the VM's dirty logs name.
//   MemoryFd (local migration) slot i is guest memory region i (in guest
//           address order: below the 32-bit hole, then above it).
// Used by Vmm::SendMigration; tests drive it with a VmInstance of their own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/config/vm_config.h"
#include "vmm/migration/sender.h"
#include "vmm/snapshot/memory_file.h"
#include "vmm/vm_instance.h"

namespace petrel::vmm {

// The Config payload's layout version.
inline constexpr uint32_t kMigrationConfigVersion = 1;

// Where guest memory lies, as state.json records it.
std::vector<snapshot::MemoryRange> MemoryRangesOf(const GuestMemory& memory);

class VmMigrationSource final : public migration::MigrationSource {
 public:
  // `paused`: whether the VM was paused before the migration. `vm` and
  // `config` must outlive this; the caller keeps others off the VM.
  // `release_disks`: StatePayload releases the disks' image locks (the VM is
  // paused for good then), so the destination can take them as it builds
  // the VM from that state, as Cloud Hypervisor does; Resume (a failed
  // migration) takes them back. Off with preserve_source.
  VmMigrationSource(VmInstance& vm, const config::VmConfig& config, bool paused,
                    bool release_disks = true)
      : vm_(vm), config_(config), paused_(paused), release_disks_(release_disks) {}

  Result<std::string> ConfigPayload() override;
  Result<migration::MemoryRangeTable> InitialRanges() override;
  Result<void> ReadMemory(uint64_t gpa, std::span<uint8_t> out) override;
  Result<void> StartDirtyLog() override;
  Result<migration::MemoryRangeTable> TakeDirtyRanges() override;
  void StopDirtyLog() override;
  bool paused() const override { return paused_; }
  Result<void> Pause() override;
  Result<void> Resume() override;
  Result<std::string> StatePayload() override;
  Result<std::vector<std::pair<uint32_t, int>>> MemoryFds() override;

 private:
  VmInstance& vm_;
  const config::VmConfig& config_;
  bool paused_;
  bool release_disks_;
  bool disks_released_ = false;
};

}  // namespace petrel::vmm
