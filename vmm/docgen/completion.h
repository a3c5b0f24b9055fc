// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Shell completions for petrel and petrel-remote (bash and zsh), generated
// from the same tables as --help and the man pages: option names, the keys
// of each key=value option, and file names where an option takes a path.
// The scripts also complete the drop-in names cloud-hypervisor and
// ch-remote.
#pragma once

#include <string>

namespace petrel::docgen {

std::string PetrelBashCompletion();
std::string PetrelRemoteBashCompletion();
std::string PetrelZshCompletion();
std::string PetrelRemoteZshCompletion();

}  // namespace petrel::docgen
