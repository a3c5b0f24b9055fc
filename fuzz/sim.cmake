# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# hv_sim fuzz targets.
petrel_fuzz(sim_script_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/sim_script_fuzz.cc
  DEPS petrel_hv_sim petrel_io petrel_memory petrel_event)
