# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz targets for devices/legacy (included from fuzz/CMakeLists.txt).
petrel_fuzz(legacy_serial_fuzz SOURCES legacy_serial_fuzz.cc DEPS petrel_legacy)
petrel_fuzz(legacy_cmos_fuzz SOURCES legacy_cmos_fuzz.cc DEPS petrel_legacy)
petrel_fuzz(legacy_i8042_fuzz SOURCES legacy_i8042_fuzz.cc DEPS petrel_legacy)
petrel_fuzz(legacy_debug_port_fuzz SOURCES legacy_debug_port_fuzz.cc DEPS petrel_legacy)
