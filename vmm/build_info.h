// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Who this binary is: Petrel's version, the build's identity, and the
// Cloud Hypervisor release whose command line and API it implements.
// Called by a Cloud Hypervisor name (an install option adds
// `cloud-hypervisor` and `ch-remote`, docs/drop-in.md), a binary answers
// --version in Cloud Hypervisor's format, which libvirt's ch driver parses
// ("cloud-hypervisor v<major>.<minor>.<micro>"), and uses its exit codes.
#pragma once

#include <string>
#include <string_view>

namespace petrel::build_info {

// The CMake project version, "0.1.0": vmm.ping's "version".
std::string_view Version();
// This build, from git describe at build time (cmake/build_version.cmake):
// "v0.1.0-g1a2b3c4d5e6f", or "v0.1.0" from a tarball. vmm.ping's
// "build_version", --version, and the Debian package's version.
std::string_view BuildVersion();

// The Cloud Hypervisor release whose CLI, REST API and snapshot/migration
// formats Petrel follows (docs/drop-in.md lists the differences).
inline constexpr std::string_view kCloudHypervisorVersion = "v52.0.0";

// The name a binary was called by (argv[0]'s last path component) and
// whether that is one of Cloud Hypervisor's names.
struct ProgramName {
  std::string name;            // "petrel", "cloud-hypervisor", "petrel-remote", "ch-remote"
  bool cloud_hypervisor = false;

  // --version's text, without a final newline:
  //   petrel v0.1.0-g1a2b3c4d5e6f
  //   cloud-hypervisor v52.0.0 (petrel v0.1.0-g1a2b3c4d5e6f)
  //   Migration Protocol Versions: 0        (the VMM only, as CH prints it)
  std::string VersionText(std::string_view migration_versions = {}) const;

  // The exit status of a command-line usage error (unknown option, missing
  // value, no arguments): 2 under Cloud Hypervisor's names (clap's), 1 as
  // petrel.
  int UsageErrorStatus() const { return cloud_hypervisor ? 2 : 1; }
};

// `own` is "petrel" or "petrel-remote"; `drop_in` the Cloud Hypervisor name
// of the same program. A name other than `drop_in` is taken as `own`.
ProgramName IdentifyProgram(const char* argv0, std::string_view own, std::string_view drop_in);

}  // namespace petrel::build_info
