#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Installs what is missing, builds Petrel, and runs every test:
#   1. unit and system tests (g++ build, ctest): hv_sim everywhere; tests that
#      need /dev/kvm skip with a reason when it is absent (or PETREL_FORCE_NO_KVM=1)
#   2. the same tests again built by clang with ASan + UBSan, and every
#      libFuzzer target for a fixed time (PETREL_FUZZ_SECONDS, default 15)
#   3. the same tests built by clang with ThreadSanitizer (device workers,
#      the API server and vCPU threads against the loops)
#   4. the nested-KVM tier: a QEMU TCG guest with emulated SVM runs Petrel on a
#      real KVM and boots the Debian guest kit (PETREL_SKIP_NESTED=1 skips it)
# and, after the g++ build, what a user installs (ci/package-test.sh):
# `cmake --install`, the man pages, the drop-in names and the Debian packages.
# Ends with one line: "petrel: N passed, M failed, K skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${PETREL_FUZZ_SECONDS:-15}
JOBS=${PETREL_JOBS:-$(nproc)}

passed=0 failed=0 skipped=0
failures=()
stage() { echo; echo "=== $* ($(date +%T))"; }
count() {  # count <passed> <failed> <skipped> <label>
  passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
  [ "$2" -eq 0 ] || failures+=("$4")
}
fatal() { echo "ci: $*" >&2; echo "petrel: $passed passed, $((failed + 1)) failed, $skipped skipped"; exit 1; }

# ctest_run <build dir> <label>: runs ctest with a JUnit report and counts it.
ctest_run() {
  local dir=$1 label=$2 xml
  xml="$ROOT/$dir/ctest-junit.xml"  # ctest resolves a relative path against the build dir
  rm -f "$xml"
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --timeout 300 --output-junit "$xml"
  read -r p f s < <(python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1, 0); sys.exit()
t = int(r.get("tests", 0)); f = int(r.get("failures", 0)) + int(r.get("errors", 0)); s = int(r.get("skipped", 0))
print(t - f - s, f, s)
PY
)
  echo "ci: $label: $p passed, $f failed, $s skipped"
  count "$p" "$f" "$s" "$label"
}

stage "dependencies"
bash ci/install-deps.sh || fatal "installing packages failed"

# ccache makes the three builds (g++, ASan, TSan) cheap when this machine
# built the same sources before; paths are hashed relative to the checkout,
# so another clone of the same commit hits the same cache entries.
CCACHE=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  CCACHE=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

# build_tree <dir> <label> [cmake options...]: configures and builds one tree.
build_tree() {
  local dir=$1 label=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${CCACHE[@]}" "$@" >/dev/null \
    || fatal "cmake configure ($label) failed"
  cmake --build "$dir" -j "$JOBS" || fatal "$label build failed"
}
CLANG=(-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_ASM_COMPILER=clang-14)

stage "build (g++ 12)"
build_tree build g++

stage "unit and system tests (g++)"
ctest_run build "tests (g++)"

stage "KVM tests with KVM forced off"
PETREL_FORCE_NO_KVM=1 ctest --test-dir build -L kvm --output-on-failure -j "$JOBS" >build/force-no-kvm.log 2>&1
nokvm_rc=$?
grep -E "tests passed|Skipped|Not Run" build/force-no-kvm.log | tail -5
if [ $nokvm_rc -eq 0 ]; then count 1 0 0 "force-no-kvm"; else count 0 1 0 "force-no-kvm"; cat build/force-no-kvm.log; fi

stage "install, man pages, drop-in names and Debian packages"
bash ci/package-test.sh build >build/package-test.log 2>&1
summary=$(grep -E "^package-test: [0-9]+ passed" build/package-test.log | tail -1)
if [ -n "$summary" ]; then
  read -r p f < <(echo "$summary" | sed -E 's/package-test: ([0-9]+) passed, ([0-9]+) failed/\1 \2/')
else
  p=0 f=1
fi
grep -E "^(FAIL|     )" build/package-test.log | head -40
echo "ci: package-test: $p passed, $f failed"
count "$p" "$f" 0 "package-test"

stage "build (clang 14, ASan+UBSan, libFuzzer)"
build_tree build-fuzz clang "${CLANG[@]}" -DPETREL_FUZZ=ON

stage "unit tests under ASan+UBSan (clang)"
ctest_run build-fuzz "tests (clang, sanitizers)"

stage "fuzz targets, ${FUZZ_SECONDS}s each"
for target in $(find build-fuzz/fuzz -maxdepth 1 -type f -name '*_fuzz' -perm -u+x | sort); do
  name=$(basename "$target")
  corpus="build-fuzz/corpus/$name"
  mkdir -p "$corpus"
  # fuzz/regressions/<target>/ holds inputs that once crashed the target,
  # fuzz/seeds/<target>/ starting inputs (e.g. documented request bodies); as
  # further corpus directories libFuzzer runs each of them first.
  seeds=()
  [ -d "fuzz/regressions/$name" ] && seeds+=("fuzz/regressions/$name")
  [ -d "fuzz/seeds/$name" ] && seeds+=("fuzz/seeds/$name")
  if "$target" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=0 "$corpus" \
       "${seeds[@]}" >"build-fuzz/$name.log" 2>&1; then
    echo "ci: fuzz $name: ok ($(grep -c . "$corpus"/* 2>/dev/null | wc -l) corpus files)"
    count 1 0 0 "fuzz $name"
  else
    echo "ci: fuzz $name: FAILED"; tail -40 "build-fuzz/$name.log"
    count 0 1 0 "fuzz $name"
  fi
done

stage "build (clang 14, ThreadSanitizer)"
build_tree build-tsan TSan "${CLANG[@]}" -DPETREL_TSAN=ON

stage "unit tests under ThreadSanitizer (clang)"
# A data race or lock-order inversion fails the test that found it.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest_run build-tsan "tests (clang, TSan)"

stage "nested KVM (QEMU TCG + SVM)"
if [ "${PETREL_SKIP_NESTED:-0}" = 1 ]; then
  echo "ci: nested tier skipped (PETREL_SKIP_NESTED=1)"
  count 0 0 1 "nested"
else
  if bash tests/nested/run.sh build >build/nested.log 2>&1; then nested_rc=0; else nested_rc=$?; fi
  grep -E "^(PETREL-RESULT|nested:)" build/nested.log
  summary=$(grep -E "^nested: [0-9]+ passed" build/nested.log | tail -1)
  if [ -n "$summary" ]; then
    read -r p f s < <(echo "$summary" | sed -E 's/nested: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')
  else
    p=0 f=1 s=0; tail -60 build/nested.log
  fi
  [ $nested_rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
  count "$p" "$f" "$s" "nested"
fi

echo
[ ${#failures[@]} -eq 0 ] || echo "ci: failed stages: ${failures[*]}"
echo "petrel: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
