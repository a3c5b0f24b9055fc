#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# ci/guest-kit/build.sh: builds and caches the Petrel guest kit, a Debian cloud
# kernel (bzImage + PVH vmlinux), its kvm modules for an L1 and a busybox
# initramfs for an L2 guest. Result: $KIT/kit.env (paths, kernel version).
#
# Usage: bash ci/guest-kit/build.sh [--force]
#   PETREL_GUEST_KIT   cache dir (default ~/.cache/petrel/guest-kit)
#   PETREL_KIT_KERNEL  kernel flavour to use, e.g. 6.1.0-56-cloud-amd64
#                      (default: what linux-image-cloud-amd64 depends on)
# Needs root (apt-get download, device nodes in the cpio), apt, dpkg-deb,
# depmod (kmod), cpio, lz4/xz/gzip/zstd, readelf (binutils), cc (stub libs),
# make; installs linux-headers-<kver> with apt to build virtio_wdt.ko.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KIT=${PETREL_GUEST_KIT:-$HOME/.cache/petrel/guest-kit}
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

log() { echo "guest-kit: $*" >&2; }
die() { echo "guest-kit: error: $*" >&2; exit 1; }

# Modules an L1 needs for KVM on AMD, in load order; then tun (tap devices for
# perf/io_bench.sh; l1-init.sh does not load it, the benchmark does) and the
# others below, which their tests and benchmarks load.
L1_MODULES=(kernel/virt/lib/irqbypass.ko kernel/arch/x86/kvm/kvm.ko kernel/arch/x86/kvm/kvm-amd.ko
  kernel/drivers/net/tun.ko
  # a macvtap on a dummy parent, for the net-from-fds test (the suite loads them)
  kernel/drivers/net/dummy.ko kernel/drivers/net/macvlan.ko kernel/drivers/net/tap.ko
  kernel/drivers/net/macvtap.ko
  # QEMU's vhost-vsock-pci in L1 for perf/vsock_bench.sh (/dev/vhost-vsock, and
  # AF_VSOCK for the L1 end; the benchmark loads them), in load order
  kernel/drivers/vhost/vhost_iotlb.ko kernel/drivers/vhost/vhost.ko kernel/net/vmw_vsock/vsock.ko
  kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko kernel/drivers/vhost/vhost_vsock.ko)
# Modules the L2 initramfs loads (with their dependencies), when not built in.
L2_MODULES=(virtio virtio_ring virtio_mmio virtio_pci_modern_dev virtio_pci_legacy_dev
  virtio_pci virtio_blk failover net_failover virtio_net virtio_console virtio-rng
  virtio_balloon virtio_mem vmw_vsock_virtio_transport
  pvpanic pvpanic_pci  # --pvpanic's device (pvpanic is built into Debian's kernels)
  virtio_pmem nd_pmem  # --pmem: the region (libnvdimm) and its /dev/pmemN
  tpm_crb  # --tpm: the CRB interface's driver (the TPM core is built into Debian's kernels)
  virtio_iommu  # iommu=on: the virtio-iommu's driver (ACPI VIOT is built in)
  nvram button evdev)  # /dev/nvram (boot counter), ACPI power button -> /dev/input

# The guest driver for the virtio-watchdog device (a Linux module, built out of
# tree for the main kernel only).
WDT_SOURCES=("$HERE/virtio_wdt/virtio_wdt.c" "$HERE/virtio_wdt/Kbuild" "$HERE/virtio_wdt/Makefile")

# The recipe hash: a change to this script, the guest /init or the guest's
# doorbell_flood and vsock_peer helpers or virtio_wdt module rebuilds the kit.
recipe=$(cat "$HERE/build.sh" "$HERE/guest-init.sh" "$HERE/doorbell_flood.c" "$HERE/vsock_peer.c" \
             "${WDT_SOURCES[@]}" |
         sha256sum | cut -c1-16)

