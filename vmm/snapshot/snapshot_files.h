// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// A snapshot directory, as Cloud Hypervisor lays one out (same file names,
// Petrel's own contents; docs/snapshot-restore.md):
//   config.json    the VmConfig, in the JSON of vm.create and vm.info
//   state.json     VmSnapshotState: the VM, each vCPU and each device, every
//                  state a versioned section, plus where guest memory lies
//                  in memory-ranges
//   memory-ranges  guest RAM, sparse (memory_file.h)
//
// WriteSnapshot writes each file under a temporary name and renames it into
// place, config.json last, so a crash leaves the old snapshot or the new one,
// and a VM restored on demand from an older snapshot in the same directory
// keeps its (renamed-over, still open) memory file. ReadSnapshot checks
// everything before anything is built: the format version, each section's
// version, the config (as vm.create does), the ranges against the file.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/memory/guest_memory.h"
#include "vmm/config/vm_config.h"
#include "vmm/snapshot/memory_file.h"
#include "vmm/vm_snapshot_state.h"

namespace petrel::vmm::snapshot {

inline constexpr char kConfigFile[] = "config.json";
inline constexpr char kStateFile[] = "state.json";
inline constexpr char kMemoryFile[] = "memory-ranges";
// state.json's "petrel_snapshot": the layout of the document itself. Each
// section has its own version besides. 2: the "ioapic" section (null
// without a userspace IOAPIC). 3: "acpi.cpu_hotplug" (null without vCPU
// hot-plug); format 2 is still read (its VMs restore with the hot-plug
// controller's boot state). 4: each virtio device's "pci_slot" and
// "acpi.pci_hotplug"/"acpi.memory_hotplug". 5: "pci.pvpanic" (null without
// --pvpanic: its config space and slot). 6: "tpm" (null without --tpm: the
// CRB device's state and swtpm's state blobs); format 5 is still read (no
// TPM).
inline constexpr uint32_t kSnapshotFormatVersion = 6;
// The version of every state section this Petrel writes and reads.
inline constexpr uint32_t kStateSectionVersion = 1;

struct Snapshot {
  config::VmConfig config;
  VmSnapshotState state;
  std::shared_ptr<GuestMemory> memory;
};

struct ReadOptions {
  // Map the memory file (a page is read when first touched) instead of
  // reading it into new anonymous memory.
  bool on_demand = false;
  // Read every page in now (either way).
  bool prefault = false;
};

// Creates `dir` if needed (mode 0700) and writes the three files. The VM
// must be paused. *memory_bytes_written: the non-zero bytes of RAM written.
Result<void> WriteSnapshot(const std::string& dir, const config::VmConfig& config,
                           const VmSnapshotState& state, const GuestMemory& memory,
                           uint64_t* memory_bytes_written = nullptr);
Result<Snapshot> ReadSnapshot(const std::string& dir, const ReadOptions& options);

// state.json's document and back (the fuzz target's entry too).
nlohmann::json SnapshotStateToJson(const VmSnapshotState& state,
                                   const std::vector<MemoryRange>& ranges);
struct DecodedState {
  VmSnapshotState state;
  std::vector<MemoryRange> ranges;
};
Result<DecodedState> SnapshotStateFromJson(const nlohmann::json& document);

}  // namespace petrel::vmm::snapshot
