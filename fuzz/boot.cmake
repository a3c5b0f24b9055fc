# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Boot loader fuzzers (core/boot): random kernel images, cmdlines and
# initramfs sizes into a 64 MiB guest. Run e.g.
#   build-fuzz/fuzz/boot_bzimage_fuzz -max_total_time=10
petrel_fuzz(boot_bzimage_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/boot_bzimage_fuzz.cc
            DEPS petrel_boot petrel_boot_testing)
petrel_fuzz(boot_pvh_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/boot_pvh_fuzz.cc
            DEPS petrel_boot petrel_boot_testing)
