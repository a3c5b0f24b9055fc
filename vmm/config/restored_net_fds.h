// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// New tap fds for a restored VM's fd-backed nets (CH's RestoreConfig
// net_fds / RestoredNetConfig): the fds a snapshot's config.json names
// belonged to the process that wrote it, so the restoring caller hands over
// new ones, one per queue pair, for every net that was fd-backed.
//
//   --restore ...,net_fds=[net1@[23,24],net2@[25]]     (fds of this process)
//   vm.restore {"net_fds": [{"id": "net1", "num_fds": 2}, ...]}
//       with the fds themselves as SCM_RIGHTS on the API socket, in order
//       (fd numbers in the body are ignored, read as -1, as CH does)
//
// Checked against the snapshot's config (ApplyRestoredNetFds): every
// fd-backed net needs an entry with as many fds as it had (CH's rules).
// Petrel also refuses an entry for a net that does not exist or is not
// fd-backed, where CH logs a warning and ignores it. A tap-name net needs
// nothing: restore reopens the tap by name.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "vmm/config/vm_config.h"

namespace petrel::config {

struct RestoredNetFds {
  std::string id;
  std::vector<int> fds;  // kNetStaleFd until the request's fds are attached
  bool operator==(const RestoredNetFds&) const = default;
};

// The value of --restore's net_fds= ("[id@[fd,...],...]"); errors are one
// line without the "--restore: net_fds=" prefix the caller adds.
Result<std::vector<RestoredNetFds>> ParseRestoredNetFds(std::string_view text);
// vm.restore's "net_fds" array (null: none). Errors start "net_fds".
Result<std::vector<RestoredNetFds>> RestoredNetFdsFromJson(const nlohmann::json& value);
// What petrel-remote sends: id and num_fds per entry (the fds go beside it).
nlohmann::json RestoredNetFdsToJson(const std::vector<RestoredNetFds>& entries);
// All fds of a request, in entry order; the count must be exact. On error
// nothing changes.
Result<void> AttachReceivedFds(std::vector<RestoredNetFds>& entries, std::span<const int> fds);
// Every fd that `entries` give, in order (what petrel-remote sends).
std::vector<int> AllFds(const std::vector<RestoredNetFds>& entries);
// Puts the new fds into the snapshot's `config` (see above). On error
// `config` is unchanged.
Result<void> ApplyRestoredNetFds(const std::vector<RestoredNetFds>& entries, VmConfig& config);

}  // namespace petrel::config
