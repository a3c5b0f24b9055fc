# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz target for the MSHV backend's intercept handling (included from
# fuzz/CMakeLists.txt).
petrel_fuzz(mshv_intercept_fuzz SOURCES mshv_intercept_fuzz.cc
  DEPS petrel_hv_mshv petrel_hv_mshv_testing)
