# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz targets for devices/virtio/console (included from fuzz/CMakeLists.txt).
petrel_fuzz(virtio_console_fuzz SOURCES virtio_console_fuzz.cc
  DEPS petrel_virtio_console petrel_event)
