#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/nested/run.sh: the nested-KVM test harness. Boots an L1 Linux under QEMU
# TCG with emulated SVM+NPT (so the L1's kvm_amd is a real KVM), runs a test
# script there against a payload directory, streams the L1 console, enforces a
# timeout with one retry on a hang, and turns PETREL-RESULT lines into an exit
# status. See ci/nested/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() {
  cat >&2 <<'EOF'
usage: ci/nested/run.sh --payload DIR --script SCRIPT [--timeout SECS] [--memory 2G]
                        [--machine microvm|q35] [--env NAME=VALUE]... [--interactive] [--keep]
  --payload DIR    copied to /payload in L1 (ELF executables get their ldd libraries)
  --script SCRIPT  runs in L1 as /payload/run-tests.sh (sh, busybox) with PETREL_KIT=/kit
  --timeout SECS   whole-L1 watchdog per attempt (default 600); a hang is retried once
  --memory SIZE    L1 memory (default 2G)
  --machine M      L1 machine: microvm (default, PVH vmlinux) or q35 (bzImage)
  --env NAME=VAL   exported to the test script in L1 (repeatable)
  --interactive    connect stdin to the L1 serial console; no timeout, no result parsing
  --keep           keep the work directory (l1.cpio, console.log)
EOF
  exit 2
}

PAYLOAD="" SCRIPT="" TIMEOUT=600 MEMORY=2G MACHINE=microvm INTERACTIVE=0 KEEP=0
ENVS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --payload) PAYLOAD=${2:?}; shift 2 ;;
    --script) SCRIPT=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --memory) MEMORY=${2:?}; shift 2 ;;
    --machine) MACHINE=${2:?}; shift 2 ;;
    --env) [[ ${2:-} == [A-Za-z_]*=* ]] || usage; ENVS+=("$2"); shift 2 ;;
    --interactive) INTERACTIVE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    *) echo "nested: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$PAYLOAD" ] && [ -d "$PAYLOAD" ] || { echo "nested: --payload DIR is required" >&2; usage; }
[ -n "$SCRIPT" ] && [ -f "$SCRIPT" ] || { echo "nested: --script SCRIPT is required" >&2; usage; }
case "$MACHINE" in microvm|q35) ;; *) usage ;; esac
PAYLOAD=$(cd "$PAYLOAD" && pwd)

say() { echo "nested: $*" >&2; }
t0=$EPOCHREALTIME
since() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# --- the guest kit (cached) ---------------------------------------------------
bash "$HERE/../guest-kit/build.sh" >&2
KITENV=${PETREL_GUEST_KIT:-$HOME/.cache/petrel/guest-kit}/kit.env
# shellcheck disable=SC1090
. "$KITENV"

CACHE=${PETREL_NESTED_CACHE:-$HOME/.cache/petrel/nested}
mkdir -p "$CACHE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/petrel-nested.XXXXXX")
cleanup() {
  if [ -f "$WORK/qemu.pid" ]; then kill "$(cat "$WORK/qemu.pid")" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# pack DIR > cpio (newc, owned by root). PETREL_NESTED_COMPRESS=gzip compresses.
pack() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    if [ "${PETREL_NESTED_COMPRESS:-none}" = gzip ]; then gzip -1; else cat; fi
}
comp=${PETREL_NESTED_COMPRESS:-none}

# --- L1 initramfs piece 1: busybox, kvm modules, /init (cached) --------------
base_key=$(cat "$HERE/l1-init.sh" "$HERE/run.sh" | sha256sum | cut -c1-12)-$PETREL_KIT_RECIPE-$comp
BASE="$CACHE/base-$base_key.cpio"
if [ ! -s "$BASE" ]; then
  S="$WORK/base"
  mkdir -p "$S"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,lib/modules/l1,lib64,kit,payload}
  cp "$PETREL_KIT_BUSYBOX" "$S/bin/busybox"
  for applet in $("$S/bin/busybox" --list-full); do
    [ -e "$S/$applet" ] || ln -s /bin/busybox "$S/$applet"
  done
  for m in $PETREL_KIT_L1_MODULES; do cp "$PETREL_KIT_L1_MODDIR/$m.ko" "$S/lib/modules/l1/"; done
  mknod -m 600 "$S/dev/console" c 5 1
  mknod -m 666 "$S/dev/null" c 1 3
  install -m 755 "$HERE/l1-init.sh" "$S/init"
  rm -f "$CACHE"/base-*.cpio
  pack "$S" >"$BASE.tmp" && mv "$BASE.tmp" "$BASE"
  rm -rf "$S"
