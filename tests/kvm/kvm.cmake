# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# tests/kvm: integration tests of the KVM backend against a real /dev/kvm
# (included from tests/CMakeLists.txt). They skip cleanly without /dev/kvm or
# with PETREL_FORCE_NO_KVM=1. The binary is self-contained (the guest is
# embedded), so the nested-KVM harness can copy it into an initramfs.
petrel_test(kvm_backend_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/kvm_backend_test.cc
  DEPS petrel_hv_kvm petrel_arch petrel_io petrel_event petrel_memory petrel_test_guests
  LABELS kvm)
