#!/bin/sh
# /init of the L2 guest initramfs built by ci/guest-kit/build.sh.
# Owns the guest side of the kit protocol: mount the pseudo filesystems, load
# the virtio modules present, print PETREL-GUEST-READY, run petrel.cmd
# (base64 shell command) and end as petrel.end says (reboot|poweroff|shell).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

cmdline=$(cat /proc/cmdline)
kver=$(uname -r)
moddir=/lib/modules/$kver

# Loadable modules do not see "<module>.<param>=" from the kernel command line
# (the kernel only applies those to built-ins), so pass them to insmod here.
if [ -f "$moddir/load-order" ]; then
  while read -r rel; do
    [ -n "$rel" ] || continue
    name=$(basename "$rel" .ko | tr - _)
    args=""
    for w in $cmdline; do
      case "$w" in "$name".*) args="$args ${w#"$name".}" ;; esac
    done
    # shellcheck disable=SC2086  # args is a word list on purpose
    insmod "$moddir/$rel" $args >/dev/null 2>&1
  done <"$moddir/load-order"
fi

echo "PETREL-GUEST-READY"

cmd=""
end=reboot
for w in $cmdline; do
  case "$w" in
    petrel.cmd=*) cmd=${w#petrel.cmd=} ;;
    petrel.end=*) end=${w#petrel.end=} ;;
  esac
done

if [ -n "$cmd" ]; then
  echo "$cmd" | base64 -d >/tmp/petrel-cmd.sh 2>/dev/null
  sh /tmp/petrel-cmd.sh
  echo "PETREL-GUEST-CMD-DONE rc=$?"
fi

case "$end" in
  poweroff) poweroff -f ;;
  shell)
    echo "PETREL-GUEST-SHELL (exit the shell to power off)"
    setsid cttyhack sh -l
    poweroff -f ;;
  *) reboot -f ;;
esac
sleep 3600
