// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// build_info (see build_info.h). PETREL_BUILD_VERSION comes from the header
// cmake/build_version.cmake writes at build time; PETREL_VERSION from the
// CMake project.
#include "vmm/build_info.h"

#include "petrel_build_version.h"

#ifndef PETREL_VERSION
#error "PETREL_VERSION must be defined by the build (PROJECT_VERSION)"
#endif

namespace petrel::build_info {

std::string_view Version() { return PETREL_VERSION; }

std::string_view BuildVersion() { return PETREL_BUILD_VERSION; }

std::string ProgramName::VersionText(std::string_view migration_versions) const {
  std::string text = name + " ";
  if (cloud_hypervisor) {
    text += std::string(kCloudHypervisorVersion) + " (petrel " + std::string(BuildVersion()) + ")";
  } else {
    text += std::string(BuildVersion());
  }
  if (!migration_versions.empty()) {
    text += "\nMigration Protocol Versions: " + std::string(migration_versions);
  }
  return text;
}

ProgramName IdentifyProgram(const char* argv0, std::string_view own, std::string_view drop_in) {
  std::string_view called = argv0 != nullptr ? argv0 : "";
  if (const size_t slash = called.rfind('/'); slash != std::string_view::npos) {
    called.remove_prefix(slash + 1);
  }
  ProgramName program;
  program.cloud_hypervisor = called == drop_in;
  program.name = std::string(program.cloud_hypervisor ? drop_in : own);
  return program;
}

}  // namespace petrel::build_info