fi

# --- piece 2: the guest kit under /kit (cached) ------------------------------
KITCPIO="$CACHE/kit-$PETREL_KIT_KVER-$PETREL_KIT_RECIPE-$comp.cpio"
if [ ! -s "$KITCPIO" ]; then
  S="$WORK/kitstage"
  mkdir -p "$S/kit"
  cp "$PETREL_KIT_BZIMAGE" "$PETREL_KIT_VMLINUX" "$PETREL_KIT_INITRD" "$S/kit/"
  # The host end of the vsock tests (the guest has its own /bin/vsock_peer).
  if [ -n "${PETREL_KIT_VSOCK_PEER:-}" ]; then cp "$PETREL_KIT_VSOCK_PEER" "$S/kit/"; fi
  # The backports kernel, if the kit has one: /kit/bpo/{bzImage,initrd.img}.
  if [ -n "${PETREL_KIT_BPO_DIR:-}" ]; then
    mkdir -p "$S/kit/bpo"
    cp "$PETREL_KIT_BPO_BZIMAGE" "$PETREL_KIT_BPO_INITRD" "$S/kit/bpo/"
  fi
  sed -e "s#${PETREL_KIT_BPO_DIR:-//none}#/kit/bpo#g" -e "s#$PETREL_KIT_DIR#/kit#g" "$KITENV" >"$S/kit/kit.env"
  rm -f "$CACHE"/kit-*.cpio
  pack "$S" >"$KITCPIO.tmp" && mv "$KITCPIO.tmp" "$KITCPIO"
  rm -rf "$S"
fi

# --- piece 3: the payload, its shared libraries, the test script -------------
S="$WORK/payload"
mkdir -p "$S"
cp -a "$PAYLOAD" "$S/payload"
install -m 755 "$SCRIPT" "$S/payload/run-tests.sh"
mkdir -p "$S/etc"
for kv in ${ENVS[@]+"${ENVS[@]}"}; do
  printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}" >>"$S/etc/petrel-env"
done
libs="$WORK/libs.txt"
: >"$libs"
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -t x1 | tr -d ' ')" = 7f454c46 ] || continue
  ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' >>"$libs" || true
done < <(find "$PAYLOAD" -type f \( -perm -u+x -o -name '*.so*' \) -print0)
if [ -s "$libs" ]; then
  echo /lib64/ld-linux-x86-64.so.2 >>"$libs"
  sort -u "$libs" | while read -r lib; do cp -L --parents "$lib" "$S/"; done
fi
pack "$S" >"$WORK/payload.cpio"
cat "$BASE" "$KITCPIO" "$WORK/payload.cpio" >"$WORK/l1.cpio"
say "L1 initramfs $(du -m "$WORK/l1.cpio" | cut -f1) MiB ($comp; $(sort -u "$libs" | wc -l) libraries), built in $(since) s"

# --- boot ---------------------------------------------------------------------
tsc=$(bash "$HERE/host-tsc-khz.sh" || true)
append="console=ttyS0 panic=-1 quiet"
[ -n "$tsc" ] && append="$append tsc_early_khz=$tsc tsc=reliable"
if [ "$MACHINE" = microvm ]; then
  kernel=$PETREL_KIT_VMLINUX
else
  kernel=$PETREL_KIT_BZIMAGE
fi
serial="stdio"
[ "$INTERACTIVE" = 1 ] && serial="mon:stdio"
# The L1 CPU has no CMPXCHG16B (-cx16), so neither has the L2 (KVM offers
# only what its host has): QEMU 7.2's TCG computes the flags of a CMPXCHG16B
# without a LOCK prefix from a stale lazy-flags state (its translator does not
# sync cc_op before the helper), so RFLAGS can come back holding bits of
# another register (TF set, #DB; garbage IF/DF). Linux 6.12's SLUB fast path
# (this_cpu_try_cmpxchg128) hits it: 3 of 5 bookworm-backports boots crashed
# in kmem_cache_alloc with such RFLAGS, 0 of 5 with -cx16. PETREL_NESTED_CPU
# overrides the model.
# shellcheck disable=SC2054  # commas are QEMU option syntax
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -nographic -serial "$serial" -no-reboot
  -accel tcg -M "$MACHINE" -cpu "${PETREL_NESTED_CPU:-qemu64,+svm,+npt,-cx16}" -m "$MEMORY" -smp 1
  -kernel "$kernel" -initrd "$WORK/l1.cpio" -append "$append" -pidfile "$WORK/qemu.pid")

