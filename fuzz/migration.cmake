# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# fuzz/migration.cmake: the live-migration wire protocol (vmm/migration).
# The peer's byte stream is untrusted: requests, payload bounds, range
# tables, memory data; no crash, no unbounded allocation.
petrel_fuzz(migration_stream_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/migration_stream_fuzz.cc DEPS petrel_migration)
