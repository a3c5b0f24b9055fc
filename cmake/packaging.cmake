# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Debian packages with CPack, from the install rules (cmake/install.cmake):
#
#   cmake --build build && (cd build && cpack)   ->  build/packages/
#     petrel_<version>_amd64.deb            the binaries, man pages, completions, docs
#     petrel-ch-names_<version>_amd64.deb   cloud-hypervisor and ch-remote as links
#
# The version is the build's (cmake/build_version.cmake, read at packaging
# time by cmake/cpack_version.cmake), so a package always names the code it
# holds. Runtime dependencies come from dpkg-shlibdeps on the binaries.
# ci/package-test.sh builds both, runs lintian, and installs, upgrades and
# removes them in an empty root.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME petrel)
set(CPACK_PACKAGE_VENDOR "The Petrel developers")
set(CPACK_PACKAGE_CONTACT "${PETREL_PACKAGE_CONTACT}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL petrel chnames)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_PETREL_PACKAGE_NAME petrel)
set(CPACK_DEBIAN_PETREL_PACKAGE_SHLIBDEPS ON)
# Each description's first line is its package's synopsis (so no
# CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPack would put it before both).
set(CPACK_DEBIAN_PETREL_DESCRIPTION
    "virtual machine monitor compatible with Cloud Hypervisor
Petrel runs 64-bit x86 Linux guests on KVM with virtio-pci devices, a few
legacy ports and ACPI: direct kernel boot, disks (raw, qcow2, VHD, VHDX,
VMDK), network, console and entropy devices, snapshot and restore, and live
migration. Its command line, REST API and the petrel-remote client follow
Cloud Hypervisor, so scripts and orchestrators written for it keep working.
Each thread runs under its own seccomp filter, and Landlock can confine the
process to the files its VM uses.")

set(CPACK_DEBIAN_CHNAMES_PACKAGE_NAME petrel-ch-names)
set(CPACK_DEBIAN_CHNAMES_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_CHNAMES_PACKAGE_CONFLICTS cloud-hypervisor)
set(CPACK_DEBIAN_CHNAMES_DESCRIPTION
    "Cloud Hypervisor's command names for Petrel
This package adds cloud-hypervisor and ch-remote as names of petrel and
petrel-remote, for tools that look for Cloud Hypervisor by name (libvirt's
ch driver, Kata Containers). By those names the binaries answer --version
in Cloud Hypervisor's format and use its exit codes.")

# Read at `cpack` time: the version and the package dependency between the two.
set(PETREL_BUILD_VERSION_FILE ${PETREL_GENERATED_DIR}/build_version.txt)
configure_file(${PROJECT_SOURCE_DIR}/cmake/cpack_version.cmake.in
               ${CMAKE_BINARY_DIR}/CPackVersion.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/CPackVersion.cmake)
include(CPack)