if [ "$INTERACTIVE" = 1 ]; then
  say "interactive: stdin is the L1 serial console (Ctrl-A x quits QEMU)"
  "${qemu[@]}"
  exit $?
fi

# Streams the console unchanged and notes the host time of each marker line.
LOG="$WORK/console.log"
MARKS="$WORK/marks.txt"
stream() {
  local line clean start=$EPOCHREALTIME
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line"
    printf '%s\n' "$line" >>"$LOG"
    clean=${line//$'\r'/}
    case "$clean" in
      # markers may follow firmware escape sequences on the same line (q35)
      *PETREL-L1-TIME*|*PETREL-L1-KVM-READY|*PETREL-GUEST-READY|*PETREL-L1-DONE\ rc=*)
        awk -v a="$start" -v b="$EPOCHREALTIME" -v l="$clean" \
          'BEGIN { printf "%.2f %s\n", b - a, l }' >>"$MARKS" ;;
    esac
    case "$clean" in
      *PETREL-L1-DONE\ rc=*)  # give poweroff a few seconds, then stop QEMU ourselves
        ( sleep 15; [ -f "$WORK/qemu.pid" ] && kill "$(cat "$WORK/qemu.pid")" 2>/dev/null ) &
        ;;
    esac
  done
}

attempt=0
while :; do
  : >"$LOG"; : >"$MARKS"
  rm -f "$WORK/qemu.pid"
  qrc=0
  timeout -k 5 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | stream || qrc=${PIPESTATUS[0]}
  if grep -q 'PETREL-L1-DONE rc=' "$LOG"; then break; fi
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    if [ "$attempt" -lt 1 ]; then
      attempt=$((attempt + 1))
      say "L1 hung, retrying (1/1)"
      continue
    fi
    say "L1 hung again after the retry (timeout ${TIMEOUT} s)"
  else
    say "QEMU exited (status $qrc) without PETREL-L1-DONE"
  fi
  break
done

# --- results ------------------------------------------------------------------
tr -d '\r' <"$LOG" >"$LOG.clean"
passed=$(grep -c '^PETREL-RESULT [^ ]* PASS' "$LOG.clean" || true)
failed=$(grep -c '^PETREL-RESULT [^ ]* FAIL' "$LOG.clean" || true)
skipped=$(grep -c '^PETREL-RESULT [^ ]* SKIP' "$LOG.clean" || true)
bad=$(grep '^PETREL-RESULT ' "$LOG.clean" | grep -Ev '^PETREL-RESULT [^ ]+ (PASS|FAIL|SKIP)( |$)' || true)
done_line=$(grep -m1 -o 'PETREL-L1-DONE rc=[0-9]*' "$LOG.clean" || true)
rc=$(printf '%s' "$done_line" | sed -n 's/.*rc=\([0-9]*\).*/\1/p')

mark() {  # host seconds at the first marked console line containing $1, or "-"
  awk -v k="$1" 'index(substr($0, index($0, " ") + 1), k) { print $1; f = 1; exit }
                 END { if (!f) print "-" }' "$MARKS"
}
l1_uptime() { sed -n "s/.*PETREL-L1-TIME $1=\([0-9.]*\).*/\1/p" "$LOG.clean" | head -1; }
say "timings, host s from QEMU start (L1 uptime): L1 init $(mark 'PETREL-L1-TIME init=') ($(l1_uptime init)), kvm ready $(mark PETREL-L1-KVM-READY) ($(l1_uptime kvm)), first L2 marker $(mark PETREL-GUEST-READY), L1 done $(mark PETREL-L1-DONE) ($(l1_uptime 'done')); attempts $((attempt + 1)); total $(since) s"
grep '^PETREL-RESULT [^ ]* FAIL' "$LOG.clean" | sed 's/^/nested: /' >&2 || true
[ -z "$bad" ] || { say "malformed result lines:"; printf '%s\n' "$bad" >&2; }

status=0
if [ -z "$done_line" ]; then say "no PETREL-L1-DONE"; status=1; fi
if [ "$failed" -gt 0 ] || [ -n "$bad" ]; then status=1; fi
if [ "$passed" -lt 1 ]; then say "no test passed"; status=1; fi
if [ -n "$done_line" ] && [ "${rc:-1}" != 0 ]; then say "test script exited with rc=${rc:-?}"; status=1; fi
echo "nested: $passed passed, $failed failed, $skipped skipped"
exit "$status"
