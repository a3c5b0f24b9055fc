#!/usr/bin/env bash
# Installs every Debian package Petrel needs to build, test, fuzz, benchmark and
# run its nested-KVM harness. Safe to run twice: it installs only what is missing.
# The list and the reason for each package is in docs/dependencies.md.
set -euo pipefail

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
  # guest kit and nested-KVM harness
  qemu-system-x86 busybox-static cpio xz-utils zstd lz4 kmod file
  # nested tier: a tap owned by an ordinary user (busybox's ip cannot)
  iproute2
)

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