kit_complete() {
  [ -f "$KIT/kit.env" ] || return 1
  # shellcheck disable=SC1091
  ( . "$KIT/kit.env"
    [ "${PETREL_KIT_RECIPE:-}" = "$recipe" ] || exit 1
    if [ -n "${PETREL_KIT_KERNEL:-}" ] && [ "$PETREL_KIT_KERNEL" != "$PETREL_KIT_KVER" ]; then exit 1; fi
    for f in "$PETREL_KIT_BZIMAGE" "$PETREL_KIT_VMLINUX" "$PETREL_KIT_INITRD" "$PETREL_KIT_BUSYBOX" \
             "$PETREL_KIT_L1_MODDIR/irqbypass.ko" "$PETREL_KIT_L1_MODDIR/kvm.ko" \
             "$PETREL_KIT_L1_MODDIR/kvm-amd.ko" "$PETREL_KIT_L1_MODDIR/tun.ko" \
             "$PETREL_KIT_INITRD_IO" "$PETREL_KIT_IOTOOLS/usr/bin/fio" "$PETREL_KIT_IOTOOLS/usr/bin/iperf3" \
             "$PETREL_KIT_VSOCK_PEER"; do
      [ -s "$f" ] || exit 1
    done
    # virtio_wdt.ko: when the kit has it, the initramfs loads it too.
    if [ -n "${PETREL_KIT_VIRTIO_WDT:-}" ]; then
      [ -s "$PETREL_KIT_DIR/virtio_wdt.ko" ] && [ "$PETREL_KIT_VIRTIO_WDT" = "$PETREL_KIT_DIR/virtio_wdt.ko" ] || exit 1
    fi
    if [ "${PETREL_KIT_BPO:-1}" != 0 ]; then
      [ -s "${PETREL_KIT_BPO_BZIMAGE:-}" ] && [ -s "${PETREL_KIT_BPO_INITRD:-}" ] || exit 1
    fi )
}

if [ "$FORCE" = 0 ] && kit_complete; then
  # shellcheck disable=SC1091
  . "$KIT/kit.env"
  echo "guest-kit: cached kit for $PETREL_KIT_KVER in $PETREL_KIT_DIR (env: $KIT/kit.env)"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get download and device nodes need it)"
for t in apt-get apt-cache dpkg-deb depmod modinfo cpio readelf lz4 xz gzip zstd cc make; do
  command -v "$t" >/dev/null || die "missing tool '$t' (bash ci/install-deps.sh)"
done

# --- choose one concrete kernel version ----------------------------------------
pick_kernel() {
  if [ -n "${PETREL_KIT_KERNEL:-}" ]; then echo "$PETREL_KIT_KERNEL"; return; fi
  local dep
  dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        sed -n 's/^ *Depends: linux-image-\([0-9].*-cloud-amd64\)$/\1/p' | sort -V | tail -1)
  if [ -z "$dep" ]; then
    dep=$(apt-cache pkgnames linux-image- 2>/dev/null |
          sed -n 's/^linux-image-\([0-9][0-9.]*-[0-9]*-cloud-amd64\)$/\1/p' | sort -V | tail -1)
  fi
  echo "$dep"
}
kver=$(pick_kernel)
if [ -z "$kver" ]; then
  log "no cloud kernel in the apt lists; running apt-get update"
  apt-get update -qq
  kver=$(pick_kernel)
fi
[ -n "$kver" ] || die "cannot find a linux-image-*-cloud-amd64 package"
log "kernel $kver"

