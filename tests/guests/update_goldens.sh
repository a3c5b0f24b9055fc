#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Re-records the differential suite's KVM traces (tests/guests/golden/) on the
# nested tier's real KVM. Run it after changing a test guest:
#   tests/guests/update_goldens.sh [build dir]
# It boots the nested harness once (PETREL_NESTED_ONLY=golden-traces), which
# runs each guest with --record-io and prints the trace between
# PETREL-GOLDEN-BEGIN/END lines on the L1 console; this script cuts them out
# (with every time set to 0: times are not compared, and stable files diff well).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
log=$(mktemp /tmp/petrel-goldens.XXXXXX)
trap 'rm -f "$log"' EXIT
PETREL_NESTED_ONLY=golden-traces bash "$ROOT/tests/nested/run.sh" "$BUILD" >"$log" 2>&1 || {
  tail -20 "$log"; echo "update_goldens: the nested run failed" >&2; exit 1; }
tr -d '\r' <"$log" | awk -v dir="$ROOT/tests/guests/golden" '
  /^PETREL-GOLDEN-BEGIN / { name = $2; file = dir "/" name ".trace"; printf "" > file; next }
  /^PETREL-GOLDEN-END / { close(file); print "wrote " file; name = ""; next }
  name != "" && /^petrel-io-trace / { print >> file; next }
  name != "" { $1 = 0; print >> file }'  # times vary from run to run and are not compared
