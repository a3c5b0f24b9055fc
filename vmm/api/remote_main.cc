// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The petrel-remote binary: RunRemote, then print and exit (remote_cli.h).
#include <cstdio>

#include "vmm/api/remote_cli.h"

int main(int argc, char** argv) {
  petrel::api::RemoteOutput r = petrel::api::RunRemote(argc, argv);
  std::fputs(r.out.c_str(), stdout);
  std::fputs(r.err.c_str(), stderr);
  return r.exit_code;
}