# The second L2 kernel: what bookworm-backports' linux-image-cloud-amd64
# depends on (6.12 in 2025). The backports suite is added as an apt source
# (deb.debian.org, the archive keyring) on a bookworm host that lacks it;
# PETREL_KIT_BPO=0 skips this kernel.
BPO_SOURCES=/etc/apt/sources.list.d/petrel-bookworm-backports.sources
pick_bpo_kernel() {
  local ver
  ver=$(apt-cache madison linux-image-cloud-amd64 2>/dev/null | awk -F'|' '/bookworm-backports/ { gsub(/ /, "", $2); print $2 }' | sort -V | tail -1)
  [ -n "$ver" ] || return 0
  apt-cache depends "linux-image-cloud-amd64=$ver" 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\([0-9].*-cloud-amd64\)$/\1/p' | sort -V | tail -1
}
bpo_kver=""
if [ "${PETREL_KIT_BPO:-1}" != 0 ]; then
  bpo_kver=$(pick_bpo_kernel)
  if [ -z "$bpo_kver" ] && grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      log "adding bookworm-backports as an apt source ($BPO_SOURCES)"
      printf '%s\n' "# Written by Petrel's ci/guest-kit/build.sh: the backports cloud kernel." \
        "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: bookworm-backports" \
        "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$BPO_SOURCES"
    fi
    apt-get update -qq
    bpo_kver=$(pick_bpo_kernel)
  fi
  [ -n "$bpo_kver" ] || die "no bookworm-backports cloud kernel (PETREL_KIT_BPO=0 skips it)"
  log "backports kernel $bpo_kver"
fi

DEBS="$KIT/debs"
OUT="$KIT/$kver"
mkdir -p "$DEBS" "$OUT"
chmod 755 "$KIT" "$DEBS"

fetch() {  # fetch PACKAGE -> prints the .deb path (cached)
  local pkg=$1 ver deb
  ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "package $pkg not available"
  deb=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    log "downloading $pkg $ver"
    (cd "$DEBS" && apt-get download -q=2 "$pkg=$ver" 2>&1 | grep -v unsandboxed >&2 || true)
    deb=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
    [ -n "$deb" ] || die "apt-get download $pkg=$ver failed"
  fi
  echo "$deb"
}
kdeb=$(fetch "linux-image-$kver")
bbdeb=$(fetch busybox-static)
kpkgver=$(dpkg-deb -f "$kdeb" Version)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/petrel-kit.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
dpkg-deb -x "$kdeb" "$TMP/k"
dpkg-deb -x "$bbdeb" "$TMP/bb"

# --- kernel images ------------------------------------------------------------
cp "$TMP/k/boot/vmlinuz-$kver" "$OUT/bzImage"
cp "$TMP/k/boot/config-$kver" "$OUT/config"
extract_vmlinux() {  # bzImage -> vmlinux using the boot protocol header
  local bz=$1 out=$2 setup_sects off len magic
  rd() { od -An -t "u$2" -j "$1" -N "$2" "$bz" | tr -d ' '; }
  setup_sects=$(rd $((0x1f1)) 1)              # boot protocol: setup_sects
  [ "$setup_sects" -eq 0 ] && setup_sects=4
  off=$(( (setup_sects + 1) * 512 + $(rd $((0x248)) 4) ))  # payload_offset (2.08+)
  len=$(rd $((0x24c)) 4)                      # payload_length (2.08+)
  # The payload is the compressed vmlinux followed by its 4-byte size.
  dd if="$bz" of="$TMP/payload" bs=64K skip="$off" count=$((len - 4)) \
    iflag=skip_bytes,count_bytes status=none
  magic=$(od -An -t x1 -N 4 "$TMP/payload" | tr -d ' ')
  case "$magic" in
    02214c18) lz4 -dc "$TMP/payload" >"$out" ;;            # lz4 legacy frame
    fd377a58) xz -dc "$TMP/payload" >"$out" ;;             # xz
    1f8b*)    gzip -dc "$TMP/payload" >"$out" 2>/dev/null || [ -s "$out" ] ;;
    28b52ffd) zstd -dcq "$TMP/payload" >"$out" ;;          # zstd
    *) die "unknown bzImage payload compression (magic $magic)" ;;
  esac
}
extract_vmlinux "$OUT/bzImage" "$OUT/vmlinux"
[ "$(head -c 4 "$OUT/vmlinux" | od -An -t x1 | tr -d ' ')" = 7f454c46 ] || die "vmlinux is not an ELF"
# XEN_ELFNOTE_PHYS32_ENTRY (18 = 0x12) marks the PVH entry point.
readelf -n "$OUT/vmlinux" | grep -Eq '^ *Xen .*\(0x00000012\)' ||
  die "vmlinux has no Xen PVH note (type 0x12)"

