# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz targets for devices/virtio/net (included from fuzz/CMakeLists.txt).
petrel_fuzz(virtio_net_fuzz SOURCES virtio_net_fuzz.cc
  DEPS petrel_virtio_net petrel_virtio_testing petrel_event)
