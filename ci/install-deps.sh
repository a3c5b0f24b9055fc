#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Installs the Debian packages Petrel needs. Safe to run twice: it installs
# only what is missing. The list and the reason for each package is in
# docs/dependencies.md.
#
#   ci/install-deps.sh                everything to build, test, fuzz, benchmark,
#                                     package and run the nested-KVM harness
#   ci/install-deps.sh --runtime      only what the built petrel and petrel-remote
#                                     need to run (no compiler, no test tools): the
#                                     shared libraries the binaries load, which are
#                                     also the Debian package's Depends
#   ci/install-deps.sh --list-runtime print the runtime list and exit
set -euo pipefail

# The binaries link libstdc++, libgcc, libseccomp, liburing, zlib and zstd
# statically; glibc and Zydis (Debian ships it only as a shared library)
# dynamically. ci/package-test.sh checks that the package's Depends are
# exactly these.
RUNTIME_PACKAGES=(libc6 libzydis4.0)

case "${1:-}" in
  --list-runtime) echo "${RUNTIME_PACKAGES[*]}"; exit 0 ;;
  --runtime) MODE=runtime ;;
  "") MODE=all ;;
  *) echo "install-deps: unknown argument '$1' (--runtime, --list-runtime)" >&2; exit 2 ;;
esac

PACKAGES=(
  # build
  build-essential g++ clang-14 lld-14 libclang-rt-14-dev cmake ninja-build pkg-config ccache
  clang-format-14 clang-tidy-14
  # ACPI table checks (iasl, core/acpi iasl_test)
  acpica-tools
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev liburing-dev
  # x86 instruction decoding (core/x86emu); Zydis 4 needs Zycore
  libzydis-dev libzycore-dev
  # seccomp filters per thread (core/isolation)
  libseccomp-dev
  # disk image formats: qcow2 compressed clusters (zlib, zstd), and qemu-img
  # for the interoperability tests (devices/block/image)
  zlib1g-dev libzstd-dev qemu-utils
  # API tests: Cloud Hypervisor's documented curl requests, run as written
  curl
  # --tpm's backend for the TPM tests (devices/tpm, vm_tpm_sim_test, nested linux-tpm)
  swtpm
  # guest kit and nested-KVM harness
  qemu-system-x86 busybox-static cpio xz-utils zstd lz4 kmod file
  # nested tier: a tap owned by an ordinary user (busybox's ip cannot)
  iproute2
  # install and package checks (ci/package-test.sh): lintian over the Debian
  # packages, man for the installed pages, zsh to check its completion script
  lintian man-db zsh
)
[ "$MODE" = runtime ] && PACKAGES=("${RUNTIME_PACKAGES[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
