#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/nested/run-selftest.sh [run.sh options]: builds a QEMU payload in a temp
# dir and runs ci/nested/selftest.sh in the nested-KVM harness (one L1 boot).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
payload=$(mktemp -d "${TMPDIR:-/tmp}/petrel-selftest.XXXXXX")
trap 'rm -rf "$payload"' EXIT
bash "$HERE/make-qemu-payload.sh" "$payload" >&2
bash "$HERE/run.sh" --payload "$payload" --script "$HERE/selftest.sh" "$@"
