#!/bin/sh
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# tests/kvm/nested-run-tests.sh: runs kvm_backend_test inside the nested-KVM
# L1 (ci/nested/run.sh --script) and prints one PETREL-RESULT line per test.
#   mkdir p && cp build/tests/kvm_backend_test p/ &&
#   ci/nested/run.sh --payload p --script tests/kvm/nested-run-tests.sh
cd /payload || exit 1
./kvm_backend_test > /tmp/kvm_backend_test.log 2>&1
rc=$?
cat /tmp/kvm_backend_test.log
for n in $(grep -E '^\[       OK \] ' /tmp/kvm_backend_test.log | awk '{print $4}'); do
  echo "PETREL-RESULT $n PASS"
done
for n in $(grep -E '^\[  FAILED  \] [A-Za-z0-9_]+\.[A-Za-z0-9_]+ \(' /tmp/kvm_backend_test.log | awk '{print $4}'); do
  echo "PETREL-RESULT $n FAIL"
done
for n in $(grep -E '^\[  SKIPPED \] [A-Za-z0-9_]+\.[A-Za-z0-9_]+ \(' /tmp/kvm_backend_test.log | awk '{print $4}'); do
  echo "PETREL-RESULT $n SKIP"
done
exit $rc
