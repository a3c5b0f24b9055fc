#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# perf/io_bench_guest.sh: the L2 guest half of perf/io_bench.sh. perf/io_bench.sh
# appends it to the kit's initrd-io.img as /io_bench_guest.sh; the L1 half
# (perf/io_bench_l1.sh) runs it through petrel.cmd. Owns the measurements
# inside the guest: fio on /dev/vda and iperf3 against the L1.
#
#   sh /io_bench_guest.sh SECONDS GUEST_IP/PREFIX HOST_IP TEST...
#
# TEST: seqread seqwrite randread (fio, libaio, O_DIRECT on /dev/vda, which
# it overwrites) | tx (guest to host) rx (host to guest) (iperf3 client
# against the L1's iperf3 server on HOST_IP). Per test it prints
#   IOB-BEGIN <test> .          (the L1 samples the VMM's CPU time here)
#   IOB-END <test> .            (and here)
#   IOB-RESULT test=<test> mib_s=<MiB/s> iops=<IOPS or -> bytes=<bytes moved> [retr=N] .
# or IOB-ERROR test=<test> <reason> . (the trailing "." absorbs the serial
# console's \r). Output is kept short: every console byte is a VM exit.
secs=$1 gip=$2 hip=$3
shift 3

fio_test() {  # fio_test NAME RW BS IODEPTH -> the terse v3 line
  fio --name="$1" --filename=/dev/vda --direct=1 --ioengine=libaio --rw="$2" --bs="$3" \
    --iodepth="$4" --runtime="$secs" --time_based --norandommap --randrepeat=0 \
    --output-format=terse --terse-version=3 2>/tmp/fio.err
}

net_up=0
net_setup() {
  [ "$net_up" = 1 ] && return 0
  [ -d /sys/class/net/eth0 ] || return 1
  ip addr add "$gip" dev eth0 && ip link set eth0 up || return 1
  i=0
  while [ $i -lt 20 ]; do
    ping -c 1 -W 1 "$hip" >/dev/null 2>&1 && { net_up=1; return 0; }
    i=$((i + 1))
  done
  return 1
}

for t in "$@"; do
  case "$t" in
    seqread|seqwrite|randread)
      if [ ! -b /dev/vda ]; then echo "IOB-ERROR test=$t no /dev/vda ."; continue; fi
      case "$t" in
        seqread) args="read 1M 16" ;;
        seqwrite) args="write 1M 16" ;;
        randread) args="randread 4k 32" ;;
      esac
      echo "IOB-BEGIN $t ."
      # shellcheck disable=SC2086
      line=$(fio_test "$t" $args)
      echo "IOB-END $t ."
      # terse v3 (fio HOWTO, "Terse output"): 5 error, 6/7/8 read KiB, KiB/s,
      # IOPS; 47/48/49 the same for writes.
      res=$(echo "$line" | awk -F';' -v t="$t" 'NF > 50 {
        if (t == "seqwrite") { kb = $47; bw = $48; iops = $49 } else { kb = $6; bw = $7; iops = $8 }
        if ($5 != 0 || kb == 0) { print "err=" $5; exit }
        printf "mib_s=%.1f iops=%s bytes=%.0f", bw / 1024, (t == "randread" ? iops : "-"), kb * 1024 }')
      case "$res" in
        mib_s=*) echo "IOB-RESULT test=$t $res ." ;;
        *) echo "IOB-ERROR test=$t fio ${res:-no output} $(head -c 200 /tmp/fio.err | tr '\n' ' ') ." ;;
      esac ;;
    tx|rx)
      if ! net_setup; then
        echo "IOB-ERROR test=$t network (eth0 $gip to $hip) not up; interfaces: $(echo /sys/class/net/*) ."
        continue
      fi
      rev=""
      [ "$t" = rx ] && rev=-R
      echo "IOB-BEGIN $t ."
      # shellcheck disable=SC2086
      iperf3 -c "$hip" -t "$secs" -i 0 -f k $rev >/tmp/iperf.out 2>&1
      echo "IOB-END $t ."
      # The receiver's summary: "[  5]   0.00-10.00  sec  770 MBytes  6406697 Kbits/sec  receiver"
      # (the transfer is auto-scaled, K/M/G = 2^10/2^20/2^30; -f k fixes the rate to 1000 bit/s units)
      res=$(awk '/receiver/ {
        for (i = 2; i <= NF; i++) {
          if ($i == "Bytes") b = $(i - 1); if ($i == "KBytes") b = $(i - 1) * 1024
          if ($i == "MBytes") b = $(i - 1) * 1048576; if ($i == "GBytes") b = $(i - 1) * 1073741824
          if ($i == "Kbits/sec") r = $(i - 1)
        }
      }
      / sender$/ && NF >= 10 { retr = $(NF - 1) }  # TCP retransmissions of the sending side
      END { if (b != "" && r != "") printf "mib_s=%.1f iops=- bytes=%.0f retr=%s", r * 1000 / 8 / 1048576, b, (retr == "" ? "-" : retr) }' /tmp/iperf.out)
      case "$res" in
        mib_s=*) echo "IOB-RESULT test=$t $res ." ;;
        *) echo "IOB-ERROR test=$t iperf3 $(tail -c 200 /tmp/iperf.out | tr '\n' ' ') ." ;;
      esac ;;
    *) echo "IOB-ERROR test=$t unknown test ." ;;
  esac
done