# --- modules ------------------------------------------------------------------
MODS="$TMP/k/lib/modules/$kver"

# virtio_wdt.ko (virtio_wdt/virtio_wdt.c): the guest driver for the
# virtio-watchdog device, which mainline Linux lacks. Built out of tree against
# linux-headers-$kver (apt-get installs it when /usr/src lacks it; Debian's
# gcc-12 built the kernel and the package pulls it in) and put into the
# extracted tree as extra/virtio_wdt.ko, so depmod resolves its dependencies
# (virtio, virtio_ring and the watchdog core, a module in Debian's kernels)
# into the L2 load order. Only the main kernel gets it. Without the headers
# (or if the module does not build or link) the kit is built without it and
# kit.env says why (PETREL_KIT_VIRTIO_WDT_MISSING).
wdt_missing=""
build_virtio_wdt() {
  local kdir=/usr/src/linux-headers-$kver w="$TMP/virtio_wdt" try hver vermagic
  if [ ! -f "$kdir/Makefile" ]; then
    for try in 1 2; do
      log "installing linux-headers-$kver (to build virtio_wdt.ko)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q=2 --no-install-recommends \
        "linux-headers-$kver" >"$TMP/headers.log" 2>&1 && break
      [ "$try" = 1 ] && { log "apt-get install failed; running apt-get update"; apt-get update -qq || true; }
    done
    if [ ! -f "$kdir/Makefile" ]; then
      sed 's/^/guest-kit:   /' "$TMP/headers.log" | tail -5 >&2
      wdt_missing="cannot install linux-headers-$kver"; return 1
    fi
  fi
  hver=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
  [ "$hver" = "$kpkgver" ] || log "note: linux-headers-$kver is ${hver:-not a package}, the kernel $kpkgver (same ABI name)"
  mkdir -p "$w"
  cp "${WDT_SOURCES[@]}" "$w/"
  if ! make -C "$kdir" M="$w" modules >"$TMP/virtio_wdt.log" 2>&1; then
    sed 's/^/guest-kit:   /' "$TMP/virtio_wdt.log" | tail -20 >&2
    wdt_missing="virtio_wdt.ko does not build against linux-headers-$kver"; return 1
  fi
  vermagic=$(modinfo -F vermagic "$w/virtio_wdt.ko")
  if [ "${vermagic%% *}" != "$kver" ]; then
    wdt_missing="virtio_wdt.ko has vermagic '$vermagic', not $kver"; return 1
  fi
  install -D -m 644 "$w/virtio_wdt.ko" "$MODS/extra/virtio_wdt.ko"
  # Links: every symbol it imports is exported, with the CRC it was built
  # against, by the kernel (the headers' Module.symvers) or the modules.
  depmod -b "$TMP/k" -n -e -E "$kdir/Module.symvers" "$kver" 2>"$TMP/depmod.log" >/dev/null || true
  if grep virtio_wdt "$TMP/depmod.log" >&2; then
    rm -f "$MODS/extra/virtio_wdt.ko"
    wdt_missing="virtio_wdt.ko does not link against $kver's modules"; return 1
  fi
}
rm -f "$OUT/virtio_wdt.ko"
wdt_extra=()
if build_virtio_wdt; then
  cp "$MODS/extra/virtio_wdt.ko" "$OUT/virtio_wdt.ko"
  wdt_extra=(virtio_wdt)
  log "virtio_wdt.ko built for $kver"
else
  log "no virtio_wdt.ko: $wdt_missing (the virtio-watchdog nested test will skip)"
