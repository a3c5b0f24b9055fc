# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz target for core/x86emu (included from fuzz/CMakeLists.txt).
petrel_fuzz(x86emu_fuzz SOURCES x86emu_fuzz.cc DEPS petrel_x86emu)
