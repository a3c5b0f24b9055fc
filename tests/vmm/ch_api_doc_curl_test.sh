#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Cloud Hypervisor's documented REST API requests (its docs/api.md, "REST API
# Examples"), sent with curl exactly as written there -- only the socket path
# differs -- to an empty `petrel --api-socket` VMM. Without a guest kernel
# the VM cannot boot here, so vm.boot must fail with 500 and leave the VMM
# serving; the nested tier boots a real guest through the same API.
# Usage: ch_api_doc_curl_test.sh <petrel binary>. Exit 77: skipped (no curl).
set -u
PETREL=$1
command -v curl >/dev/null || { echo "SKIP: curl is not installed (ci/install-deps.sh installs it)"; exit 77; }
dir=$(mktemp -d)
sock=$dir/cloud-hypervisor.sock
"$PETREL" --api-socket "path=$sock" 2>"$dir/petrel.err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

fails=0
# expect <status> <what> -- <curl args...>: runs curl -i, checks the status line.
expect() {
  want=$1; what=$2; shift 3
  out=$("$@" 2>/dev/null)
  got=$(printf '%s\n' "$out" | grep -m1 '^HTTP/' | awk '{print $2}')
  if [ "$got" = "$want" ]; then
    echo "ok: $what -> $got"
  else
    echo "FAIL: $what: want $want, got '$got'"; printf '%s\n' "$out" | head -20; fails=$((fails + 1))
  fi
  LAST=$out
}

expect 204 vm.create -- \
curl --unix-socket "$sock" -i \
     -X PUT 'http://localhost/api/v1/vm.create'  \
     -H 'Accept: application/json'               \
     -H 'Content-Type: application/json'         \
     -d '{
         "cpus":{"boot_vcpus": 4, "max_vcpus": 4},
         "payload":{"kernel":"/opt/clh/kernel/vmlinux-virtio-fs-virtio-iommu", "cmdline":"console=ttyS0 console=hvc0 root=/dev/vda1 rw"},
         "disks":[{"path":"/opt/clh/images/focal-server-cloudimg-amd64.raw"}],
         "rng":{"src":"/dev/urandom"},
         "net":[{"ip":"192.168.10.10", "mask":"255.255.255.0", "mac":"12:34:56:78:90:01"}]
         }'

expect 200 vm.info -- \
curl --unix-socket "$sock" -i \
     -X GET 'http://localhost/api/v1/vm.info' \
     -H 'Accept: application/json'
case $LAST in
  *'"state":"Created"'*'"boot_vcpus":4'*|*'"boot_vcpus":4'*'"state":"Created"'*) echo "ok: vm.info shows the created config" ;;
  *) echo "FAIL: vm.info body: $LAST"; fails=$((fails + 1)) ;;
esac

# The kernel in CH's example does not exist here: the build fails with 500
# and the config stays.
expect 500 vm.boot -- curl --unix-socket "$sock" -i -X PUT 'http://localhost/api/v1/vm.boot'
# CH: rebooting with no VM running is VmNotCreated (404); shutting it down
# is VmNotRunning (500).
expect 404 vm.reboot -- curl --unix-socket "$sock" -i -X PUT 'http://localhost/api/v1/vm.reboot'
expect 500 vm.shutdown -- curl --unix-socket "$sock" -i -X PUT 'http://localhost/api/v1/vm.shutdown'
expect 200 "vm.info after the failed boot" -- \
curl --unix-socket "$sock" -i \
     -X GET 'http://localhost/api/v1/vm.info' \
     -H 'Accept: application/json'
expect 204 vmm.shutdown -- curl --unix-socket "$sock" -i -X PUT 'http://localhost/api/v1/vmm.shutdown'
wait $pid
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: petrel exited $rc after vmm.shutdown"; cat "$dir/petrel.err"; fails=$((fails + 1)); }
[ -e "$sock" ] && { echo "FAIL: the socket was left behind"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "PASS" || echo "$fails failures"
exit $(( fails > 0 ))