fi
depmod -b "$TMP/k" "$kver"
unpack_ko() {  # unpack_ko REL DEST  (handles .ko, .ko.xz, .ko.zst, .ko.gz)
  local rel=$1 dest=$2 src
  for src in "$MODS/$rel" "$MODS/$rel.xz" "$MODS/$rel.zst" "$MODS/$rel.gz"; do
    [ -f "$src" ] || continue
    mkdir -p "$(dirname "$dest")"
    case "$src" in
      *.xz) xz -dc "$src" >"$dest" ;;
      *.zst) zstd -dcq "$src" >"$dest" ;;
      *.gz) gzip -dc "$src" >"$dest" ;;
      *) cp "$src" "$dest" ;;
    esac
    return 0
  done
  return 1
}
rm -rf "$OUT/l1-modules"
mkdir -p "$OUT/l1-modules"
for rel in "${L1_MODULES[@]}"; do
  unpack_ko "$rel" "$OUT/l1-modules/$(basename "$rel")" || die "module $rel missing from $kdeb"
done

# L2: resolve each wanted module and its dependencies from modules.dep.
dep_line() {  # dep_line NAME -> "path: deps..." (names treat - and _ alike)
  local pat=${1//[-_]/[-_]}
  grep -E "(^|/)${pat}\.ko(\.(xz|zst|gz))?:" "$MODS/modules.dep" | head -1 || true
}
add_order() { local m; for m in "${order[@]}"; do [ "$m" = "$1" ] && return; done; order+=("$1"); }

# make_l2_initrd KVER STAGE OUT [MODULE...]: the L2 initramfs for the kernel
# whose modules are in $MODS (busybox, the L2 modules and the MODULEs in load
# order, /init) -> OUT.
# Sets `order` (module paths) and `builtin` (wanted modules built in).
make_l2_initrd() {
  local kv=$1 R=$2 out=$3 name line rel plain applet i
  order=() builtin=()
  for name in "${L2_MODULES[@]}" "${@:4}"; do
    line=$(dep_line "$name")
    if [ -z "$line" ]; then
      if grep -Eq "/${name//[-_]/[-_]}\.ko$" "$MODS/modules.builtin"; then builtin+=("$name"); fi
      continue
    fi
    read -r -a deps <<<"${line#*:}"
    for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add_order "${deps[$i]}"; done  # deepest first
    add_order "${line%%:*}"
  done
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root}
  cp "$TMP/bb/bin/busybox" "$R/bin/busybox"
  for applet in $("$R/bin/busybox" --list-full); do
    [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"
  done
  mknod -m 600 "$R/dev/console" c 5 1
  mknod -m 666 "$R/dev/null" c 1 3
  : >"$R/lib-order.tmp"
  for rel in "${order[@]}"; do
    plain=${rel%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
    unpack_ko "$plain" "$R/lib/modules/$kv/$plain" || die "cannot unpack $rel"
    # Out-of-tree test modules (extra/: virtio_wdt) taint the kernel: they are
    # in the initramfs but only the tests that need them load them, so every
    # other boot's log stays clean (the clean-boot test checks it).
    case "$plain" in extra/*) continue ;; esac
    echo "$plain" >>"$R/lib-order.tmp"
  done
  mv "$R/lib-order.tmp" "$R/lib/modules/$kv/load-order"
  install -m 755 "$HERE/guest-init.sh" "$R/init"
  install -m 755 "$TMP/doorbell_flood" "$R/bin/doorbell_flood"
  install -m 755 "$TMP/vsock_peer" "$R/bin/vsock_peer"
  (cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
}

# --- L2 initramfs -------------------------------------------------------------
# /bin/doorbell_flood: rings a virtio queue's doorbell in a loop (the nested
# test linux-doorbell-flood); static, so it needs nothing from the initramfs.
cc -static -O2 -s -o "$TMP/doorbell_flood" "$HERE/doorbell_flood.c" || die "cannot build doorbell_flood (static libc?)"
# /bin/vsock_peer: both ends of the nested vsock tests (AF_VSOCK in the
# guest, the VMM's hybrid UNIX socket in the L1, which runs the kit's copy).
cc -static -O2 -s -o "$TMP/vsock_peer" "$HERE/vsock_peer.c" || die "cannot build vsock_peer (static libc?)"
cp "$TMP/vsock_peer" "$OUT/vsock_peer"
R="$TMP/initrd"
cp "$TMP/bb/bin/busybox" "$OUT/busybox"
make_l2_initrd "$kver" "$R" "$OUT/initrd.img" ${wdt_extra[@]+"${wdt_extra[@]}"}
main_builtin=(${builtin[@]+"${builtin[@]}"})

# --- the backports kernel (a second L2 kernel for the clean-boot test) ---------
# bookworm-backports' cloud kernel (6.12 in 2025): bzImage + its own initramfs
# in $KIT/<ver>/ (its apt source: see "The second L2 kernel" above).
if [ -n "$bpo_kver" ]; then
  BPO_OUT="$KIT/$bpo_kver"
  mkdir -p "$BPO_OUT"
  bdeb=$(fetch "linux-image-$bpo_kver")
  dpkg-deb -x "$bdeb" "$TMP/bk"
  cp "$TMP/bk/boot/vmlinuz-$bpo_kver" "$BPO_OUT/bzImage"
  cp "$TMP/bk/boot/config-$bpo_kver" "$BPO_OUT/config"
  depmod -b "$TMP/bk" "$bpo_kver"
  MODS="$TMP/bk/lib/modules/$bpo_kver"
  make_l2_initrd "$bpo_kver" "$TMP/bpo-initrd" "$BPO_OUT/initrd.img"
  log "backports kernel $bpo_kver: L2 modules $(wc -l <"$TMP/bpo-initrd/lib/modules/$bpo_kver/load-order")"
  MODS="$TMP/k/lib/modules/$kver"
fi

# --- I/O tools for perf/io_bench.sh: fio, iperf3 -------------------------------
# $OUT/iotools is a root tree with fio, iperf3 and exactly the shared libraries
# they load (NEEDED closure, taken from the Debian packages below) plus the
# dynamic loader; the L1 runs iperf3 from it. initrd-io.img is initrd.img with
# that tree appended as a second gzip'd cpio (the kernel unpacks both), so
# initrd.img, which the boot benchmark and the tests boot, stays as it was.
# Debian's fio links the libraries of optional engines we never use (ceph
# rados/rbd, glusterfs, libnbd, rdma, pmem): with their dependencies ~150 MB;
# iperf3 needs OpenSSL's libcrypto (4.7 MB) only for --rsa-* authentication.
# Each of those sonames gets a stub library instead: it defines the symbols
# (and symbol versions) fio imports from it, and each stub function prints
# its name and exits 127 if it is ever called.
IO_PKGS=(fio iperf3 libiperf0 libc6 libaio1 zlib1g libnuma1 libsctp1)
IO_STUBS=" libgfapi.so.0 libnbd.so.0 libibverbs.so.1 librdmacm.so.1 librados.so.2 librbd.so.1 libpmem.so.1 libpmemblk.so.1 libcrypto.so.3 "
IO_BINS=(usr/bin/fio usr/bin/iperf3)
mkdir -p "$TMP/io"
for pkg in "${IO_PKGS[@]}"; do dpkg-deb -x "$(fetch "$pkg")" "$TMP/io"; done
IOR="$OUT/iotools"
LIBDIR=lib/x86_64-linux-gnu
rm -rf "$IOR"
mkdir -p "$IOR/usr/bin" "$IOR/$LIBDIR" "$IOR/lib64"
find_lib() {  # find_lib SONAME -> its path in the extracted packages
  local d
  for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
    [ -e "$TMP/io/$d/$1" ] && { echo "$TMP/io/$d/$1"; return 0; }
  done
  return 1
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
work=() stubbed=()
for b in "${IO_BINS[@]}"; do cp "$TMP/io/$b" "$IOR/$b"; work+=("$IOR/$b"); done
while [ ${#work[@]} -gt 0 ]; do
  obj=${work[0]}; work=("${work[@]:1}")
  for so in $(needed "$obj"); do
    [ -e "$IOR/$LIBDIR/$so" ] && continue
    case "$IO_STUBS" in
      *" $so "*) stubbed+=("$so"); : >"$IOR/$LIBDIR/$so"; continue ;;  # placeholder, built below
    esac
    src=$(find_lib "$so") || die "I/O tools: no $so in ${IO_PKGS[*]}"
    cp -L "$src" "$IOR/$LIBDIR/$so"
    work+=("$IOR/$LIBDIR/$so")
  done
done
# The loader: libc.so.6 NEEDs it, so it is in $LIBDIR already; /lib64 is the
# path (PT_INTERP) the binaries ask for.
[ -e "$IOR/$LIBDIR/ld-linux-x86-64.so.2" ] || cp -L "$TMP/io/lib64/ld-linux-x86-64.so.2" "$IOR/$LIBDIR/"
ln -s ../$LIBDIR/ld-linux-x86-64.so.2 "$IOR/lib64/ld-linux-x86-64.so.2"
# Symbols the stubs must define: every undefined, non-weak dynamic symbol of
# the tree's objects that no real library in the tree defines, grouped by the
# soname its version belongs to (unversioned ones go to every unversioned stub).
defined="$TMP/io-defined.txt" undef="$TMP/io-undef.txt" vers="$TMP/io-vers.txt"
: >"$defined"; : >"$undef"; : >"$vers"
for obj in "$IOR"/usr/bin/* "$IOR/$LIBDIR"/*; do
  [ -s "$obj" ] || continue
  readelf --dyn-syms -W "$obj" | awk '$7 != "UND" && $5 != "LOCAL" && NF >= 8 { print $8 }' |
    sed 's/ (.*//; s/@@*/@/' >>"$defined"
  readelf --dyn-syms -W "$obj" | awk '$7 == "UND" && $5 == "GLOBAL" && NF >= 8 { print $8 }' |
    sed 's/ (.*//; s/@@*/@/' >>"$undef"
  readelf -V -W "$obj" | awk '/\.gnu\.version_r/ { r = 1 } r && /File:/ { f = $NF; for (i = 1; i < NF; i++) if ($i == "File:") f = $(i + 1) }
                               r && /Name:/ { for (i = 1; i < NF; i++) if ($i == "Name:") print $(i + 1), f }' >>"$vers"
done
# A defined "name@VER" also satisfies a plain "name"; a plain definition satisfies "name@VER" only
# for unversioned libraries, so compare both forms.
sed 's/@.*//' "$defined" >"$defined.plain" && cat "$defined.plain" >>"$defined"
for so in ${stubbed[@]+"${stubbed[@]}"}; do
  c="$TMP/stub-$so.c" map="$TMP/stub-$so.map"
  printf '/* stub %s: generated by ci/guest-kit/build.sh */\n#include <stdio.h>\n#include <stdlib.h>\n' "$so" >"$c"
  printf 'static void Stub(const char* n) { fprintf(stderr, "%s stub: %%s called\\n", n); _Exit(127); }\n' "$so" >>"$c"
  sovers=$(awk -v f="$so" '$2 == f { print $1 }' "$vers" | sort -u)
  : >"$map"
  if [ -n "$sovers" ]; then
    for v in $sovers; do
      syms=$(grep "@$v\$" "$undef" | sort -u | grep -vxF -f "$defined" | sed 's/@.*//' || true)
      printf '%s { global: %s };\n' "$v" "$(printf '%s; ' $syms)" >>"$map"
      for s in $syms; do printf 'void %s(void) { Stub("%s"); }\n' "$s" "$s" >>"$c"; done
    done
  else
    for s in $(grep -v @ "$undef" | sort -u | grep -vxF -f "$defined" || true); do
      printf 'void %s(void) { Stub("%s"); }\n' "$s" "$s" >>"$c"
    done
  fi
  verflag=()
  [ -s "$map" ] && verflag=("-Wl,--version-script=$map")
  cc -shared -fPIC -O1 -fno-builtin -w -o "$IOR/$LIBDIR/$so" -Wl,-soname,"$so" ${verflag[@]+"${verflag[@]}"} "$c" ||
    die "cannot build the stub $so"
done
# Each binary must load (no missing library or symbol): resolve everything now.
for b in "${IO_BINS[@]}"; do
  LD_BIND_NOW=1 "$IOR/lib64/ld-linux-x86-64.so.2" --library-path "$IOR/$LIBDIR" "$IOR/$b" --version >/dev/null ||
    die "I/O tools: $b does not load from $IOR"
done
(cd "$IOR" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$TMP/iotools.cpio.gz"
cat "$OUT/initrd.img" "$TMP/iotools.cpio.gz" >"$OUT/initrd-io.img"

# --- kit.env ------------------------------------------------------------------
cat >"$KIT/kit.env.tmp" <<EOF
# Petrel guest kit, written by ci/guest-kit/build.sh; source this file.
PETREL_KIT_DIR=$OUT
PETREL_KIT_KVER=$kver
PETREL_KIT_PKGVER=$kpkgver
PETREL_KIT_BZIMAGE=$OUT/bzImage
PETREL_KIT_VMLINUX=$OUT/vmlinux
PETREL_KIT_INITRD=$OUT/initrd.img
PETREL_KIT_INITRD_IO=$OUT/initrd-io.img
PETREL_KIT_IOTOOLS=$OUT/iotools
PETREL_KIT_CONFIG=$OUT/config
PETREL_KIT_BUSYBOX=$OUT/busybox
PETREL_KIT_L1_MODDIR=$OUT/l1-modules
PETREL_KIT_L1_MODULES="irqbypass kvm kvm-amd tun dummy macvlan tap macvtap vhost_iotlb vhost vsock vmw_vsock_virtio_transport_common vhost_vsock"
PETREL_KIT_L2_MODULES="$(sed 's#.*/##; s#\.ko$##' "$R/lib/modules/$kver/load-order" | tr '\n' ' ' | sed 's/ $//')"
PETREL_KIT_L2_BUILTIN="${main_builtin[*]}"
PETREL_KIT_BPO_KVER=$bpo_kver
PETREL_KIT_BPO_DIR=${bpo_kver:+$KIT/$bpo_kver}
PETREL_KIT_BPO_BZIMAGE=${bpo_kver:+$KIT/$bpo_kver/bzImage}
PETREL_KIT_BPO_INITRD=${bpo_kver:+$KIT/$bpo_kver/initrd.img}
# The virtio-watchdog guest driver (main kernel only; its initrd.img loads it):
# a copy of the module, or empty and the reason.
PETREL_KIT_VIRTIO_WDT=${wdt_extra[0]:+$OUT/virtio_wdt.ko}
PETREL_KIT_VIRTIO_WDT_MISSING="$wdt_missing"
# vsock_peer (also /bin/vsock_peer in initrd.img), for the L1 side.
PETREL_KIT_VSOCK_PEER=$OUT/vsock_peer
# Recommended L2 command line (add petrel.cmd=/petrel.end=): what users boot,
# with no initcall skipped.
PETREL_KIT_L2_CMDLINE="console=ttyS0 quiet"
PETREL_KIT_RECIPE=$recipe
EOF
mv "$KIT/kit.env.tmp" "$KIT/kit.env"
log "I/O tools: fio, iperf3, $(ls "$IOR/$LIBDIR" | wc -l) libraries (stubs: ${stubbed[*]:-none}); initrd-io.img $(du -k "$OUT/initrd-io.img" | cut -f1) KiB"
log "L2 modules: $(sed 's#.*/##' "$R/lib/modules/$kver/load-order" | tr '\n' ' ')"
[ ${#main_builtin[@]} -eq 0 ] || log "built in: ${main_builtin[*]}"
echo "guest-kit: built kit for $kver in $OUT (env: $KIT/kit.env)"
