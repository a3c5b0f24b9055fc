#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Checks what a user installs, from a built tree (default: build):
#   1. `cmake --install` into a temporary prefix: the files are where they
#      belong; the installed petrel and petrel-remote answer --version (the
#      build's version), --help and no arguments; `man -l` renders both pages.
#   2. the drop-in names (component chnames): cloud-hypervisor and ch-remote
#      answer --version in Cloud Hypervisor's format, with its exit codes.
#   3. the Debian packages (cpack): lintian reports no error; apt accepts
#      their dependencies on this host.
#   4. into an empty root (dpkg --root): an older petrel is installed,
#      upgraded to this one with the drop-in package, the binaries run from
#      the root, and removing both leaves no file behind.
# Prints one line per check and ends with "package-test: N passed, M failed".
#
#   bash ci/package-test.sh [build dir]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROOT=$PWD
WORK=$(mktemp -d /tmp/petrel-package-test-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0
check() {  # check <description> <command...>: runs it, counts, shows output on failure
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok   $what"; passed=$((passed + 1))
  else
    echo "FAIL $what"; echo "$out" | tail -20 | sed 's/^/     /'; failed=$((failed + 1))
  fi
}
expect_status() {  # expect_status <status> <command...>
  local want=$1 got
  shift
  "$@" >/dev/null 2>&1
  got=$?
  [ "$got" -eq "$want" ] || { echo "exit status $got, expected $want: $*"; return 1; }
}
output_has() {  # output_has <text> <command...>: the command succeeds and prints text
  local want=$1 out
  shift
  out=$("$@" 2>&1) || { echo "$out"; return 1; }
  grep -qF -- "$want" <<<"$out" || { echo "no '$want' in:"; echo "$out" | head -20; return 1; }
}

version=$(cat "$BUILD/generated/build_version.txt" 2>/dev/null) || {
  echo "package-test: $BUILD/generated/build_version.txt missing: build the tree first"; exit 1; }

# --- 0. the build version's sources (cmake/build_version.cmake)
build_version_of() {  # build_version_of <source dir> <override>: what the script computes
  cmake -DSOURCE_DIR="$1" -DPROJECT_VERSION=1.2.3 -DOVERRIDE="$2" -DOUTPUT_HEADER="$WORK/v.h" \
        -DOUTPUT_TEXT="$WORK/v.txt" -P cmake/build_version.cmake >/dev/null 2>&1 && cat "$WORK/v.txt"
}
mkdir -p "$WORK/tarball"
check "a tree without git (a tarball): v<project version>" \
  test "$(build_version_of "$WORK/tarball" "")" = v1.2.3
check "-DPETREL_BUILD_VERSION overrides it" test "$(build_version_of "$ROOT" v9.9.9-rc1)" = v9.9.9-rc1
check "an override with a space is refused" bash -c "! cmake -DSOURCE_DIR=. \
  -DPROJECT_VERSION=1 '-DOVERRIDE=v1 2' -DOUTPUT_HEADER=$WORK/x.h -DOUTPUT_TEXT=$WORK/x.txt \
  -P cmake/build_version.cmake >/dev/null 2>&1"
if described=$(git -C "$ROOT" describe --tags --match "v[0-9]*" --dirty 2>/dev/null); then
  check "a tagged git tree: git describe ($described)" test "$(build_version_of "$ROOT" "")" = "$described"
else
  check "an untagged git tree: v<project version>-g<commit>" bash -c \
    "[[ '$(build_version_of "$ROOT" "")' =~ ^v1\.2\.3-g[0-9a-f]{12}(-dirty)?\$ ]]"
fi

# --- 1. cmake --install into a prefix
P=$WORK/prefix
check "cmake --install into a prefix" cmake --install "$BUILD" --prefix "$P"
for f in bin/petrel bin/petrel-remote share/man/man1/petrel.1.gz share/man/man1/petrel-remote.1.gz \
         share/bash-completion/completions/petrel share/bash-completion/completions/petrel-remote \
         share/zsh/vendor-completions/_petrel share/zsh/vendor-completions/_petrel-remote \
         share/doc/petrel/quickstart.md share/doc/petrel/LICENSE share/doc/petrel/copyright; do
  check "installed: $f" test -s "$P/$f"
done
check "the default install has no drop-in names" test ! -e "$P/bin/cloud-hypervisor"
check "petrel --version is the build's ($version)" output_has "petrel $version" "$P/bin/petrel" --version
check "petrel-remote -V is the build's" output_has "petrel-remote $version" "$P/bin/petrel-remote" -V
check "petrel --help lists --kernel" output_has "--kernel <path>" "$P/bin/petrel" --help
check "petrel with no arguments prints its help (status 0)" output_has "Usage: petrel" "$P/bin/petrel"
check "petrel-remote with no arguments prints its help" output_has "shutdown-vmm" "$P/bin/petrel-remote"
check "man -l petrel.1.gz" output_has "lock_granularity=byte-range|full" \
  env MANWIDTH=200 man -l "$P/share/man/man1/petrel.1.gz"
check "man -l petrel-remote.1.gz" output_has "receive-migration" \
  env MANWIDTH=200 man -l "$P/share/man/man1/petrel-remote.1.gz"
check "bash completion loads and completes --disk" bash -c \
  "source '$P/share/bash-completion/completions/petrel'; COMP_WORDS=(petrel --dis); COMP_CWORD=1; _petrel; [ \"\${COMPREPLY[*]}\" = --disk ]"

# --- 2. the drop-in names
check "cmake --install --component chnames" cmake --install "$BUILD" --prefix "$P" --component chnames
check "cloud-hypervisor --version in CH's format" output_has "cloud-hypervisor v" "$P/bin/cloud-hypervisor" --version
check "cloud-hypervisor --version names petrel's build" output_has "(petrel $version)" "$P/bin/cloud-hypervisor" --version
check "ch-remote --version in ch-remote's format" output_has "ch-remote v" "$P/bin/ch-remote" --version
check "cloud-hypervisor with no arguments: status 2 (clap's)" expect_status 2 "$P/bin/cloud-hypervisor"
check "cloud-hypervisor --no-such-option: status 2" expect_status 2 "$P/bin/cloud-hypervisor" --kernel k --no-such-option
check "cloud-hypervisor --cpus boot=0: status 1" expect_status 1 "$P/bin/cloud-hypervisor" --kernel k --cpus boot=0
check "petrel --no-such-option: status 1" expect_status 1 "$P/bin/petrel" --kernel k --no-such-option
check "ch-remote with no arguments: status 2" expect_status 2 "$P/bin/ch-remote"
check "man cloud-hypervisor is petrel's page" output_has "DROP-IN NAMES" \
  env MANWIDTH=200 man -l "$P/share/man/man1/cloud-hypervisor.1.gz"

# --- 3. the Debian packages
rm -rf "$BUILD/packages"
check "cpack builds the Debian packages" bash -c "cd '$BUILD' && cpack"
deb=$(ls "$BUILD"/packages/petrel_*.deb 2>/dev/null | head -1)
names_deb=$(ls "$BUILD"/packages/petrel-ch-names_*.deb 2>/dev/null | head -1)
check "two packages" test -n "$deb" -a -n "$names_deb"
debian_version=$(dpkg-deb -f "$deb" Version 2>/dev/null)
# The rule of cmake/debian_version.cmake, as a test oracle: v0.1.0-3-gabc-dirty -> 0.1.0+3.gabc.dirty
expected=${version#v}
if [[ "$expected" == *-* ]]; then rest=${expected#*-}; expected="${expected%%-*}+${rest//-/.}"; fi
check "the package version is the build's ($version -> $expected)" test "$debian_version" = "$expected"
depends=$(dpkg-deb -f "$deb" Depends | sed -E 's/ *\([^)]*\)//g; s/, */ /g')
check "the package's Depends are install-deps.sh --runtime's ($depends)" \
  test "$(echo $depends | tr ' ' '\n' | sort | xargs)" = "$(bash ci/install-deps.sh --list-runtime | tr ' ' '\n' | sort | xargs)"
check "lintian: no errors" lintian --fail-on error "$deb" "$names_deb"
check "apt accepts the dependencies on this host" apt-get install --simulate -qq "$ROOT/$deb" "$ROOT/$names_deb"

# --- 4. an empty root: install an older petrel, upgrade, run, remove
R=$WORK/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
old=$WORK/old
dpkg-deb -R "$deb" "$old" && sed -i 's/^Version: .*/Version: 0.0.1/' "$old/DEBIAN/control" &&
  dpkg-deb -b "$old" "$WORK/petrel_0.0.1_amd64.deb" >/dev/null
# The root's dpkg database is empty, so the dependencies (libc6, ...) are
# this host's and cannot be seen there: --force-depends.
DPKG=(dpkg --root="$R" --force-depends --force-not-root)
check "dpkg installs petrel 0.0.1 into an empty root" "${DPKG[@]}" -i "$WORK/petrel_0.0.1_amd64.deb"
check "dpkg upgrades it to $debian_version with petrel-ch-names" "${DPKG[@]}" -i "$deb" "$names_deb"
check "the root's dpkg lists petrel $debian_version" output_has "$debian_version" \
  dpkg-query --admindir="$R/var/lib/dpkg" -W petrel
check "the installed petrel runs" output_has "petrel $version" "$R/usr/bin/petrel" --version
check "the installed cloud-hypervisor runs" output_has "cloud-hypervisor v" "$R/usr/bin/cloud-hypervisor" --version
check "the installed petrel-remote runs" output_has "shutdown-vmm" "$R/usr/bin/petrel-remote" --help
check "dpkg removes both" "${DPKG[@]}" --purge petrel-ch-names petrel
check "nothing is left in the root" test -z "$(find "$R" -mindepth 1 -not -path "$R/var*" -print -quit)"

echo "package-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
