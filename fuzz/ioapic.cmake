# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz target for devices/ioapic (included from fuzz/CMakeLists.txt).
petrel_fuzz(ioapic_fuzz SOURCES ioapic_fuzz.cc DEPS petrel_ioapic)
