# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# fuzz/snapshot.cmake: the snapshot state decoders (vmm/snapshot). A
# snapshot file may come from anywhere: no crash, throw or unbounded work,
# one-line errors, exact round trips of what they accept.
petrel_fuzz(snapshot_state_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/snapshot_state_fuzz.cc DEPS petrel_snapshot)
