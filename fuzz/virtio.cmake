# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Fuzz targets for devices/virtio (included from fuzz/CMakeLists.txt).
petrel_fuzz(virtio_queue_fuzz SOURCES virtio_queue_fuzz.cc DEPS petrel_virtio_queue)
petrel_fuzz(virtio_blk_fuzz SOURCES virtio_blk_fuzz.cc
  DEPS petrel_virtio_blk petrel_virtio_testing petrel_event)
petrel_fuzz(virtio_pci_fuzz SOURCES virtio_pci_fuzz.cc
  DEPS petrel_virtio_pci petrel_virtio_rng petrel_hv_sim petrel_event petrel_io)
petrel_fuzz(balloon_fuzz SOURCES balloon_fuzz.cc
  DEPS petrel_virtio_balloon petrel_virtio_testing petrel_event)
petrel_fuzz(virtio_mem_fuzz SOURCES virtio_mem_fuzz.cc
  DEPS petrel_virtio_mem petrel_virtio_testing petrel_event)
petrel_fuzz(watchdog_fuzz SOURCES watchdog_fuzz.cc
  DEPS petrel_virtio_watchdog petrel_virtio_testing petrel_event)
petrel_fuzz(vsock_fuzz SOURCES vsock_fuzz.cc
  DEPS petrel_virtio_vsock petrel_virtio_testing petrel_event)
# virtio-iommu's domains and mappings: every request a guest can make.
petrel_fuzz(virtio_iommu_fuzz SOURCES virtio_iommu_fuzz.cc DEPS petrel_virtio_iommu)
