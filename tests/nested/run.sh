#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Runs tests/nested/suite.sh on a real KVM inside the nested-KVM harness.
#   tests/nested/run.sh <build dir>
# Builds the guest kit (cached), gathers Petrel's binaries into a payload and
# hands it to ci/nested/run.sh, whose exit status and summary line it passes on.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)

bash "$ROOT/ci/guest-kit/build.sh"

payload=$(mktemp -d /tmp/petrel-payload.XXXXXX)
trap 'rm -rf "$payload"' EXIT
cp "$BUILD/vmm/petrel" "$payload/"
[ -f "$BUILD/vmm/api/petrel-remote" ] && cp "$BUILD/vmm/api/petrel-remote" "$payload/"
[ -f "$BUILD/vmm/replay/petrel-replay" ] && cp "$BUILD/vmm/replay/petrel-replay" "$payload/"
for f in "$BUILD"/tests/kvm_backend_test "$BUILD"/tests/guests/*.elf; do
  [ -f "$f" ] && cp "$f" "$payload/"
done
cp "$ROOT/tests/nested/clean_boot.sh" "$payload/"  # sourced by suite.sh
# iproute2's ip: linux-unprivileged makes a tap owned by another user with it.
for ip in /usr/sbin/ip /sbin/ip /bin/ip; do
  if [ -x "$ip" ]; then cp -L "$ip" "$payload/ip-iproute2"; break; fi
done
# qemu-img: linux-qcow2-overlay makes and checks qcow2 images in L1.
command -v qemu-img >/dev/null && cp -L "$(command -v qemu-img)" "$payload/qemu-img"
# swtpm: linux-tpm's TPM (Debian package swtpm; the test skips without it).
command -v swtpm >/dev/null && cp -L "$(command -v swtpm)" "$payload/swtpm"
# seccomp_test: the filters and the SIGSYS report on the L1's kernel.
[ -f "$BUILD/core/isolation/petrel_isolation_test" ] && cp "$BUILD/core/isolation/petrel_isolation_test" "$payload/"
# PETREL_NESTED_ONLY="test..." runs only those suite tests (see suite.sh).
envs=()
[ -n "${PETREL_NESTED_ONLY:-}" ] && envs=(--env "PETREL_NESTED_ONLY=$PETREL_NESTED_ONLY")
rc=0
bash "$ROOT/ci/nested/run.sh" --payload "$payload" --script "$ROOT/tests/nested/suite.sh" \
  --timeout "${PETREL_NESTED_TIMEOUT:-1500}" ${envs[@]+"${envs[@]}"} || rc=$?
exit $rc
